//! The FIB snapshot: a hashed name trie searched by binary search over depth.
//!
//! See the crate docs for the design rationale; this module holds the layout
//! and the hot path.

use std::collections::BTreeMap;
use std::fmt;

use dmsc_wire::name::{Name, NameRef, MAX_COMPONENTS};

use crate::entry::{FibEntry, NextHop};
use crate::hash;
use crate::prefetch::prefetch;
use crate::FibError;

/// Index value meaning "no entry" / "no slot".
pub(crate) const NONE: u32 = u32::MAX;
/// Low bits of a slot key: the prefix wire length (at most 512 < 2^16 for a
/// valid name). The high 48 bits are the prefix hash.
pub(crate) const LEN_MASK: u64 = 0xFFFF;
/// Maximum number of entries (indices are `u32`, `NONE` excluded).
pub const MAX_ENTRIES: usize = (u32::MAX - 1) as usize;
/// Names looked up together by [`Fib::lookup_burst`] (larger slices are cut
/// into chunks of this size). 32 = the usual DPDK RX burst.
pub const BURST: usize = 32;
/// Maximum table load factor, in percent. With 4-slot buckets, Poisson
/// occupancy gives ~8 % full buckets at 40 % load (a probe that misses in a
/// full bucket reads the next line too) against ~14 % at 50 %; measured on
/// 10^6 prefixes × 8 components, bursts at 40 % are ~12 % faster than at 50 %
/// for +10 % memory, and 33 % gained nothing more (docs/performance.md).
pub(crate) const MAX_LOAD_PERCENT: usize = 40;
/// Slots per bucket (one 64-byte cache line).
pub(crate) const BUCKET_SLOTS: usize = 4;

/// One hash-table slot (16 bytes): a trie node, i.e. a prefix of some FIB
/// entry's name.
#[derive(Clone, Copy, Default)]
#[repr(C, align(16))]
pub(crate) struct Slot {
    /// `(hash & !LEN_MASK) | prefix wire length`; 0 = empty slot (a non-root
    /// prefix is at least 2 bytes long, so a used slot is never 0).
    pub(crate) key: u64,
    /// Offset in `Fib::keys` of this prefix's wire bytes (length from `key`).
    pub(crate) key_off: u32,
    /// Index in `Fib::entries` of the longest non-root entry that is a
    /// prefix of this node (the node itself or an ancestor), or `NONE`
    /// (then the root entry `Fib::root_best`, if any, applies: so adding or
    /// removing the default route never touches the nodes).
    pub(crate) best: u32,
}

/// A cache line of 4 slots, filled in order. A probe reads one bucket, compares
/// the 4 keys, and only moves to the next bucket if this one is full and has
/// no match (rare at load 0.4): one cache miss per probe, few branches.
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
pub(crate) struct Bucket {
    pub(crate) slots: [Slot; BUCKET_SLOTS],
}

/// An immutable FIB snapshot: build it on the control thread, publish it to
/// the lcores through `dmsc_rcu::Rcu<Fib>`. `Send + Sync`.
///
/// Lookups allocate nothing, take no lock and do no atomic operation.
///
/// A [`crate::FibWriter`] updates a `Fib` in place (on the copy the lcores
/// do not see); the layout below is the same either way.
#[derive(Clone)]
pub struct Fib {
    /// Open-addressing table (linear probing over buckets) of all trie nodes
    /// but the root. Slot `i` is `buckets[i / 4].slots[i % 4]`.
    pub(crate) buckets: Box<[Bucket]>,
    /// Wire bytes of the prefixes; the prefixes of one name share its bytes.
    /// In-place updates append (bytes of removed nodes become garbage until
    /// the next rebuild).
    pub(crate) keys: Vec<u8>,
    /// Entries: sorted by prefix after a build; after in-place updates a slab
    /// (stable indices, vacant slots reused, see `FibEntry::vacant`).
    pub(crate) entries: Vec<FibEntry>,
    /// Entry index of the root prefix `/` (default route), or `NONE`.
    pub(crate) root_best: u32,
    /// Largest number of components of any entry prefix.
    pub(crate) max_depth: usize,
    /// Hash seed of this build (kept by in-place updates).
    pub(crate) seed: u64,
    /// Number of trie nodes (root excluded).
    pub(crate) nodes: usize,
    /// Number of live entries.
    pub(crate) live: usize,
    /// Live entries per number of components (maintains `max_depth`).
    pub(crate) depth_entries: [u32; MAX_COMPONENTS + 1],
    /// Length of `keys` after the last full build (arena compaction trigger).
    pub(crate) keys_base: usize,
    /// 0 from [`Fib::build`]; set by the writer on each published version.
    pub(crate) version: u64,
    /// Identity of the name → entry-index mapping: unique in the process,
    /// renewed whenever a prefix is added or removed (see [`Fib::shape`]).
    pub(crate) shape: u64,
}

