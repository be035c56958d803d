//! Smoke test of the convergence harness: one short run of `convergence` on the
//! draft's Figure 2 (seven dmscd processes, pods in namespaces), SR1 killed
//! mid-stream. Fails unless the stream flowed before the failure (the run is
//! valid), every frame is accounted for (received + lost = sent) and the
//! harness left no namespace, run directory or EAL runtime directory behind.
//! No timing is asserted: the convergence figure is for docs/performance.md.
//!
//! Needs root, DPDK 22.11 (memif, tap) and `dmscd`/`dmsc` built next to the
//! harness (`cargo test --workspace` builds them).

mod common;

use std::path::PathBuf;

const HARNESS: &str = env!("CARGO_BIN_EXE_convergence");

#[test]
fn smoke_run_accounts_for_every_frame() {
    let bin_dir = common::bin_dir(HARNESS, &["dmscd", "dmsc"]);
    let work = PathBuf::from(format!("/tmp/dmsc-convergence-smoke-{}", std::process::id()));
    let topology = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../config/examples/figure2/topology.toml");
    let args = ["--topology", topology.to_str().unwrap(), "--runs", "1", "--before-ms", "600", "--after-ms", "900"];
    let r = common::run(HARNESS, &args, &bin_dir, &work);
    assert!(r.status.success(), "harness failed ({}):\n{}\n{}", r.status, r.stderr, r.stdout);
    // "  1    30000    29800    200 ... yes"
    let line = r.stdout.lines().find(|l| l.trim_start().starts_with("1 ")).unwrap_or_else(|| panic!("{}", r.stdout));
    let f: Vec<&str> = line.split_whitespace().collect();
    let (sent, recv, lost): (usize, usize, usize) =
        (f[1].parse().unwrap(), f[2].parse().unwrap(), f[3].parse().unwrap());
    assert_eq!(sent, 30_000, "{line}");
    assert_eq!(recv + lost, sent, "{line}");
    assert!(recv > 0 && line.trim_end().ends_with("yes"), "{line}");
    assert!(r.stdout.contains("convergence (lost / offered rate): median"), "{}", r.stdout);
    assert!(!work.exists(), "work directory {} left behind", work.display());
    let name = format!("cv{}", r.pid % 100_000);
    let ns =
        String::from_utf8(std::process::Command::new("ip").args(["netns", "list"]).output().unwrap().stdout).unwrap();
    assert!(!ns.contains(&format!("dmsc-{name}-")), "namespaces left behind: {ns}");
    for router in ["sr1", "sr2", "sr3", "sg1", "sg2", "sg3", "sg4"] {
        let dir = format!("/var/run/dpdk/dmsc-{name}-{router}");
        assert!(!std::path::Path::new(&dir).exists(), "EAL runtime directory {dir} left behind");
    }
}
