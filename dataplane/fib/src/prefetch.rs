//! Software prefetch: the one `unsafe` block of this crate.

/// Hints the CPU to pull the cache line holding `*r` into L1. A no-op on
/// targets other than x86_64.
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = (r as *const T).cast::<i8>();
        // SAFETY: `prefetcht0` is a hint: it never faults and has no
        // architectural effect, whatever the address; SSE (which provides it)
        // is part of the x86_64 baseline, so the instruction always exists.
        // `p` is moreover derived from a live reference.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}
