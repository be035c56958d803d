//! `throughput`: forwarding rate of `dmscd` against `dpdk-testpmd` on one machine, over
//! `net_memif` links (RFC 2544 style: fixed offered load from a replayed pcap, rate
//! measured at the sink after a warm-up).
//!
//! ```text
//!  core 0: testpmd (generator + sink)                core 1: router under test
//!  net_pcap (infinite_rx) --io--> net_memif A ======> p0  dmscd (or testpmd mac fwd)
//!  net_null (no-rx, counts) <--io-- net_memif B <====== p1
//! ```
//!
//! Each run starts the generator (memif servers), then the router (memif clients) pinned
//! to its own core, lets traffic flow for `--warmup-s`, reads testpmd's forward
//! statistics, waits `--measure-s`, reads them again: the rate is the packets that
//! arrived at the sink in between, divided by the harness's own clock. Runs alternate
//! dmscd and the testpmd baseline, so a noisy neighbour affects both, and the ratio is
//! taken within each run pair. The report gives median, min and max over `--runs`.
//!
//! After the measurement the generator is stopped first, then the router, so the
//! counters can be reconciled: what the generator sent into memif A = what the router
//! received; what the router sent = what reached the sink, within the packets still in
//! memif B's ring. `--smoke` does one short run of each and fails unless they add up.
//!
//! FIB churn (`--churn R`): a tenth of the FIB (`--churn-set`, always including the routes
//! the traffic hits) is installed through dmscd's management API rather than the routes
//! file (static routes would shadow API replacements; `dmsc_bench::churn`), and each
//! dmscd run measures two windows of `--measure-s`, without and with a client replacing
//! those routes at `R` routes/s (order alternating by run): the rate at full load with
//! and without churn in the same run, and the churn's achieved rate and publish times.
//!
//! Rejected: a shell script (testpmd's output must be parsed while it runs); pktgen-dpdk
//! (not packaged in Debian); kernel veth/tap links (the kernel, not the router, would be
//! the bottleneck).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use clap::Parser;
use dmsc_bench::churn::{self, ChurnSpec, ChurnSummary, Churner};
use dmsc_bench::housekeeping::HousekeepingArgs;
use dmsc_bench::testpmd::{port_stats, FwdStats, Testpmd};

/// Generator ports, in `--vdev` order.
const GEN_PCAP: u16 = 0;
const GEN_TO_ROUTER: u16 = 1;
const GEN_FROM_ROUTER: u16 = 2;
use dmsc_bench::latency::router::{self, cpu_ticks, tail, RouterCounters, CHURN_ALT_MAC, NEIGHBOR_MAC};
/// Packets that may sit in one memif ring (default `rsize=10`: 1024 slots) plus a burst.
const RING_SLACK: u64 = 1024 + 64;

#[derive(Parser, Debug, Clone)]
#[command(name = "throughput", about = "dmscd vs dpdk-testpmd forwarding rate over net_memif")]
struct Args {
    /// Prefixes in dmscd's FIB.
    #[arg(long, default_value_t = 1_000_000)]
    fib: usize,
    /// Components of every destination name (3..=16).
    #[arg(long, default_value_t = 8)]
    components: usize,
    /// Frame size in bytes, FCS excluded.
    #[arg(long, default_value_t = 64)]
    frame: usize,
    /// Flows (distinct destination names and flow labels).
    #[arg(long, default_value_t = 1)]
    flows: usize,
    /// Share of packets to unrouted names (dropped by dmscd as no_route; the testpmd
    /// baseline forwards them all).
    #[arg(long, default_value_t = 0.0)]
    miss_share: f64,
    /// Measured runs of each router (the report gives median, min, max).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Seconds of traffic before measuring.
    #[arg(long, default_value_t = 2.0)]
    warmup_s: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 5.0)]
    measure_s: f64,
    /// Core of the generator and sink testpmd.
    #[arg(long, default_value_t = 0)]
    gen_core: u32,
    /// Core of the router under test.
    #[arg(long, default_value_t = 1)]
    router_core: u32,
    /// Router memory: `no-huge` (`--no-huge -m 256`) or `huge` (`-m 200 --huge-unlink`,
    /// needs 100 free 2 MiB hugepages). The generator always runs with `--no-huge`.
    #[arg(long, default_value = "no-huge")]
    mem: String,
    /// Quick end-to-end check: small FIB, one short run of each router, counters must add up.
    #[arg(long)]
    smoke: bool,
    /// Only dmscd (no baseline).
    #[arg(long)]
    no_baseline: bool,
    /// dmscd's `dataplane.name_cache` (names in its lookup cache; 0 = off; default:
    /// dmscd's default, 65536).
    #[arg(long)]
    name_cache: Option<u32>,
    /// Start dmscd with `--small-pages` (its heap, and so the FIB, in 4 KiB pages
    /// instead of transparent huge pages).
    #[arg(long)]
    small_pages: bool,
    /// Directory with `dmscd` and `dmsc` (default: this program's directory).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Scratch directory (sockets, configuration, FIB, pcap, logs); removed at the end
    /// unless `--keep`.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Keep the scratch directory.
    #[arg(long)]
    keep: bool,
    /// Only write the FIB (`routes.txt`), destination names (`names.txt`), traffic
    /// (`traffic.pcap`) and dmscd configuration (`dmscd.toml`) into `--work-dir`, and exit.
    #[arg(long, requires = "work_dir")]
    prepare_only: bool,
    /// Before each run, wait up to this many seconds for the two cores to be quiet
    /// (under 10 % busy with other work over half a second); 0 = do not wait. The
    /// background load measured just before each run is printed either way.
    #[arg(long, default_value_t = 0.0)]
    quiet_wait_s: f64,
    // With `--churn`, every dmscd run also measures `--measure-s` with churn.
    #[command(flatten)]
    churn_opts: churn::ChurnArgs,
    #[command(flatten)]
    housekeeping: HousekeepingArgs,
}

