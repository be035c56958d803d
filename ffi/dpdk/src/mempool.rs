//! Packet-buffer pools ([`Mempool`]) and owned packet buffers ([`Mbuf`]).
//!
//! A [`Mempool`] is a cheap-to-clone handle (`Arc`) on an `rte_pktmbuf_pool_create` pool;
//! it is `Send + Sync` because DPDK's default mempool ops are multi-producer/consumer.
//! A [`Mbuf`] owns one packet: it is never cloned (refcount stays 1), so `data_mut` may
//! hand out `&mut [u8]`. Mbufs do not keep their pool alive (that would cost an atomic
//! per packet); instead a pool whose last handle is dropped while mbufs are still out (in
//! the application, in a ring or in a port's descriptor ring) is leaked rather than freed.
//!
//! Multi-segment mbufs: ports configured by [`crate::Port::configure`] do not enable
//! scatter, so with a pool whose data room fits the MTU every received mbuf is a single
//! segment. [`Mbuf::data`] always covers only the first segment; callers that might see
//! chained mbufs check [`Mbuf::nb_segs`] or compare [`Mbuf::pkt_len`] with [`Mbuf::len`].

use std::ffi::CStr;
use std::fmt;
use std::ptr::NonNull;
use std::sync::Arc;

use dpdk_sys::{rte_mbuf, rte_mempool};

use crate::eal::LiveToken;
use crate::{cstring, DpdkError};

/// Socket id meaning "any NUMA node" (`SOCKET_ID_ANY`).
pub const SOCKET_ID_ANY: i32 = dpdk_sys::SOCKET_ID_ANY;
/// Headroom reserved in front of packet data in every mbuf (`RTE_PKTMBUF_HEADROOM`), bytes.
pub const PKTMBUF_HEADROOM_BYTES: u16 = dpdk_sys::RTE_PKTMBUF_HEADROOM as u16;
/// Default data room (`RTE_MBUF_DEFAULT_BUF_SIZE` = 2048 + headroom), bytes: enough for a
/// 1500-byte MTU frame in one segment.
pub const DEFAULT_DATA_ROOM_BYTES: u16 = dpdk_sys::RTE_MBUF_DEFAULT_BUF_SIZE as u16;

struct PoolInner {
    ptr: NonNull<rte_mempool>,
    /// `None` once the pool has been leaked on purpose (see `Drop`).
    live: Option<LiveToken>,
}

// SAFETY: the pool is a DPDK object in shared memory whose default ops (ring_mp_mc) are
// thread-safe for get/put/count; the handle carries no thread affinity.
unsafe impl Send for PoolInner {}
// SAFETY: as above, all operations through `&PoolInner` are thread-safe DPDK calls.
unsafe impl Sync for PoolInner {}

impl Drop for PoolInner {
    fn drop(&mut self) {
        // SAFETY: the pool is valid while `self` exists (cleanup is held off by `live`).
        let in_use = unsafe { dpdk_sys::rte_mempool_in_use_count(self.ptr.as_ptr()) };
        if in_use == 0 {
            // SAFETY: no mbuf of this pool is outstanding and this is the last handle (ports
            // hold clones while configured), so nothing can reach the pool afterwards.
            unsafe { dpdk_sys::rte_mempool_free(self.ptr.as_ptr()) };
        } else {
            // Mbufs still out would point into freed memory: leak the pool, and keep the
            // EAL from unmapping it by never releasing the live token.
            std::mem::forget(self.live.take());
        }
    }
}

/// A pool of packet mbufs (`rte_pktmbuf_pool_create`). Clone = another handle on the same pool.
#[derive(Clone)]
pub struct Mempool {
    inner: Arc<PoolInner>,
}

impl fmt::Debug for Mempool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mempool")
            .field("name", &self.name())
            .field("capacity", &self.capacity())
            .field("available", &self.available())
            .finish()
    }
}