/// A fresh process-wide shape stamp (control path only: one atomic add per
/// FIB build or structural update, never per lookup).
pub(crate) fn next_shape() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A route change for [`Fib::with_changes`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FibChange {
    /// Add a route, or replace the next hops of an existing prefix.
    Upsert(Name, Vec<NextHop>),
    /// Remove a route (no-op if the prefix is absent).
    Remove(Name),
}

impl fmt::Debug for Fib {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fib")
            .field("entries", &self.live)
            .field("nodes", &self.nodes)
            .field("buckets", &self.buckets.len())
            .field("max_depth", &self.max_depth)
            .field("memory_bytes", &self.memory_bytes())
            .finish()
    }
}

impl Default for Fib {
    fn default() -> Fib {
        Fib::empty()
    }
}

/// Per-name search state for the hot path: prefix keys by depth
/// (`keys[d]` for the `d`-component prefix; index 0 unused).
type Keys = [u64; MAX_COMPONENTS + 1];

impl Fib {
    /// A FIB with no route: every lookup misses.
    pub fn empty() -> Fib {
        Fib::from_sorted(Vec::new(), hash::random_seed()).expect("an empty FIB always builds")
    }

    /// Builds a FIB from `(prefix, next hops)` routes. O(n log n) for the sort
    /// plus O(total name bytes) for the trie.
    ///
    /// # Errors
    /// [`FibError::NoNextHop`] for a route with no next hop,
    /// [`FibError::DuplicatePrefix`] if two routes have the same prefix
    /// (`route` = 0-based position in `routes` of the later one),
    /// [`FibError::TooManyEntries`] past [`MAX_ENTRIES`] entries or 4 GiB of
    /// prefix bytes.
    pub fn build<I>(routes: I) -> Result<Fib, FibError>
    where
        I: IntoIterator<Item = (Name, Vec<NextHop>)>,
    {
        let mut indexed = Vec::new();
        for (route, (prefix, next_hops)) in routes.into_iter().enumerate() {
            let entry = FibEntry::new(prefix, next_hops).ok_or(FibError::NoNextHop { route })?;
            indexed.push((entry, route));
        }
        if indexed.len() > MAX_ENTRIES {
            return Err(FibError::TooManyEntries);
        }
        indexed.sort_unstable_by(|a, b| a.0.prefix().wire().cmp(b.0.prefix().wire()).then(a.1.cmp(&b.1)));
        if let Some(w) = indexed.windows(2).find(|w| w[0].0.prefix().wire() == w[1].0.prefix().wire()) {
            return Err(FibError::DuplicatePrefix { route: w[1].1 });
        }
        let entries = indexed.into_iter().map(|(e, _)| e).collect();
        Fib::from_sorted(entries, hash::random_seed())
    }