/// The churn client and what it churns.
struct ChurnCtx {
    churner: Churner,
    /// A route the traffic hits.
    probe: String,
}

/// Routes per `UpdateRoutes` call when installing the churn set.
const INSTALL_BATCH: usize = 10_000;

/// One measured run of one router.
#[derive(Clone, Debug)]
struct Sample {
    /// Packets per second that arrived at the sink.
    sink_pps: f64,
    /// Packets per second the generator put into memif A.
    offered_pps: f64,
    /// Packets per second the generator could not put into memif A (ring full: the
    /// router is the bottleneck).
    refused_pps: f64,
    /// Share of a core the generator and the router processes got while measured
    /// (1.0 = never preempted), if readable.
    cpu: Option<(f64, f64)>,
    /// With `--churn` (dmscd only): the same run's window with churn.
    churn: Option<ChurnWindow>,
}

/// The churn window of a dmscd run.
#[derive(Clone, Debug)]
struct ChurnWindow {
    sink_pps: f64,
    offered_pps: f64,
    refused_pps: f64,
    summary: ChurnSummary,
}

impl Sample {
    /// Whether the generator, not the router, limited the run: the router took (almost)
    /// everything offered (under 1 % refused), so its rate is a lower bound.
    fn generator_bound(&self) -> bool {
        self.refused_pps < 0.01 * self.offered_pps
    }

    /// Whether neither process lost more than 5 % of its core to other work.
    fn clean(&self) -> bool {
        self.cpu.is_some_and(|(g, r)| g >= 0.95 && r >= 0.95)
    }
}

fn main() {
    let args = Args::parse();
    match run(args) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("throughput: {e:#}");
            std::process::exit(1);
        }
    }
}

fn run(mut args: Args) -> Result<()> {
    if args.smoke {
        args.fib = args.fib.min(10_000);
        args.runs = 1;
        args.warmup_s = 0.5;
        args.measure_s = 1.0;
    }
    ensure!((3..=16).contains(&args.components), "--components must be in 3..=16");
    ensure!(args.runs >= 1, "--runs must be at least 1");
    ensure!(args.fib >= 1, "--fib must be at least 1");
    let bin_dir = match &args.bin_dir {
        Some(d) => d.clone(),
        None => std::env::current_exe()?.parent().context("program directory")?.to_path_buf(),
    };
    check_prerequisites(&args, &bin_dir)?;
    // Restored when dropped, at the end of this function (also after SIGINT/SIGTERM).
    let _housekeeping = args.housekeeping.apply(args.router_core as usize)?;
    let work =
        args.work_dir.clone().unwrap_or_else(|| PathBuf::from(format!("/run/dmsc-bench/{}", std::process::id())));
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let result = bench(&args, &bin_dir, &work);
    cleanup_runtime_dirs();
    if !args.keep && !args.prepare_only {
        let _ = std::fs::remove_dir_all(&work);
        if args.work_dir.is_none() {
            // /run/dmsc-bench itself, if no other run is using it (fails when not empty).
            let _ = std::fs::remove_dir(work.parent().unwrap_or(&work));
        }
    }
    result
}

