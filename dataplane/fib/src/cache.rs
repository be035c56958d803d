//! A per-lcore cache of whole-name lookup results in front of the FIB.
//!
//! [`Fib::lookup_burst`] costs about five random cache lines per name (three
//! bucket probes of the binary search, the prefix bytes that verify the
//! deepest node, the entry) spread over a table of hundreds of megabytes at
//! 10^6 prefixes, plus hashing every component. Service traffic repeats
//! destination names: a pod calls the same few methods of the same services.
//! A [`LookupCache`] remembers, for recently seen *whole* destination names,
//! which entry the FIB answered; a hit costs one hash over the name, one
//! 64-byte set line and the stored name (one or two lines) from a table of a
//! few megabytes, and the entry line the forwarder reads anyway.
//!
//! It is exact, not probabilistic: a hit requires the stored name's bytes to
//! equal the looked-up name's (the hash only chooses the set and filters the
//! ways), and every result is the *index* of the entry that answered (or "no
//! route") in one FIB shape, identified by [`Fib::shape`]. The entry itself
//! is read from the lcore's current snapshot at that index, so a publication
//! that only replaces next hops (the shape is kept) leaves the cache valid
//! and the hit returns the new next hops. When the shape changes (a prefix
//! added or removed, or a new FIB), the cache moves to a new epoch and
//! everything older reads as empty, with no scan. Misses, including "no
//! route", are looked up in the FIB as one burst and inserted; names longer
//! than [`MAX_CACHED_NAME_LEN`] bytes bypass the cache.
//!
//! Layout: 4-way sets. A set is one cache line with the ways' hash tags,
//! epochs, entry indices and name lengths; the names sit in a parallel array
//! of 128-byte records, so a lookup reads the set line, then the one record
//! whose tag matched. Replacement: an empty or stale way first, else a
//! random one.
//!
//! Rejected alternatives:
//! * keying on the 64-bit hash alone (no stored name): one line less per
//!   hit, but a collision would misroute; the FIB itself never trusts a hash
//!   either;
//! * a direct-mapped table: with 10^4 active names in 2^14 slots about 45 %
//!   of the names share their slot with another, and two names that alternate
//!   evict each other on every packet;
//! * caching per flow label: the label is chosen by the source and says
//!   nothing about the name, so it cannot replace the byte comparison;
//! * invalidating by scanning: a FIB publication would cost O(cache) on the
//!   lcore; the epoch makes it O(1) (a full clear only when the 32-bit epoch
//!   wraps);
//! * invalidating only the names below each added or removed prefix: the
//!   lcore would have to test every hit against the batch's prefixes, or
//!   scan; route churn that adds and removes prefixes is rarer than next-hop
//!   changes (a link or an adjacency going down changes next hops only), and
//!   those keep the cache.
//!
//! [`LookupCache::lookup_burst_unvalidated`] takes names as received, not
//! yet validated: since only validated names are ever stored, a hit proves
//! the received bytes valid, and only misses are validated before the FIB
//! sees them. The forwarder thus skips the destination name's component walk
//! for the names it sees often (`dmsc_wire::packet::PendingDst`).
//!
//! When it does not help: traffic to more distinct names than the cache
//! holds, and frequent publications that add or remove prefixes (each
//! empties the cache). Every miss
//! then pays the hash and the set line on top of the FIB lookup, and
//! inserting it writes two cold lines; so when fewer than half of the last
//! 4096 lookups hit, only one miss in 32 is inserted (the insertion sampling
//! of Open vSwitch's exact-match cache), which keeps the cost of a useless
//! cache small and still lets a working set that fits fill it again
//! (`bench/src/bin/cache-report.rs` measures both sides). `dataplane.name_cache`
//! = 0 turns it off. Same idea as the exact-match cache of Open vSwitch's
//! DPDK datapath (B. Pfaff et al., "The Design and Implementation of Open
//! vSwitch", NSDI 2015, §5).

use arrayvec::ArrayVec;
use dmsc_wire::name::NameRef;