    /// A new FIB with `changes` applied in order (the last change to a prefix
    /// wins). Entries are merged in sorted order, so there is no sort; the
    /// trie is rebuilt, O(entries + total name bytes).
    ///
    /// # Errors
    /// [`FibError::NoNextHop`] (`route` = position in `changes`),
    /// [`FibError::TooManyEntries`].
    pub fn with_changes<I>(&self, changes: I) -> Result<Fib, FibError>
    where
        I: IntoIterator<Item = FibChange>,
    {
        let mut map: BTreeMap<Vec<u8>, Option<FibEntry>> = BTreeMap::new();
        for (route, change) in changes.into_iter().enumerate() {
            match change {
                FibChange::Upsert(prefix, hops) => {
                    let entry = FibEntry::new(prefix, hops).ok_or(FibError::NoNextHop { route })?;
                    map.insert(entry.prefix().wire().to_vec(), Some(entry));
                }
                FibChange::Remove(prefix) => {
                    map.insert(prefix.wire().to_vec(), None);
                }
            }
        }
        let mut merged = Vec::with_capacity(self.live + map.len());
        let mut changes = map.into_iter().peekable();
        for old in self.entries() {
            while let Some((k, _)) = changes.peek() {
                if k.as_slice() >= old.prefix().wire() {
                    break;
                }
                merged.extend(changes.next().and_then(|(_, e)| e));
            }
            match changes.peek() {
                Some((k, _)) if k.as_slice() == old.prefix().wire() => {
                    merged.extend(changes.next().and_then(|(_, e)| e));
                }
                _ => merged.push(old.clone()),
            }
        }
        merged.extend(changes.filter_map(|(_, e)| e));
        if merged.len() > MAX_ENTRIES {
            return Err(FibError::TooManyEntries);
        }
        Fib::from_sorted(merged, self.seed)
    }

    /// Builds the trie over entries sorted by prefix wire bytes, no duplicates.
    ///
    /// In sorted order the prefixes of a name that already exist as nodes are
    /// exactly those it shares with the previous name, and a node that is an
    /// entry is always created by that entry (a name sorts before all names
    /// it is a prefix of). So one pass with a stack of (hash state, best
    /// entry) along the previous name creates every node once, with its
    /// longest-matching entry already known.
    pub(crate) fn from_sorted(entries: Vec<FibEntry>, seed: u64) -> Result<Fib, FibError> {
        let trie = build_trie(entries.iter().enumerate().map(|(i, e)| (e.prefix().wire(), i as u32)), seed)?;
        let mut depth_entries = [0u32; MAX_COMPONENTS + 1];
        for e in &entries {
            depth_entries[e.prefix().len()] += 1;
        }
        Ok(Fib {
            buckets: trie.buckets,
            keys_base: trie.keys.len(),
            keys: trie.keys,
            live: entries.len(),
            entries,
            root_best: trie.root_best,
            max_depth: max_depth_of(&depth_entries),
            seed,
            nodes: trie.nodes,
            depth_entries,
            version: 0,
            shape: next_shape(),
        })
    }

    /// Number of entries (prefixes).
    #[inline]
    pub fn len(&self) -> usize {
        self.live
    }

    /// True if the FIB has no entry.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Number of trie nodes (distinct non-root prefixes of all entries).
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// Largest number of components of an entry prefix (0 if none).
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Entries sorted by prefix wire bytes (`Name`'s `Ord`; a prefix sorts
    /// before the names it is a prefix of). Control path: collects and sorts
    /// references (O(n) for a FIB fresh from a build, which is sorted
    /// already; O(n log n) after in-place updates).
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &FibEntry> + '_ {
        let mut v: Vec<&FibEntry> = self.entries.iter().filter(|e| !e.is_vacant()).collect();
        v.sort_by(|a, b| a.prefix().wire().cmp(b.prefix().wire()));
        v.into_iter()
    }

    /// The entry whose prefix is exactly `prefix` (control path: one
    /// byte-verified hash search for the prefix's node).
    pub fn get(&self, prefix: NameRef<'_>) -> Option<&FibEntry> {
        let w = prefix.wire();
        let key = if w.is_empty() { 0 } else { self.node_key(prefix) };
        self.own_entry(self.node_best(key, w)?, w)
    }

