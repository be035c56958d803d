//! [`MbufArray`]: a fixed-capacity, allocation-free burst of owned mbufs.
//!
//! It is the unit of exchange with ports and rings: `rx_burst`/`dequeue_burst` append into
//! its free space, `tx_burst`/`enqueue_burst` consume from its front and leave what was not
//! accepted at the front, in order. The storage is `[MaybeUninit<Mbuf>; N]` with a live
//! window `head..head + len`; because [`Mbuf`] is `repr(transparent)` over a non-null
//! `*mut rte_mbuf`, the window is directly the `struct rte_mbuf **` that DPDK burst
//! functions take. Consuming from the front (a partial `tx_burst`, [`MbufArray::pop_front`])
//! only advances `head`, O(1); the window is moved back to slot 0 lazily, when an append
//! needs the room at the end.
//!
//! Dropping the array (or calling [`MbufArray::clear`]) frees the mbufs it still holds with
//! one `rte_pktmbuf_free_bulk`. Alternatives rejected: `Vec<Mbuf>` (allocates, and a
//! capacity that can change would break the "no allocation on the hot path" rule);
//! `ArrayVec` (no way to hand its buffer to DPDK without the same unsafe code); shifting
//! the unsent mbufs down after every partial transmit (a memmove per burst).

use std::mem::MaybeUninit;
use std::ops::{Deref, DerefMut};
use std::ptr;

use dpdk_sys::rte_mbuf;

use crate::Mbuf;

/// Up to `N` owned mbufs (`N` ≤ 65535, the largest burst DPDK takes), in order.
///
/// Derefs to `[Mbuf]` (indexing, `iter`, `iter_mut`, `first` …); ownership-moving
/// operations are the inherent methods.
pub struct MbufArray<const N: usize> {
    /// First live slot. Invariants: `head + len <= N`; `len == 0` implies `head == 0`.
    head: usize,
    /// Number of live slots, `head..head + len`.
    len: usize,
    slots: [MaybeUninit<Mbuf>; N],
}

// `MbufArray` is Send/Sync exactly when `Mbuf` is (auto traits through MaybeUninit<Mbuf>).

impl<const N: usize> Default for MbufArray<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> std::fmt::Debug for MbufArray<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<const N: usize> MbufArray<N> {
    /// An empty array. Costs nothing: the slots stay uninitialised.
    #[inline]
    pub const fn new() -> Self {
        const { assert!(N <= u16::MAX as usize, "MbufArray capacity must fit a DPDK burst (u16)") };
        MbufArray { head: 0, len: 0, slots: [const { MaybeUninit::uninit() }; N] }
    }

