//! Quiescent-state-based reclamation (QSBR), the flavour of RCU used by DPDK
//! (`rte_rcu_qsbr`) and liburcu (`urcu-qsbr`), for publishing read-mostly
//! dataplane tables — the FIB above all — from the control thread to the lcores.
//!
//! # Model
//!
//! * One [`Rcu<T>`] holds the *current* value behind an atomic pointer and a
//!   global *epoch* (a grace-period counter, starting at 1).
//! * Each lcore registers one [`Reader`]. [`Reader::read`] is a single `Acquire`
//!   load of the pointer and hands out a [`Guard`]; it performs no atomic
//!   read-modify-write, takes no lock and writes nothing shared.
//! * Between bursts the lcore calls [`Reader::quiescent`]: "I hold no reference
//!   to any published value". It copies the global epoch into the reader's own
//!   cache-line-padded slot with a plain `Release` store (no RMW), and only when
//!   the epoch has moved since the last report, so an idle table costs the
//!   lcore one shared-line load per call and no cache-line write.
//! * The writer (control thread) [`Rcu::publish`]es: one pointer swap, one
//!   epoch increment, then it sleep-polls the reader slots until every online
//!   reader has reported the new epoch, and only then drops the old value.
//!   Readers never wait for writers. [`Rcu::publish_deferred`] +
//!   [`Rcu::try_reclaim`] is the non-blocking variant, [`Rcu::synchronize`]
//!   waits for a grace period without publishing,
//!   [`Rcu::publish_with_timeout`] bounds the wait, and [`Rcu::replace`]
//!   hands the old value back instead of dropping it (left-right double
//!   buffering: the FIB writer updates the copy readers no longer see).
//! * [`Reader::offline`] / [`Reader::online`] let an lcore that goes to sleep
//!   (idle polling back-off) stop holding writers up: an offline reader is
//!   skipped by grace-period detection and may not read.
//!
//! The borrow checker enforces the reader-side rule: `read(&self)` returns a
//! `Guard<'_, T>` that borrows the reader, and `quiescent(&mut self)` /
//! `offline(&mut self)` need it exclusively, so a quiescent state cannot be
//! announced while any reference obtained through a guard (e.g. a FIB entry)
//! is still alive:
//!
//! ```compile_fail
//! let rcu = dmsc_rcu::Rcu::new(String::from("fib v1"));
//! let mut reader = rcu.register();
//! let guard = reader.read();
//! let entry: &str = &guard;
//! reader.quiescent(); // error[E0502]: `reader` is still borrowed by `guard`
//! println!("{entry}");
//! ```
//!
//! ```
//! use dmsc_rcu::Rcu;
//! let table = Rcu::new(vec![1u32, 2, 3]);
//! let mut lcore = table.register();          // one per lcore, moved to its thread
//! assert_eq!(lcore.read()[0], 1);            // per lookup: one Acquire load
//! lcore.quiescent();                         // per loop iteration
//! lcore.offline();                           // before an idle sleep…
//! table.publish(vec![4, 5]);                 // control thread: swap, wait, free
//! lcore.online();                            // …and after it
//! assert_eq!(lcore.read().len(), 2);
//! ```
//!
//! # Memory ordering
//!
//! The writer swaps the pointer (`AcqRel`) and then increments the epoch
//! (`SeqCst`). A reader that reports epoch `e >= target` loaded `e` with
//! `Acquire`, so every pointer load it performs afterwards sees the new value;
//! every use of the old value happened before its `Release` report, which the
//! writer reads with `Acquire` before freeing. Going online (and registering)
//! is the one store→load race (Dekker): the reader stores its slot, issues a
//! `SeqCst` fence and only then reads the pointer, while the writer issues a
//! `SeqCst` fence between the epoch increment and scanning the slots — so
//! either the writer sees the reader online, or the reader sees the new
//! pointer. This is exactly what `rte_rcu_qsbr_thread_online` and liburcu's
//! `rcu_thread_online` do.
//!
//! # Alternatives rejected
//!
//! * `crossbeam-epoch`: every read pins the thread (a thread-local counter
//!   update plus a `SeqCst` fence on x86) — a fence per lookup.
//! * `arc-swap`: each load does an atomic RMW on a shared debt list / the
//!   `Arc` count, contended across lcores.
//! * `RwLock<Arc<T>>` / `Mutex`: a lock (shared cache line RMW) per lookup,
//!   and a writer can stall the dataplane.
//! * Hazard pointers: a store + `SeqCst` fence per protected pointer.
//!
//! QSBR moves all the cost to the writer, which is the control thread and can
//! afford to sleep; its price is that every online reader must announce
//! quiescent states regularly (the forwarder does it once per RX burst loop),
//! and a thread must never call [`Rcu::publish`] while it holds an online
//! [`Reader`] of the same `Rcu` (it would wait for itself forever).
//!
//! Sources: P. McKenney, "Is Parallel Programming Hard…", §9.5 (RCU) and
//! Desnoyers et al., "User-Level Implementations of Read-Copy Update",
//! IEEE TPDS 2012 (QSBR flavour); DPDK `lib/rcu/rte_rcu_qsbr.h`.