    /// The `best` index of the verified node `w` with hash-table key `key`
    /// (the root route's for the root, whose key is unused), or `None` if
    /// there is no such node.
    #[inline]
    pub(crate) fn node_best(&self, key: u64, w: &[u8]) -> Option<u32> {
        if w.is_empty() {
            Some(self.root_best)
        } else {
            self.find_node(key, w).map(|s| self.slot(s as u32).best)
        }
    }

    /// Hash-table key of the node for `prefix` (not the root).
    #[inline]
    pub(crate) fn node_key(&self, prefix: NameRef<'_>) -> u64 {
        let w = prefix.wire();
        let mut state = self.seed;
        let mut off = 0;
        for end in prefix.component_ends() {
            state = hash::extend(state, w, off, end);
            off = end;
        }
        (state & !LEN_MASK) | w.len() as u64
    }

    /// The entry at `best` if it is the entry of the verified node `w`
    /// itself. A node's `best` is the entry of the node or of an ancestor,
    /// so equal lengths mean equal prefixes: no comparison of the entry's
    /// prefix bytes (a cache miss on its heap allocation).
    #[inline]
    pub(crate) fn own_entry(&self, best: u32, w: &[u8]) -> Option<&FibEntry> {
        let e = self.entries.get(best as usize).filter(|e| e.prefix().wire_len() == w.len())?;
        debug_assert_eq!(e.prefix().wire(), w, "a node's best entry is not its own or an ancestor's");
        Some(e)
    }

    /// Version stamp: 0 for a FIB from [`Fib::build`] or
    /// [`Fib::with_changes`]; for a FIB published by a
    /// [`crate::FibWriter`], the writer's update counter (starting from a
    /// random base), so a reader can tell which version a result came from.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Index of `e` in this snapshot's entry slab (`e` must be one of its
    /// entries, as returned by a lookup), or `None`.
    #[inline(always)]
    pub(crate) fn index_of(&self, e: &FibEntry) -> Option<u32> {
        let base = self.entries.as_ptr() as usize;
        let off = (e as *const FibEntry as usize).wrapping_sub(base);
        let i = off / std::mem::size_of::<FibEntry>();
        (off % std::mem::size_of::<FibEntry>() == 0 && i < self.entries.len()).then_some(i as u32)
    }

    /// The entry at slab index `i` (see [`Fib::index_of`]).
    #[inline(always)]
    pub(crate) fn entry_at(&self, i: u32) -> Option<&FibEntry> {
        self.entries.get(i as usize)
    }

    /// Identity of this snapshot's *shape*: which entry slab index (or no
    /// route) answers each name. Two `Fib` values with the same shape give
    /// every lookup the entry at the same index, although that entry's next
    /// hops may differ. Every build, and every [`crate::FibWriter`]
    /// publication that adds or removes a prefix, takes a fresh value from a
    /// process-wide counter; a publication that only replaces next hops
    /// keeps it (the entries change in place, at their indices), and so does
    /// a clone. [`crate::LookupCache`] keys its results on it, so it keeps
    /// them across next-hop changes.
    pub fn shape(&self) -> u64 {
        self.shape
    }

    /// Whether `self` and `other` have the same representation (table,
    /// key arena, entry slab, counters): what the two copies of a
    /// [`crate::FibWriter`] must have after each update. For tests;
    /// O(size).
    pub fn identical_layout(&self, other: &Fib) -> bool {
        let slots =
            |f: &Fib| f.buckets.iter().flat_map(|b| b.slots).map(|s| (s.key, s.key_off, s.best)).collect::<Vec<_>>();
        self.keys == other.keys
            && self.entries.len() == other.entries.len()
            && self.entries.iter().zip(&other.entries).all(|(a, b)| a == b && a.is_vacant() == b.is_vacant())
            && (self.root_best, self.max_depth, self.seed, self.nodes, self.live)
                == (other.root_best, other.max_depth, other.seed, other.nodes, other.live)
            && self.depth_entries == other.depth_entries
            && self.keys_base == other.keys_base
            && self.shape == other.shape
            && slots(self) == slots(other)
    }