/// Checks what the harness needs and names everything missing at once.
fn check_prerequisites(args: &Args, bin_dir: &Path) -> Result<()> {
    let mut missing = Vec::new();
    for tool in ["dpdk-testpmd", "stdbuf"] {
        let found = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
            .unwrap_or(false);
        if !found {
            missing.push(format!("`{tool}` not in PATH (Debian: apt-get install dpdk coreutils)"));
        }
    }
    let pmd_dirs: Vec<PathBuf> =
        ["/usr/lib/x86_64-linux-gnu/dpdk", "/usr/lib/aarch64-linux-gnu/dpdk", "/usr/local/lib/dpdk"]
            .iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flat_map(|rd| rd.flatten().map(|e| e.path()))
            .collect();
    for pmd in ["librte_net_memif.so", "librte_net_pcap.so", "librte_net_null.so"] {
        if !pmd_dirs.iter().any(|d| d.join(pmd).exists()) {
            missing.push(format!("DPDK driver {pmd} not found (Debian: apt-get install dpdk; dpdk-dev)"));
        }
    }
    for bin in ["dmscd", "dmsc"] {
        if !bin_dir.join(bin).is_file() {
            missing.push(format!(
                "{} missing (build it: cargo build --release --bin dmscd --bin dmsc)",
                bin_dir.join(bin).display()
            ));
        }
    }
    let cores = std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(1);
    if args.gen_core == args.router_core {
        missing.push(format!("--gen-core and --router-core are both {}: they need a core each", args.gen_core));
    }
    for (what, c) in [("--gen-core", args.gen_core), ("--router-core", args.router_core)] {
        if c >= cores {
            missing.push(format!("{what} {c}: this process may use cores 0..{} only", cores.saturating_sub(1)));
        }
    }
    if args.mem == "huge" {
        let free = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| m.lines().find(|l| l.starts_with("HugePages_Free:")).map(str::to_owned))
            .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
            .unwrap_or(0);
        if free < 100 {
            missing.push(format!("--mem huge: {free} free 2 MiB hugepages, 100 needed (dpdk-hugepages.py --setup 512M), or use --mem no-huge"));
        }
    } else if args.mem != "no-huge" {
        missing.push(format!("--mem {}: expected huge or no-huge", args.mem));
    }
    if !missing.is_empty() {
        bail!("prerequisites missing:\n  - {}", missing.join("\n  - "));
    }
    Ok(())
}

fn router_mem_args(args: &Args) -> Vec<String> {
    if args.mem == "huge" {
        vec!["-m".into(), "200".into(), "--huge-unlink".into()]
    } else {
        vec!["--no-huge".into(), "-m".into(), "256".into()]
    }
}

fn tsc_hz() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("cpu MHz"))?;
    let mhz: f64 = line.split(':').nth(1)?.trim().parse().ok()?;
    Some(mhz * 1e6)
}

/// What [`prepare`] wrote.
struct Prepared {
    /// Frames in the pcap.
    frames: usize,
    /// The churn set (URI form), empty without `--churn`; not in the routes file.
    churn_set: Vec<String>,
    /// A route the traffic hits.
    probe: String,
}

/// Writes the FIB (routes file, without the churn set), the destination names and the pcap.
fn prepare(args: &Args, bin_dir: &Path, work: &Path) -> Result<Prepared> {
    let t = Instant::now();
    // Destination prefixes of components-1 components (`dmsc pcap gen` appends one per
    // flow): a route extended with filler components, so every one is a hit.
    let n_names = args.flows.clamp(1, args.fib);
    let flow_routes = router::flow_route_indices(args.fib, n_names);
    // `--prepare-only` writes the whole FIB into the routes file (nothing installs the
    // churn set through the API then).
    let churn_idx = if args.churn_opts.enabled() && !args.prepare_only {
        churn::churn_indices(args.fib, args.churn_opts.set_size(args.fib), &flow_routes)
    } else {
        Vec::new()
    };
    // The FIB benchmark's generator: routes `/svcNN/methodNN/tok/...` of depth
    // 2..components-1 (bench/src/fib.rs).
    let routes = router::write_routes_except(&work.join("routes.txt"), args.fib, args.components, &churn_idx)?;
    let mut names = String::new();
    for &r in &flow_routes {
        let mut name = routes[r].clone();
        let mut k = 0;
        while name.len() < args.components - 1 {
            name.push(format!("x{k}").as_bytes())?;
            k += 1;
        }
        writeln!(names, "{name}").expect("string write");
    }
    std::fs::write(work.join("names.txt"), names)?;
    let count = (args.flows * 2).max(1024);
    let status = Command::new(bin_dir.join("dmsc"))
        .args(["pcap", "gen", "--out"])
        .arg(work.join("traffic.pcap"))
        .arg("--names-file")
        .arg(work.join("names.txt"))
        .args(["--count", &count.to_string(), "--flows", &args.flows.to_string()])
        .args(["--sizes", &args.frame.to_string(), "--miss-share", &args.miss_share.to_string()])
        .status()
        .context("running dmsc pcap gen")?;
    ensure!(status.success(), "dmsc pcap gen failed");
    eprintln!(
        "prepared {} routes ({} of them for the API), {n_names} names, {count} frames of {} bytes in {:.1} s",
        routes.len(),
        churn_idx.len(),
        args.frame,
        t.elapsed().as_secs_f64()
    );
    Ok(Prepared {
        frames: count,
        churn_set: churn_idx.iter().map(|i| routes[*i].to_string()).collect(),
        probe: routes[flow_routes[0]].to_string(),
    })
}