#![warn(missing_docs)]

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Slot value of a reader that is offline (not reading; ignored by writers).
const OFFLINE: u64 = 0;
/// First epoch; always greater than [`OFFLINE`].
const FIRST_EPOCH: u64 = 1;

/// Errors of the bounded-wait writer operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RcuError {
    /// Some online reader did not pass a quiescent state within the timeout.
    /// The new value *is* published; the old one stays queued for
    /// [`Rcu::try_reclaim`].
    #[error("grace period not reached within the timeout ({stalled_readers} reader(s) stalled, {pending} value(s) awaiting reclamation)")]
    Timeout {
        /// Online readers still behind the target epoch when the wait gave up.
        stalled_readers: usize,
        /// Values retired but not yet freed.
        pending: usize,
    },
}

/// One reader's report: the last epoch it saw while quiescent, or
/// [`OFFLINE`]. Padded to 128 bytes so that two readers' slots never share a
/// cache line (nor an adjacent-line prefetch pair) and the writer's polling
/// never bounces a line a reader writes to.
#[repr(align(128))]
struct Slot {
    seen: AtomicU64,
}

/// A value swapped out but not yet freed, waiting for epoch `epoch`.
struct Retired<T> {
    ptr: NonNull<T>,
    epoch: u64,
}

// SAFETY: a `Retired<T>` is an owning pointer to a `T` that came from
// `Box::into_raw` (same as a `Box<T>`, which is `Send` iff `T: Send`); it is
// only dereferenced (freed) once, by whichever thread reclaims it.
unsafe impl<T: Send> Send for Retired<T> {}

/// A QSBR-protected value: many lock-free readers (one [`Reader`] per lcore),
/// writers that publish a whole new value with one pointer swap.
///
/// `Rcu<T>` is `Send + Sync` when `T: Send + Sync`; share it as `Arc<Rcu<T>>`
/// (that is what [`Rcu::new`] returns, and what each [`Reader`] keeps).
pub struct Rcu<T> {
    current: AtomicPtr<T>,
    epoch: AtomicU64,
    registry: Mutex<Vec<Arc<Slot>>>,
    retired: Mutex<VecDeque<Retired<T>>>,
    _owns: PhantomData<Box<T>>,
}

impl<T> fmt::Debug for Rcu<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rcu")
            .field("epoch", &self.epoch())
            .field("readers", &self.readers())
            .field("pending", &self.pending())
            .finish_non_exhaustive()
    }
}

impl<T> Rcu<T> {
    /// Current global epoch (starts at 1; incremented by every publish and
    /// every [`Rcu::synchronize`]).
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Number of registered readers (online or offline).
    pub fn readers(&self) -> usize {
        lock(&self.registry).len()
    }

    /// Number of retired values not yet freed (see [`Rcu::publish_deferred`]).
    pub fn pending(&self) -> usize {
        lock(&self.retired).len()
    }
}

