//! [`FibWriter`]: route updates in time proportional to the changes, by
//! left-right double buffering on top of QSBR RCU.
//!
//! # Design
//!
//! The writer owns two copies of the FIB. The lcores read one, the *live*
//! copy, through `dmsc_rcu::Rcu<Fib>` exactly as before (one `Acquire` load
//! per burst, no lock, no atomic RMW, no extra indirection: the published
//! type is still `Fib`). An [`FibWriter::apply`]:
//!
//! 1. validates the whole batch and resolves it against the writer's ordered
//!    index of prefixes into a plan (nothing is modified if this fails);
//! 2. applies the plan *in place* to the standby copy, which no reader can
//!    see (`update.rs`: entry slab, trie nodes, cached longest-match indices
//!    of the affected subtrees);
//! 3. publishes it with [`Rcu::replace`]: one pointer swap, then a grace
//!    period (every online lcore passes a quiescent state), after which the
//!    formerly live copy is handed back, unreferenced;
//! 4. replays the same plan onto that copy, which becomes the standby.
//!
//! `apply_plan` is deterministic, so both copies stay identical (the tests
//! compare them after every batch). Cost per batch: O(changes × depth ×
//! log n) for the index and hashing, plus the nodes below an added or removed
//! interior prefix down to the next entries, plus one grace period; memory:
//! two copies and the index.
//!
//! Alternatives rejected:
//! * rebuilding a snapshot per batch ([`Fib::with_changes`]): O(n), ~0.4 s
//!   at 10^6 prefixes;
//! * a mutable FIB shared with the lcores (fine-grained locks, or atomics in
//!   every slot with per-node RCU): a lock or extra ordering on every lookup,
//!   and a multi-node change (a prefix and its subtree's cached indices)
//!   would become visible piecemeal;
//! * copy-on-write of the touched buckets with a page/bucket indirection
//!   table: an extra dependent load per probe on the hot path;
//! * replaying dirty cache lines from the live copy instead of replaying
//!   the plan: needs the writer to read the published copy while other code
//!   may publish, and gains little (the plan replay is the same work again).
//!
//! Only the writer may publish on the `Rcu` it returns: a value published by
//! other means would come back from [`Rcu::replace`] in place of the
//! writer's copy; [`FibWriter::apply`] detects that by the version stamp and
//! panics (a programming error, like a poisoned lock).

use std::sync::Arc;
use std::time::{Duration, Instant};

use dmsc_rcu::Rcu;
use dmsc_wire::name::{Name, NameRef, MAX_COMPONENTS};

use crate::fib::{Fib, FibChange, MAX_ENTRIES, MAX_LOAD_PERCENT};
use crate::update::{Index, Plan};
use crate::{FibEntry, FibError};

/// What one [`FibWriter::apply`] did and how long each step took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpdateStats {
    /// Prefixes added.
    pub added: usize,
    /// Existing prefixes whose next hops were replaced.
    pub replaced: usize,
    /// Prefixes removed.
    pub removed: usize,
    /// Removals of prefixes that were absent (no-ops).
    pub absent: usize,
    /// Whether the copies were rebuilt from the index (key arena past twice
    /// its built size) or their table resized (past 50 % load): O(n) work.
    pub rebuilt: bool,
    /// Resolving the batch against the index (validation, plan).
    pub plan: Duration,
    /// Applying the plan to the standby copy, before publication.
    pub apply: Duration,
    /// Publication: the pointer swap and the grace period.
    pub grace_period: Duration,
    /// Replaying the plan onto the formerly live copy.
    pub replay: Duration,
}

impl UpdateStats {
    /// Wall time of the whole `apply` call.
    pub fn total(&self) -> Duration {
        self.plan + self.apply + self.grace_period + self.replay
    }
}

/// Owner of the two FIB copies; lives on the control thread. See the module
/// docs.
pub struct FibWriter {
    rcu: Arc<Rcu<Fib>>,
    standby: Box<Fib>,
    /// Live prefixes (wire bytes) → slab slot.
    index: Index,
    /// Free slab slots (reused before the slab grows).
    free: Vec<u32>,
    /// Slab length (both copies).
    slab_len: u32,
    /// Version stamp of the live copy.
    version: u64,
    /// The stamp of the FIB the writer took over (random, see [`FibWriter::new`]).
    first_version: u64,
}

