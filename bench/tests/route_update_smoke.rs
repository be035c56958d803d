//! Smoke run of `route-update-report`: a small FIB, a short served churn and a
//! few batches handled without the transport. The binary itself checks that
//! every batch changed every route it carried (install and steps) and that the
//! churn had no error; this test checks that it ran under dmscd's heap
//! tunables, printed its table row with a positive route rate, and removed its
//! socket directory.

const HARNESS: &str = env!("CARGO_BIN_EXE_route-update-report");

#[test]
fn route_update_smoke_run_changes_every_route() {
    let child = std::process::Command::new(HARNESS)
        .args(["--fib", "20000", "--components", "6", "--batch", "100", "--seconds", "0.5"])
        .args(["--runs", "2", "--step-batches", "5"])
        .env_remove("GLIBC_TUNABLES")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running route-update-report");
    // The binary re-executes itself (same pid): its socket directory is named after it.
    let dir = std::env::temp_dir().join(format!("dmsc-route-update-{}", child.id()));
    let out = child.wait_with_output().expect("route-update-report output");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "exit {:?}\n{stdout}\n{stderr}", out.status);
    assert!(stderr.contains("glibc.malloc.tcache_count=16384"), "not under dmscd's heap tunables:\n{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("run ")).count(), 2, "{stderr}");
    let row = stdout.lines().find(|l| l.starts_with("| 100 |")).unwrap_or_else(|| panic!("no table row:\n{stdout}"));
    let rps: f64 = row.split('|').nth(2).and_then(|c| c.trim().parse().ok()).unwrap_or_else(|| panic!("{row}"));
    assert!(rps > 0.0, "{row}");
    assert!(!dir.exists(), "{} left behind", dir.display());
}