    /// Bytes used by this snapshot: the table, the prefix bytes and the
    /// entries (struct, next hops and owned prefix). Excludes the allocator's
    /// per-allocation overhead (two heap blocks per entry).
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Fib>()
            + std::mem::size_of_val::<[Bucket]>(&self.buckets)
            + self.keys.len()
            + self.entries.iter().map(FibEntry::memory_bytes).sum::<usize>()
    }

    /// Longest-prefix match on whole components: the entry with the most
    /// components whose prefix is a prefix of `name`, or `None` (no default
    /// route). About `log2(depth)` hash probes (one cache miss each) plus one
    /// verification of the final node against its stored bytes, so a hash
    /// collision never misroutes. No allocation, lock or atomic operation.
    ///
    /// A `name` from an unchecked packet is safe: a malformed tail is ignored.
    #[inline]
    pub fn lookup<'f>(&'f self, name: NameRef<'_>) -> Option<&'f FibEntry> {
        self.lookup_wire(name.wire())
    }

    /// [`Fib::lookup`] on wire bytes that may be malformed.
    #[inline(always)]
    pub(crate) fn lookup_wire<'f>(&'f self, wire: &[u8]) -> Option<&'f FibEntry> {
        let mut keys: Keys = [0; MAX_COMPONENTS + 1];
        let depth = self.prefix_keys(wire, &mut keys);
        // The binary search's probes depend on each other; prefetching every
        // depth first turns ~log2(depth) serial cache misses into one round
        // of parallel ones (more lines, less latency).
        for &key in &keys[1..=depth] {
            self.prefetch_probe(key);
        }
        let mut search = Search::new(depth);
        while search.pending() {
            search.step(self, &keys);
        }
        self.finish(wire, search.found)
    }

    /// [`Fib::lookup`] for a burst of names: `out[i]` receives the result for
    /// `names[i]`. Names are processed [`BURST`] at a time in lock-step: all
    /// prefix hashes first, then each binary-search round prefetches the next
    /// probe of every name before resolving any, so the cache misses of the
    /// burst overlap instead of queueing.
    ///
    /// # Panics
    /// If `names.len() != out.len()`.
    pub fn lookup_burst<'f>(&'f self, names: &[NameRef<'_>], out: &mut [Option<&'f FibEntry>]) {
        assert_eq!(names.len(), out.len(), "lookup_burst: names and out differ in length");
        // Key arrays sized to the FIB's depth: zeroing 32 × 33 words per
        // burst would cost more than the hashing of shallow names.
        for (names, out) in names.chunks(BURST).zip(out.chunks_mut(BURST)) {
            match self.max_depth {
                0..=8 => self.burst_chunk::<9>(names, out),
                9..=16 => self.burst_chunk::<17>(names, out),
                _ => self.burst_chunk::<{ MAX_COMPONENTS + 1 }>(names, out),
            }
        }
    }

    fn burst_chunk<'f, const D: usize>(&'f self, names: &[NameRef<'_>], out: &mut [Option<&'f FibEntry>]) {
        let n = names.len().min(BURST);
        let mut keys = [[0u64; D]; BURST];
        let mut search = [Search::new(0); BURST];
        for i in 0..n {
            search[i] = Search::new(self.prefix_keys(names[i].wire(), &mut keys[i]));
            if search[i].pending() {
                self.prefetch_probe(keys[i][search[i].next_depth()]);
            }
        }
        // Round r resolves every name's r-th probe (prefetched one round
        // earlier, while the other names were being resolved) and prefetches
        // its next one. All names of equal depth take the same number of rounds.
        loop {
            let mut active = false;
            for (s, keys) in search[..n].iter_mut().zip(&keys[..n]) {
                if s.pending() {
                    s.step(self, keys);
                    if s.pending() {
                        self.prefetch_probe(keys[s.next_depth()]);
                        active = true;
                    } else {
                        // Done: fetch what `finish` and the caller will read.
                        self.prefetch_result(s.found);
                    }
                }
            }
            if !active {
                break;
            }
        }
        for ((o, name), s) in out.iter_mut().zip(names).zip(&search[..n]) {
            *o = self.finish(name.wire(), s.found);
        }
    }

    /// Fills `keys[1..=d]` with the slot keys of the name's prefixes up to
    /// `d = min(components, max_depth)`; returns `d`.
    #[inline(always)]
    fn prefix_keys(&self, wire: &[u8], keys: &mut [u64]) -> usize {
        let mut state = self.seed;
        let mut off = 0;
        let mut depth = 0;
        let limit = self.max_depth.min(keys.len() - 1);
        while depth < limit && off < wire.len() {
            let end = off + 1 + wire[off] as usize;
            if end > wire.len() {
                break; // malformed tail (unchecked packet): ignore it
            }
            state = hash::extend(state, wire, off, end);
            depth += 1;
            keys[depth] = (state & !LEN_MASK) | end as u64;
            off = end;
        }
        depth
    }

    /// Slot index holding `key`, or `NONE`. Trusts the hash (no byte check).
    #[inline(always)]
    fn probe(&self, key: u64) -> u32 {
        let b = home(key, self.buckets.len());
        let bucket = &self.buckets[b];
        // Branch-free within the bucket; the first match in slot order wins.
        let mut hit = NONE;
        for j in (0..BUCKET_SLOTS).rev() {
            if bucket.slots[j].key == key {
                hit = (b * BUCKET_SLOTS + j) as u32;
            }
        }
        // Slots fill in order, so a free last slot ends the chain; a full
        // bucket without a match (rare at load 0.4) continues in the next.
        if (hit == NONE) & (bucket.slots[BUCKET_SLOTS - 1].key != 0) {
            return self.probe_overflow(key, b);
        }
        hit
    }

    #[cold]
    #[inline(never)]
    fn probe_overflow(&self, key: u64, mut b: usize) -> u32 {
        let n = self.buckets.len();
        loop {
            b = if b + 1 == n { 0 } else { b + 1 };
            for (j, s) in self.buckets[b].slots.iter().enumerate() {
                if s.key == key {
                    return (b * BUCKET_SLOTS + j) as u32;
                }
                if s.key == 0 {
                    return NONE;
                }
            }
        }
    }

    #[inline(always)]
    pub(crate) fn slot(&self, index: u32) -> &Slot {
        let i = index as usize;
        &self.buckets[i / BUCKET_SLOTS].slots[i % BUCKET_SLOTS]
    }

    /// Prefetches the verification bytes and the entry of a search result.
    #[inline(always)]
    fn prefetch_result(&self, found: u32) {
        if found != NONE {
            let slot = self.slot(found);
            prefetch(&self.keys[slot.key_off as usize]);
            if let Some(e) = self.entries.get(slot.best as usize) {
                prefetch(e);
            }
        }
    }

    #[inline(always)]
    pub(crate) fn prefetch_probe(&self, key: u64) {
        prefetch(&self.buckets[home(key, self.buckets.len())]);
    }

    /// Whether `slot` holds exactly the prefix `wire[..len]` of its key.
    #[inline(always)]
    fn verify(&self, slot: &Slot, wire: &[u8]) -> bool {
        let len = (slot.key & LEN_MASK) as usize;
        let off = slot.key_off as usize;
        match (self.keys.get(off..off + len), wire.get(..len)) {
            (Some(stored), Some(prefix)) => hash::bytes_eq(stored, prefix),
            _ => false,
        }
    }

    /// Final step: verify the deepest node found and return its best entry.
    #[inline(always)]
    fn finish<'f>(&'f self, wire: &[u8], found: u32) -> Option<&'f FibEntry> {
        let best = if found == NONE {
            NONE
        } else {
            let slot = self.slot(found);
            if self.verify(slot, wire) {
                slot.best
            } else {
                self.lookup_verified(wire)
            }
        };
        // Nodes with no non-root entry above them defer to the default route.
        let best = if best == NONE { self.root_best } else { best };
        self.entries.get(best as usize)
    }

    /// Slow path after a hash collision: binary search comparing bytes at
    /// every probe (exact; existence of prefixes is monotone in depth).
    #[cold]
    #[inline(never)]
    fn lookup_verified(&self, wire: &[u8]) -> u32 {
        let mut keys: Keys = [0; MAX_COMPONENTS + 1];
        let (mut lo, mut hi) = (0, self.prefix_keys(wire, &mut keys));
        let mut best = NONE;
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            match self.probe_verified(keys[mid], wire) {
                Some(b) => {
                    lo = mid;
                    best = b;
                }
                None => hi = mid - 1,
            }
        }
        best
    }

    /// Like `probe` but skips slots whose bytes differ; returns the node's
    /// best entry.
    fn probe_verified(&self, key: u64, wire: &[u8]) -> Option<u32> {
        let n = self.buckets.len();
        let mut b = home(key, n);
        loop {
            for s in &self.buckets[b].slots {
                if s.key == 0 {
                    return None;
                }
                if s.key == key && self.verify(s, wire) {
                    return Some(s.best);
                }
            }
            b = if b + 1 == n { 0 } else { b + 1 };
        }
    }

    /// Test hook: a copy of this FIB with an extra node that collides with
    /// `victim` (a prefix absent from the FIB): same slot key (hash and
    /// length) as `victim`, but the bytes of the existing node `real` (same
    /// wire length), and `best` = `real`'s. It is placed first in the probe
    /// chain, as a real 64-bit collision inserted earlier would be.
    #[cfg(test)]
    pub(crate) fn with_collision(&self, victim: NameRef<'_>, real: NameRef<'_>) -> Fib {
        assert_eq!(victim.wire_len(), real.wire_len());
        let mut fib = Fib::from_sorted(self.entries.to_vec(), self.seed).unwrap();
        let mut keys: Keys = [0; MAX_COMPONENTS + 1];
        let d = fib.prefix_keys(real.wire(), &mut keys);
        let real_slot = *fib.slot(fib.probe(keys[d]));
        assert!(fib.verify(&real_slot, real.wire()));
        let d = fib.prefix_keys(victim.wire(), &mut keys);
        let fake = Slot { key: keys[d], ..real_slot };
        let mut nodes = vec![fake];
        nodes.extend(fib.buckets.iter().flat_map(|b| b.slots).filter(|s| s.key != 0));
        fib.buckets = table(&nodes);
        fib.shape = next_shape();
        fib
    }
}

