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

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HARNESS: &str = env!("CARGO_BIN_EXE_latency");
const LIMIT: Duration = Duration::from_secs(120);

/// Processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else { continue };
        // Fields after the command name (in parentheses): state, ppid, pgrp ...
        let rest = stat.rfind(')').map(|i| &stat[i + 2..]).unwrap_or("");
        if rest.split_whitespace().nth(1).and_then(|x| x.parse::<u32>().ok()) == Some(pid) {
            out.push(p);
        }
    }
    out
}

/// Processes in process group `pgid`.
fn group_members(pgid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else { continue };
        let rest = stat.rfind(')').map(|i| &stat[i + 2..]).unwrap_or("");
        if rest.split_whitespace().nth(2).and_then(|x| x.parse::<u32>().ok()) == Some(pgid) {
            out.push(p);
        }
    }
    out
}

#[test]
fn latency_smoke_counters_add_up_and_nothing_is_left() {
    let bin_dir = Path::new(HARNESS).parent().expect("harness directory").to_path_buf();
    assert!(
        bin_dir.join("dmscd").is_file(),
        "{} missing: run `cargo build --bin dmscd` (same profile and target dir) first",
        bin_dir.join("dmscd").display()
    );
    let work = PathBuf::from(format!("/tmp/dmsc-latency-smoke-{}", std::process::id()));
    let mut child = Command::new(HARNESS)
        .args(["--smoke", "--fib", "1000", "--flows", "4", "--bin-dir"])
        .arg(&bin_dir)
        .arg("--work-dir")
        .arg(&work)
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the harness");
    let pid = child.id();
    // Read the pipes on threads so that a chatty harness never blocks on a full pipe.
    let mut so = child.stdout.take().expect("stdout");
    let mut se = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut so, &mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut se, &mut s);
        s
    });
    let start = Instant::now();
    let mut dmscd_seen = Vec::new();
    let status = loop {
        // Remember dmscd's pid while it runs, to check it is gone afterwards.
        for c in children_of(pid) {
            if !dmscd_seen.contains(&c) {
                dmscd_seen.push(c);
            }
        }
        if let Some(st) = child.try_wait().expect("waiting for the harness") {
            break st;
        }
        if start.elapsed() > LIMIT {
            // The harness and dmscd share the process group `pid`.
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]).status();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&work);
            panic!("harness still running after {LIMIT:?}: killed its process group");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out_t.join().unwrap_or_default();
    let stderr = err_t.join().unwrap_or_default();
    assert!(status.success(), "harness failed ({status}):\n{stderr}\n{stdout}");
    assert!(stdout.contains("smoke: ok"), "{stdout}");
    assert!(stdout.contains("full blast: ") && stdout.contains("100000 pps: "), "{stdout}");
    assert!(stdout.contains("counters: generator sent"), "{stdout}");
    assert!(!dmscd_seen.is_empty(), "dmscd was never seen running as the harness's child");
    // Nothing left: processes of the group, scratch directory (memif sockets), EAL dirs.
    let left = group_members(pid);
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
