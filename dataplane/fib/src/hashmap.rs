//! [`HashFib`]: a hash map from whole prefix wire bytes to entries, probed
//! longest prefix first. The "obvious" design and the second benchmark
//! baseline: each probe rehashes the prefix bytes from the start and a name
//! with `k` components may need `k + 1` probes.

use std::collections::HashMap;

use dmsc_wire::name::{Name, NameRef, MAX_COMPONENTS};

use crate::{FibEntry, FibError, NextHop};

/// `HashMap<prefix wire bytes, FibEntry>` with `ahash`, probed longest-first.
#[derive(Clone, Debug, Default)]
pub struct HashFib {
    map: HashMap<Box<[u8]>, FibEntry, ahash::RandomState>,
    max_depth: usize,
}

impl HashFib {
    /// Same inputs and errors as [`crate::Fib::build`].
    pub fn build<I>(routes: I) -> Result<HashFib, FibError>
    where
        I: IntoIterator<Item = (Name, Vec<NextHop>)>,
    {
        let mut map = HashMap::with_hasher(ahash::RandomState::new());
        let mut max_depth = 0;
        for (route, (prefix, hops)) in routes.into_iter().enumerate() {
            let key: Box<[u8]> = prefix.wire().into();
            max_depth = max_depth.max(prefix.len());
            let entry = FibEntry::new(prefix, hops).ok_or(FibError::NoNextHop { route })?;
            if map.insert(key, entry).is_some() {
                return Err(FibError::DuplicatePrefix { route });
            }
        }
        Ok(HashFib { map, max_depth })
    }

    /// Longest-prefix match: probes the prefixes of `name` from the longest
    /// (capped at the deepest entry) to the root.
    #[inline]
    pub fn lookup(&self, name: NameRef<'_>) -> Option<&FibEntry> {
        let wire = name.wire();
        let mut ends = [0usize; MAX_COMPONENTS + 1];
        let mut n = 0;
        for end in name.component_ends().take(self.max_depth.min(MAX_COMPONENTS)) {
            n += 1;
            ends[n] = end;
        }
        (0..=n).rev().find_map(|d| self.map.get(&wire[..ends[d]]))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True if there is no entry.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Approximate bytes used: the table (buckets of key + value + 1 control
    /// byte each), the keys and the entries' heap data.
    pub fn memory_bytes(&self) -> usize {
        let bucket = std::mem::size_of::<(Box<[u8]>, FibEntry)>() + 1;
        let buckets = (self.map.capacity() * 8 / 7).next_power_of_two();
        std::mem::size_of::<Self>()
            + buckets * bucket
            + self.map.iter().map(|(k, e)| k.len() + e.memory_bytes() - std::mem::size_of::<FibEntry>()).sum::<usize>()
    }
}