/// Branch-light binary search over depth for the deepest existing prefix.
///
/// Invariant: the answer lies in `lo..lo + len`. A step probes
/// `mid = lo + len / 2`; a hit moves `lo` to `mid` (conditional moves, no
/// data-dependent branch) and `len` shrinks to `len - len / 2` either way, so
/// the number of steps, `ceil(log2(depth + 1))`, depends only on the depth
/// bound: 3 probes for 4..=7 components, 4 for 8..=15. After a miss the range
/// may keep `mid` (already known absent), which costs at most one cached
/// re-probe.
#[derive(Clone, Copy)]
struct Search {
    lo: usize,
    len: usize,
    /// Slot of the node at depth `lo` (`NONE` while `lo == 0`, the root).
    found: u32,
}

impl Search {
    #[inline(always)]
    fn new(depth: usize) -> Search {
        Search { lo: 0, len: depth + 1, found: NONE }
    }

    #[inline(always)]
    fn pending(&self) -> bool {
        self.len > 1
    }

    #[inline(always)]
    fn next_depth(&self) -> usize {
        self.lo + self.len / 2
    }

    #[inline(always)]
    fn step(&mut self, fib: &Fib, keys: &[u64]) {
        let half = self.len / 2;
        let mid = self.lo + half;
        let slot = fib.probe(keys[mid]);
        // All-ones on a hit: select with masks so the compiler cannot branch.
        let hit = ((slot != NONE) as u32).wrapping_neg();
        self.found = (slot & hit) | (self.found & !hit);
        let hit = hit as usize | ((hit as usize) << 16 << 16);
        self.lo = (mid & hit) | (self.lo & !hit);
        self.len -= half;
    }
}