impl Mempool {
    /// Create a pool named `name` (unique per process, < 26 bytes) of `n` mbufs, each with
    /// `data_room_bytes` of buffer (headroom included, see [`DEFAULT_DATA_ROOM_BYTES`]),
    /// a per-lcore cache of `cache` mbufs (0 disables; at most 512 and ≤ n/1.5), on NUMA
    /// `socket` ([`SOCKET_ID_ANY`] for any).
    ///
    /// Errors (`rte_errno`): `E_RTE_NO_CONFIG` without a running EAL, `EINVAL` for bad
    /// sizes, `ENOSPC`/`ENOMEM` when memory runs out, `EEXIST` for a duplicate name.
    pub fn pktmbuf(name: &str, n: u32, cache: u32, data_room_bytes: u16, socket: i32) -> Result<Mempool, DpdkError> {
        const OP: &str = "rte_pktmbuf_pool_create";
        let live = LiveToken::acquire(OP)?;
        let c_name = cstring(OP, name)?;
        // SAFETY: valid C string; EAL running (live token); DPDK validates the numbers.
        let ptr = unsafe { dpdk_sys::rte_pktmbuf_pool_create(c_name.as_ptr(), n, cache, 0, data_room_bytes, socket) };
        let ptr = NonNull::new(ptr).ok_or_else(|| DpdkError::from_rte_errno(OP))?;
        Ok(Mempool { inner: Arc::new(PoolInner { ptr, live: Some(live) }) })
    }

    /// Allocate one mbuf (`rte_pktmbuf_alloc`): empty (`len() == 0`), headroom reserved.
    /// `None` when the pool is exhausted.
    #[inline]
    pub fn alloc(&self) -> Option<Mbuf> {
        // SAFETY: valid pool; returns a fresh mbuf with refcount 1 or NULL.
        let m = unsafe { dpdk_sys::rte_pktmbuf_alloc(self.as_ptr()) };
        NonNull::new(m).map(Mbuf)
    }

    /// Allocate `count` mbufs at once into the free space of `out`, all or nothing
    /// (`rte_pktmbuf_alloc_bulk`). Returns `false` (and leaves `out` unchanged) if the pool
    /// has fewer than `count` available or `out` lacks room.
    #[inline]
    pub fn alloc_bulk<const N: usize>(&self, out: &mut crate::MbufArray<N>, count: usize) -> bool {
        if count > out.free_space() {
            return false;
        }
        // SAFETY: the spare slots of `out` can hold `count` pointers; on success DPDK has
        // written `count` fresh mbufs there, which we then take ownership of.
        unsafe {
            let ret = dpdk_sys::rte_pktmbuf_alloc_bulk(self.as_ptr(), out.spare_ptr(), count as u32);
            if ret != 0 {
                return false;
            }
            out.assume_appended(count);
        }
        true
    }

    /// Mbufs currently free in the pool, per-lcore caches included (`rte_mempool_avail_count`).
    pub fn available(&self) -> u32 {
        // SAFETY: valid pool.
        unsafe { dpdk_sys::rte_mempool_avail_count(self.as_ptr()) }
    }

    /// Mbufs currently allocated (`rte_mempool_in_use_count`): held by the application,
    /// rings, or port descriptor rings.
    pub fn in_use(&self) -> u32 {
        // SAFETY: valid pool.
        unsafe { dpdk_sys::rte_mempool_in_use_count(self.as_ptr()) }
    }

    /// Total number of mbufs in the pool.
    pub fn capacity(&self) -> u32 {
        // SAFETY: valid pool; `size` is set at creation and never changes.
        unsafe { (*self.as_ptr()).size }
    }

    /// Data room of each mbuf in bytes, headroom included (`rte_pktmbuf_data_room_size`).
    pub fn data_room_bytes(&self) -> u16 {
        // SAFETY: valid pktmbuf pool (created by rte_pktmbuf_pool_create).
        unsafe { dpdk_sys::rte_pktmbuf_data_room_size(self.as_ptr()) }
    }

    /// The pool's name.
    pub fn name(&self) -> String {
        // SAFETY: valid pool; `name` is a NUL-terminated fixed-size array.
        unsafe { CStr::from_ptr((*self.as_ptr()).name.as_ptr()).to_string_lossy().into_owned() }
    }

    /// Raw pool pointer, for `dpdk_sys` calls. Valid while this handle lives.
    #[inline]
    pub fn as_ptr(&self) -> *mut rte_mempool {
        self.inner.ptr.as_ptr()
    }
}

/// One owned packet buffer (`struct rte_mbuf *`, refcount 1). Dropping it frees it
/// (`rte_pktmbuf_free`, the whole chain).
///
/// Same layout as a non-null `*mut rte_mbuf`, so bursts of `Mbuf` can be handed to DPDK.
#[repr(transparent)]
pub struct Mbuf(NonNull<rte_mbuf>);

