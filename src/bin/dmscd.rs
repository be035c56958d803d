//! `dmscd`: the DMSC Service Router / Service Gateway daemon.
//!
//! `dmscd run --config FILE` runs the appliance until SIGINT/SIGTERM, printing
//! the counters table periodically and at shutdown. `dmscd check-config FILE`
//! validates a configuration and names the line and field of each error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use dmsc::router::{self, RunOptions};

#[derive(Parser)]
#[command(name = "dmscd", version, about = "DMSC Service Router / Service Gateway on DPDK")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the router.
    Run {
        /// Configuration file (TOML; see config/README.md).
        #[arg(long, short)]
        config: PathBuf,
        /// Stop once no frame has arrived for this many milliseconds, after
        /// at least one did (for finite inputs such as pcap files).
        #[arg(long, value_name = "MS")]
        exit_when_idle_ms: Option<u64>,
        /// Stop after this many seconds.
        #[arg(long, value_name = "S")]
        duration_s: Option<f64>,
        /// Also write the final counters as JSON to this file.
        #[arg(long, value_name = "FILE")]
        stats_json: Option<PathBuf>,
        /// Log level when RUST_LOG is not set.
        #[arg(long, default_value = "info")]
        log: String,
        /// Keep the heap (and so the FIB) in 4 KiB pages: do not add glibc's
        /// `glibc.malloc.hugetlb=1` tunable when re-executing (see `dmsc::heap`).
        #[arg(long)]
        small_pages: bool,
    },
    /// Validate a configuration file.
    CheckConfig {
        /// Configuration file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::CheckConfig { file } => match dmsc_config::load(&file) {
            Ok(cfg) => {
                println!(
                    "{}: ok ({} {}, {} ports, {} routes, lcores {:?})",
                    file.display(),
                    match cfg.node.role {
                        dmsc_config::Role::Sr => "SR",
                        dmsc_config::Role::Sg => "SG",
                    },
                    cfg.node.name,
                    cfg.ports.len(),
                    cfg.routes.len(),
                    cfg.dataplane.lcores
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        Cmd::Run { config, exit_when_idle_ms, duration_s, stats_json, log, small_pages } => {
            // Returns only when no re-execution is needed (or it failed).
            let heap = dmsc::heap::reexec_with_heap_tunables(!small_pages);
            dmsc::init_logging(&log);
            let tunables = std::env::var(dmsc::heap::ENV).unwrap_or_default();
            match heap {
                Ok(dmsc::heap::HeapPages::Small) => tracing::info!(%tunables, "heap in 4 KiB pages (--small-pages)"),
                Ok(dmsc::heap::HeapPages::Huge) => tracing::info!(%tunables, "heap in transparent huge pages"),
                Ok(dmsc::heap::HeapPages::OperatorSet) => {
                    tracing::info!(%tunables, "heap pages as GLIBC_TUNABLES sets them")
                }
                Ok(dmsc::heap::HeapPages::KernelOff) => {
                    tracing::info!(thp = ?dmsc::heap::thp_mode(), %tunables, "transparent huge pages are off in the kernel: heap in 4 KiB pages")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "re-executing with the heap tunables failed: glibc's defaults, 4 KiB pages")
                }
            }
            match run(&config, exit_when_idle_ms, duration_s, stats_json) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("dmscd: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn run(
    config: &std::path::Path,
    idle_ms: Option<u64>,
    duration_s: Option<f64>,
    stats_json: Option<PathBuf>,
) -> Result<()> {
    let cfg = dmsc_config::load(config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let opts = RunOptions {
        exit_when_idle: idle_ms.map(Duration::from_millis),
        duration: duration_s.map(Duration::from_secs_f64),
        stats_json: stats_json.clone(),
    };
    let report = router::run(&cfg, &opts)?;
    println!("{}", report.table());
    if let Some(path) = stats_json {
        std::fs::write(&path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