use crate::entry::FibEntry;
use crate::fib::{Fib, BURST, NONE};
use crate::hash;
use crate::prefetch::prefetch;

/// Longest destination name, in wire bytes, that the cache stores; longer
/// names are looked up in the FIB every time.
pub const MAX_CACHED_NAME_LEN: usize = 127;
const WAYS: usize = 4;
const NO_WAY: u8 = u8::MAX;

/// One set: the ways' metadata in one cache line.
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct Set {
    /// High 32 bits of the name hash.
    tag: [u32; WAYS],
    /// Epoch the way was filled in; 0 = never.
    epoch: [u32; WAYS],
    /// FIB entry slab index, or `NONE` for "no route".
    entry: [u32; WAYS],
    /// Wire length of the stored name.
    len: [u8; WAYS],
}

/// The bytes of one stored name.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Stored([u8; MAX_CACHED_NAME_LEN + 1]);

/// Lookup counts since the cache was created (plain integers: the cache
/// belongs to one lcore).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Names answered from the cache.
    pub hits: u64,
    /// Names looked up in the FIB (and inserted).
    pub misses: u64,
    /// Names too long to cache, looked up in the FIB.
    pub bypassed: u64,
}

/// Exact cache of whole-name lookup results for one reader (one lcore); see
/// the module docs. Not `Sync` by use: each lcore owns its own.
pub struct LookupCache {
    sets: Box<[Set]>,
    names: Box<[Stored]>,
    seed: u64,
    /// [`Fib::shape`] the current epoch's results belong to.
    shape: u64,
    epoch: u32,
    /// xorshift state choosing the way to replace in a full set, and which
    /// misses are inserted while sampling.
    rng: u64,
    /// Hits and lookups in the current window of [`WINDOW`] lookups.
    window_hits: u32,
    window_lookups: u32,
    /// Whether the last window's hit rate was below one half: then only one
    /// miss in [`SAMPLE`] is inserted.
    sampling: bool,
    stats: CacheStats,
}

/// Lookups per hit-rate window.
const WINDOW: u32 = 4096;
/// While sampling, one miss in this many is inserted.
const SAMPLE: u64 = 32;

impl std::fmt::Debug for LookupCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookupCache")
            .field("capacity", &self.capacity())
            .field("epoch", &self.epoch)
            .field("stats", &self.stats)
            .finish()
    }
}

impl LookupCache {
    /// A cache of at least `names` names (rounded up to a power of two, at
    /// least 4; 0 = disabled: every lookup goes to the FIB). Memory:
    /// 144 bytes per name (16,384 names: 2.25 MiB), allocated here, never on
    /// the lookup path.
    pub fn new(names: usize) -> LookupCache {
        let capacity = if names == 0 { 0 } else { names.next_power_of_two().max(WAYS) };
        LookupCache {
            sets: vec![Set::default(); capacity / WAYS].into_boxed_slice(),
            names: vec![Stored([0; MAX_CACHED_NAME_LEN + 1]); capacity].into_boxed_slice(),
            seed: hash::random_seed(),
            shape: 0,
            epoch: 1,
            rng: hash::random_seed(),
            window_hits: 0,
            window_lookups: 0,
            sampling: false,
            stats: CacheStats::default(),
        }
    }

    /// Names the cache holds at most (0 = disabled).
    pub fn capacity(&self) -> usize {
        self.names.len()
    }

    /// Counts since creation.
    pub fn stats(&self) -> CacheStats {
        self.stats
    }