/// Home bucket of `key` in a table of `n` buckets: multiply-shift range
/// reduction of the hash's top 32 bits (no power-of-two constraint).
#[inline(always)]
pub(crate) fn home(key: u64, n: usize) -> usize {
    (((key >> 32) * n as u64) >> 32) as usize
}

/// Builds the bucket table for `nodes` (in order: earlier nodes come first in
/// a probe chain).
pub(crate) fn table(nodes: &[Slot]) -> Box<[Bucket]> {
    let n = (nodes.len() * 100).div_ceil(MAX_LOAD_PERCENT * BUCKET_SLOTS).max(2);
    let mut buckets = vec![Bucket::default(); n].into_boxed_slice();
    for node in nodes {
        let mut b = home(node.key, n);
        loop {
            if let Some(free) = buckets[b].slots.iter_mut().find(|s| s.key == 0) {
                *free = *node;
                break;
            }
            b = if b + 1 == n { 0 } else { b + 1 };
        }
    }
    buckets
}

/// The lookup structure built in one pass by [`build_trie`].
pub(crate) struct Trie {
    pub(crate) buckets: Box<[Bucket]>,
    pub(crate) keys: Vec<u8>,
    pub(crate) root_best: u32,
    pub(crate) nodes: usize,
}

/// Builds the trie over `(prefix wire bytes, entry index)` pairs sorted by
/// wire bytes, without duplicates (see [`Fib::from_sorted`] for the method).
/// Nodes store the longest *non-root* entry above them (`NONE` if none).
pub(crate) fn build_trie<'a>(sorted: impl Iterator<Item = (&'a [u8], u32)>, seed: u64) -> Result<Trie, FibError> {
    let mut nodes: Vec<Slot> = Vec::new();
    let mut keys: Vec<u8> = Vec::new();
    let mut root_best = NONE;
    // stack[d] = (hash state, best entry) of the previous name's d-prefix.
    let mut stack: Vec<(u64, u32)> = vec![(seed, NONE)];
    let mut prev: &[u8] = &[];
    // The previous name's bytes end `keys`, at this offset.
    let mut prev_key_off = 0usize;
    for (w, index) in sorted {
        if w.is_empty() {
            root_best = index;
            continue;
        }
        // Components shared with the previous name.
        let (mut depth, mut off) = (0, 0);
        while off < w.len() {
            let end = off + 1 + w[off] as usize;
            if end > prev.len() || prev[off..end] != w[off..end] {
                break;
            }
            depth += 1;
            off = end;
        }
        stack.truncate(depth + 1);
        // Share bytes with the previous name when it is a prefix of this one.
        let key_off = if off == prev.len() && !prev.is_empty() {
            keys.extend_from_slice(&w[off..]);
            prev_key_off
        } else {
            keys.extend_from_slice(w);
            keys.len() - w.len()
        };
        if keys.len() > u32::MAX as usize {
            return Err(FibError::TooManyEntries);
        }
        while off < w.len() {
            let end = off + 1 + w[off] as usize;
            let (state, parent_best) = stack[depth];
            let state = hash::extend(state, w, off, end);
            let best = if end == w.len() { index } else { parent_best };
            nodes.push(Slot { key: (state & !LEN_MASK) | end as u64, key_off: key_off as u32, best });
            stack.push((state, best));
            depth += 1;
            off = end;
        }
        prev = w;
        prev_key_off = key_off;
    }
    if nodes.len() * 100 / MAX_LOAD_PERCENT > u32::MAX as usize {
        return Err(FibError::TooManyEntries);
    }
    Ok(Trie { buckets: table(&nodes), keys, root_best, nodes: nodes.len() })
}

/// Largest depth with a live entry (0 if none).
pub(crate) fn max_depth_of(depth_entries: &[u32; MAX_COMPONENTS + 1]) -> usize {
    depth_entries.iter().rposition(|&n| n > 0).unwrap_or(0)
}
