//! In-place updates of one FIB copy, driven by [`crate::FibWriter`].
//!
//! The writer turns a batch of [`crate::FibChange`]s into a [`Plan`]
//! (removals, next-hop replacements, additions, each with its slot in the
//! entry slab) and updates its ordered [`Index`] of prefixes to the state
//! *after* the batch. [`Fib::apply_plan`] then brings one copy to that state;
//! it is a deterministic function of (copy, plan, index), so applying the same
//! plan to two identical copies leaves them identical — the left-right
//! invariant `FibWriter` relies on (and its tests check).
//!
//! Three phases, each proportional to the batch and the affected subtrees,
//! never to the FIB size:
//!
//! 1. **Entries**: write each changed entry into its slab slot (a removal
//!    leaves a vacant placeholder; indices of other entries never move, so no
//!    node has to be renumbered). A next-hop replacement ends here.
//! 2. **Nodes**: an added prefix inserts its missing trie nodes (pointing at
//!    its wire bytes, appended to the key arena once); a removed prefix
//!    deletes its nodes bottom-up while no remaining prefix extends them
//!    (one ordered range query on the index per level). The table uses
//!    linear probing over 4-slot buckets, so a deletion re-places the short
//!    run of following full buckets (no tombstones: the lookup path is
//!    unchanged).
//! 3. **Longest-match indices**: each node caches the longest non-root entry
//!    above it. For every added or removed prefix `P`, the nodes on `P`'s
//!    path and those below `P` down to the next entries (found by skipping
//!    through the sorted index: a leaf route has none) get their value
//!    recomputed from the index. A node whose cached value changes lies below
//!    some changed prefix with no entry in between, so this covers every
//!    change. The default route `/` is held apart (`Fib::root_best`, used
//!    when a node's value is `NONE`), so adding or removing it is O(1).
//!
//! When an insertion would take the table past [`GROW_LOAD_PERCENT`], the
//! nodes are re-placed in a table sized for 40 % (O(table)); when the key
//! arena would pass twice its size at the last build (garbage left by
//! removed nodes, plus 64 KiB), the copy is rebuilt from the index in one
//! sorted pass (O(n)). Both are amortised over at least as many changes as
//! a quarter of the FIB, but they are O(n) pauses of the writer (never of
//! the readers).

use std::collections::BTreeMap;
use std::ops::Bound;

use dmsc_wire::name::{NameRef, MAX_COMPONENTS};

use crate::entry::FibEntry;
use crate::fib::{build_trie, home, max_depth_of, table, Fib, Slot, BUCKET_SLOTS, LEN_MASK, NONE};
use crate::hash;
use crate::prefetch::prefetch;

/// Table load (percent of slots) above which an in-place update rebuilds
/// the table at `MAX_LOAD_PERCENT` (40 %): between the two, probes that
/// overflow a full bucket are a little more frequent.
pub(crate) const GROW_LOAD_PERCENT: usize = 50;

/// Ordered index of the live prefixes (wire bytes) and their slab slots.
pub(crate) type Index = BTreeMap<Box<[u8]>, u32>;

/// One batch, normalised (one change per prefix) and resolved against the
/// index: see the module docs.
#[derive(Default)]
pub(crate) struct Plan {
    /// Prefixes removed, with the slab slot they leave.
    pub(crate) removes: Vec<(Box<[u8]>, u32)>,
    /// Existing prefixes whose next hops change (same slot).
    pub(crate) replaces: Vec<(u32, FibEntry)>,
    /// New prefixes, with their slab slot.
    pub(crate) adds: Vec<(u32, FibEntry)>,
    /// [`Fib::shape`] of both copies after the plan: the current one if the
    /// plan only replaces next hops, else a fresh one (chosen once, so that
    /// the replay gives the second copy the same value).
    pub(crate) shape: u64,
}

/// Per-depth hash states and component ends of a name: `states[d]`,
/// `ends[d]` for its `d`-component prefix.
struct Path {
    states: [u64; MAX_COMPONENTS + 1],
    ends: [usize; MAX_COMPONENTS + 1],
    depth: usize,
}

impl Path {
    fn new(seed: u64, w: &[u8]) -> Path {
        let mut p = Path { states: [0; MAX_COMPONENTS + 1], ends: [0; MAX_COMPONENTS + 1], depth: 0 };
        p.states[0] = seed;
        let mut off = 0;
        while off < w.len() {
            let end = off + 1 + w[off] as usize;
            p.depth += 1;
            p.states[p.depth] = hash::extend(p.states[p.depth - 1], w, off, end);
            p.ends[p.depth] = end;
            off = end;
        }
        p
    }

