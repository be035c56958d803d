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
//! logs or allocates anything that matters.
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
/// Environment variable glibc reads its tunables from.
pub const ENV: &str = "GLIBC_TUNABLES";

/// What [`reexec_with_huge_pages`] found.
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
}

/// The THP mode from `/sys/kernel/mm/transparent_hugepage/enabled`
/// (`always`, `madvise` or `never`), if readable.
pub fn thp_mode() -> Option<String> {
    let s = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").ok()?;
    let start = s.find('[')? + 1;
    let end = start + s[start..].find(']')?;
    Some(s[start..end].to_string())
}

/// `GLIBC_TUNABLES` with the hugetlb tunable added, or `None` if it already
/// sets `glibc.malloc.hugetlb` (to anything: the operator's choice wins).
pub fn tunables_with_huge_pages(current: Option<&str>) -> Option<String> {
    match current {
        None | Some("") => Some(TUNABLE.to_string()),
        Some(c) if c.split(':').any(|t| t.starts_with("glibc.malloc.hugetlb=")) => None,
        Some(c) => Some(format!("{c}:{TUNABLE}")),
    }
}

/// Re-executes this program with the hugetlb tunable unless it is already
/// set or the kernel has THP off. Returns only if no re-execution was needed.
///
/// # Errors
/// The `execve` error (then the process continues with 4 KiB pages; the
/// caller logs it).
pub fn reexec_with_huge_pages() -> std::io::Result<HeapPages> {
    if thp_mode().as_deref().map_or(true, |m| m == "never") {
        return Ok(HeapPages::KernelOff);
    }
    let current = std::env::var(ENV).ok();
    let Some(tunables) = tunables_with_huge_pages(current.as_deref()) else {
        let ours = current.as_deref().is_some_and(|c| c.split(':').any(|t| t == TUNABLE));
        return Ok(if ours { HeapPages::Huge } else { HeapPages::OperatorSet });
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
        assert_eq!(tunables_with_huge_pages(None).as_deref(), Some(TUNABLE));
        assert_eq!(tunables_with_huge_pages(Some("")).as_deref(), Some(TUNABLE));
        assert_eq!(
            tunables_with_huge_pages(Some("glibc.malloc.arena_max=2")).as_deref(),
            Some("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1")
        );
        assert_eq!(tunables_with_huge_pages(Some("glibc.malloc.hugetlb=1")), None);
        assert_eq!(tunables_with_huge_pages(Some("a=1:glibc.malloc.hugetlb=0")), None);
    }
}