impl<T: Send + Sync + 'static> Rcu<T> {
    /// Wraps `initial` as the first published value.
    pub fn new(initial: T) -> Arc<Rcu<T>> {
        Arc::new(Rcu {
            current: AtomicPtr::new(Box::into_raw(Box::new(initial))),
            epoch: AtomicU64::new(FIRST_EPOCH),
            registry: Mutex::new(Vec::new()),
            retired: Mutex::new(VecDeque::new()),
            _owns: PhantomData,
        })
    }

    /// Registers a new reader, online. Control path: takes the registry lock.
    /// Give each lcore its own reader (a `Reader` is `Send` but not `Sync`).
    /// Dropping the reader unregisters it.
    pub fn register(self: &Arc<Self>) -> Reader<T> {
        let epoch = self.epoch();
        let slot = Arc::new(Slot { seen: AtomicU64::new(epoch) });
        lock(&self.registry).push(Arc::clone(&slot));
        // Pairs with the writer's fence in `wait_for`/`try_reclaim` (see the
        // module docs): either the writer sees this slot, or our first
        // pointer load sees its swap.
        fence(Ordering::SeqCst);
        Reader { rcu: Arc::clone(self), slot, reported: epoch, online: true, _not_sync: PhantomData }
    }

    /// Publishes `new` and blocks the caller until every online reader has
    /// passed a quiescent state, then drops the previous value (on this
    /// thread). Readers are never blocked. Also frees any deferred values whose
    /// grace period has elapsed.
    ///
    /// Must not be called by a thread that holds an online [`Reader`] of this
    /// `Rcu` (it would wait for itself).
    pub fn publish(&self, new: T) {
        let old = self.swap(new);
        let target = self.advance();
        let waited = self.wait_for(target, None);
        debug_assert!(waited.is_ok(), "an unbounded wait cannot time out");
        // SAFETY: `old` was unlinked by `swap` before the epoch advanced to
        // `target`, and every online reader has since reported `>= target`
        // (offline ones cannot read), so no reader holds a reference to it.
        unsafe { free(old) };
        self.try_reclaim();
    }

    /// Publishes `new` like [`Rcu::publish`] (one pointer swap, then a grace
    /// period), but instead of dropping the previous value hands it back:
    /// once this returns no reader can reference it, so the caller owns it
    /// exclusively again and may mutate and republish it. This is what
    /// left-right double buffering needs (`dmsc_fib::FibWriter` keeps two
    /// copies of the FIB and alternates them). Also frees any deferred
    /// values whose grace period has elapsed.
    ///
    /// Must not be called by a thread that holds an online [`Reader`] of this
    /// `Rcu` (it would wait for itself).
    pub fn replace(&self, new: Box<T>) -> Box<T> {
        let new = Box::into_raw(new);
        let old = self.current.swap(new, Ordering::AcqRel);
        let old = NonNull::new(old).expect("published pointer is never null");
        let target = self.advance();
        let waited = self.wait_for(target, None);
        debug_assert!(waited.is_ok(), "an unbounded wait cannot time out");
        self.try_reclaim();
        // SAFETY: `old` came from `Box::into_raw` (in `new`, `swap` or an
        // earlier `replace`) and was unlinked by the swap above, before the
        // epoch advanced to `target`; every online reader has since reported
        // `>= target` (offline ones cannot read), so no reference to it
        // remains, and it is not in the retired queue, so ownership is
        // transferred back exactly once.
        unsafe { Box::from_raw(old.as_ptr()) }
    }

    /// Like [`Rcu::publish`] but gives up waiting after `timeout`: the new
    /// value is published either way; on timeout the old one is queued for
    /// [`Rcu::try_reclaim`] and [`RcuError::Timeout`] is returned.
    pub fn publish_with_timeout(&self, new: T, timeout: Duration) -> Result<(), RcuError> {
        let deadline = Instant::now() + timeout;
        let target = self.publish_deferred(new);
        match self.wait_for(target, Some(deadline)) {
            Ok(()) => {
                self.try_reclaim();
                Ok(())
            }
            Err(stalled_readers) => Err(RcuError::Timeout { stalled_readers, pending: self.pending() }),
        }
    }

    /// Publishes `new` without waiting: the old value is queued and freed by a
    /// later [`Rcu::try_reclaim`], [`Rcu::synchronize`] or [`Rcu::publish`]
    /// once all online readers have reported the returned epoch.
    pub fn publish_deferred(&self, new: T) -> u64 {
        let old = self.swap(new);
        let target = self.advance();
        lock(&self.retired).push_back(Retired { ptr: old, epoch: target });
        target
    }

    /// Frees every queued value whose grace period has elapsed, without
    /// waiting. Returns how many were freed.
    pub fn try_reclaim(&self) -> usize {
        let done = self.completed_epoch();
        let ready: Vec<Retired<T>> = {
            let mut queue = lock(&self.retired);
            let mut ready = Vec::new();
            let mut i = 0;
            while i < queue.len() {
                if queue[i].epoch <= done {
                    ready.extend(queue.remove(i));
                } else {
                    i += 1;
                }
            }
            ready
        };
        let n = ready.len();
        for r in ready {
            // SAFETY: `r` was unlinked before the epoch advanced to `r.epoch`,
            // and every online reader has reported an epoch `>= r.epoch`
            // (`completed_epoch`), so no reader can still reference it; it is
            // removed from the queue, so it is freed exactly once.
            unsafe { free(r.ptr) };
        }
        n
    }

    /// Waits (sleep-polling) for a full grace period — every online reader
    /// passes a quiescent state — then frees the values it covers.
    pub fn synchronize(&self) {
        let target = self.advance();
        let waited = self.wait_for(target, None);
        debug_assert!(waited.is_ok(), "an unbounded wait cannot time out");
        self.try_reclaim();
    }

    /// Swaps in `new`, returning the unlinked old pointer.
    fn swap(&self, new: T) -> NonNull<T> {
        let new = Box::into_raw(Box::new(new));
        let old = self.current.swap(new, Ordering::AcqRel);
        NonNull::new(old).expect("published pointer is never null")
    }

    /// Starts a grace period; returns the epoch readers must reach.
    fn advance(&self) -> u64 {
        self.epoch.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Smallest epoch reported by an online reader (`u64::MAX` if none): every
    /// grace period up to it has completed.
    fn completed_epoch(&self) -> u64 {
        fence(Ordering::SeqCst);
        lock(&self.registry)
            .iter()
            .map(|s| s.seen.load(Ordering::Acquire))
            .filter(|&e| e != OFFLINE)
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Polls the reader slots until each is offline or `>= target`. On
    /// timeout returns the number of readers still behind.
    fn wait_for(&self, target: u64, deadline: Option<Instant>) -> Result<(), usize> {
        // Pairs with the fence in `Reader::online` / `register` (module docs).
        fence(Ordering::SeqCst);
        let slots: Vec<Arc<Slot>> = lock(&self.registry).clone();
        let passed = |s: &Slot| {
            let e = s.seen.load(Ordering::Acquire);
            e == OFFLINE || e >= target
        };
        let mut backoff = Backoff::default();
        for (i, slot) in slots.iter().enumerate() {
            while !passed(slot) {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Err(slots[i..].iter().filter(|s| !passed(s)).count());
                }
                backoff.snooze();
            }
        }
        Ok(())
    }
}

