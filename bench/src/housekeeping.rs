//! Keeping the kernel's threads and other processes off the router's core for the
//! length of a benchmark (`--housekeeping-core N` of `bench/latency` and
//! `bench/throughput`).
//!
//! Why: a polling lcore owns its core only if nothing else is scheduled there. On the
//! 2-vCPU test VM, `perf sched record -C 1` during a 50 % trial showed the RCU
//! grace-period thread `rcu_preempt` taking the lcore's core for 2.5–6.3 ms about once
//! a second, `kdamond.0` (DAMON) and unbound kworkers ~2 ms at a time, and, with those
//! moved, another process (the machine's agent) 3.5–4.5 ms at a time: at 5 Mpps a 4-ms
//! stall is 20,000 packets, more than a 16k memif ring holds. A production host keeps
//! them away at boot (`isolcpus=`, `nohz_full=`, `rcu_nocbs=`, systemd's
//! `CPUAffinity=`, or tuned's `cpu-partitioning` profile, which sets all of these:
//! docs/operations.md, "Performance tuning"); a shared test machine cannot be rebooted
//! for a benchmark, so the harness does at run time what those do: every thread of the
//! machine that may run on more than one CPU (kernel threads, other processes' threads;
//! not this process's, whose threads DPDK pins) is restricted to the housekeeping core,
//! and so is the unbound-workqueue CPU mask (`/sys/devices/virtual/workqueue/cpumask`).
//! Threads pinned to one CPU — per-CPU kernel threads (`kworker/1:*`, `ksoftirqd/1`,
//! `migration/1`) and any other program's pinned threads — are left alone.
//!
//! [`Housekeeping`] is a guard: dropping it (normal exit, error, SIGINT/SIGTERM, which
//! the harnesses turn into a normal exit, or a panic) puts every affinity and the mask
//! back as they were. A SIGKILLed harness cannot; the affinities it changed are printed
//! when they are changed so that they can be restored by hand (`taskset -pc LIST TID`).
//!
//! Rejected: moving the harness's work instead (it already has its own core); a kernel
//! command line (needs a reboot, and changes every other job on the machine for good);
//! `SCHED_FIFO` for the lcore (the kernel's fair server then still takes up to 50 ms a
//! second for the starved threads, in one piece).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};

/// The unbound workqueues' CPU mask (hexadecimal CPU bitmap).
const WORKQUEUE_CPUMASK: &str = "/sys/devices/virtual/workqueue/cpumask";

/// The harnesses' option.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct HousekeepingArgs {
    /// For the length of the run, restrict every thread that may run on more than one
    /// CPU (kernel threads such as `rcu_preempt`, `kcompactd0`, `kdamond`; other
    /// processes' threads; not this harness's) and the unbound workqueues to this core,
    /// keeping them off the router's core; everything is put back at exit. What
    /// `isolcpus=`/`rcu_nocbs=` or tuned's `cpu-partitioning` do on a production host
    /// (docs/performance.md, "Kernel threads on the lcore's core"). Default: leave them.
    #[arg(long)]
    pub housekeeping_core: Option<usize>,
}

impl HousekeepingArgs {
    /// Applies the option (see [`Housekeeping::move_to`]) and prints what it moved;
    /// `None` without the option. Keep the guard until the run ends.
    ///
    /// # Errors
    /// As [`Housekeeping::move_to`].
    pub fn apply(&self, router_core: usize) -> Result<Option<Housekeeping>> {
        let Some(core) = self.housekeeping_core else { return Ok(None) };
        let hk = Housekeeping::move_to(core, router_core)?;
        eprintln!("{}", hk.describe());
        Ok(Some(hk))
    }
}

/// A thread moved to the housekeeping core.
#[derive(Debug, Clone)]
struct Moved {
    tid: u32,
    /// Its process's name (`comm` of the thread group leader).
    process: String,
    kernel: bool,
    /// `Cpus_allowed_list` before.
    allowed: String,
}

