//! Build script of the `dmsc` package (binaries `dmscd` and `dmsc`).
//!
//! # What the binaries need to link DPDK and load its drivers
//!
//! Checked rather than assumed (DPDK 22.11, Debian 12, dev and release profiles, the latter
//! with thin LTO and panic=abort):
//!
//! * Linking needs nothing here: `dpdk-sys` emits the `rustc-link-lib` lines that
//!   pkg-config gives for `libdpdk` (shared libraries).
//! * Debian builds every driver as an EAL plugin in `RTE_EAL_PMD_PATH`
//!   (`/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0`): not only net_tap/net_pcap/net_memif/
//!   net_null/net_ring, but also the vdev bus and the `ring_mp_mc` mempool driver that
//!   every pktmbuf pool uses. `rte_eal_init` loads that whole directory if
//!   `dlopen("librte_eal.so.23", RTLD_NOLOAD)` succeeds, i.e. if EAL is linked dynamically.
//! * A binary that calls `dpdk::Eal::init` references `rte_eal_init`, so rustc's default
//!   `-Wl,--as-needed` keeps `librte_eal.so.23` in `DT_NEEDED`: no `--no-as-needed`, no
//!   `-d DIR` and no rpath are needed (`readelf -d` shows librte_eal, librte_ethdev and
//!   librte_mempool; the `ffi/dpdk/tests/vdev_plugins.rs` test creates all five vdevs).
//!
//! # What this script does
//!
//! 1. Exports the plugin directory as `DMSC_DPDK_PMD_DIR` (compile-time env of the
//!    binaries, for diagnostics such as `--version`; at run time `dpdk::pmd_dir()` gives
//!    the same path from the headers `dpdk-sys` was built against). Passing it to EAL as
//!    `-d DIR` is only needed if the plugins are moved elsewhere.
//! 2. Warns at build time, naming the Debian package, when a driver plugin the appliance
//!    relies on is missing, instead of leaving it to a "failed to find driver" at
//!    `rte_eal_init` (it is a warning because build and run hosts may differ).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Plugins the appliance needs: the vdev bus, the default mempool driver, and the
/// virtual NICs the configurations use.
const REQUIRED_PLUGINS: &[&str] = &[
    "librte_bus_vdev",
    "librte_mempool_ring",
    "librte_net_ring",
    "librte_net_null",
    "librte_net_tap",
    "librte_net_pcap",
    "librte_net_memif",
];

fn main() {
    // Only this file and the pkg-config environment decide the output.
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    let Some(pmd_dir) = pmd_dir() else {
        // dpdk-sys fails the build with a clear message in this case; keep env!() working.
        println!("cargo:warning=could not read RTE_EAL_PMD_PATH via `pkg-config --cflags-only-I libdpdk`");
        println!("cargo:rustc-env=DMSC_DPDK_PMD_DIR=");
        return;
    };
    println!("cargo:rustc-env=DMSC_DPDK_PMD_DIR={}", pmd_dir.display());

    // Debian names the package of `librte_net_tap` in ABI 23 `librte-net-tap23`.
    let abi = pmd_dir
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("pmds-"))
        .and_then(|v| v.split('.').next())
        .unwrap_or("")
        .to_string();
    let installed: Vec<String> = std::fs::read_dir(&pmd_dir)
        .map(|dir| dir.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    for plugin in REQUIRED_PLUGINS {
        let prefix = format!("{plugin}.so");
        if !installed.iter().any(|f| f.starts_with(&prefix)) {
            println!(
                "cargo:warning=DPDK driver plugin {plugin} not found in {}: install the Debian package {}{abi}",
                pmd_dir.display(),
                plugin.replace('_', "-"),
            );
        }
    }
}

/// `RTE_EAL_PMD_PATH` from `rte_build_config.h` in one of pkg-config's include directories.
/// (The root package has no build-dependencies, so this runs the pkg-config tool itself.)
fn pmd_dir() -> Option<PathBuf> {
    let tool = std::env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let out = Command::new(tool).args(["--cflags-only-I", "libdpdk"]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let flags = String::from_utf8(out.stdout).ok()?;
    flags.split_whitespace().filter_map(|f| f.strip_prefix("-I")).find_map(|dir| {
        let header = std::fs::read_to_string(Path::new(dir).join("rte_build_config.h")).ok()?;
        header.lines().find_map(|line| {
            let value = line.trim().strip_prefix("#define RTE_EAL_PMD_PATH")?;
            Some(PathBuf::from(value.trim().trim_matches('"')))
        })
    })
}
