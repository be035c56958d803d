//! Shared EAL arguments for the integration tests. Each test file is its own process and
//! holds exactly one `#[test]`, because DPDK allows one `rte_eal_init` per process.

/// Test EAL options: no hugepages, never probe PCI (the host's NIC must not be touched),
/// a per-process file prefix and no shared config (no clash with other test processes;
/// `--in-memory` cannot be used because `--no-huge` implies `--legacy-mem`), quiet logs,
/// plus `extra`.
pub fn eal_args(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "--no-huge".into(),
        "--no-pci".into(),
        "-m".into(),
        "256".into(),
        format!("--file-prefix=dpdk-test-{}", std::process::id()),
        "--no-shconf".into(),
        "--log-level=*:warning".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// A per-process scratch path under the system temp dir.
#[allow(dead_code)]
pub fn scratch(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("dpdk-test-{}-{name}", std::process::id()))
}

/// Remove the (empty) runtime directory EAL leaves under /var/run/dpdk (root) or
/// $XDG_RUNTIME_DIR/dpdk for the per-process file prefix.
#[allow(dead_code)]
pub fn remove_runtime_dir() {
    let prefix = format!("dpdk-test-{}", std::process::id());
    let base = std::env::var("XDG_RUNTIME_DIR").ok().filter(|_| !is_root()).unwrap_or_else(|| "/var/run".to_string());
    let _ = std::fs::remove_dir_all(std::path::Path::new(&base).join("dpdk").join(prefix));
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}
