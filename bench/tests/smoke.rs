//! Smoke test of the throughput harness: `throughput --smoke` runs the whole chain
//! (testpmd generator and sink, dmscd, then the testpmd baseline) for about a second
//! each with a 10^3-prefix FIB, and fails unless packets flowed end to end and the
//! counters add up (generator sent = router received; router sent = sink received,
//! within one ring of packets in flight). No timing is asserted.
//!
//! Needs root, DPDK 22.11 with `dpdk-testpmd` and the memif, pcap and null drivers, two
//! cores, and `dmscd`/`dmsc` built next to the harness (`cargo test --workspace` builds
//! them: the root package's integration tests need them). The harness runs in its own
//! process group, killed as a whole (by that group's id) if it overruns; its scratch
//! directory (memif sockets) and the EAL runtime directories it created must be gone
//! afterwards.

mod common;

use std::path::{Path, PathBuf};

const HARNESS: &str = env!("CARGO_BIN_EXE_throughput");

#[test]
fn smoke_run_counters_add_up() {
    let bin_dir = common::bin_dir(HARNESS, &["dmscd", "dmsc"]);
    let work = PathBuf::from(format!("/tmp/dmsc-throughput-smoke-{}", std::process::id()));
    let r = common::run(HARNESS, &["--smoke", "--fib", "1000", "--flows", "16"], &bin_dir, &work);
    let (status, stdout, stderr, pid) = (r.status, r.stdout, r.stderr, r.pid);
    assert!(status.success(), "harness failed ({status}):\n{stderr}\n{stdout}");
    // The report names both routers and a ratio; the per-run line shows the counters.
    assert!(stdout.contains("dmscd ") && stdout.contains("testpmd mac fwd") && stdout.contains("ratio"), "{stdout}");
    assert!(stderr.contains("run 1 Dmscd (") && stderr.contains("run 1 Testpmd ("), "{stderr}");
    assert!(!work.exists(), "scratch directory {} left behind", work.display());
    for prefix in ["gen", "fwd", "dmscd"] {
        let dir = Path::new("/var/run/dpdk").join(format!("dmsc-tp-{pid}-{prefix}"));
        assert!(!dir.exists(), "EAL runtime directory {} left behind", dir.display());
    }
}
