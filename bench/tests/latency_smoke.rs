//! Smoke test of the latency harness: `latency --smoke` starts dmscd (10^3-prefix FIB)
//! between two memif links of its own DPDK process, sends a short full-blast trial and a
//! 100 kpps trial, and fails unless packets flowed end to end, `sent = received + lost`
//! (by two independent counts), every latency is positive and under 1 s, and its port
//! counters match dmscd's. No timing is asserted.
//!
//! The second test adds FIB churn (`--churn 20000`): the churn set is installed through
//! dmscd's management API, and a third 100 kpps trial runs while its routes are replaced;
//! the harness fails unless the batches were answered, every replaced route changed a FIB
//! entry (the replies' `changed`, and dmscd's `fib_changes` counter equal to the install
//! plus the replacements), the probe route is an `api` route, frames came back with the
//! second next hop's MAC, and the counters add up as above. It also runs with
//! `--housekeeping-core 0` and fails unless every thread's CPU affinity (kernel threads,
//! other processes, this test's own) and the unbound-workqueue mask are as before once
//! the harness has exited.
//!
//! The two tests run one after the other (a lock): in parallel they would share the two
//! cores. Each has its own scratch directory; EAL file prefixes carry the harness's pid.
//!
//! Needs root, DPDK 22.11 with the memif driver, two cores, and `dmscd` built next to the
//! harness (`cargo build --bin dmscd` into the same target directory; `cargo test
//! --workspace` builds it). The harness runs in its own process group, killed as a whole
//! (by that group's id) if it overruns; afterwards its scratch directory (memif sockets),
//! its EAL runtime directories and its dmscd must be gone.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

const HARNESS: &str = env!("CARGO_BIN_EXE_latency");

/// One harness at a time (tests of one binary run in parallel).
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn latency_smoke_counters_add_up_and_nothing_is_left() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let r = smoke_run("plain", &["--smoke", "--fib", "1000", "--flows", "4"]);
    assert!(r.stdout.contains("full blast: ") && r.stdout.contains("100000 pps: "), "{}", r.stdout);
}

#[test]
fn latency_smoke_with_fib_churn() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = thread_affinities();
    let mask_before = std::fs::read_to_string(WORKQUEUE_CPUMASK).ok();
    let r = smoke_run(
        "churn",
        &["--smoke", "--fib", "1000", "--flows", "4", "--churn", "20000", "--housekeeping-core", "0"],
    );
    let out = &r.stdout;
    // The machine's threads were moved off the lcore's core for the run and put back.
    assert!(r.stderr.contains("housekeeping: ") && r.stderr.contains("moved to core 0"), "{}", r.stderr);
    let after = thread_affinities();
    let changed: Vec<_> = before.iter().filter(|(pid, list)| after.get(pid).is_some_and(|now| now != *list)).collect();
    assert!(changed.is_empty(), "threads not restored (tid, affinity before): {changed:?}");
    assert_eq!(std::fs::read_to_string(WORKQUEUE_CPUMASK).ok(), mask_before, "workqueue mask not restored");
    assert!(out.contains("100000 pps with churn: "), "{out}");
    // The harness checked these; the test checks that it printed them.
    assert!(out.contains("churn set: ") && out.contains("source api"), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("churn 20000 routes/s asked"))
        .unwrap_or_else(|| panic!("no churn summary:\n{out}"));
    assert!(line.contains(" 0 errors |"), "{line}");
    let check =
        out.lines().find(|l| l.starts_with("churn check: ")).unwrap_or_else(|| panic!("no churn check:\n{out}"));
    assert!(check.contains("fib_errors 0"), "{check}");
}

const WORKQUEUE_CPUMASK: &str = "/sys/devices/virtual/workqueue/cpumask";

/// `Cpus_allowed_list` of every thread of the machine, by thread id.
fn thread_affinities() -> std::collections::BTreeMap<u32, String> {
    let mut out = std::collections::BTreeMap::new();
    for p in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(tasks) = std::fs::read_dir(p.path().join("task")) else { continue };
        for t in tasks.flatten() {
            let Some(tid) = t.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
            let Ok(status) = std::fs::read_to_string(t.path().join("status")) else { continue };
            if let Some(list) = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")) {
                out.insert(tid, list.trim().to_owned());
            }
        }
    }
    out
}

/// Runs the harness with `args` in its own scratch directory, checks the common
/// outcome (success, counters printed, dmscd seen, nothing left behind), returns the run.
fn smoke_run(tag: &str, args: &[&str]) -> common::Run {
    let bin_dir = common::bin_dir(HARNESS, &["dmscd"]);
    let work = PathBuf::from(format!("/tmp/dmsc-latency-smoke-{tag}-{}", std::process::id()));
    let r = common::run(HARNESS, args, &bin_dir, &work);
    let (status, stdout, stderr, pid, dmscd_seen) = (&r.status, &r.stdout, &r.stderr, r.pid, &r.children);
    assert!(status.success(), "harness failed ({status}):\n{stderr}\n{stdout}");
    assert!(stdout.contains("smoke: ok"), "{stdout}");
    assert!(stdout.contains("counters: generator sent"), "{stdout}");
    assert!(!dmscd_seen.is_empty(), "dmscd was never seen running as the harness's child");
    // Nothing left: processes of the group, scratch directory (memif sockets), EAL dirs.
    let left = common::group_members(pid);
    assert!(left.is_empty(), "processes left in the harness's group: {left:?}");
    for p in dmscd_seen {
        assert!(!Path::new(&format!("/proc/{p}")).exists(), "child {p} still exists");
    }
    assert!(!work.exists(), "scratch directory {} left behind", work.display());
    for process in ["gen", "dmscd"] {
        for base in ["/var/run/dpdk", "/run/dpdk"] {
            let dir = Path::new(base).join(format!("dmsc-lat-{pid}-{process}"));
            assert!(!dir.exists(), "EAL runtime directory {} left behind", dir.display());
        }
    }
    r
}