impl std::fmt::Debug for FibWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FibWriter")
            .field("entries", &self.index.len())
            .field("version", &self.version)
            .field("standby", &self.standby)
            .finish()
    }
}

impl FibWriter {
    /// Takes over `fib` (normalised to a fresh build: O(n)), makes the second
    /// copy, and returns the writer and the `Rcu` to register lcore readers
    /// on (`rcu.register()`). Publish only through the writer from then on.
    pub fn new(fib: Fib) -> (FibWriter, Arc<Rcu<Fib>>) {
        let entries: Vec<FibEntry> = fib.entries().cloned().collect();
        let mut live = Fib::from_sorted(entries, fib.seed).expect("a valid FIB rebuilds within its limits");
        let version = crate::hash::random_seed();
        live.version = version;
        let index: Index =
            live.entries.iter().enumerate().map(|(i, e)| (Box::<[u8]>::from(e.prefix().wire()), i as u32)).collect();
        let writer = FibWriter {
            standby: Box::new(live.clone()),
            slab_len: live.entries.len() as u32,
            rcu: Rcu::new(live),
            index,
            free: Vec::new(),
            version,
            first_version: version,
        };
        let rcu = Arc::clone(&writer.rcu);
        (writer, rcu)
    }

    /// Applies a batch of changes, in order (the last change to a prefix
    /// wins): add a route, replace the next hops of an existing one, remove
    /// one (with or without descendants; the root `/` included). The lcores
    /// see the whole batch at once, after one pointer swap. Blocks the caller
    /// for one grace period; never blocks readers.
    ///
    /// Must not be called from a thread holding an online `Reader` of the
    /// writer's `Rcu` (the grace period would wait for itself).
    ///
    /// # Errors
    /// Before anything is published or modified:
    /// [`FibError::NoNextHop`] (`route` = position in `changes`) for an add
    /// with no next hop, [`FibError::TooManyEntries`] past [`MAX_ENTRIES`]
    /// entries or 4 GiB of prefix bytes.
    ///
    /// # Panics
    /// If another value was published on the writer's `Rcu` (module docs).
    pub fn apply<I>(&mut self, changes: I) -> Result<UpdateStats, FibError>
    where
        I: IntoIterator<Item = FibChange>,
    {
        let t0 = Instant::now();
        let mut stats = UpdateStats::default();
        // Validate and normalise: nothing changes before this succeeds. One
        // change per prefix (the last), in prefix order; a sorted vector, not
        // an ordered map of copied keys: no allocation per change.
        let mut changes_in: Vec<Change> = Vec::new();
        for (route, change) in changes.into_iter().enumerate() {
            changes_in.push(match change {
                FibChange::Upsert(prefix, hops) => {
                    Change::Put(FibEntry::new(prefix, hops).ok_or(FibError::NoNextHop { route })?)
                }
                FibChange::Remove(prefix) => Change::Del(prefix),
            });
        }
        // Stable: changes to one prefix stay in their order, and the last wins.
        changes_in.sort_by(|a, b| a.key().cmp(b.key()));
        let mut batch: Vec<Change> = Vec::with_capacity(changes_in.len());
        let mut sorted = changes_in.into_iter().peekable();
        while let Some(c) = sorted.next() {
            if sorted.peek().map_or(true, |next| next.key() != c.key()) {
                batch.push(c);
            }
        }
        // Each prefix's slab slot before the batch, from the standby copy's
        // hash table (identical to the live copy and to the index between
        // batches): a byte-verified hash search, where the ordered index
        // (a B-tree of boxed keys) costs a few dozen key comparisons and
        // cache misses at 10^6 prefixes; the searches of a batch overlap
        // (`Fib::slots_of` prefetches ahead). The index is only touched to
        // add or remove a prefix, so replacing next hops never searches it
        // (debug builds check that both agree).
        let names: Vec<NameRef<'_>> = batch.iter().map(Change::name).collect();
        let mut current: Vec<Option<u32>> = Vec::with_capacity(batch.len());
        self.standby.slots_of(&names, &mut current);
        debug_assert!(
            batch.iter().zip(&current).all(|(c, s)| *s == self.index.get(c.key()).copied()),
            "standby copy and index disagree"
        );
        let (mut adds, mut bytes) = (0usize, 0usize);
        for (c, slot) in batch.iter().zip(&current) {
            if matches!(c, Change::Put(_)) && slot.is_none() {
                adds += 1;
                bytes += c.key().len();
            }
        }
        if self.index.len() + adds > MAX_ENTRIES
            || self.standby.keys.len() + bytes > u32::MAX as usize
            || (self.standby.nodes + adds * MAX_COMPONENTS) * 100 / MAX_LOAD_PERCENT > u32::MAX as usize
        {
            return Err(FibError::TooManyEntries);
        }
        // Resolve against the index, which moves to the post-batch state.
        let mut plan = Plan::default();
        let mut freed = Vec::new();
        for (c, slot) in batch.into_iter().zip(current) {
            match (c, slot) {
                (Change::Put(e), Some(slot)) => plan.replaces.push((slot, e)),
                (Change::Put(e), None) => {
                    let slot = self.free.pop().unwrap_or_else(|| {
                        self.slab_len += 1;
                        self.slab_len - 1
                    });
                    self.index.insert(e.prefix().wire().into(), slot);
                    plan.adds.push((slot, e));
                }
                (Change::Del(prefix), Some(slot)) => {
                    self.index.remove(prefix.wire());
                    plan.removes.push((prefix.wire().into(), slot));
                    freed.push(slot);
                }
                (Change::Del(_), None) => stats.absent += 1,
            }
        }
        // Slots freed by this batch are reused from the next one on, so a
        // slot is never both removed and added within one plan.
        self.free.extend(freed.into_iter().rev());
        stats.added = plan.adds.len();
        stats.replaced = plan.replaces.len();
        stats.removed = plan.removes.len();
        // Replacing next hops keeps every name's entry index, so the lcores'
        // lookup caches stay valid; adding or removing a prefix does not.
        plan.shape =
            if plan.adds.is_empty() && plan.removes.is_empty() { self.standby.shape } else { crate::fib::next_shape() };
        let t1 = Instant::now();
        stats.plan = t1 - t0;

        stats.rebuilt = self.standby.apply_plan(&plan, &self.index);
        self.version = self.version.wrapping_add(1);
        self.standby.version = self.version;
        let t2 = Instant::now();
        stats.apply = t2 - t1;

        let fresh = std::mem::replace(&mut self.standby, Box::new(Fib::empty()));
        let mut old = self.rcu.replace(fresh);
        assert_eq!(
            old.version,
            self.version.wrapping_sub(1),
            "FibWriter: a FIB was published on its Rcu by other means"
        );
        let t3 = Instant::now();
        stats.grace_period = t3 - t2;

        let rebuilt = old.apply_plan(&plan, &self.index);
        debug_assert_eq!(rebuilt, stats.rebuilt, "copies diverged");
        old.version = self.version;
        self.standby = old;
        stats.replay = t3.elapsed();
        Ok(stats)
    }

    /// The `Rcu` the live copy is published on (register lcore readers here).
    pub fn rcu(&self) -> &Arc<Rcu<Fib>> {
        &self.rcu
    }

    /// The standby copy: after each [`FibWriter::apply`], identical to the
    /// live one ([`Fib::identical_layout`]); for the control plane (dumps,
    /// `get`) and tests, without a reader.
    pub fn standby(&self) -> &Fib {
        &self.standby
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True if the FIB has no entry.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Version stamp of the live copy ([`Fib::version`]).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Publications since the writer took over the FIB (0: the FIB it was
    /// given): what an operator reads as the FIB's version number.
    pub fn generation(&self) -> u64 {
        self.version.wrapping_sub(self.first_version)
    }
}

/// One normalised change of a batch in [`FibWriter::apply`].
enum Change {
    /// Add or replace the entry of its prefix.
    Put(FibEntry),
    /// Remove the prefix.
    Del(Name),
}

impl Change {
    /// The prefix.
    fn name(&self) -> NameRef<'_> {
        match self {
            Change::Put(e) => e.prefix(),
            Change::Del(n) => n.as_ref(),
        }
    }

    /// The prefix's wire bytes.
    fn key(&self) -> &[u8] {
        self.name().wire()
    }
}