impl<T> Drop for Rcu<T> {
    fn drop(&mut self) {
        // No reader exists (each holds an `Arc<Rcu>`), so nothing is shared.
        let current = *self.current.get_mut();
        if let Some(p) = NonNull::new(current) {
            // SAFETY: we have `&mut self` and no reader is alive, so nobody
            // references the current value; it is freed once, here.
            unsafe { free(p) };
        }
        let queue = self.retired.get_mut().unwrap_or_else(|e| e.into_inner());
        for r in queue.drain(..) {
            // SAFETY: as above; each retired value is in the queue once.
            unsafe { free(r.ptr) };
        }
    }
}

/// Frees a value that came from `Box::into_raw`.
///
/// # Safety
/// `ptr` must come from `Box::into_raw` in this crate, must not be freed
/// already, and no reference to the value may be alive or created later.
unsafe fn free<T>(ptr: NonNull<T>) {
    // SAFETY: guaranteed by the caller.
    drop(unsafe { Box::from_raw(ptr.as_ptr()) });
}

fn lock<X>(m: &Mutex<X>) -> MutexGuard<'_, X> {
    // A panic while holding these locks leaves the data consistent (pushes
    // and removals of whole elements), so poisoning is ignored.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writer-side wait: spin briefly, then yield, then sleep with exponential