    /// Number of mbufs held.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no mbuf is held.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `len() == N`.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.len == N
    }

    /// `N`.
    #[inline]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// `N - len()`: how many mbufs can still be added.
    #[inline]
    pub fn free_space(&self) -> usize {
        N - self.len
    }

    #[inline]
    fn base(&mut self) -> *mut MaybeUninit<Mbuf> {
        self.slots.as_mut_ptr()
    }

    /// Shrink the window by `n` at the front; reset `head` when it empties.
    #[inline]
    fn advance_head(&mut self, n: usize) {
        self.head += n;
        self.len -= n;
        if self.len == 0 {
            self.head = 0;
        }
    }

    /// Move the live window to slot 0 so that all free space is at the end.
    #[inline]
    fn compact(&mut self) {
        if self.head != 0 {
            let (head, len) = (self.head, self.len);
            let base = self.base();
            // SAFETY: slots head..head+len are initialised; `copy` handles the overlap and
            // the vacated slots are treated as uninitialised afterwards (head = 0).
            unsafe { ptr::copy(base.add(head), base, len) };
            self.head = 0;
        }
    }

    /// Append `m` at the end; gives it back if the array is full.
    #[inline]
    pub fn push(&mut self, m: Mbuf) -> Result<(), Mbuf> {
        if self.len == N {
            return Err(m);
        }
        if self.head + self.len == N {
            self.compact();
        }
        self.slots[self.head + self.len].write(m);
        self.len += 1;
        Ok(())
    }

    /// Remove and return the last mbuf.
    #[inline]
    pub fn pop(&mut self) -> Option<Mbuf> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        let i = self.head + self.len;
        if self.len == 0 {
            self.head = 0;
        }
        // SAFETY: slot i was the last live one and is now outside the window: read once.
        Some(unsafe { self.slots[i].assume_init_read() })
    }

    /// Remove and return the first mbuf (O(1)). To process a whole burst in order,
    /// [`MbufArray::drain`] does the same with one bounds check per mbuf.
    #[inline]
    pub fn pop_front(&mut self) -> Option<Mbuf> {
        if self.len == 0 {
            return None;
        }
        let i = self.head;
        self.advance_head(1);
        // SAFETY: slot i was the first live one and is now outside the window: read once.
        Some(unsafe { self.slots[i].assume_init_read() })
    }

    /// The mbuf at `index` (0 = front). Panics if `index >= len()`; `as_slice().get(i)`
    /// is the non-panicking form.
    #[inline]
    pub fn get(&self, index: usize) -> &Mbuf {
        &self.as_slice()[index]
    }

    /// The mbuf at `index`, mutably. Panics if `index >= len()`.
    #[inline]
    pub fn get_mut(&mut self, index: usize) -> &mut Mbuf {
        &mut self.as_mut_slice()[index]
    }

    /// Remove and return the mbuf at `index`, moving the last one into its place (O(1),
    /// changes the order). Panics if `index >= len()`.
    #[inline]
    pub fn swap_remove(&mut self, index: usize) -> Mbuf {
        assert!(index < self.len, "MbufArray::swap_remove index {index} out of range (len {})", self.len);
        let last = self.len - 1;
        self.as_mut_slice().swap(index, last);
        self.pop().expect("non-empty")
    }

    /// Remove and return the mbuf at `index`, shifting the later ones down (O(len - index),
    /// keeps the order; O(1) for index 0). Panics if `index >= len()`.
    #[inline]
    pub fn remove(&mut self, index: usize) -> Mbuf {
        assert!(index < self.len, "MbufArray::remove index {index} out of range (len {})", self.len);
        if index == 0 {
            return self.pop_front().expect("non-empty");
        }
        let (head, len) = (self.head, self.len);
        let base = self.base();
        // SAFETY: slot head+index is live; we read it out once, then close the gap by
        // moving the live slots after it down by one and shrinking the window.
        let m = unsafe {
            let m = (*base.add(head + index)).assume_init_read();
            ptr::copy(base.add(head + index + 1), base.add(head + index), len - index - 1);
            m
        };
        self.len -= 1;
        m
    }

    /// Keep only the mbufs for which `keep` returns `true` (in order); free the others.
    #[inline]
    pub fn retain(&mut self, mut keep: impl FnMut(&mut Mbuf) -> bool) {
        let (head, len) = (self.head, self.len);
        // Panic safety: with an empty window during the loop, a panic in `keep` leaks the
        // remaining mbufs instead of double-freeing them.
        self.head = 0;
        self.len = 0;
        let base = self.base();
        let mut kept = 0;
        for i in head..head + len {
            // SAFETY: live slots are visited once each; kept ones move down to
            // `head + kept <= i`, a slot already vacated (or `i` itself).
            unsafe {
                let slot = &mut *base.add(i);
                if keep(slot.assume_init_mut()) {
                    if head + kept != i {
                        ptr::copy_nonoverlapping(base.add(i), base.add(head + kept), 1);
                    }
                    kept += 1;
                } else {
                    drop(slot.assume_init_read());
                }
            }
        }
        if kept != 0 {
            self.head = head;
            self.len = kept;
        }
    }

    /// Free every mbuf held (one `rte_pktmbuf_free_bulk`).
    #[inline]
    pub fn clear(&mut self) {
        if self.len == 0 {
            return;
        }
        let (head, len) = (self.head, self.len);
        self.head = 0;
        self.len = 0;
        // SAFETY: the live window holds `len` owned mbufs laid out as `*mut rte_mbuf`; after
        // this call they are freed and no longer part of the array (len = 0).
        unsafe { dpdk_sys::rte_pktmbuf_free_bulk(self.base().add(head).cast::<*mut rte_mbuf>(), len as u32) }
    }

    /// Move all mbufs out, in order, leaving the array empty. Mbufs the iterator has not
    /// yielded when it is dropped are freed. Typical use: dispatch each received mbuf into
    /// one of several per-port output arrays.
    #[inline]
    pub fn drain(&mut self) -> Drain<'_, N> {
        let (next, end) = (self.head, self.head + self.len);
        // If the Drain is leaked (mem::forget) the rest leaks too: safe.
        self.head = 0;
        self.len = 0;
        Drain { array: self, next, end }
    }

    /// Alias of [`MbufArray::drain`].
    #[inline]
    pub fn take_all(&mut self) -> Drain<'_, N> {
        self.drain()
    }

    /// The held mbufs, front first.
    #[inline]
    pub fn as_slice(&self) -> &[Mbuf] {
        // SAFETY: the window head..head+len holds initialised Mbufs; MaybeUninit<Mbuf> has
        // the layout of Mbuf.
        unsafe { std::slice::from_raw_parts(self.slots.as_ptr().add(self.head).cast::<Mbuf>(), self.len) }
    }

    /// The held mbufs, mutably (swapping elements is fine: ownership stays in the array).
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [Mbuf] {
        let (head, len) = (self.head, self.len);
        // SAFETY: as in `as_slice`, exclusive through `&mut self`.
        unsafe { std::slice::from_raw_parts_mut(self.base().add(head).cast::<Mbuf>(), len) }
    }

    /// Pointer to the first held mbuf, as DPDK's `struct rte_mbuf **` (valid for `len()`).
    #[inline]
    pub(crate) fn as_raw_ptr(&mut self) -> *mut *mut rte_mbuf {
        let head = self.head;
        // SAFETY: head <= N, so the pointer is in bounds or one past the end.
        unsafe { self.base().add(head).cast::<*mut rte_mbuf>() }
    }

    /// Pointer to the first free slot, as DPDK's `struct rte_mbuf **`, with all
    /// `free_space()` slots contiguous after it (the window is compacted first).
    ///
    /// # Safety
    ///
    /// Only for passing to a DPDK function that writes at most [`MbufArray::free_space`]
    /// mbufs there, followed (before any other use of the array) by
    /// [`MbufArray::assume_appended`] with the count written.
    #[inline]
    pub(crate) unsafe fn spare_ptr(&mut self) -> *mut *mut rte_mbuf {
        self.compact();
        let len = self.len;
        // SAFETY: head == 0 and len <= N, so the pointer is in bounds or one past the end.
        unsafe { self.base().add(len).cast::<*mut rte_mbuf>() }
    }

    /// Record that `n` mbufs were written at [`MbufArray::spare_ptr`].
    ///
    /// # Safety
    ///
    /// `spare_ptr` was called just before, the `n` slots after the window now hold owned,
    /// valid mbufs, and `n <= free_space()`.
    #[inline]
    pub(crate) unsafe fn assume_appended(&mut self, n: usize) {
        debug_assert!(n <= self.free_space() && self.head == 0 || n == 0);
        self.len += n;
    }

    /// Forget the first `n` mbufs (DPDK took them); the rest stay in order at the front.
    ///
    /// # Safety
    ///
    /// `n <= len()`, and ownership of the first `n` mbufs has been transferred elsewhere.
    #[inline]
    pub(crate) unsafe fn consume_front(&mut self, n: usize) {
        debug_assert!(n <= self.len);
        self.advance_head(n);
    }
}