    fn key(&self, d: usize) -> u64 {
        (self.states[d] & !LEN_MASK) | self.ends[d] as u64
    }
}

/// Names whose slot searches [`Fib::slots_of`] overlaps.
const SLOTS_AHEAD: usize = 16;

/// Number of components of a valid name's wire bytes.
fn depth_of(w: &[u8]) -> usize {
    let (mut off, mut d) = (0, 0);
    while off < w.len() {
        off += 1 + w[off] as usize;
        d += 1;
    }
    d
}

/// Whether some indexed prefix starts with `x` (is `x` or below it).
fn has_extension(index: &Index, x: &[u8]) -> bool {
    index.range::<[u8], _>((Bound::Included(x), Bound::Unbounded)).next().is_some_and(|(k, _)| k.starts_with(x))
}

/// Sets `bound` to an exclusive lower bound past every name that starts
/// with `w`: a valid extension has at most `MAX_NAME_LEN` (512) bytes in all,
/// so `w` followed by 513 × 0xFF sorts after each of them.
fn past_subtree(bound: &mut Vec<u8>, w: &[u8]) {
    bound.clear();
    bound.extend_from_slice(w);
    bound.resize(w.len() + 513, 0xFF);
}

impl Fib {
    /// Brings this copy to the state described by `plan` and `index` (the
    /// index already reflects the batch). See the module docs.
    /// Returns whether the table was rebuilt or resized (O(n) work).
    pub(crate) fn apply_plan(&mut self, plan: &Plan, index: &Index) -> bool {
        // Results cached under the old shape stay valid only if no prefix
        // is added or removed: the writer chose the shape accordingly.
        debug_assert!(plan.shape == self.shape || !(plan.adds.is_empty() && plan.removes.is_empty()));
        self.shape = plan.shape;
        // Phase 1: entries.
        for (w, slot) in &plan.removes {
            self.entries[*slot as usize] = FibEntry::vacant();
            self.live -= 1;
            self.depth_entries[depth_of(w)] -= 1;
            if w.is_empty() {
                self.root_best = NONE;
            }
        }
        for (slot, e) in &plan.replaces {
            self.entries[*slot as usize].set_next_hops_from(e);
        }
        let mut added_bytes = 0;
        for (slot, e) in &plan.adds {
            let slot = *slot as usize;
            if slot == self.entries.len() {
                self.entries.push(e.clone());
            } else {
                self.entries[slot] = e.clone();
            }
            self.live += 1;
            self.depth_entries[e.prefix().len()] += 1;
            if e.prefix().is_empty() {
                self.root_best = slot as u32;
            }
            added_bytes += e.prefix().wire().len();
        }
        self.max_depth = max_depth_of(&self.depth_entries);
        if plan.removes.is_empty() && plan.adds.is_empty() {
            return false;
        }
        // Rebuild instead when the key arena would be mostly garbage.
        if self.keys.len() + added_bytes > 2 * self.keys_base + (1 << 16) {
            self.rebuild(index);
            return true;
        }
        let mut grew = false;
        // Phase 2: nodes.
        for (w, _) in &plan.removes {
            let path = Path::new(self.seed, w);
            for d in (1..=path.depth).rev() {
                let x = &w[..path.ends[d]];
                if has_extension(index, x) {
                    break;
                }
                if let Some(s) = self.find_node(path.key(d), x) {
                    self.remove_slot(s);
                }
            }
        }
        // Whether each added prefix's own node is new: then nothing existed
        // below it, and phase 3 need not scan its subtree.
        let mut fresh = Vec::with_capacity(plan.adds.len());
        for (_, e) in &plan.adds {
            let w = e.prefix().wire();
            let path = Path::new(self.seed, w);
            let mut key_off = None;
            for d in 1..=path.depth {
                let key = path.key(d);
                if self.find_node(key, &w[..path.ends[d]]).is_none() {
                    if (self.nodes + 1) * 100 > self.buckets.len() * BUCKET_SLOTS * GROW_LOAD_PERCENT {
                        self.grow();
                        grew = true;
                    }
                    let off = *key_off.get_or_insert_with(|| {
                        self.keys.extend_from_slice(w);
                        (self.keys.len() - w.len()) as u32
                    });
                    self.place(Slot { key, key_off: off, best: NONE });
                    self.nodes += 1;
                }
            }
            fresh.push(key_off.is_some() && !w.is_empty());
        }
        // Phase 3: longest-match indices. An added entry's own node first, so
        // that `is_own_entry` holds for every final entry from here on.
        for (slot, e) in &plan.adds {
            let w = e.prefix().wire();
            if !w.is_empty() {
                let path = Path::new(self.seed, w);
                let s = self.find_node(path.key(path.depth), w).expect("phase 2 inserted it");
                self.slot_mut(s).best = *slot;
            }
        }
        for (w, _) in &plan.removes {
            self.fix_subtree(w, index, true);
        }
        for ((_, e), fresh) in plan.adds.iter().zip(fresh) {
            self.fix_subtree(e.prefix().wire(), index, !fresh);
        }
        grew
    }

