//! Smoke test of the latency harness: `latency --smoke` starts dmscd (10^3-prefix FIB)
//! between two memif links of its own DPDK process, sends a short full-blast trial and a
//! 100 kpps trial, and fails unless packets flowed end to end, `sent = received + lost`
//! (by two independent counts), every latency is positive and under 1 s, and its port
//! counters match dmscd's. No timing is asserted.
//!
//! Needs root, DPDK 22.11 with the memif driver, two cores, and `dmscd` built next to the
//! harness (`cargo build --bin dmscd` into the same target directory; `cargo test
//! --workspace` builds it). The harness runs in its own process group, killed as a whole
//! (by that group's id) if it overruns; afterwards its scratch directory (memif sockets),
//! its EAL runtime directories and its dmscd must be gone.

mod common;

use std::path::{Path, PathBuf};

const HARNESS: &str = env!("CARGO_BIN_EXE_latency");

#[test]
fn latency_smoke_counters_add_up_and_nothing_is_left() {
    let bin_dir = common::bin_dir(HARNESS, &["dmscd"]);
    let work = PathBuf::from(format!("/tmp/dmsc-latency-smoke-{}", std::process::id()));
    let r = common::run(HARNESS, &["--smoke", "--fib", "1000", "--flows", "4"], &bin_dir, &work);
    let (status, stdout, stderr, pid, dmscd_seen) = (r.status, r.stdout, r.stderr, r.pid, r.children);
    assert!(status.success(), "harness failed ({status}):\n{stderr}\n{stdout}");
    assert!(stdout.contains("smoke: ok"), "{stdout}");
    assert!(stdout.contains("full blast: ") && stdout.contains("100000 pps: "), "{stdout}");
    assert!(stdout.contains("counters: generator sent"), "{stdout}");
    assert!(!dmscd_seen.is_empty(), "dmscd was never seen running as the harness's child");
    // Nothing left: processes of the group, scratch directory (memif sockets), EAL dirs.
    let left = common::group_members(pid);
    assert!(left.is_empty(), "processes left in the harness's group: {left:?}");
    for p in &dmscd_seen {
        assert!(!Path::new(&format!("/proc/{p}")).exists(), "child {p} still exists");
    }
    assert!(!work.exists(), "scratch directory {} left behind", work.display());
    for tag in ["gen", "dmscd"] {
        for base in ["/var/run/dpdk", "/run/dpdk"] {
            let dir = Path::new(base).join(format!("dmsc-lat-{pid}-{tag}"));
            assert!(!dir.exists(), "EAL runtime directory {} left behind", dir.display());
        }
    }
}