/// Threads restricted to one core, and the workqueue mask, until dropped.
#[derive(Debug)]
pub struct Housekeeping {
    core: usize,
    moved: Vec<Moved>,
    /// The workqueue mask before, if it was changed.
    workqueue_mask: Option<String>,
}

impl Housekeeping {
    /// Restricts to `core` every thread of the machine that may run on `keep_off` and
    /// on some other CPU — kernel threads and other processes' threads, this process's
    /// excepted — and the unbound workqueues. Threads pinned to one CPU (per-CPU kernel
    /// threads, another DPDK program's lcores) are left alone. Processes started during
    /// the run by a moved process inherit the housekeeping core and keep it.
    ///
    /// # Errors
    /// `core == keep_off`, `core` offline, or a thread or the mask could not be read or
    /// changed (everything changed up to then is put back first).
    pub fn move_to(core: usize, keep_off: usize) -> Result<Housekeeping> {
        ensure!(core != keep_off, "the housekeeping core {core} is the router's core");
        let online = cpu_set(&std::fs::read_to_string("/sys/devices/system/cpu/online")?)?;
        ensure!(online.contains(&core), "housekeeping core {core} is not online ({online:?})");
        let mut hk = Housekeeping { core, moved: Vec::new(), workqueue_mask: None };
        for t in tasks(std::process::id())? {
            let Some(allowed) = cpus_allowed(t.pid, t.tid) else { continue }; // exited meanwhile
            let set = cpu_set(&allowed)?;
            if !is_movable(&set, keep_off) {
                continue;
            }
            match set_affinity(t.tid, &core.to_string()) {
                Ok(()) => hk.moved.push(Moved { tid: t.tid, process: t.process, kernel: t.kernel, allowed }),
                // Threads flagged PF_NO_SETAFFINITY refuse (EINVAL); exited ones vanish.
                Err(_) if cpus_allowed(t.pid, t.tid).map_or(true, |a| a == allowed) => {}
                Err(e) => return Err(e),
            }
        }
        if Path::new(WORKQUEUE_CPUMASK).exists() {
            let before = std::fs::read_to_string(WORKQUEUE_CPUMASK)?.trim().to_owned();
            std::fs::write(WORKQUEUE_CPUMASK, cpu_mask_hex(core))
                .with_context(|| format!("writing {WORKQUEUE_CPUMASK}"))?;
            hk.workqueue_mask = Some(before);
        }
        Ok(hk)
    }

    /// One line for the report: what was moved, and how to undo it by hand.
    pub fn describe(&self) -> String {
        let kernel: Vec<&str> = self.moved.iter().filter(|m| m.kernel).map(|m| m.process.as_str()).collect();
        let mut others: Vec<&str> = self.moved.iter().filter(|m| !m.kernel).map(|m| m.process.as_str()).collect();
        let other_threads = others.len();
        others.sort_unstable();
        others.dedup();
        let mut by_list: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for m in &self.moved {
            by_list.entry(m.allowed.as_str()).or_default().push(m.tid.to_string());
        }
        let undo: Vec<String> = by_list
            .iter()
            .map(|(list, tids)| format!("for t in {}; do taskset -pc {list} $t; done", tids.join(" ")))
            .collect();
        format!(
            "housekeeping: {} kernel threads ({}), {} threads of {} other processes ({}) and the unbound workqueues{} \
             moved to core {} until exit (by hand: {}{})",
            kernel.len(),
            kernel.join(", "),
            other_threads,
            others.len(),
            others.join(", "),
            if self.workqueue_mask.is_some() { "" } else { " (no mask)" },
            self.core,
            undo.join("; "),
            self.workqueue_mask.as_ref().map_or(String::new(), |m| format!("; echo {m} > {WORKQUEUE_CPUMASK}")),
        )
    }
}

impl Drop for Housekeeping {
    fn drop(&mut self) {
        for m in &self.moved {
            if let Err(e) = set_affinity(m.tid, &m.allowed) {
                // Exited threads need nothing; anything else is worth a line.
                if Path::new(&format!("/proc/{}", m.tid)).exists() {
                    eprintln!(
                        "housekeeping: could not restore thread {} of {} to CPUs {}: {e:#}",
                        m.tid, m.process, m.allowed
                    );
                }
            }
        }
        if let Some(mask) = &self.workqueue_mask {
            if let Err(e) = std::fs::write(WORKQUEUE_CPUMASK, mask) {
                eprintln!("housekeeping: could not restore {WORKQUEUE_CPUMASK} to {mask}: {e}");
            }
        }
    }
}