    /// Re-places every node in a table sized for `MAX_LOAD_PERCENT` (40 %)
    /// load: O(table), amortised over the insertions since the last size.
    fn grow(&mut self) {
        let nodes: Vec<Slot> = self.buckets.iter().flat_map(|b| b.slots).filter(|s| s.key != 0).collect();
        self.buckets = table(&nodes);
    }

    /// Recomputes the cached longest-match index of the nodes on `w`'s path
    /// and below `w` down to the next entries (module docs, phase 3).
    /// `scan`: whether entries may exist below `w` (false for an added
    /// prefix whose node phase 2 created: the nodes above it still need
    /// their values, the subtree is empty but for other added entries,
    /// which fix their own paths).
    fn fix_subtree(&mut self, w: &[u8], index: &Index, scan: bool) {
        if w.is_empty() {
            return; // the root route lives in `root_best`
        }
        let path = Path::new(self.seed, w);
        if self.find_node(path.key(path.depth), w).is_none() {
            // Removed, no remaining extension: its nodes are gone, and no
            // other node's nearest entry was this one.
            return;
        }
        let mut cur = NONE;
        for d in 1..=path.depth {
            let x = &w[..path.ends[d]];
            let Some(s) = self.find_node(path.key(d), x) else {
                return; // removed with no remaining extension: nothing below
            };
            if self.is_own_entry(s, x) {
                cur = self.slot_mut(s).best;
            } else {
                self.slot_mut(s).best = cur;
            }
        }
        let top = cur;
        if !scan {
            return;
        }
        // Entries below `w`, skipping the subtree of each one found: the
        // nodes between `w` and the first entry on each branch inherit `top`.
        let mut bound: Vec<u8> = w.to_vec();
        loop {
            let next = index.range::<[u8], _>((Bound::Excluded(bound.as_slice()), Bound::Unbounded)).next();
            let Some((e, &ei)) = next else { break };
            if !e.starts_with(w) {
                break;
            }
            let mut state = path.states[path.depth];
            let mut off = w.len();
            while off < e.len() {
                let end = off + 1 + e[off] as usize;
                state = hash::extend(state, e, off, end);
                let key = (state & !LEN_MASK) | end as u64;
                let best = if end == e.len() { ei } else { top };
                let found = self.find_node(key, &e[..end]);
                debug_assert!(found.is_some(), "prefix of an indexed name without a node");
                if let Some(s) = found {
                    self.slot_mut(s).best = best;
                }
                off = end;
            }
            past_subtree(&mut bound, e);
        }
    }

    /// Whether node `s` (with prefix bytes `x`) is itself an entry: its
    /// cached index names an entry with exactly that prefix. Holds for every
    /// final entry during phase 3 (unchanged entries always point at
    /// themselves, added ones were set first); a removed entry's slot is
    /// vacant (prefix `/`, and `x` is not empty).
    fn is_own_entry(&self, s: usize, x: &[u8]) -> bool {
        let best = self.buckets[s / BUCKET_SLOTS].slots[s % BUCKET_SLOTS].best;
        self.entries.get(best as usize).is_some_and(|e| e.prefix().wire() == x)
    }

    /// Replaces the table and key arena by a fresh build from `index`
    /// (entries stay in their slots).
    fn rebuild(&mut self, index: &Index) {
        let trie =
            build_trie(index.iter().map(|(k, &i)| (&k[..], i)), self.seed).expect("sizes were checked by the writer");
        self.buckets = trie.buckets;
        self.keys = trie.keys;
        self.keys_base = self.keys.len();
        self.root_best = trie.root_best;
        self.nodes = trie.nodes;
    }