/// back-off from 10 µs up to 640 µs. Never touches reader cache lines beyond
/// the loads in `wait_for`.
#[derive(Default)]
struct Backoff {
    step: u32,
}

impl Backoff {
    fn snooze(&mut self) {
        match self.step {
            0..=5 => (0..1u32 << self.step).for_each(|_| std::hint::spin_loop()),
            6..=9 => std::thread::yield_now(),
            s => std::thread::sleep(Duration::from_micros(10u64 << (s - 10).min(6))),
        }
        self.step = self.step.saturating_add(1);
    }
}

/// One lcore's read handle. `Send` (it may be created on the control thread
/// and moved to its lcore) but not `Sync`. Dropping it unregisters it.
pub struct Reader<T: Send + Sync + 'static> {
    rcu: Arc<Rcu<T>>,
    slot: Arc<Slot>,
    /// Last epoch stored in `slot` (avoids rewriting an unchanged value).
    reported: u64,
    online: bool,
    _not_sync: PhantomData<Cell<()>>,
}

impl<T: Send + Sync + 'static> fmt::Debug for Reader<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader").field("online", &self.online).field("reported", &self.reported).finish_non_exhaustive()
    }
}

impl<T: Send + Sync + 'static> Reader<T> {
    /// Borrows the current value. One `Acquire` load: no atomic RMW, no lock,
    /// no shared write. The guard (and anything borrowed from it) must be gone
    /// before the next [`Reader::quiescent`], which the borrow checker enforces.
    ///
    /// # Panics
    /// If the reader is offline (see [`Reader::offline`]).
    #[inline]
    pub fn read(&self) -> Guard<'_, T> {
        assert!(self.online, "dmsc-rcu: read() on an offline reader");
        let ptr = self.rcu.current.load(Ordering::Acquire);
        // SAFETY: `current` always holds a pointer from `Box::into_raw`. The
        // value it points to is freed only after it has been unlinked and
        // every online reader has reported an epoch that was published after
        // the unlink. This reader is online (checked above) and cannot report
        // (quiescent/offline take `&mut self`, drop takes `self`) while the
        // returned guard borrows `self`, so the value outlives the guard.
        let value = unsafe { &*ptr };
        Guard { value }
    }

    /// Announces a quiescent state: this lcore holds no reference obtained
    /// from [`Reader::read`]. A plain `Release` store of the global epoch into
    /// this reader's own slot, skipped when unchanged. Call it once per
    /// dataplane loop iteration.
    #[inline]
    pub fn quiescent(&mut self) {
        debug_assert!(self.online, "dmsc-rcu: quiescent() on an offline reader");
        let epoch = self.rcu.epoch.load(Ordering::Acquire);
        if epoch != self.reported {
            self.slot.seen.store(epoch, Ordering::Release);
            self.reported = epoch;
        }
    }

    /// Takes this reader offline (e.g. before an idle lcore sleeps): writers
    /// stop waiting for it. [`Reader::read`] panics until [`Reader::online`].
    pub fn offline(&mut self) {
        if self.online {
            self.slot.seen.store(OFFLINE, Ordering::Release);
            self.reported = OFFLINE;
            self.online = false;
        }
    }

    /// Brings the reader back online (after [`Reader::offline`]); costs one
    /// `SeqCst` fence, which is fine on the wake-up path.
    pub fn online(&mut self) {
        if !self.online {
            let epoch = self.rcu.epoch.load(Ordering::Acquire);
            self.slot.seen.store(epoch, Ordering::Release);
            // Dekker pairing with the writer's fence (module docs): either the
            // writer sees us online, or our next pointer load sees its swap.
            fence(Ordering::SeqCst);
            self.reported = epoch;
            self.online = true;
        }
    }

    /// Whether the reader is online.
    pub fn is_online(&self) -> bool {
        self.online
    }

    /// The `Rcu` this reader reads.
    pub fn rcu(&self) -> &Arc<Rcu<T>> {
        &self.rcu
    }
}

