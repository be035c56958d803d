//! [`NaiveFib`]: a linear scan over all entries. The reference (oracle) for the
//! property tests and the O(n) baseline of the benchmarks. Not for forwarding.

use dmsc_wire::name::{Name, NameRef};

use crate::{FibEntry, FibError, NextHop};

/// A `Vec` of entries scanned linearly; longest matching prefix wins.
#[derive(Clone, Debug, Default)]
pub struct NaiveFib {
    entries: Vec<FibEntry>,
}

impl NaiveFib {
    /// Same inputs and errors as [`crate::Fib::build`].
    pub fn build<I>(routes: I) -> Result<NaiveFib, FibError>
    where
        I: IntoIterator<Item = (Name, Vec<NextHop>)>,
    {
        let mut entries: Vec<FibEntry> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (route, (prefix, hops)) in routes.into_iter().enumerate() {
            if !seen.insert(prefix.clone()) {
                return Err(FibError::DuplicatePrefix { route });
            }
            entries.push(FibEntry::new(prefix, hops).ok_or(FibError::NoNextHop { route })?);
        }
        Ok(NaiveFib { entries })
    }

    /// Longest prefix of `name` (whole components) among the entries.
    pub fn lookup(&self, name: NameRef<'_>) -> Option<&FibEntry> {
        let mut best: Option<&FibEntry> = None;
        for e in &self.entries {
            if name.starts_with(e.prefix()) && best.map_or(true, |b| e.prefix().len() > b.prefix().len()) {
                best = Some(e);
            }
        }
        best
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes used (entries and the vector).
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.entries.iter().map(FibEntry::memory_bytes).sum::<usize>()
    }
}
