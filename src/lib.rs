//! The `dmscd` router daemon and the `dmsc` operator tool.
//!
//! * [`heap`]: transparent huge pages for the heap (the FIB).
//! * [`isolation`]: whether the host keeps its own work off the lcores' CPUs.
//! * [`router`]: start-up, run and shutdown of one router process.
//! * [`stats`]: counter tables and JSON reports.
//! * [`traffic`]: DMSC traffic generation and decoding (pcap files).
//! * [`link`]: sending and capturing frames on Linux interfaces.
//! * [`netns`]: taps moved into network namespaces (pods).
//! * [`show`]: the management API client (`dmsc show`, `dmsc route`).
//! * [`topo`]: many routers on one machine (`dmsc topo up|down`).
#![forbid(unsafe_code)]

pub mod heap;
pub mod isolation;
pub mod link;
pub mod netns;
pub mod router;
pub mod show;
pub mod stats;
pub mod topo;
pub mod traffic;

/// Sets up `tracing` output on stderr; `RUST_LOG` overrides `default`.
pub fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