    /// Same results as [`Fib::lookup_burst`] on `fib` (`out[i]` for
    /// `names[i]`), answered from the cache where the name was looked up in
    /// a snapshot of the same [`Fib::shape`] before. No allocation, lock or
    /// atomic operation.
    ///
    /// # Panics
    /// If `names.len() != out.len()`.
    pub fn lookup_burst<'f>(&mut self, fib: &'f Fib, names: &[NameRef<'_>], out: &mut [Option<&'f FibEntry>]) {
        assert_eq!(names.len(), out.len(), "lookup_burst: names and out differ in length");
        if self.sets.is_empty() {
            self.stats.misses += names.len() as u64;
            return fib.lookup_burst(names, out);
        }
        self.sync(fib.shape());
        for (names, out) in names.chunks(BURST).zip(out.chunks_mut(BURST)) {
            // Validated names: the returned invalid mask is always 0.
            self.chunk(fib, names, out);
        }
    }

    /// [`LookupCache::lookup_burst`] for destination names that have not been
    /// validated yet (`wires[i]`: a name's wire bytes as received). A name the
    /// cache holds was validated when it was inserted, so a hit proves the
    /// bytes valid; every other name is validated with [`NameRef::parse`]
    /// before the FIB sees it. Returns a bit mask: bit `i` set when `wires[i]`
    /// is not a valid name (then `out[i]` is `None` and the caller owes the
    /// packet its validation error). This saves the forwarder the serial
    /// component walk of [`NameRef::parse`] for names it forwards often
    /// (`dmsc_wire::packet::PendingDst`).
    ///
    /// # Panics
    /// If `wires.len() != out.len()` or `wires.len() > BURST` (32).
    pub fn lookup_burst_unvalidated<'f>(
        &mut self,
        fib: &'f Fib,
        wires: &[&[u8]],
        out: &mut [Option<&'f FibEntry>],
    ) -> u32 {
        assert_eq!(wires.len(), out.len(), "lookup_burst_unvalidated: wires and out differ in length");
        assert!(wires.len() <= BURST, "lookup_burst_unvalidated: more than {BURST} names");
        if self.sets.is_empty() {
            let mut names: ArrayVec<NameRef<'_>, BURST> = ArrayVec::new();
            let mut which: ArrayVec<u8, BURST> = ArrayVec::new();
            let mut invalid = 0u32;
            for (i, w) in wires.iter().enumerate() {
                match NameRef::parse(w) {
                    Ok(name) => {
                        names.push(name);
                        which.push(i as u8);
                    }
                    Err(_) => {
                        invalid |= 1 << i;
                        out[i] = None;
                    }
                }
            }
            self.stats.misses += names.len() as u64;
            if invalid == 0 {
                fib.lookup_burst(&names, out);
                return 0;
            }
            let mut found = [None; BURST];
            fib.lookup_burst(&names, &mut found[..names.len()]);
            for (j, &i) in which.iter().enumerate() {
                out[usize::from(i)] = found[j];
            }
            return invalid;
        }
        self.sync(fib.shape());
        self.chunk(fib, wires, out)
    }

    /// Starts a new epoch if `shape` is not the current epoch's.
    #[inline(always)]
    fn sync(&mut self, shape: u64) {
        if shape == self.shape {
            return;
        }
        self.shape = shape;
        self.epoch = self.epoch.wrapping_add(1);
        // An empty cache must refill: the last window's hit rate says nothing
        // about the new epoch. (Sampling kept on across new shapes would
        // insert 1 miss in 32, so under churn that adds and removes prefixes
        // a working set that fits would never fill the cache between two
        // publications; the first window of the epoch turns sampling back on
        // if it does not fit.)
        self.sampling = false;
        self.window_hits = 0;
        self.window_lookups = 0;
        if self.epoch == 0 {
            // Once per 2^32 publications: old epochs would read as current.
            for s in self.sets.iter_mut() {
                s.epoch = [0; WAYS];
            }
            self.epoch = 1;
        }
    }

    #[inline(always)]
    fn set_of(&self, h: u64) -> usize {
        h as usize & (self.sets.len() - 1)
    }

    /// One burst of at most [`BURST`] names; returns the mask of names that
    /// failed validation (see [`Key`]).
    #[inline(always)]
    fn chunk<'n, 'f, K: Key<'n>>(&mut self, fib: &'f Fib, names: &[K], out: &mut [Option<&'f FibEntry>]) -> u32 {
        let n = names.len().min(BURST);
        let mut hashes = [0u64; BURST];
        let mut way = [NO_WAY; BURST];
        // Pass 1: hash, prefetch the set.
        for i in 0..n {
            let w = names[i].wire();
            if w.len() <= MAX_CACHED_NAME_LEN {
                hashes[i] = hash::name_hash(self.seed, w);
                prefetch(&self.sets[self.set_of(hashes[i])]);
            }
        }
        // Pass 2: match tags, prefetch the stored name.
        for i in 0..n {
            let len = names[i].wire().len();
            if len > MAX_CACHED_NAME_LEN {
                continue;
            }
            let s = self.set_of(hashes[i]);
            let set = &self.sets[s];
            let tag = (hashes[i] >> 32) as u32;
            for w in (0..WAYS).rev() {
                if (set.tag[w] == tag) & (set.epoch[w] == self.epoch) & (usize::from(set.len[w]) == len) {
                    way[i] = w as u8;
                }
            }
            if way[i] != NO_WAY {
                let rec = &self.names[s * WAYS + usize::from(way[i])].0;
                prefetch(rec);
                if len > 64 {
                    prefetch(&rec[64]);
                }
                // The entry the caller will read, if the bytes match (they
                // almost always do): a whole pass earlier than after the check.
                if let Some(e) = fib.entry_at(set.entry[usize::from(way[i])]) {
                    prefetch(e);
                }
            }
        }
        // Pass 3: verify hits; collect the rest for one FIB burst.
        let mut missed: ArrayVec<NameRef<'n>, BURST> = ArrayVec::new();
        let mut which: ArrayVec<u8, BURST> = ArrayVec::new();
        let mut invalid = 0u32;
        for i in 0..n {
            let w = names[i].wire();
            if way[i] != NO_WAY {
                let s = self.set_of(hashes[i]);
                let rec = &self.names[s * WAYS + usize::from(way[i])].0;
                if hash::bytes_eq(&rec[..w.len()], w) {
                    let e = self.sets[s].entry[usize::from(way[i])];
                    out[i] = if e == NONE { None } else { fib.entry_at(e) };
                    self.stats.hits += 1;
                    continue;
                }
            }
            match names[i].validate() {
                Ok(name) => {
                    missed.push(name);
                    which.push(i as u8);
                }
                Err(()) => {
                    out[i] = None;
                    invalid |= 1 << i;
                }
            }
        }
        let k = missed.len();
        self.window_hits += (n - k - invalid.count_ones() as usize) as u32;
        self.window_lookups += n as u32;
        if self.window_lookups >= WINDOW {
            self.sampling = self.window_hits * 2 < self.window_lookups;
            self.window_hits = 0;
            self.window_lookups = 0;
        }
        if k == 0 {
            return invalid;
        }
        let mut found = [None; BURST];
        fib.lookup_burst(&missed[..k], &mut found[..k]);
        for j in 0..k {
            let i = usize::from(which[j]);
            out[i] = found[j];
            let w = missed[j].wire();
            if w.len() > MAX_CACHED_NAME_LEN {
                self.stats.bypassed += 1;
                continue;
            }
            self.stats.misses += 1;
            if self.sampling && self.next_random() % SAMPLE != 0 {
                continue;
            }
            let entry = match found[j] {
                None => NONE,
                Some(e) => match fib.index_of(e) {
                    Some(index) => index,
                    None => continue,
                },
            };
            self.insert(hashes[i], w, entry);
        }
        invalid
    }

    #[inline(always)]
    fn next_random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng >> 32
    }

    /// Stores `entry` as the answer for the name `w` (at most
    /// [`MAX_CACHED_NAME_LEN`] bytes) in the current epoch.
    fn insert(&mut self, h: u64, w: &[u8], entry: u32) {
        let s = self.set_of(h);
        let tag = (h >> 32) as u32;
        let epoch = self.epoch;
        // Random replacement: names cycling through a full set still hit part
        // of the time, where round robin or LRU would miss on every visit.
        let random = self.next_random() as usize % WAYS;
        let set = &mut self.sets[s];
        // The same name twice in one burst: refresh its way, do not take a second.
        let names = &self.names[s * WAYS..(s + 1) * WAYS];
        let current = |set: &Set, v: usize| set.epoch[v] == epoch;
        let v = (0..WAYS)
            .find(|&v| {
                current(set, v)
                    && set.tag[v] == tag
                    && usize::from(set.len[v]) == w.len()
                    && hash::bytes_eq(&names[v].0[..w.len()], w)
            })
            .or_else(|| (0..WAYS).find(|&v| !current(set, v)))
            .unwrap_or(random);
        set.tag[v] = tag;
        set.epoch[v] = epoch;
        set.entry[v] = entry;
        set.len[v] = w.len() as u8;
        self.names[s * WAYS + v].0[..w.len()].copy_from_slice(w);
    }
}

