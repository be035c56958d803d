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

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HARNESS: &str = env!("CARGO_BIN_EXE_throughput");
const LIMIT: Duration = Duration::from_secs(120);

#[test]
fn smoke_run_counters_add_up() {
    let bin_dir = Path::new(HARNESS).parent().expect("harness directory").to_path_buf();
    for bin in ["dmscd", "dmsc"] {
        assert!(
            bin_dir.join(bin).is_file(),
            "{} missing: run `cargo test --workspace` (or `cargo build --bin dmscd --bin dmsc`) first",
            bin_dir.join(bin).display()
        );
    }
    let work = PathBuf::from(format!("/tmp/dmsc-throughput-smoke-{}", std::process::id()));
    let mut child = Command::new(HARNESS)
        .args(["--smoke", "--fib", "1000", "--flows", "16", "--bin-dir"])
        .arg(&bin_dir)
        .arg("--work-dir")
        .arg(&work)
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the harness");
    let pid = child.id();
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("waiting for the harness") {
            break st;
        }
        if start.elapsed() > LIMIT {
            // The harness, testpmd and dmscd share the process group `pid`.
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]).status();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&work);
            panic!("harness still running after {LIMIT:?}: killed its process group");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().expect("harness output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
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
