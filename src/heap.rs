//! Transparent huge pages for the daemon's heap (the FIB lives there).
//!
//! At 10^6 prefixes the FIB is a few hundred MB of hash buckets, prefix bytes
//! and entries, read at random: with 4 KiB pages nearly every lookup also
//! misses the TLB (in a VM, a nested page walk). With 2 MiB pages the whole
//! FIB fits the TLB's reach: 1.23× on burst lookups at 10^6 × 8 and about
//! +10 % forwarding rate (docs/performance.md).
//!
//! How: glibc's `glibc.malloc.hugetlb=1` tunable makes `malloc` mark its
//! memory with `madvise(MADV_HUGEPAGE)`, which the kernel honours in the
//! THP modes `madvise` (Debian's default) and `always`. Tunables are read
//! only at process start, so `dmscd run` re-executes itself once with the
//! tunable added to `GLIBC_TUNABLES` (same pid, same arguments), before it
//! logs or allocates anything that matters. The same re-execution adds a
//! larger per-thread cache of free chunks for the control thread
//! ([`THREAD_CACHE_TUNABLE`]), also with `--small-pages`.
//!
//! Rejected: `madvise` on each FIB allocation (an `unsafe` call outside
//! `ffi/`, and every growth path of every table would need it); allocating
//! the FIB from DPDK hugepage memory (the FIB must build and be tested
//! without EAL, and `--no-huge` deployments would lose it); asking operators
//! to set the variable (easy to forget, and nothing shows it is missing).

use std::ffi::OsString;
use std::os::unix::process::CommandExt;

/// The tunable that asks glibc's malloc for transparent huge pages.
pub const TUNABLE: &str = "glibc.malloc.hugetlb=1";
/// A per-thread cache of up to 16,384 free chunks per size class instead of 7.
///
/// The control thread frees a few thousand small chunks per route batch (the
/// decoded request: 4 per route; the parsed names and next hops). Past the 7
/// that glibc's thread cache keeps per size, they go to the arena's fast bins,
/// and the next allocation of 1 KiB or more merges every one of them with its
/// neighbours (`malloc_consolidate`: a cache miss each). With the larger cache
/// a batch reuses its own freed chunks: control-thread CPU per replaced route
/// −22 % (`bench/route-update-report`, docs/performance.md). Memory held: the
/// chunks a thread freed last, at most 16,384 per size class (for the small
/// sizes a batch uses, ~10 MB at most); the lcores do not allocate.
pub const THREAD_CACHE_TUNABLE: &str = "glibc.malloc.tcache_count=16384";
/// Environment variable glibc reads its tunables from.
pub const ENV: &str = "GLIBC_TUNABLES";

/// What [`reexec_with_heap_tunables`] found about the heap's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeapPages {
    /// `glibc.malloc.hugetlb=1` is in effect (set by the re-execution, or
    /// already by whoever started the process).
    Huge,
    /// `GLIBC_TUNABLES` sets `glibc.malloc.hugetlb` to another value: the
    /// operator's choice, left as it is.
    OperatorSet,
    /// The kernel has THP off (`never`) or no THP support: nothing to ask for.
    KernelOff,
    /// Small pages were asked for (`dmscd run --small-pages`).
    Small,
}

/// The THP mode from `/sys/kernel/mm/transparent_hugepage/enabled`
/// (`always`, `madvise` or `never`), if readable.
pub fn thp_mode() -> Option<String> {
    let s = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").ok()?;
    let start = s.find('[')? + 1;
    let end = start + s[start..].find(']')?;
    Some(s[start..end].to_string())
}

/// `GLIBC_TUNABLES` (`name=value:…`) with each of `wanted` added whose name it
/// does not set yet (to any value: the operator's choice wins), or `None` if
/// there is nothing to add.
pub fn tunables_with(current: Option<&str>, wanted: &[&str]) -> Option<String> {
    let current = current.unwrap_or("");
    let name = |t: &str| t.split('=').next().unwrap_or("").to_owned();
    let set: Vec<String> = current.split(':').filter(|t| !t.is_empty()).map(name).collect();
    let add: Vec<&str> = wanted.iter().copied().filter(|w| !set.contains(&name(w))).collect();
    if add.is_empty() {
        return None;
    }
    Some(current.split(':').filter(|t| !t.is_empty()).chain(add).collect::<Vec<_>>().join(":"))
}

