//! [`MbufRing`]: a single-producer single-consumer `rte_ring` of mbufs between two lcores.
//!
//! SPSC is enforced by types: [`MbufRing::split`] yields exactly one [`RingProducer`] and one
//! [`RingConsumer`], each `Send` but neither `Sync` nor `Clone`, so only the one thread that
//! currently owns a handle can enqueue (or dequeue) through it. The ring is created with
//! `RING_F_SP_ENQ | RING_F_SC_DEQ` and driven with the `sp`/`sc` burst functions (no CAS).
//!
//! The ring is freed when both handles are gone; mbufs still inside are freed with it.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::Arc;

use dpdk_sys::rte_ring;

use crate::eal::LiveToken;
use crate::mempool::SOCKET_ID_ANY;
use crate::{cstring, DpdkError, MbufArray};

struct RingInner {
    ptr: NonNull<rte_ring>,
    _live: LiveToken,
}

// SAFETY: an rte_ring lives in shared memory and is designed for cross-thread use; which
// side may enqueue/dequeue is restricted by the producer/consumer handle types.
unsafe impl Send for RingInner {}
// SAFETY: through `&RingInner` only the thread-safe count/capacity getters and (in Drop,
// with no handle left) the drain are used.
unsafe impl Sync for RingInner {}

impl Drop for RingInner {
    fn drop(&mut self) {
        // Both handles are gone: nobody else touches the ring. Free what is still inside.
        let mut rest: MbufArray<64> = MbufArray::new();
        loop {
            // SAFETY: exclusive access (last reference); at most free_space() pointers are
            // written into the spare slots, each an mbuf the ring owned.
            let n = unsafe {
                let n = dpdk_sys::rte_ring_sc_dequeue_burst(
                    self.ptr.as_ptr(),
                    rest.spare_ptr().cast(),
                    rest.free_space() as u32,
                    std::ptr::null_mut(),
                ) as usize;
                rest.assume_appended(n);
                n
            };
            rest.clear();
            if n == 0 {
                break;
            }
        }
        // SAFETY: ring is empty and unreferenced.
        unsafe { dpdk_sys::rte_ring_free(self.ptr.as_ptr()) }
    }
}

/// A named SPSC ring of mbufs; [`MbufRing::split`] it into its two ends.
pub struct MbufRing {
    inner: Arc<RingInner>,
}

impl std::fmt::Debug for MbufRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MbufRing").field("capacity", &self.capacity()).finish()
    }
}

impl MbufRing {
    /// Create a ring named `name` (unique per process, ≤ 29 bytes) holding up to `capacity`
    /// mbufs exactly (`RING_F_EXACT_SZ`), on any NUMA node.
    ///
    /// Errors (`rte_errno`): `E_RTE_NO_CONFIG` without a running EAL, `EINVAL` for a
    /// capacity of 0 or above 2^31-1, `EEXIST` for a duplicate name, `ENAMETOOLONG`, `ENOMEM`.
    pub fn new(name: &str, capacity: u32) -> Result<MbufRing, DpdkError> {
        const OP: &str = "rte_ring_create";
        let live = LiveToken::acquire(OP)?;
        let c_name = cstring(OP, name)?;
        let flags = dpdk_sys::RING_F_SP_ENQ | dpdk_sys::RING_F_SC_DEQ | dpdk_sys::RING_F_EXACT_SZ;
        // SAFETY: valid C string; EAL running; DPDK validates the count.
        let ptr = unsafe { dpdk_sys::rte_ring_create(c_name.as_ptr(), capacity, SOCKET_ID_ANY, flags) };
        let ptr = NonNull::new(ptr).ok_or_else(|| DpdkError::from_rte_errno(OP))?;
        Ok(MbufRing { inner: Arc::new(RingInner { ptr, _live: live }) })
    }

    /// Split into the only producer and the only consumer of this ring.
    pub fn split(self) -> (RingProducer, RingConsumer) {
        (
            RingProducer { inner: Arc::clone(&self.inner), _not_sync: PhantomData },
            RingConsumer { inner: self.inner, _not_sync: PhantomData },
        )
    }

    /// Maximum number of mbufs the ring holds.
    pub fn capacity(&self) -> u32 {
        self.inner.capacity()
    }
}

impl RingInner {
    fn capacity(&self) -> u32 {
        // SAFETY: valid ring; reads an immutable field.
        unsafe { dpdk_sys::rte_ring_get_capacity(self.ptr.as_ptr()) }
    }

    fn count(&self) -> u32 {
        // SAFETY: valid ring; racy-but-safe read of the head/tail indices.
        unsafe { dpdk_sys::rte_ring_count(self.ptr.as_ptr()) }
    }
}

/// The enqueue end of an [`MbufRing`]. `Send`, not `Sync`, not `Clone`.
pub struct RingProducer {
    inner: Arc<RingInner>,
    /// `!Sync`: a shared `&RingProducer` on two threads would make two producers.
    _not_sync: PhantomData<Cell<()>>,
}

impl RingProducer {
    /// Move as many mbufs as fit from the front of `pkts` into the ring
    /// (`rte_ring_sp_enqueue_burst`); the rest stay at the front of `pkts`, in order.
    /// Returns the number enqueued.
    #[inline]
    pub fn enqueue_burst<const N: usize>(&self, pkts: &mut MbufArray<N>) -> usize {
        if pkts.is_empty() {
            return 0;
        }
        // SAFETY: the producer handle is unique (not Clone) and !Sync, so this is the only
        // thread enqueueing; the first len() pointers of `pkts` are owned mbufs, and the ones
        // the ring accepted are removed from `pkts` (ownership moved into the ring).
        unsafe {
            let n = dpdk_sys::rte_ring_sp_enqueue_burst(
                self.inner.ptr.as_ptr(),
                pkts.as_raw_ptr().cast::<*mut std::ffi::c_void>(),
                pkts.len() as u32,
                std::ptr::null_mut(),
            ) as usize;
            pkts.consume_front(n);
            n
        }
    }

    /// Free slots in the ring (a snapshot; the consumer may free more concurrently).
    pub fn free_space(&self) -> u32 {
        self.inner.capacity() - self.inner.count()
    }
}

/// The dequeue end of an [`MbufRing`]. `Send`, not `Sync`, not `Clone`.
pub struct RingConsumer {
    inner: Arc<RingInner>,
    /// `!Sync`: a shared `&RingConsumer` on two threads would make two consumers.
    _not_sync: PhantomData<Cell<()>>,
}

impl RingConsumer {
    /// Move up to `out.free_space()` mbufs from the ring to the end of `out`
    /// (`rte_ring_sc_dequeue_burst`). Returns the number dequeued.
    #[inline]
    pub fn dequeue_burst<const N: usize>(&self, out: &mut MbufArray<N>) -> usize {
        let free = out.free_space();
        if free == 0 {
            return 0;
        }
        // SAFETY: the consumer handle is unique (not Clone) and !Sync, so this is the only
        // thread dequeueing; DPDK writes at most `free` mbuf pointers into the spare slots,
        // whose ownership moves to `out`.
        unsafe {
            let n = dpdk_sys::rte_ring_sc_dequeue_burst(
                self.inner.ptr.as_ptr(),
                out.spare_ptr().cast::<*mut std::ffi::c_void>(),
                free as u32,
                std::ptr::null_mut(),
            ) as usize;
            out.assume_appended(n);
            n
        }
    }

    /// Mbufs waiting in the ring (a snapshot; the producer may add more concurrently).
    pub fn len(&self) -> u32 {
        self.inner.count()
    }

    /// Whether the ring is currently empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