// SAFETY: an Mbuf is the unique owner of its buffer; moving that ownership to another
// thread is what DPDK pipelines do (free goes back to the pool, which is MT-safe).
unsafe impl Send for Mbuf {}
// SAFETY: `&Mbuf` only allows reading the mbuf and its data; no interior mutability.
unsafe impl Sync for Mbuf {}

impl fmt::Debug for Mbuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mbuf")
            .field("len", &self.len())
            .field("pkt_len", &self.pkt_len())
            .field("nb_segs", &self.nb_segs())
            .field("port", &self.port())
            .finish()
    }
}

impl Drop for Mbuf {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: we own the mbuf (refcount 1); it is not used after this.
        unsafe { dpdk_sys::rte_pktmbuf_free(self.0.as_ptr()) }
    }
}

impl Mbuf {
    #[inline]
    fn raw(&self) -> &rte_mbuf {
        // SAFETY: the pointer is a valid mbuf for as long as we own it.
        unsafe { self.0.as_ref() }
    }

    #[inline]
    fn raw_mut(&mut self) -> &mut rte_mbuf {
        // SAFETY: valid, and uniquely owned through `&mut self`.
        unsafe { self.0.as_mut() }
    }

    /// Pointer to the first data byte (`rte_pktmbuf_mtod`), computed from the fields.
    #[inline]
    fn data_ptr(&self) -> *mut u8 {
        let m = self.raw();
        // SAFETY: data_off < buf_len, so the result stays inside the mbuf's buffer.
        unsafe { m.buf_addr.cast::<u8>().add(m.data_off as usize) }
    }

    /// Packet bytes of the first segment (`data_len` bytes at `rte_pktmbuf_mtod`).
    #[inline]
    pub fn data(&self) -> &[u8] {
        // SAFETY: [mtod, mtod + data_len) is initialised packet data inside the buffer,
        // which we own; no `&mut` to it can exist while `&self` is borrowed.
        unsafe { std::slice::from_raw_parts(self.data_ptr(), self.len()) }
    }