impl<T: Send + Sync + 'static> Drop for Reader<T> {
    fn drop(&mut self) {
        // Offline first, so a writer waiting on a snapshot that includes this
        // slot proceeds even before we take the registry lock.
        self.slot.seen.store(OFFLINE, Ordering::Release);
        lock(&self.rcu.registry).retain(|s| !Arc::ptr_eq(s, &self.slot));
    }
}

/// A borrowed view of the current value, valid until the reader's next
/// quiescent state. Dereferences to `T`.
pub struct Guard<'r, T> {
    value: &'r T,
}

impl<'r, T> Guard<'r, T> {
    /// The reference itself, with the guard's lifetime (still tied to the
    /// reader's borrow, so it cannot outlive the next quiescent state). Lets
    /// callers keep results such as FIB entries for the rest of a burst.
    #[inline]
    pub fn get(this: &Guard<'r, T>) -> &'r T {
        this.value
    }
}

impl<T> Clone for Guard<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Guard<'_, T> {}

impl<T> Deref for Guard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Guard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize};
    use std::thread;

    /// Counts drops.
    struct Counted(u32, Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn assert_send<X: Send>() {}
    fn assert_sync<X: Sync>() {}

    #[test]
    fn auto_traits() {
        assert_send::<Arc<Rcu<u32>>>();
        assert_sync::<Rcu<u32>>();
        assert_send::<Reader<u32>>();
    }

    #[test]
    fn read_publish_no_readers() {
        let drops = Arc::new(AtomicUsize::new(0));
        let rcu = Rcu::new(Counted(1, drops.clone()));
        assert_eq!(rcu.epoch(), 1);
        rcu.publish(Counted(2, drops.clone()));
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert_eq!(rcu.epoch(), 2);
        let r = rcu.register();
        assert_eq!(r.read().0, 2);
        drop(r);
        assert_eq!(rcu.readers(), 0);
        drop(rcu);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn guard_sees_value_until_quiescent() {
        let drops = Arc::new(AtomicUsize::new(0));
        let rcu = Rcu::new(Counted(1, drops.clone()));
        let mut r = rcu.register();
        let done = Arc::new(AtomicBool::new(false));
        let writer = {
            let rcu = Arc::clone(&rcu);
            let drops = drops.clone();
            let done = done.clone();
            thread::spawn(move || {
                rcu.publish(Counted(2, drops));
                done.store(true, Ordering::SeqCst);
            })
        };
        {
            let g = r.read();
            thread::sleep(Duration::from_millis(50));
            // The writer is blocked on us: the old value is still alive.
            assert!(!done.load(Ordering::SeqCst));
            assert_eq!(drops.load(Ordering::SeqCst), 0);
            assert_eq!(g.0, 1);
        }
        r.quiescent();
        writer.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert_eq!(r.read().0, 2);
    }

    #[test]
    fn offline_reader_does_not_block_writer() {
        let drops = Arc::new(AtomicUsize::new(0));
        let rcu = Rcu::new(Counted(1, drops.clone()));
        let mut r = rcu.register();
        r.offline();
        assert!(!r.is_online());
        rcu.publish(Counted(2, drops.clone()));
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        r.online();
        assert_eq!(r.read().0, 2);
        // Online again: a bounded publish now times out until we report.
        let err = rcu.publish_with_timeout(Counted(3, drops.clone()), Duration::from_millis(20)).unwrap_err();
        assert_eq!(err, RcuError::Timeout { stalled_readers: 1, pending: 1 });
        assert_eq!(r.read().0, 3);
        assert_eq!(rcu.try_reclaim(), 0);
        r.quiescent();
        assert_eq!(rcu.try_reclaim(), 1);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }

    #[test]
    #[should_panic(expected = "offline reader")]
    fn read_while_offline_panics() {
        let rcu = Rcu::new(0u32);
        let mut r = rcu.register();
        r.offline();
        let _ = *r.read();
    }

    #[test]
    fn deferred_reclaim_waits_for_every_reader() {
        let drops = Arc::new(AtomicUsize::new(0));
        let rcu = Rcu::new(Counted(0, drops.clone()));
        let mut a = rcu.register();
        let mut b = rcu.register();
        assert_eq!(rcu.readers(), 2);
        let e1 = rcu.publish_deferred(Counted(1, drops.clone()));
        let e2 = rcu.publish_deferred(Counted(2, drops.clone()));
        assert_eq!((e1, e2), (2, 3));
        assert_eq!(rcu.pending(), 2);
        assert_eq!(rcu.try_reclaim(), 0);
        a.quiescent();
        assert_eq!(rcu.try_reclaim(), 0, "b has not reported");
        b.quiescent();
        assert_eq!(rcu.try_reclaim(), 2);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        assert_eq!(rcu.pending(), 0);
        // Dropping a stalled reader unblocks reclamation.
        rcu.publish_deferred(Counted(3, drops.clone()));
        a.quiescent();
        assert_eq!(rcu.try_reclaim(), 0);
        drop(b);
        assert_eq!(rcu.try_reclaim(), 1);
        assert_eq!(rcu.readers(), 1);
    }

    #[test]
    fn quiescent_skips_unchanged_epoch() {
        let rcu = Rcu::new(0u32);
        let mut r = rcu.register();
        r.quiescent();
        assert_eq!(r.slot.seen.load(Ordering::SeqCst), 1);
        rcu.publish_deferred(1);
        assert_eq!(r.slot.seen.load(Ordering::SeqCst), 1);
        r.quiescent();
        assert_eq!(r.slot.seen.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn synchronize_frees_deferred() {
        let drops = Arc::new(AtomicUsize::new(0));
        let rcu = Rcu::new(Counted(0, drops.clone()));
        let mut r = rcu.register();
        rcu.publish_deferred(Counted(1, drops.clone()));
        let stop = Arc::new(AtomicBool::new(false));
        let syncer = {
            let rcu = Arc::clone(&rcu);
            thread::spawn(move || rcu.synchronize())
        };
        let reader = {
            let stop = stop.clone();
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    assert_eq!(r.read().0, 1);
                    r.quiescent();
                    thread::yield_now();
                }
            })
        };
        syncer.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        stop.store(true, Ordering::Relaxed);
        reader.join().unwrap();
    }

    #[test]
    fn replace_returns_old_value_after_grace_period() {
        let drops = Arc::new(AtomicUsize::new(0));
        let rcu = Rcu::new(Counted(1, drops.clone()));
        let mut r = rcu.register();
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let stop = stop.clone();
            thread::spawn(move || {
                let mut last = 0;
                while !stop.load(Ordering::Relaxed) {
                    let v = r.read().0;
                    assert!(v >= last, "values went backwards");
                    last = v;
                    r.quiescent();
                }
            })
        };
        let mut spare = Box::new(Counted(2, drops.clone()));
        for v in 2..200u32 {
            spare.0 = v;
            let old = rcu.replace(spare);
            assert_eq!(old.0, v - 1, "the previous value comes back");
            spare = old;
        }
        stop.store(true, Ordering::Relaxed);
        reader.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 0, "replace never drops");
        drop(spare);
        drop(rcu);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn guard_get_outlives_guard_value() {
        let rcu = Rcu::new(vec![1u8, 2, 3]);
        let r = rcu.register();
        let slice: &[u8] = {
            let g = r.read();
            Guard::get(&g).as_slice()
        };
        assert_eq!(slice, &[1, 2, 3]);
    }
}