/// Re-executes this program with the heap tunables it lacks: the larger thread
/// cache ([`THREAD_CACHE_TUNABLE`]) always, and huge pages ([`TUNABLE`]) when
/// `huge_pages` and the kernel has THP on. Returns only if no re-execution was
/// needed, with what the heap's pages are.
///
/// # Errors
/// The `execve` error (then the process continues with glibc's defaults; the
/// caller logs it).
pub fn reexec_with_heap_tunables(huge_pages: bool) -> std::io::Result<HeapPages> {
    let thp = thp_mode().is_some_and(|m| m != "never");
    let wanted: &[&str] = if huge_pages && thp { &[TUNABLE, THREAD_CACHE_TUNABLE] } else { &[THREAD_CACHE_TUNABLE] };
    let current = std::env::var(ENV).ok();
    let Some(tunables) = tunables_with(current.as_deref(), wanted) else {
        let ours = current.as_deref().is_some_and(|c| c.split(':').any(|t| t == TUNABLE));
        return Ok(match (huge_pages, thp, ours) {
            (false, ..) => HeapPages::Small,
            (true, false, _) => HeapPages::KernelOff,
            (true, true, true) => HeapPages::Huge,
            (true, true, false) => HeapPages::OperatorSet,
        });
    };
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_else(|| OsString::from("dmscd"));
    let rest: Vec<OsString> = args.collect();
    // The binary's own path, not `/proc/self/exe`: the kernel names the process
    // (`comm`: `ps`, `pidof dmscd`, `top`) after the executed file's name.
    // `/proc/self/exe` only if the path is gone (binary replaced while running).
    let exe = std::env::current_exe().ok().filter(|p| p.is_file()).unwrap_or_else(|| "/proc/self/exe".into());
    let err = std::process::Command::new(exe).arg0(arg0).args(rest).env(ENV, tunables).exec();
    Err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tunables_are_added_once_and_the_operator_wins() {
        let both = [TUNABLE, THREAD_CACHE_TUNABLE];
        let all = "glibc.malloc.hugetlb=1:glibc.malloc.tcache_count=16384";
        assert_eq!(tunables_with(None, &both).as_deref(), Some(all));
        assert_eq!(tunables_with(Some(""), &both).as_deref(), Some(all));
        assert_eq!(
            tunables_with(Some("glibc.malloc.arena_max=2"), &both).as_deref(),
            Some("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1:glibc.malloc.tcache_count=16384")
        );
        assert_eq!(tunables_with(Some(all), &both), None);
        // The operator's value of either stays; only the other is added.
        assert_eq!(
            tunables_with(Some("a=1:glibc.malloc.hugetlb=0"), &both).as_deref(),
            Some("a=1:glibc.malloc.hugetlb=0:glibc.malloc.tcache_count=16384")
        );
        assert_eq!(
            tunables_with(Some("glibc.malloc.tcache_count=7"), &both).as_deref(),
            Some("glibc.malloc.tcache_count=7:glibc.malloc.hugetlb=1")
        );
        // A tunable whose name only starts like a wanted one does not count as set.
        assert_eq!(
            tunables_with(Some("glibc.malloc.hugetlbx=1"), &[TUNABLE]).as_deref(),
            Some("glibc.malloc.hugetlbx=1:glibc.malloc.hugetlb=1")
        );
        // Small pages: only the thread cache.
        assert_eq!(tunables_with(Some(all), &[THREAD_CACHE_TUNABLE]), None);
        assert_eq!(tunables_with(None, &[THREAD_CACHE_TUNABLE]).as_deref(), Some("glibc.malloc.tcache_count=16384"));
    }
}