/// A thread may be moved if it may run on `keep_off` and on some other CPU (a thread
/// bound to one CPU is per-CPU work or pinned on purpose, and stays).
pub fn is_movable(allowed: &BTreeSet<usize>, keep_off: usize) -> bool {
    allowed.contains(&keep_off) && allowed.len() > 1
}

/// A kernel CPU list (`0-3,8,10-11`) as a set.
///
/// # Errors
/// What [`dpdk::parse_cpu_list`] refuses.
pub fn cpu_set(list: &str) -> Result<BTreeSet<usize>> {
    let cpus = dpdk::parse_cpu_list(list).with_context(|| format!("not a CPU list: {list:?}"))?;
    Ok(cpus.into_iter().collect())
}

/// The hexadecimal bitmap of one CPU, as the kernel's cpumask files take it
/// (groups of 32 bits separated by commas).
pub fn cpu_mask_hex(core: usize) -> String {
    let groups = core / 32;
    let mut s = format!("{:x}", 1u32 << (core % 32));
    for _ in 0..groups {
        s.push_str(",00000000");
    }
    s
}

/// A thread of the machine.
struct Task {
    pid: u32,
    tid: u32,
    process: String,
    /// `kthreadd` (pid 2) or one of its children.
    kernel: bool,
}

/// Every thread of every process but `except` (this process).
fn tasks(except: u32) -> Result<Vec<Task>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").context("reading /proc")?.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        if pid == except {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { continue };
        let field = |k: &str| status.lines().find_map(|l| l.strip_prefix(k)?.strip_prefix(':').map(str::trim));
        let kernel = pid == 2 || field("PPid") == Some("2");
        let process = field("Name").unwrap_or("?").to_owned();
        let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) else { continue };
        for t in threads.flatten() {
            if let Some(tid) = t.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) {
                out.push(Task { pid, tid, process: process.clone(), kernel });
            }
        }
    }
    Ok(out)
}

fn cpus_allowed(pid: u32, tid: u32) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:").map(|v| v.trim().to_owned()))
}

/// `taskset -pc LIST TID` (one thread: `sched_setaffinity` takes a thread id).
fn set_affinity(tid: u32, list: &str) -> Result<()> {
    let out = Command::new("taskset")
        .args(["-pc", list, &tid.to_string()])
        .output()
        .context("running taskset (util-linux)")?;
    if !out.status.success() {
        bail!("taskset -pc {list} {tid}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_become_sets() {
        assert_eq!(cpu_set("0-1\n").unwrap(), BTreeSet::from([0, 1]));
        assert_eq!(cpu_set("0,2-4,7").unwrap(), BTreeSet::from([0, 2, 3, 4, 7]));
        assert!(cpu_set("").unwrap().is_empty());
        assert!(cpu_set("3-1").is_err());
        assert!(cpu_set("a").is_err());
    }

    #[test]
    fn only_threads_allowed_elsewhere_too_are_moved() {
        assert!(is_movable(&BTreeSet::from([0, 1]), 1));
        assert!(!is_movable(&BTreeSet::from([1]), 1), "per-CPU thread of the router's core");
        assert!(!is_movable(&BTreeSet::from([0]), 1), "never on the router's core");
        assert!(!is_movable(&BTreeSet::from([0, 2]), 1));
    }

    #[test]
    fn masks_are_hex_bitmaps_in_32_bit_groups() {
        assert_eq!(cpu_mask_hex(0), "1");
        assert_eq!(cpu_mask_hex(1), "2");
        assert_eq!(cpu_mask_hex(5), "20");
        assert_eq!(cpu_mask_hex(31), "80000000");
        assert_eq!(cpu_mask_hex(33), "2,00000000");
    }
}