    /// Mutable packet bytes of the first segment.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        let len = self.len();
        // SAFETY: as in `data`; exclusive through `&mut self`, and the buffer is not shared
        // (refcount 1, direct mbuf: the invariant of `Mbuf`).
        unsafe { std::slice::from_raw_parts_mut(self.data_ptr(), len) }
    }

    /// Bytes of data in the first segment (`data_len`): the length of [`Mbuf::data`].
    #[inline]
    pub fn len(&self) -> usize {
        self.raw().data_len as usize
    }

    /// Whether the first segment holds no data.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total packet length over all segments (`pkt_len`), bytes.
    #[inline]
    pub fn pkt_len(&self) -> usize {
        self.raw().pkt_len as usize
    }

    /// Number of segments in the chain (`nb_segs`); 1 for a contiguous packet.
    #[inline]
    pub fn nb_segs(&self) -> u16 {
        self.raw().nb_segs
    }

    /// Whether all packet bytes are in [`Mbuf::data`] (one segment).
    #[inline]
    pub fn is_contiguous(&self) -> bool {
        self.raw().next.is_null()
    }

    /// Free bytes in front of the data (`rte_pktmbuf_headroom`).
    #[inline]
    pub fn headroom(&self) -> usize {
        self.raw().data_off as usize
    }

    /// Free bytes after the data of this segment (`rte_pktmbuf_tailroom`).
    #[inline]
    pub fn tailroom(&self) -> usize {
        let m = self.raw();
        m.buf_len as usize - m.data_off as usize - m.data_len as usize
    }

    /// Grow the packet by `n` bytes at the end (`rte_pktmbuf_append`, last segment) and
    /// return the new, uninitialised-by-us bytes (old buffer contents) to fill. `None` if
    /// the tailroom is too small (packet unchanged).
    #[inline]
    pub fn append(&mut self, n: usize) -> Option<&mut [u8]> {
        let n16 = u16::try_from(n).ok()?;
        // SAFETY: owned mbuf; returns NULL without change if there is no room.
        let p = unsafe { dpdk_sys::rte_pktmbuf_append(self.0.as_ptr(), n16) };
        // SAFETY: on success p..p+n lies in the buffer, now part of the (owned) packet.
        NonNull::new(p).map(|p| unsafe { std::slice::from_raw_parts_mut(p.as_ptr().cast::<u8>(), n) })
    }

    /// Grow the packet by `n` bytes at the front (`rte_pktmbuf_prepend`) and return them.
    /// `None` if the headroom is too small (packet unchanged).
    #[inline]
    pub fn prepend(&mut self, n: usize) -> Option<&mut [u8]> {
        let n16 = u16::try_from(n).ok()?;
        // SAFETY: owned mbuf; returns NULL without change if there is no room.
        let p = unsafe { dpdk_sys::rte_pktmbuf_prepend(self.0.as_ptr(), n16) };
        // SAFETY: on success p..p+n lies in the buffer, now part of the (owned) packet.
        NonNull::new(p).map(|p| unsafe { std::slice::from_raw_parts_mut(p.as_ptr().cast::<u8>(), n) })
    }

    /// Remove `n` bytes from the front (`rte_pktmbuf_adj`). `false` (unchanged) if the
    /// first segment has fewer than `n` bytes.
    #[inline]
    pub fn adj(&mut self, n: usize) -> bool {
        let Ok(n16) = u16::try_from(n) else {
            return false;
        };
        // SAFETY: owned mbuf; returns NULL without change if n > data_len.
        !unsafe { dpdk_sys::rte_pktmbuf_adj(self.0.as_ptr(), n16) }.is_null()
    }

    /// Remove `n` bytes from the end (`rte_pktmbuf_trim`, last segment). `false`
    /// (unchanged) if the last segment has fewer than `n` bytes.
    #[inline]
    pub fn trim(&mut self, n: usize) -> bool {
        let Ok(n16) = u16::try_from(n) else {
            return false;
        };
        // SAFETY: owned mbuf; returns -1 without change if n > data_len of the last segment.
        unsafe { dpdk_sys::rte_pktmbuf_trim(self.0.as_ptr(), n16) == 0 }
    }

    /// Set the length of a single-segment packet to `n` bytes (growing into the tailroom
    /// exposes old buffer contents). `false` (unchanged) for chained mbufs or if `n` exceeds
    /// `len() + tailroom()`.
    #[inline]
    pub fn set_len(&mut self, n: usize) -> bool {
        if !self.is_contiguous() || n > self.len() + self.tailroom() {
            return false;
        }
        let m = self.raw_mut();
        m.data_len = n as u16; // n <= buf_len - data_off <= u16::MAX
        m.pkt_len = n as u32;
        true
    }

    /// Input port id set by the receiving PMD (`port` field).
    #[inline]
    pub fn port(&self) -> u16 {
        self.raw().port
    }

    /// RSS hash computed by the NIC, if it provided one (`RTE_MBUF_F_RX_RSS_HASH`).
    #[inline]
    pub fn rss_hash(&self) -> Option<u32> {
        let m = self.raw();
        if m.ol_flags & dpdk_sys::RTE_MBUF_F_RX_RSS_HASH as u64 != 0 {
            // SAFETY: with RX_RSS_HASH set the `hash` union holds the rss member; any u32
            // bit pattern is valid anyway.
            Some(unsafe { m.__bindgen_anon_2.hash.rss })
        } else {
            None
        }
    }

    /// The raw mbuf pointer (ownership kept).
    #[inline]
    pub fn as_ptr(&self) -> *mut rte_mbuf {
        self.0.as_ptr()
    }

    /// Give up ownership: the caller must free or hand over the mbuf.
    #[inline]
    pub fn into_raw(self) -> NonNull<rte_mbuf> {
        let p = self.0;
        std::mem::forget(self);
        p
    }

    /// Take ownership of a raw mbuf.
    ///
    /// # Safety
    ///
    /// `m` must be a valid packet mbuf (from a pktmbuf pool, or given by a PMD) that the
    /// caller owns exclusively and hands over: refcount 1, a direct mbuf whose buffer is not
    /// shared (not attached to/by another mbuf), not used through any other pointer
    /// afterwards, and its pool must stay allocated while the mbuf lives (true for pools
    /// created by [`Mempool`]).
    #[inline]
    pub unsafe fn from_raw(m: NonNull<rte_mbuf>) -> Mbuf {
        Mbuf(m)
    }
}