    /// Appends to `out` the slab slot of the entry whose prefix is exactly
    /// `names[i]`, or `None` ([`Fib::get`] then [`Fib::index_of`], for each).
    /// The searches of up to [`SLOTS_AHEAD`] names overlap: their home
    /// buckets, then their key bytes and entries, are prefetched a pass
    /// ahead. Control path: at 10^6 prefixes each of these is a cache miss,
    /// and a batch of next-hop replacements is otherwise a chain of them.
    pub(crate) fn slots_of(&self, names: &[NameRef<'_>], out: &mut Vec<Option<u32>>) {
        for chunk in names.chunks(SLOTS_AHEAD) {
            let mut keys = [0u64; SLOTS_AHEAD];
            for (key, n) in keys.iter_mut().zip(chunk) {
                if !n.is_root() {
                    *key = self.node_key(*n);
                    self.prefetch_probe(*key);
                }
            }
            for (&key, n) in keys.iter().zip(chunk) {
                if n.is_root() {
                    continue;
                }
                // Most searches end at the home bucket's slot with this key.
                let bucket = &self.buckets[home(key, self.buckets.len())];
                if let Some(s) = bucket.slots.iter().find(|s| s.key == key) {
                    if let Some(b) = self.keys.get(s.key_off as usize) {
                        prefetch(b);
                    }
                    if let Some(e) = self.entries.get(s.best as usize) {
                        prefetch(e);
                    }
                }
            }
            for (&key, n) in keys.iter().zip(chunk) {
                let w = n.wire();
                out.push(self.node_best(key, w).and_then(|b| self.own_entry(b, w)).and_then(|e| self.index_of(e)));
            }
        }
    }

    /// Slot index of the node with `key` whose bytes are `bytes`, if any
    /// (byte-verified probe; control path).
    pub(crate) fn find_node(&self, key: u64, bytes: &[u8]) -> Option<usize> {
        let n = self.buckets.len();
        let mut b = home(key, n);
        loop {
            for (j, s) in self.buckets[b].slots.iter().enumerate() {
                if s.key == 0 {
                    return None;
                }
                let off = s.key_off as usize;
                if s.key == key && self.keys.get(off..off + bytes.len()) == Some(bytes) {
                    return Some(b * BUCKET_SLOTS + j);
                }
            }
            b = if b + 1 == n { 0 } else { b + 1 };
        }
    }

    fn slot_mut(&mut self, index: usize) -> &mut Slot {
        &mut self.buckets[index / BUCKET_SLOTS].slots[index % BUCKET_SLOTS]
    }

    /// Puts `slot` in the first free slot of its probe chain (slots of a
    /// bucket fill in order). The table is never full (load <= 50 %).
    fn place(&mut self, slot: Slot) {
        let n = self.buckets.len();
        let mut b = home(slot.key, n);
        loop {
            if let Some(free) = self.buckets[b].slots.iter_mut().find(|s| s.key == 0) {
                *free = slot;
                return;
            }
            b = if b + 1 == n { 0 } else { b + 1 };
        }
    }

    /// Deletes the node in slot `index`. The bucket is compacted (slots stay
    /// filled in order); if it was full, nodes of the following run of full
    /// buckets (and of the first non-full one) may have probed through it,
    /// so they are taken out and placed again from their home bucket.
    fn remove_slot(&mut self, index: usize) {
        let n = self.buckets.len();
        let (b, j) = (index / BUCKET_SLOTS, index % BUCKET_SLOTS);
        let bucket = &mut self.buckets[b];
        let was_full = bucket.slots[BUCKET_SLOTS - 1].key != 0;
        bucket.slots.copy_within(j + 1.., j);
        bucket.slots[BUCKET_SLOTS - 1] = Slot::default();
        self.nodes -= 1;
        if !was_full {
            return;
        }
        let mut moved = Vec::new();
        let mut c = if b + 1 == n { 0 } else { b + 1 };
        loop {
            let bucket = std::mem::take(&mut self.buckets[c]);
            moved.extend(bucket.slots.iter().filter(|s| s.key != 0).copied());
            if bucket.slots[BUCKET_SLOTS - 1].key == 0 {
                break;
            }
            c = if c + 1 == n { 0 } else { c + 1 };
        }
        for s in moved {
            self.place(s);
        }
    }
}