impl<const N: usize> Drop for MbufArray<N> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl<const N: usize> Deref for MbufArray<N> {
    type Target = [Mbuf];
    #[inline]
    fn deref(&self) -> &[Mbuf] {
        self.as_slice()
    }
}

impl<const N: usize> DerefMut for MbufArray<N> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [Mbuf] {
        self.as_mut_slice()
    }
}

impl<const N: usize> IntoIterator for MbufArray<N> {
    type Item = Mbuf;
    type IntoIter = IntoIter<N>;
    #[inline]
    fn into_iter(mut self) -> IntoIter<N> {
        let (next, end) = (self.head, self.head + self.len);
        self.head = 0;
        self.len = 0; // `self` is now empty: its Drop frees nothing
        let slots = std::mem::replace(&mut self.slots, [const { MaybeUninit::uninit() }; N]);
        IntoIter { slots, next, end }
    }
}

/// Iterator moving the mbufs out of an [`MbufArray`] in order; frees the rest on drop.
pub struct Drain<'a, const N: usize> {
    array: &'a mut MbufArray<N>,
    next: usize,
    end: usize,
}

impl<const N: usize> Iterator for Drain<'_, N> {
    type Item = Mbuf;
    #[inline]
    fn next(&mut self) -> Option<Mbuf> {
        if self.next == self.end {
            return None;
        }
        let i = self.next;
        self.next += 1;
        // SAFETY: slots next..end are initialised and not part of the array any more
        // (its window is empty); each is read exactly once.
        Some(unsafe { self.array.slots[i].assume_init_read() })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next;
        (n, Some(n))
    }
}

impl<const N: usize> ExactSizeIterator for Drain<'_, N> {}

impl<const N: usize> Drop for Drain<'_, N> {
    fn drop(&mut self) {
        let rest = self.end - self.next;
        if rest != 0 {
            // SAFETY: slots next..end are initialised, unyielded and owned by us.
            unsafe {
                dpdk_sys::rte_pktmbuf_free_bulk(self.array.base().add(self.next).cast::<*mut rte_mbuf>(), rest as u32)
            }
        }
    }
}

/// By-value iterator over an [`MbufArray`]; frees the rest on drop.
pub struct IntoIter<const N: usize> {
    slots: [MaybeUninit<Mbuf>; N],
    next: usize,
    end: usize,
}

impl<const N: usize> Iterator for IntoIter<N> {
    type Item = Mbuf;
    #[inline]
    fn next(&mut self) -> Option<Mbuf> {
        if self.next == self.end {
            return None;
        }
        let i = self.next;
        self.next += 1;
        // SAFETY: slots next..end are initialised; each is read exactly once.
        Some(unsafe { self.slots[i].assume_init_read() })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next;
        (n, Some(n))
    }
}

impl<const N: usize> ExactSizeIterator for IntoIter<N> {}

impl<const N: usize> Drop for IntoIter<N> {
    fn drop(&mut self) {
        for i in self.next..self.end {
            // SAFETY: unyielded initialised slots, dropped (freed) once each.
            unsafe { self.slots[i].assume_init_drop() };
        }
    }
}