/// What [`LookupCache`] looks up: a validated [`NameRef`], or a name's
/// unvalidated wire bytes, validated only when the cache misses.
trait Key<'n>: Copy {
    fn wire(self) -> &'n [u8];
    fn validate(self) -> Result<NameRef<'n>, ()>;
}

impl<'n> Key<'n> for NameRef<'n> {
    #[inline(always)]
    fn wire(self) -> &'n [u8] {
        NameRef::wire(&self)
    }
    #[inline(always)]
    fn validate(self) -> Result<NameRef<'n>, ()> {
        Ok(self)
    }
}

impl<'n> Key<'n> for &'n [u8] {
    #[inline(always)]
    fn wire(self) -> &'n [u8] {
        self
    }
    #[inline(always)]
    fn validate(self) -> Result<NameRef<'n>, ()> {
        NameRef::parse(self).map_err(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FibChange, FibWriter, NextHop};
    use dmsc_wire::ethernet::MacAddr;
    use dmsc_wire::name::Name;

    fn hop(port: u16) -> Vec<NextHop> {
        vec![NextHop { port, mac: MacAddr([2, 0, 0, 0, 0, port as u8]), cost: 1 }]
    }

    fn name(s: &str) -> Name {
        s.parse().unwrap()
    }

    fn ports(out: &[Option<&FibEntry>]) -> Vec<Option<u16>> {
        out.iter().map(|e| e.map(|e| e.next_hops()[0].port)).collect()
    }

    #[test]
    fn hits_after_first_burst_and_same_answers() {
        let fib = Fib::build([(name("/a"), hop(1)), (name("/a/b"), hop(2))]).unwrap();
        let names: Vec<Name> = ["/a/b/c", "/a/x", "/z", "/a/b"].iter().map(|s| name(s)).collect();
        let refs: Vec<NameRef<'_>> = names.iter().map(|n| n.as_ref()).collect();
        let mut cache = LookupCache::new(64);
        for round in 0..3 {
            let mut out = vec![None; refs.len()];
            cache.lookup_burst(&fib, &refs, &mut out);
            assert_eq!(ports(&out), vec![Some(2), Some(1), None, Some(2)], "round {round}");
        }
        assert_eq!(cache.stats(), CacheStats { hits: 8, misses: 4, bypassed: 0 });
    }

    /// Unvalidated names: valid ones get the FIB's answers (from the cache
    /// after the first burst), invalid ones a mask bit, are never inserted,
    /// and stay invalid burst after burst; with the cache off too.
    #[test]
    fn unvalidated_names_are_validated_on_misses_only() {
        let fib = Fib::build([(name("/a"), hop(1)), (name("/a/b"), hop(2))]).unwrap();
        let (ab, a) = (name("/a/b/c"), name("/a/x"));
        // An empty component, a component overrunning the name, and the
        // bytes of the cached "/a/b/c" with its last length byte broken
        // (same length, so only the byte comparison tells them apart).
        let mut broken = ab.wire().to_vec();
        broken[4] = 2;
        let wires: Vec<&[u8]> = vec![ab.wire(), &[1, b'a', 0], a.wire(), &[5, b'a'], &broken];
        for size in [0, 64] {
            let mut cache = LookupCache::new(size);
            for round in 0..3 {
                let mut out = vec![None; wires.len()];
                let invalid = cache.lookup_burst_unvalidated(&fib, &wires, &mut out);
                assert_eq!(invalid, 0b11010, "cache {size} round {round}");
                assert_eq!(ports(&out), vec![Some(2), None, Some(1), None, None], "cache {size} round {round}");
            }
            let s = cache.stats();
            if size == 0 {
                assert_eq!(s, CacheStats { hits: 0, misses: 6, bypassed: 0 });
            } else {
                assert_eq!(s, CacheStats { hits: 4, misses: 2, bypassed: 0 });
            }
        }
    }

    /// Looks `n` up through `cache` in the reader's live snapshot; the
    /// first next hop's port.
    fn cached_port(cache: &mut LookupCache, reader: &mut dmsc_rcu::Reader<Fib>, n: &Name) -> Option<u16> {
        reader.online();
        let port = {
            let snap = reader.read();
            let mut out = [None];
            cache.lookup_burst(&snap, &[n.as_ref()], &mut out);
            ports(&out)[0]
        };
        // An offline reader does not hold up the writer's grace period.
        reader.offline();
        port
    }

    /// A publication that adds or removes a prefix changes the FIB's shape
    /// and empties the cache; one that only replaces next hops keeps it,
    /// and its hits read the new next hops.
    #[test]
    fn only_added_and_removed_prefixes_empty_the_cache() {
        let fib = Fib::build([(name("/a"), hop(1)), (name("/z"), hop(9))]).unwrap();
        let (mut writer, rcu) = FibWriter::new(fib);
        let mut reader = rcu.register();
        let n = name("/a/b/c");
        let mut cache = LookupCache::new(16);
        let hits = |c: &LookupCache| c.stats().hits;
        assert_eq!(cached_port(&mut cache, &mut reader, &n), Some(1));
        assert_eq!(hits(&cache), 0);
        let shape = writer.standby().shape();
        // Next hops only (also of a prefix the name does not use): kept.
        writer.apply([FibChange::Upsert(name("/a"), hop(3)), FibChange::Upsert(name("/z"), hop(8))]).unwrap();
        assert_eq!(writer.standby().shape(), shape);
        assert_eq!(cached_port(&mut cache, &mut reader, &n), Some(3), "the hit read the old next hops");
        assert_eq!(hits(&cache), 1);
        // A more specific prefix: the cached answer (/a) is stale.
        writer.apply([FibChange::Upsert(name("/a/b"), hop(7))]).unwrap();
        assert_ne!(writer.standby().shape(), shape);
        assert_eq!(cached_port(&mut cache, &mut reader, &n), Some(7), "a stale cached answer was used");
        assert_eq!(hits(&cache), 1);
        assert_eq!(cached_port(&mut cache, &mut reader, &n), Some(7));
        assert_eq!(hits(&cache), 2);
        // Removing it: back to /a, again after a miss.
        writer.apply([FibChange::Remove(name("/a/b"))]).unwrap();
        assert_eq!(cached_port(&mut cache, &mut reader, &n), Some(3), "a stale cached answer was used");
        assert_eq!(hits(&cache), 2);
        // A removal that empties the slot another prefix may take next.
        writer.apply([FibChange::Remove(name("/a"))]).unwrap();
        writer.apply([FibChange::Upsert(name("/q"), hop(5))]).unwrap();
        assert_eq!(cached_port(&mut cache, &mut reader, &n), None);
    }

    /// Sampling does not outlive the epoch it was decided in: after a
    /// publication a working set that fits fills the emptied cache at once.
    #[test]
    fn a_publication_ends_sampling() {
        let fib = Fib::build([(name("/a"), hop(1))]).unwrap();
        let (mut writer, rcu) = FibWriter::new(fib);
        let mut reader = rcu.register();
        let names: Vec<Name> = (0..10_240).map(|i| name(&format!("/a/{i}"))).collect();
        let refs: Vec<NameRef<'_>> = names.iter().map(|n| n.as_ref()).collect();
        let mut cache = LookupCache::new(8192);
        {
            // 8192 distinct names, no hit: sampling is on.
            let snap = reader.read();
            let mut out = vec![None; 8192];
            cache.lookup_burst(&snap, &refs[..8192], &mut out);
        }
        assert!(cache.sampling);
        reader.offline();
        writer.apply([FibChange::Upsert(name("/b"), hop(2))]).unwrap();
        reader.online();
        // New epoch: 2048 names, twice; the second pass hits (almost) all.
        let snap = reader.read();
        let fresh = &refs[8192..];
        let mut out = vec![None; 2048];
        cache.lookup_burst(&snap, fresh, &mut out);
        let before = cache.stats().hits;
        cache.lookup_burst(&snap, fresh, &mut out);
        let hits = cache.stats().hits - before;
        assert!(hits >= 2048 * 95 / 100, "{hits} of 2048 hit in the first epoch after a publication");
    }

    #[test]
    fn long_names_bypass_and_disabled_cache_still_answers() {
        let long = format!("/a/{}", "x".repeat(200));
        let fib = Fib::build([(name("/a"), hop(1))]).unwrap();
        let names = [name(&long), name("/a/b")];
        let refs: Vec<NameRef<'_>> = names.iter().map(|n| n.as_ref()).collect();
        for size in [0, 8] {
            let mut cache = LookupCache::new(size);
            let mut out = [None; 2];
            for _ in 0..2 {
                cache.lookup_burst(&fib, &refs, &mut out);
                assert_eq!(ports(&out), vec![Some(1), Some(1)]);
            }
        }
        let mut cache = LookupCache::new(8);
        let mut out = [None; 2];
        cache.lookup_burst(&fib, &refs, &mut out);
        cache.lookup_burst(&fib, &refs, &mut out);
        assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 1, bypassed: 2 });
    }

    #[test]
    fn a_useless_cache_samples_its_inserts_and_recovers() {
        let fib = Fib::build([(name("/a"), hop(1))]).unwrap();
        let names: Vec<Name> = (0..12_288).map(|i| name(&format!("/a/{i}"))).collect();
        let refs: Vec<NameRef<'_>> = names.iter().map(|n| n.as_ref()).collect();
        let mut cache = LookupCache::new(8192);
        let mut out = vec![None; refs.len()];
        // 8192 distinct names: no hit, so sampling starts after 4096.
        cache.lookup_burst(&fib, &refs[..8192], &mut out[..8192]);
        assert_eq!(cache.stats().hits, 0);
        // 2048 new names twice: while sampling about 1 in 32 was stored.
        let fresh = &refs[8192..10_240];
        cache.lookup_burst(&fib, fresh, &mut out[..2048]);
        cache.lookup_burst(&fib, fresh, &mut out[..2048]);
        let sampled = cache.stats().hits;
        assert!(sampled > 0 && sampled < 2048 / 4, "{sampled} hits while sampling");
        // A working set that fits fills the cache again.
        for _ in 0..40 {
            cache.lookup_burst(&fib, fresh, &mut out[..2048]);
        }
        let before = cache.stats().hits;
        cache.lookup_burst(&fib, fresh, &mut out[..2048]);
        // (All but the names of the few sets that 5 or more of them share.)
        let hits = cache.stats().hits - before;
        assert!(hits >= 2048 * 95 / 100, "{hits} of 2048 hit after recovery");
        assert!(out[..2048].iter().all(|e| e.map(|e| e.next_hops()[0].port) == Some(1)));
    }

    #[test]
    fn more_names_than_ways_evict_but_stay_correct() {
        // A 4-name cache (one set) and 9 names cycling: answers never change.
        let fib = Fib::build((0..9).map(|i| (name(&format!("/s{i}")), hop(i)))).unwrap();
        let names: Vec<Name> = (0..9).map(|i| name(&format!("/s{i}/m"))).collect();
        let refs: Vec<NameRef<'_>> = names.iter().map(|n| n.as_ref()).collect();
        let mut cache = LookupCache::new(4);
        for _ in 0..5 {
            for (i, r) in refs.iter().enumerate() {
                let mut out = [None];
                cache.lookup_burst(&fib, std::slice::from_ref(r), &mut out);
                assert_eq!(ports(&out), vec![Some(i as u16)]);
            }
        }
    }
}