fn dmscd_config(args: &Args, work: &Path, prefix: &str) -> String {
    dmsc_bench::latency::router::DmscdSpec {
        bin: PathBuf::new(),
        work: work.to_path_buf(),
        core: args.router_core,
        mem_args: router_mem_args(args),
        file_prefix: prefix.to_owned(),
        in_sock: work.join("a.sock"),
        out_sock: work.join("b.sock"),
    }
    .config_with(&dmsc_bench::latency::router::StartOptions { name_cache: args.name_cache, ..Default::default() })
}

/// Which router a run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Router {
    Dmscd,
    Testpmd,
}

/// A running router under test.
enum RouterProc {
    Dmscd(DmscdProc),
    Testpmd(Testpmd),
}

/// A running `dmscd`; killed (by its PID) if dropped while running, so that an error
/// path never leaves it polling a core.
struct DmscdProc(Child);

impl Drop for DmscdProc {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// EAL memory of the generator, in MiB: `infinite_rx` keeps every frame of the
/// pcap in an mbuf, so the pool (`pcap_frames` + 16,384 mbufs of ~2.3 KiB) must fit,
/// besides ~256 MiB for the rest; at least 512 (20,000 frames need no more).
fn generator_memory_mb(pcap_frames: usize) -> usize {
    (256 + (pcap_frames + 16_384) * 3 * 1024 / (1 << 20)).max(512)
}

fn file_prefix(tag: &str) -> String {
    format!("dmsc-tp-{}-{tag}", std::process::id())
}

fn start_router(args: &Args, bin_dir: &Path, work: &Path, which: Router, run: usize) -> Result<RouterProc> {
    match which {
        Router::Dmscd => {
            let cfg = work.join("dmscd.toml");
            std::fs::write(&cfg, dmscd_config(args, work, &file_prefix("dmscd")))?;
            let log = work.join(format!("dmscd-{run}.log"));
            let out = std::fs::File::create(&log)?;
            let child = Command::new(bin_dir.join("dmscd"))
                .args(["run", "--config"])
                .arg(&cfg)
                .args(args.small_pages.then_some("--small-pages"))
                .arg("--stats-json")
                .arg(work.join(format!("dmscd-{run}.json")))
                .args(["--log", "info"])
                .stdin(Stdio::null())
                .stdout(out.try_clone()?)
                .stderr(out)
                .spawn()
                .context("starting dmscd")?;
            let mut proc = DmscdProc(child);
            let child = &mut proc.0;
            let start = Instant::now();
            loop {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                if text.contains(" forwarding") {
                    break;
                }
                if let Some(st) = child.try_wait()? {
                    bail!("dmscd exited ({st}) before forwarding:\n{}", tail(&text, 3000));
                }
                if start.elapsed() > Duration::from_secs(180) {
                    bail!("dmscd not forwarding after 180 s:\n{}", tail(&text, 3000));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(RouterProc::Dmscd(proc))
        }
        Router::Testpmd => {
            let mut eal = vec![
                "--lcores".to_owned(),
                format!("0@{c},1@{c}", c = args.router_core),
                "--no-pci".to_owned(),
                "--file-prefix".to_owned(),
                file_prefix("fwd"),
            ];
            eal.extend(router_mem_args(args));
            eal.extend([
                "--vdev".to_owned(),
                format!("net_memif0,role=client,socket={}", work.join("a.sock").display()),
                "--vdev".to_owned(),
                format!("net_memif1,role=client,socket={}", work.join("b.sock").display()),
            ]);
            let app: Vec<String> = [
                "--forward-mode=mac",
                "--nb-cores=1",
                "--no-lsc-interrupt",
                "--disable-link-check",
                "--total-num-mbufs=16384",
                &format!("--eth-peer=1,{NEIGHBOR_MAC}"),
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            let mut t = Testpmd::spawn(
                "baseline testpmd",
                &eal,
                &app,
                &work.join(format!("fwd-{run}.log")),
                Duration::from_secs(30),
            )?;
            t.start()?;
            Ok(RouterProc::Testpmd(t))
        }
    }
}

fn stop_router(r: RouterProc, work: &Path, run: usize) -> Result<RouterCounters> {
    match r {
        RouterProc::Dmscd(mut proc) => {
            let child = &mut proc.0;
            let pid = child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let start = Instant::now();
            let status = loop {
                if let Some(st) = child.try_wait()? {
                    break st;
                }
                if start.elapsed() > Duration::from_secs(20) {
                    bail!("dmscd (pid {pid}) did not stop within 20 s of SIGTERM; killed");
                }
                std::thread::sleep(Duration::from_millis(10));
            };
            ensure!(
                status.success(),
                "dmscd exited with {status}; see {}",
                work.join(format!("dmscd-{run}.log")).display()
            );
            let path = work.join(format!("dmscd-{run}.json"));
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            router::parse_counters(&text)
        }
        RouterProc::Testpmd(mut t) => {
            let s = t.stop()?;
            t.quit(Duration::from_secs(10))?;
            let p0 = port_stats(&s, 0);
            let p1 = port_stats(&s, 1);
            Ok(RouterCounters {
                rx: p0.rx_packets,
                forwarded: p1.tx_packets + p1.tx_dropped,
                tx: p1.tx_packets,
                drops: format!("tx_dropped={}", p1.tx_dropped),
            })
        }
    }
}

/// Busy and total jiffies of each CPU (`/proc/stat`).
fn cpu_times() -> Vec<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    stat.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|l| {
            let v: Vec<u64> = l.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
            let total: u64 = v.iter().take(8).sum();
            let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
            (total - idle, total)
        })
        .collect()
}

/// Share of time cores `cores` were busy over `window` (before our processes start: the
/// background load of other work).
fn background_busy(cores: [u32; 2], window: Duration) -> [f64; 2] {
    let a = cpu_times();
    std::thread::sleep(window);
    let b = cpu_times();
    cores.map(|c| {
        let c = c as usize;
        match (a.get(c), b.get(c)) {
            (Some(x), Some(y)) if y.1 > x.1 => (y.0 - x.0) as f64 / (y.1 - x.1) as f64,
            _ => 0.0,
        }
    })
}

/// Waits (up to `--quiet-wait-s`) for both cores to be under 10 % busy; returns the last
/// measured background load.
fn wait_quiet(args: &Args) -> [f64; 2] {
    let start = Instant::now();
    loop {
        let busy = background_busy([args.gen_core, args.router_core], Duration::from_millis(500));
        if busy.iter().all(|b| *b < 0.10) || start.elapsed().as_secs_f64() >= args.quiet_wait_s {
            return busy;
        }
    }
}

/// One run of one router: returns the sample; checks the counters (always reported,
/// fatal with `--smoke`).
fn one_run(
    args: &Args,
    bin_dir: &Path,
    work: &Path,
    which: Router,
    run: usize,
    pcap_frames: usize,
    churn: Option<&ChurnCtx>,
) -> Result<Sample> {
    for s in ["a.sock", "b.sock"] {
        let _ = std::fs::remove_file(work.join(s));
    }
    let busy = wait_quiet(args);
    let eal: Vec<String> = vec![
        "--lcores".into(),
        format!("0@{c},1@{c}", c = args.gen_core),
        "--no-pci".into(),
        "--no-huge".into(),
        "-m".into(),
        generator_memory_mb(pcap_frames).to_string(),
        "--file-prefix".into(),
        file_prefix("gen"),
        "--vdev".into(),
        format!("net_pcap0,rx_pcap={},tx_pcap=/dev/null,infinite_rx=1", work.join("traffic.pcap").display()),
        "--vdev".into(),
        format!("net_memif0,role=server,socket={}", work.join("a.sock").display()),
        "--vdev".into(),
        format!("net_memif1,role=server,socket={}", work.join("b.sock").display()),
        "--vdev".into(),
        "net_null0,no-rx=1".into(),
    ];
    let app: Vec<String> = vec![
        "--forward-mode=io".into(),
        "--nb-cores=1".into(),
        "--no-lsc-interrupt".into(),
        // memif servers are down until the router connects: do not wait 9 s for them.
        "--disable-link-check".into(),
        format!("--total-num-mbufs={}", pcap_frames + 16384),
    ];
    let mut gen =
        Testpmd::spawn("generator testpmd", &eal, &app, &work.join(format!("gen-{run}.log")), Duration::from_secs(60))?;
    let router = start_router(args, bin_dir, work, which, run)?;
    let router_pid = match &router {
        RouterProc::Dmscd(p) => p.0.id(),
        RouterProc::Testpmd(t) => t.pid(),
    };
    let churn = churn.filter(|_| which == Router::Dmscd);
    let spec = churn.map(|c| churn_setup(args, c, work, router_pid)).transpose()?;
    // memif connects in the background once the client port starts.
    std::thread::sleep(Duration::from_millis(500));
    gen.start()?;
    std::thread::sleep(Duration::from_secs_f64(args.warmup_s));
    // With churn, the churn window comes second in odd runs and first in even ones.
    let churn_first = spec.is_some() && run % 2 == 0;
    let mut churn_window = None;
    if churn_first {
        churn_window = Some(churn_measure(args, &mut gen, churn, spec.as_ref())?);
    }
    let s0 = gen.fwd_stats()?;
    let t0 = Instant::now();
    let cpu0 = (cpu_ticks(gen.pid()), cpu_ticks(router_pid));
    std::thread::sleep(Duration::from_secs_f64(args.measure_s));
    let cpu1 = (cpu_ticks(gen.pid()), cpu_ticks(router_pid));
    let s1 = gen.fwd_stats()?;
    let dt = t0.elapsed().as_secs_f64();
    if spec.is_some() && !churn_first {
        churn_window = Some(churn_measure(args, &mut gen, churn, spec.as_ref())?);
    }
    if let Some(c) = churn {
        churn_check(c)?;
    }
    // Share of its core each process got while measured (100 % = never preempted; the
    // router's control threads share its core and count too).
    let share = |a: Option<u64>, b: Option<u64>| Some(b?.saturating_sub(a?) as f64 / 100.0 / dt);
    let cpu = share(cpu0.0, cpu1.0).zip(share(cpu0.1, cpu1.1));
    let pct = |x: Option<f64>| x.map_or("?".to_owned(), |x| format!("{:.0} %", x * 100.0));
    let (gen_share, router_share) = (pct(cpu.map(|c| c.0)), pct(cpu.map(|c| c.1)));
    let final_gen = gen.stop()?;
    // Let the router drain memif A before it stops.
    std::thread::sleep(Duration::from_millis(300));
    let rc = stop_router(router, work, run)?;
    gen.quit(Duration::from_secs(10))?;
    cleanup_runtime_dirs();

    let d = |p: u16| port_stats(&s1, p).since(&port_stats(&s0, p));
    let (into, from): (FwdStats, FwdStats) = (d(GEN_TO_ROUTER), d(GEN_FROM_ROUTER));
    let sample = Sample {
        sink_pps: from.rx_packets as f64 / dt,
        offered_pps: into.tx_packets as f64 / dt,
        refused_pps: into.tx_dropped as f64 / dt,
        cpu,
        churn: churn_window,
    };
    let sent = port_stats(&final_gen, GEN_TO_ROUTER).tx_packets;
    let sunk = port_stats(&final_gen, GEN_FROM_ROUTER).rx_packets;
    let generated = port_stats(&final_gen, GEN_PCAP).rx_packets;
    eprintln!(
        "  run {run} {which:?} (background load before: core {} {:.0} %, core {} {:.0} %; CPU while measured: generator {gen_share}, router {router_share}): sink {:.3} Mpps, into router {:.3} Mpps, refused {:.3} Mpps | totals: generated {generated}, \
         sent {sent}, router rx {} fwd {} tx {} [{}], sink {sunk}",
        args.gen_core,
        busy[0] * 100.0,
        args.router_core,
        busy[1] * 100.0,
        sample.sink_pps / 1e6,
        sample.offered_pps / 1e6,
        sample.refused_pps / 1e6,
        rc.rx,
        rc.forwarded,
        rc.tx,
        rc.drops
    );
    if let Some(w) = &sample.churn {
        eprintln!(
            "    with churn: sink {:.3} Mpps, into router {:.3} Mpps, refused {:.3} Mpps ({:.1} % of the rate without churn){}\n    {}",
            w.sink_pps / 1e6,
            w.offered_pps / 1e6,
            w.refused_pps / 1e6,
            100.0 * w.sink_pps / sample.sink_pps,
            if churn_first { "; measured first" } else { "" },
            w.summary.line()
        );
    }
    let mut problems = Vec::new();
    if sent == 0 || sunk == 0 {
        problems.push(format!("no traffic flowed (sent {sent}, sink {sunk})"));
    }
    if rc.rx != sent {
        problems.push(format!("the generator sent {sent} packets into the router, which received {}", rc.rx));
    }
    if rc.tx > rc.forwarded || rc.forwarded > rc.rx {
        problems.push(format!("router counters inconsistent: rx {} fwd {} tx {}", rc.rx, rc.forwarded, rc.tx));
    }
    if sunk > rc.tx || rc.tx - sunk > RING_SLACK {
        problems.push(format!(
            "the router sent {} packets, the sink got {sunk} (at most {RING_SLACK} may be left in flight)",
            rc.tx
        ));
    }
    if which == Router::Dmscd && args.miss_share == 0.0 && rc.forwarded != rc.rx {
        problems.push(format!("all-hit traffic: dmscd forwarded {} of {} received", rc.forwarded, rc.rx));
    }
    if !problems.is_empty() {
        let msg = problems.join("; ");
        if args.smoke {
            bail!("run {run} {which:?}: counters do not add up: {msg}");
        }
        eprintln!("  WARNING: run {run} {which:?}: {msg}");
    }
    Ok(sample)
}

/// Connects the churn client to this run's dmscd, installs the churn set (next hop `p1`
/// `NEIGHBOR_MAC`, as in the routes file) and checks it took; returns the churn to run.
fn churn_setup(args: &Args, c: &ChurnCtx, work: &Path, dmscd_pid: u32) -> Result<ChurnSpec> {
    c.churner.connect(&work.join("mgmt.sock"), Duration::from_secs(10))?;
    let inst = c.churner.install(churn::hop("p1", NEIGHBOR_MAC), INSTALL_BATCH)?;
    c.churner.reset();
    ensure!(
        inst.changed == inst.routes,
        "churn set: {} routes installed, {} FIB entries changed",
        inst.routes,
        inst.changed
    );
    let fib = c.churner.show_fib(&c.probe, 1)?;
    let source = fib.routes.first().filter(|r| r.prefix == c.probe).map(|r| r.source.clone()).unwrap_or_default();
    ensure!(source == "api", "route {} has source {source:?} after the API install", c.probe);
    let control = churn::thread_named(dmscd_pid, "dmsc-control");
    eprintln!(
        "    churn set: {} routes installed through the API in {:.2} s; FIB {} routes; dmscd control thread cores {}",
        inst.routes,
        inst.seconds,
        fib.total,
        control.and_then(|t| churn::thread_status(dmscd_pid, t, "Cpus_allowed_list")).unwrap_or_else(|| "?".into())
    );
    Ok(ChurnSpec {
        rate_rps: args.churn_opts.churn,
        batch: args.churn_opts.batch(),
        hops: [churn::hop("p1", NEIGHBOR_MAC), churn::hop("p1", CHURN_ALT_MAC)],
        control: control.map(|t| (dmscd_pid, t)),
    })
}

/// The churn window: churn for half a warm-up, then `--measure-s` measured at the sink.
fn churn_measure(
    args: &Args,
    gen: &mut Testpmd,
    churn: Option<&ChurnCtx>,
    spec: Option<&ChurnSpec>,
) -> Result<ChurnWindow> {
    let (c, spec) = churn.zip(spec).context("churn window without a churn")?;
    let running = c.churner.start(spec.clone())?;
    std::thread::sleep(Duration::from_secs_f64(args.warmup_s / 2.0));
    let s0 = gen.fwd_stats()?;
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(args.measure_s));
    let s1 = gen.fwd_stats()?;
    let dt = t0.elapsed().as_secs_f64();
    let summary = running.stop()?;
    let d = |p: u16| port_stats(&s1, p).since(&port_stats(&s0, p));
    let (into, from) = (d(GEN_TO_ROUTER), d(GEN_FROM_ROUTER));
    Ok(ChurnWindow {
        sink_pps: from.rx_packets as f64 / dt,
        offered_pps: into.tx_packets as f64 / dt,
        refused_pps: into.tx_dropped as f64 / dt,
        summary,
    })
}

/// dmscd's `fib_changes` must be the install plus the replacements (nothing else
/// changes its FIB here), with no refused update.
fn churn_check(c: &ChurnCtx) -> Result<()> {
    let m = c.churner.control_counters()?;
    let get = |k: &str| m.get(k).copied().unwrap_or(0);
    let expect = c.churner.set_len() as u64 + c.churner.replaced();
    ensure!(
        get("fib_changes") == expect && get("fib_errors") == 0,
        "dmscd counted {} FIB changes and {} errors; install + replacements = {expect}",
        get("fib_changes"),
        get("fib_errors")
    );
    Ok(())
}

/// Removes the EAL runtime directories of this harness's DPDK processes.
fn cleanup_runtime_dirs() {
    for tag in ["gen", "fwd", "dmscd"] {
        router::remove_runtime_dir(&file_prefix(tag));
    }
}

fn stats(xs: &[f64]) -> (f64, f64, f64) {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let median = if v.len() % 2 == 1 { v[v.len() / 2] } else { (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0 };
    (median, v[0], v[v.len() - 1])
}

fn bench(args: &Args, bin_dir: &Path, work: &Path) -> Result<()> {
    let Prepared { frames, churn_set, probe } = prepare(args, bin_dir, work)?;
    let churn = if churn_set.is_empty() { None } else { Some(ChurnCtx { churner: Churner::spawn(churn_set)?, probe }) };
    if args.prepare_only {
        std::fs::write(work.join("dmscd.toml"), dmscd_config(args, work, &file_prefix("dmscd")))?;
        println!("wrote routes.txt, names.txt, traffic.pcap, dmscd.toml in {}", work.display());
        return Ok(());
    }
    let mut dmscd = Vec::new();
    let mut base = Vec::new();
    let mut ratios = Vec::new();
    for run in 1..=args.runs {
        let d = one_run(args, bin_dir, work, Router::Dmscd, run, frames, churn.as_ref())?;
        if !args.no_baseline {
            let b = one_run(args, bin_dir, work, Router::Testpmd, run, frames, None)?;
            ratios.push(d.sink_pps / b.sink_pps);
            base.push(b);
        }
        dmscd.push(d);
    }
    let hz = tsc_hz();
    println!(
        "fib {} prefixes, {} components, {}-byte frames, {} flows, miss share {}, {} runs ({} s measured after {} s warm-up), router memory {}, dmscd name cache {}, dmscd heap {}",
        args.fib,
        args.components,
        args.frame,
        args.flows,
        args.miss_share,
        args.runs,
        args.measure_s,
        args.warmup_s,
        args.mem,
        args.name_cache.map_or("default".to_string(), |n| n.to_string()),
        if args.small_pages { "4 KiB pages" } else { "transparent huge pages" }
    );
    let row = |label: &str, s: &[Sample]| {
        let (m, lo, hi) = stats(&s.iter().map(|x| x.sink_pps / 1e6).collect::<Vec<_>>());
        let (off, _, _) = stats(&s.iter().map(|x| x.offered_pps / 1e6).collect::<Vec<_>>());
        let (refused, _, _) = stats(&s.iter().map(|x| x.refused_pps / 1e6).collect::<Vec<_>>());
        let cpp = hz.map(|h| format!("{:.0}", h / (m * 1e6))).unwrap_or_else(|| "?".into());
        println!(
            "{label:<16} {m:>8.3} Mpps (min {lo:.3}, max {hi:.3})  cycles/packet {cpp:>5}  into router {off:.3} Mpps, refused {refused:.3} Mpps"
        );
    };
    row("dmscd", &dmscd);
    let windows: Vec<&ChurnWindow> = dmscd.iter().filter_map(|d| d.churn.as_ref()).collect();
    if !windows.is_empty() {
        let (m, lo, hi) = stats(&windows.iter().map(|w| w.sink_pps / 1e6).collect::<Vec<_>>());
        let (r, rlo, rhi) =
            stats(&dmscd.iter().filter_map(|d| Some(d.churn.as_ref()?.sink_pps / d.sink_pps)).collect::<Vec<_>>());
        let (a, alo, ahi) = stats(&windows.iter().map(|w| w.summary.achieved_rps()).collect::<Vec<_>>());
        let (p, _, _) = stats(&windows.iter().map(|w| w.summary.publish_us().p50).collect::<Vec<_>>());
        let pmax = windows.iter().map(|w| w.summary.publish_us().max).fold(0.0, f64::max);
        println!(
            "dmscd with churn {m:>8.3} Mpps (min {lo:.3}, max {hi:.3}); with / without churn in the same run: median {r:.3} (min {rlo:.3}, max {rhi:.3}); \
             churn achieved {a:.0} routes/s (min {alo:.0}, max {ahi:.0}) of {:.0} asked, publish p50 {p:.0} µs (median), max {pmax:.0} µs",
            args.churn_opts.churn
        );
    }
    if !base.is_empty() {
        row("testpmd mac fwd", &base);
        let (m, lo, hi) = stats(&ratios);
        // A generator-bound baseline understates testpmd, so the ratio is then an upper
        // bound: below 0.9 it still says "not met", above it proves nothing.
        let bound = base.iter().filter(|b| b.generator_bound()).count();
        let verdict = if m < 0.9 {
            "not met"
        } else if bound * 2 > base.len() {
            "undetermined (the baseline was generator-bound: the ratio is an upper bound)"
        } else {
            "met"
        };
        println!("ratio dmscd/testpmd {m:.3} (min {lo:.3}, max {hi:.3}); goal >= 0.9: {verdict}");
        println!(
            "generator-bound runs (router refused < 1 % of the offer; its rate is a lower bound): dmscd {} of {}, testpmd {bound} of {}",
            dmscd.iter().filter(|d| d.generator_bound()).count(),
            dmscd.len(),
            base.len()
        );
    }
    // Runs in which another process took part of a core measure the machine, not the
    // router: their median is printed separately.
    let clean = |s: &[Sample]| -> Vec<f64> { s.iter().filter(|x| x.clean()).map(|x| x.sink_pps / 1e6).collect() };
    let (cd, cb) = (clean(&dmscd), clean(&base));
    let med = |v: &[f64]| {
        if v.is_empty() {
            "–".to_owned()
        } else {
            format!("{:.3} Mpps (max {:.3})", stats(v).0, stats(v).2)
        }
    };
    println!(
        "undisturbed runs (generator and router each >= 95 % of their core): dmscd {} of {}: {}; testpmd {} of {}: {}",
        cd.len(),
        dmscd.len(),
        med(&cd),
        cb.len(),
        base.len(),
        med(&cb)
    );
    if let Some(h) = hz {
        println!("cycles/packet = {:.0} MHz TSC / median sink rate (one router core)", h / 1e6);
    }
    Ok(())
}
