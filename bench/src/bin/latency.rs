//! `latency`: forwarding latency of `dmscd` (HDR percentiles at fractions of its maximum
//! rate) and its RFC 2544 zero-loss rate [RFC 2544 §26.1], over `net_memif`, one machine.
//!
//! ```text
//!  core 0: this program (EAL lcore 0: generator and receiver)       core 1: dmscd
//!  request + stamp(trial, seq, TSC) --> net_memif0 (server) ======> p0
//!  rx TSC − stamp TSC  <--------------- net_memif1 (server) <====== p1
//! ```
//!
//! One DPDK process owns both memif server ends; dmscd (memif clients) is started once
//! with the throughput harness's FIB and serves every trial. A trial is a warm-up phase
//! and a measured phase at one offered rate (TSC-paced, `dmsc_bench::latency::pacing`),
//! then a drain; each phase has its own trial number in the stamp, so late packets of a
//! previous phase are counted apart ("stale"), never as latency samples or losses.
//! Per-packet latency is rx TSC − tx TSC on the same core; loss, duplicates and reorders
//! come from the sequence numbers; packets the driver refused (dmscd's input ring full)
//! are lost at the router's input in RFC 2544 terms and counted as such.
//!
//! Modes:
//! 1. latency sweep (default): per run, full blast for `--rmax-s` (received rate =
//!    R_max), then `--loads` (10, 50, 90 % of that run's R_max), each after `--warmup-s`
//!    for `--duration-s`; the report gives the median over `--runs` of p50/p99/p99.9.
//! 2. `--loss-search`: bisection on the offered rate for the highest one with zero loss
//!    over a `--duration-s` trial (RFC 2544 uses 60 s), to 1 % of R_max.
//! 3. `--smoke`: tiny FIB, a low rate, ~3 s of traffic: fails unless packets flowed,
//!    `sent = received + lost` by two independent counts, every latency is positive and
//!    under 1 s, and our port counters match dmscd's.
//!
//! Every exit path kills and reaps dmscd (its handle's `Drop`), SIGINT/SIGTERM end the
//! current phase and take the same path, and the scratch directory (memif sockets, logs)
//! and both EAL runtime directories are removed.
//!
//! Rejected: testpmd as the generator (it cannot stamp or check payloads); a generator
//! thread separate from the receiver (cross-core TSC comparison and a third core this
//! machine does not have).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use clap::Parser;
use dmsc_bench::latency::frame::{read_stamp, write_tx_tsc, Stamp, Template};
use dmsc_bench::latency::pacing::Pacer;
use dmsc_bench::latency::router::{self, cpu_ticks, Dmscd, DmscdSpec, RouterCounters};
use dmsc_bench::latency::search::LossSearch;
use dmsc_bench::latency::seq::{Receipt, SeqTracker};
use dmsc_bench::latency::stats::{median, new_histogram, TrialResult};
use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::Name;
use dpdk::{Eal, MbufArray, Mempool, Port, PortConfig, RxQueue, TxQueue, DEFAULT_DATA_ROOM_BYTES, SOCKET_ID_ANY};

/// Largest burst handed to the driver at once.
const MAX_BURST: usize = 32;
/// Sanity bound of the smoke mode: no latency may exceed this.
const SMOKE_MAX_LATENCY_US: f64 = 1e6;

#[derive(Parser, Debug, Clone)]
#[command(name = "latency", about = "dmscd forwarding latency and RFC 2544 zero-loss rate over net_memif")]
struct Args {
    /// Prefixes in dmscd's FIB.
    #[arg(long, default_value_t = 1_000_000)]
    fib: usize,
    /// Components of every destination name (3..=16).
    #[arg(long, default_value_t = 8)]
    components: usize,
    /// Frame size in bytes, FCS excluded (raised to fit the header and the 24-byte stamp).
    #[arg(long, default_value_t = 64)]
    frame: usize,
    /// Flows (distinct destination names), sent round robin.
    #[arg(long, default_value_t = 1)]
    flows: usize,
    /// Runs of the latency sweep (the report gives medians over runs).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Seconds measured per trial (latency loads and loss-search trials).
    #[arg(long, default_value_t = 5.0)]
    duration_s: f64,
    /// Seconds of traffic at the trial's rate before measuring.
    #[arg(long, default_value_t = 1.0)]
    warmup_s: f64,
    /// Seconds of full-blast traffic measured to find R_max (after the warm-up).
    #[arg(long, default_value_t = 3.0)]
    rmax_s: f64,
    /// Offered loads of the sweep, percent of R_max, comma-separated.
    #[arg(long, default_value = "10,50,90", value_delimiter = ',')]
    loads: Vec<f64>,
    /// After each trial, keep receiving for this long (RFC 2544 §23 waits 2 s) before
    /// counting what did not arrive as lost; ends early once everything is back.
    #[arg(long, default_value_t = 500)]
    drain_ms: u64,
    /// Also run the RFC 2544 zero-loss search (after the sweep).
    #[arg(long)]
    loss_search: bool,
    /// Skip the latency sweep (only R_max and, with --loss-search, the search).
    #[arg(long)]
    no_sweep: bool,
    /// Resolution of the loss search, percent of R_max.
    #[arg(long, default_value_t = 1.0)]
    resolution_pct: f64,
    /// Quick end-to-end check (tiny FIB, low rate, a few seconds); exits non-zero unless
    /// packets flow and every counter adds up.
    #[arg(long)]
    smoke: bool,
    /// Offered rate of the smoke run, packets per second.
    #[arg(long, default_value_t = 100_000.0)]
    smoke_pps: f64,
    /// Core of this program (generator and receiver).
    #[arg(long, default_value_t = 0)]
    gen_core: u32,
    /// Core of dmscd's forwarding lcore.
    #[arg(long, default_value_t = 1)]
    router_core: u32,
    /// dmscd memory: `no-huge` (`--no-huge -m 256`, as the throughput harness) or `huge`
    /// (`-m 200 --huge-unlink`).
    #[arg(long, default_value = "no-huge")]
    mem: String,
    /// This program's memory: `auto` (as scripts/eal-mem-args.sh: hugepages if ≥ 128 free),
    /// `huge` or `no-huge`.
    #[arg(long, default_value = "auto")]
    gen_mem: String,
    /// Directory with `dmscd` (default: this program's directory).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Scratch directory (sockets, configuration, FIB, logs); removed unless `--keep`.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Keep the scratch directory.
    #[arg(long)]
    keep: bool,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(args) {
        eprintln!("latency: {e:#}");
        std::process::exit(1);
    }
}

fn gen_prefix() -> String {
    format!("dmsc-lat-{}-gen", std::process::id())
}

fn dmscd_prefix() -> String {
    format!("dmsc-lat-{}-dmscd", std::process::id())
}

fn run(mut args: Args) -> Result<()> {
    if args.smoke {
        args.fib = args.fib.min(1000);
        args.runs = 1;
        args.warmup_s = 0.3;
        args.duration_s = 1.0;
        args.rmax_s = 0.5;
        args.drain_ms = args.drain_ms.min(300);
    }
    ensure!((3..=16).contains(&args.components), "--components must be in 3..=16");
    ensure!(args.runs >= 1, "--runs must be at least 1");
    ensure!(args.fib >= 1, "--fib must be at least 1");
    ensure!(args.duration_s > 0.0 && args.rmax_s > 0.0 && args.warmup_s >= 0.0, "durations must be positive");
    ensure!(args.loads.iter().all(|l| *l > 0.0 && *l <= 100.0), "--loads are percentages in (0, 100]");
    ensure!(args.resolution_pct > 0.0, "--resolution-pct must be positive");
    let bin_dir = match &args.bin_dir {
        Some(d) => d.clone(),
        None => std::env::current_exe()?.parent().context("program directory")?.to_path_buf(),
    };
    check_prerequisites(&args, &bin_dir)?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop)).context("installing a signal handler")?;
    }
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("/run/dmsc-bench/latency-{}", std::process::id())));
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let result = session(&args, &bin_dir, &work, &stop);
    router::remove_runtime_dir(&gen_prefix());
    router::remove_runtime_dir(&dmscd_prefix());
    if !args.keep {
        let _ = std::fs::remove_dir_all(&work);
        if args.work_dir.is_none() {
            // /run/dmsc-bench itself, if no other run uses it (fails when not empty).
            let _ = std::fs::remove_dir(work.parent().unwrap_or(&work));
        }
    }
    result
}

fn check_prerequisites(args: &Args, bin_dir: &Path) -> Result<()> {
    let mut missing = Vec::new();
    if !bin_dir.join("dmscd").is_file() {
        missing.push(format!("{} missing (cargo build --release --bin dmscd)", bin_dir.join("dmscd").display()));
    }
    let plugin = Path::new(dpdk::pmd_dir()).join("librte_net_memif.so");
    let found = std::fs::read_dir(dpdk::pmd_dir())
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("librte_net_memif.so")))
        .unwrap_or(false);
    if !found {
        missing.push(format!("{} not found (Debian: apt-get install dpdk)", plugin.display()));
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
    if !["huge", "no-huge"].contains(&args.mem.as_str()) {
        missing.push(format!("--mem {}: expected huge or no-huge", args.mem));
    }
    if !["auto", "huge", "no-huge"].contains(&args.gen_mem.as_str()) {
        missing.push(format!("--gen-mem {}: expected auto, huge or no-huge", args.gen_mem));
    }
    if !missing.is_empty() {
        bail!("prerequisites missing:\n  - {}", missing.join("\n  - "));
    }
    Ok(())
}

fn huge_args() -> Vec<String> {
    vec!["-m".into(), "200".into(), "--huge-unlink".into()]
}

fn no_huge_args() -> Vec<String> {
    vec!["--no-huge".into(), "-m".into(), "256".into()]
}

/// The generator-and-receiver: one lcore, two memif ports.
struct Gen {
    tx: TxQueue,
    rx: RxQueue,
    pool: Mempool,
    tx_port: Port,
    rx_port: Port,
    templates: Vec<Template>,
    hz: u64,
    next_trial: u32,
    /// Every packet the tx driver accepted, all phases.
    total_accepted: u64,
    /// Every frame received, all phases (stamped or not).
    total_received: u64,
    /// Allocation failures (pool empty), all phases.
    alloc_failures: u64,
    /// dmscd's process id (for its CPU share).
    router_pid: u32,
}

/// Share of one core (1.0 = never preempted) this process and dmscd got in a measured
/// phase, from `/proc/PID/stat`; `None` if unreadable.
#[derive(Clone, Copy, Debug, Default)]
struct CpuShare {
    gen: Option<f64>,
    router: Option<f64>,
}

impl CpuShare {
    fn text(&self) -> String {
        let p = |x: Option<f64>| x.map_or("?".to_owned(), |x| format!("{:.0} %", x * 100.0));
        format!("CPU: generator {}, dmscd {}", p(self.gen), p(self.router))
    }

    /// Both got at least 95 % of their core.
    fn clean(&self) -> bool {
        self.gen.is_some_and(|g| g >= 0.95) && self.router.is_some_and(|r| r >= 0.95)
    }
}

/// Per-phase receive state.
struct RxState {
    trial: u32,
    tracker: SeqTracker,
    hist: hdrhistogram::Histogram<u64>,
    stale: u64,
    foreign: u64,
    nonpositive: u64,
}

impl Gen {
    fn poll_rx(&mut self, st: &mut RxState) {
        let mut arr: MbufArray<MAX_BURST> = MbufArray::new();
        let n = self.rx.rx_burst(&mut arr);
        if n == 0 {
            return;
        }
        let now = dpdk::tsc();
        self.total_received += n as u64;
        for m in arr.drain() {
            match read_stamp(m.data()) {
                Ok(s) if s.trial == st.trial => match st.tracker.on_received(s.seq) {
                    Receipt::InOrder | Receipt::Reordered => {
                        if now > s.tx_tsc {
                            st.hist.saturating_record(now - s.tx_tsc);
                        } else {
                            st.nonpositive += 1;
                        }
                    }
                    Receipt::Duplicate | Receipt::OutOfRange => {}
                },
                Ok(_) => st.stale += 1,
                Err(_) => st.foreign += 1,
            }
        }
    }

    /// Only receives, for `d` (or until `until_all` and every packet sent is back).
    fn drain(&mut self, st: &mut RxState, d: Duration, until_all: bool) {
        let end = dpdk::tsc() + (d.as_secs_f64() * self.hz as f64) as u64;
        while dpdk::tsc() < end {
            self.poll_rx(st);
            if until_all && st.tracker.summary().distinct == st.tracker.sent() {
                break;
            }
        }
    }

    /// One phase at `rate_pps` (`None`: full blast) for `d`, then a drain of `drain`.
    /// `sent_end` runs when sending ends, before the drain.
    fn phase(&mut self, rate_pps: Option<f64>, d: Duration, drain: Duration, stop: &AtomicBool, sent_end: &mut dyn FnMut()) -> TrialResult {
        let trial = self.next_trial;
        self.next_trial = self.next_trial.wrapping_add(1);
        let mut st = RxState {
            trial,
            tracker: SeqTracker::new(),
            hist: new_histogram(self.hz),
            stale: 0,
            foreign: 0,
            nonpositive: 0,
        };
        let start = dpdk::tsc();
        let end = start + (d.as_secs_f64() * self.hz as f64) as u64;
        let mut pacer = Pacer::new(start, self.hz, rate_pps, MAX_BURST);
        let (mut offered, mut refused) = (0u64, 0u64);
        let flows = self.templates.len().max(1);
        let mut tx: MbufArray<MAX_BURST> = MbufArray::new();
        let mut polls = 0u32;
        loop {
            let now = dpdk::tsc();
            if now >= end {
                break;
            }
            polls = polls.wrapping_add(1);
            if polls % 1024 == 0 && stop.load(Ordering::Relaxed) {
                break;
            }
            let n = pacer.due(now, offered);
            if n > 0 {
                if !self.pool.alloc_bulk(&mut tx, n) {
                    self.alloc_failures += 1;
                } else {
                    let seq0 = st.tracker.sent();
                    let mut ok = true;
                    // Stamp offsets differ between flows (names of different lengths).
                    let mut at = [0usize; MAX_BURST];
                    for (i, m) in tx.iter_mut().enumerate() {
                        let t = &self.templates[((offered + i as u64) % flows as u64) as usize];
                        at[i] = t.stamp_offset();
                        let stamp = Stamp { trial, seq: seq0 + i as u64, tx_tsc: 0 };
                        ok &= m.append(t.len()).is_some_and(|buf| t.stamp_into(buf, stamp));
                    }
                    if ok {
                        // One TSC read per burst, just before the driver takes it.
                        let t = dpdk::tsc();
                        for (m, at) in tx.iter_mut().zip(at) {
                            write_tx_tsc(m.data_mut(), at, t);
                        }
                        let k = self.tx.tx_burst(&mut tx);
                        st.tracker.on_sent(k as u64);
                        self.total_accepted += k as u64;
                        refused += tx.len() as u64;
                        offered += n as u64;
                    } else {
                        // Frame larger than an mbuf: cannot happen for frames ≤ MTU.
                        self.alloc_failures += 1;
                    }
                    tx.clear();
                }
            }
            self.poll_rx(&mut st);
        }
        let duration_s = (dpdk::tsc().min(end) - start) as f64 / self.hz as f64;
        sent_end();
        self.drain(&mut st, drain, true);
        TrialResult {
            target_pps: rate_pps,
            duration_s,
            seq: st.tracker.summary(),
            refused,
            skipped: pacer.skipped(),
            stale: st.stale,
            foreign: st.foreign,
            nonpositive: st.nonpositive,
            hist: st.hist,
            tsc_hz: self.hz,
        }
    }

    /// A trial: warm-up (not measured, no drain), then the measured phase and its drain.
    /// Also returns the share of a core this process and dmscd got while measured.
    fn trial(&mut self, args: &Args, rate_pps: Option<f64>, measure_s: f64, stop: &AtomicBool) -> Result<(TrialResult, CpuShare)> {
        if args.warmup_s > 0.0 {
            self.phase(rate_pps, Duration::from_secs_f64(args.warmup_s), Duration::ZERO, stop, &mut || {});
        }
        let pids = [std::process::id(), self.router_pid];
        let before = pids.map(cpu_ticks);
        let t0 = Instant::now();
        let mut after = [None, None];
        let mut dt = 0.0;
        let r = self.phase(rate_pps, Duration::from_secs_f64(measure_s), Duration::from_millis(args.drain_ms), stop, &mut || {
            // The drain is left out of the window (this process then only receives).
            after = pids.map(cpu_ticks);
            dt = t0.elapsed().as_secs_f64();
        });
        let share = |i: usize| Some(after[i]?.saturating_sub(before[i]?) as f64 / 100.0 / dt);
        let cpu = CpuShare { gen: share(0), router: share(1) };
        if stop.load(Ordering::Relaxed) {
            bail!("interrupted");
        }
        Ok((r, cpu))
    }
}

fn session(args: &Args, bin_dir: &Path, work: &Path, stop: &AtomicBool) -> Result<()> {
    let t = Instant::now();
    let routes = router::write_routes(&work.join("routes.txt"), args.fib, args.components)?;
    let names = router::dest_names(&routes, args.flows, args.components)?;
    drop(routes);
    let src: Name = "/bench/latency".parse()?;
    let templates: Vec<Template> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            Template::request(
                n,
                &src,
                (i as u32).wrapping_mul(0x9E37_79B9),
                args.frame,
                MacAddr([0x02, 0, 0, 0, 0x0c, 0x01]),
                MacAddr([0x02, 0, 0, 0, 0x0d, 0x01]),
            )
        })
        .collect::<Result<_, _>>()?;
    let frame_len = templates.iter().map(Template::len).max().unwrap_or(0);
    eprintln!("prepared {} routes, {} names, frames of {frame_len} bytes in {:.1} s", args.fib, names.len(), t.elapsed().as_secs_f64());

    let (in_sock, out_sock) = (work.join("a.sock"), work.join("b.sock"));
    let gen_mem = match args.gen_mem.as_str() {
        "huge" => huge_args(),
        "no-huge" => no_huge_args(),
        _ => router::auto_mem_args(),
    };
    let mut eal_args: Vec<String> = vec![
        "--lcores".into(),
        format!("0@{}", args.gen_core),
        "--no-pci".into(),
        "--file-prefix".into(),
        gen_prefix(),
    ];
    eal_args.extend(gen_mem.iter().cloned());
    eal_args.extend([
        "--vdev".into(),
        format!("net_memif0,role=server,socket={}", in_sock.display()),
        "--vdev".into(),
        format!("net_memif1,role=server,socket={}", out_sock.display()),
    ]);
    let eal = Eal::init(&eal_args).context("EAL init of the generator")?;
    let hz = dpdk::tsc_hz();
    ensure!(hz > 0, "TSC frequency unknown");
    let pool = Mempool::pktmbuf("lat_pool", 16383, 256, DEFAULT_DATA_ROOM_BYTES, SOCKET_ID_ANY)?;
    let conf = PortConfig { rx_queues: 1, tx_queues: 1, rx_descriptors: 0, tx_descriptors: 0, mtu: 1500 };
    let tx_port = Port::by_name("net_memif0").context("memif port net_memif0")?;
    let rx_port = Port::by_name("net_memif1").context("memif port net_memif1")?;
    for p in [tx_port, rx_port] {
        p.configure(&conf, &pool)?;
        p.start()?;
    }
    let router_mem = if args.mem == "huge" { huge_args() } else { no_huge_args() };
    let spec = DmscdSpec {
        bin: bin_dir.join("dmscd"),
        work: work.to_path_buf(),
        core: args.router_core,
        mem_args: router_mem,
        file_prefix: dmscd_prefix(),
        in_sock,
        out_sock,
    };
    let mut dmscd = Dmscd::start(&spec, Duration::from_secs(180))?;
    let start = Instant::now();
    while !(tx_port.link().up && rx_port.link().up) {
        if let Some(st) = dmscd.exited() {
            bail!("dmscd exited ({st}); see {}", work.join("dmscd.log").display());
        }
        ensure!(start.elapsed() < Duration::from_secs(10), "memif links not up 10 s after dmscd started");
        ensure!(!stop.load(Ordering::Relaxed), "interrupted");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut gen = Gen {
        tx: tx_port.tx_queue(0)?,
        rx: rx_port.rx_queue(0)?,
        pool,
        tx_port,
        rx_port,
        templates,
        hz,
        next_trial: 1,
        total_accepted: 0,
        total_received: 0,
        alloc_failures: 0,
        router_pid: dmscd.pid(),
    };
    println!(
        "dmscd on core {}, generator on core {}; fib {} prefixes, {} components, {}-byte frames ({} asked), {} flows; TSC {:.0} MHz; \
         generator memory {}, dmscd memory {}",
        args.router_core,
        args.gen_core,
        args.fib,
        args.components,
        frame_len,
        args.frame,
        names.len(),
        hz as f64 / 1e6,
        gen_mem.join(" "),
        spec.mem_args.join(" ")
    );
    let outcome = if args.smoke { smoke(args, &mut gen, stop) } else { measure(args, &mut gen, stop, &mut dmscd) };
    // Whatever the outcome: let the last packets come back, stop dmscd, reconcile.
    let mut idle = RxState { trial: u32::MAX, tracker: SeqTracker::new(), hist: new_histogram(hz), stale: 0, foreign: 0, nonpositive: 0 };
    gen.drain(&mut idle, Duration::from_millis(200), false);
    // Our port counters first: memif reports none once the peer has disconnected.
    let ours = (gen.tx_port.stats(), gen.rx_port.stats());
    let counters = dmscd.stop();
    let Gen { tx, rx, pool, tx_port, rx_port, total_accepted, total_received, alloc_failures, .. } = gen;
    drop((tx, rx));
    for p in [tx_port, rx_port] {
        let _ = p.stop();
        let _ = p.close();
    }
    drop(pool);
    drop(eal);
    outcome?;
    let counters = counters?;
    let (txs, rxs) = (ours.0?, ours.1?);
    let problems = reconcile(&counters, txs.opackets, rxs.ipackets, total_accepted, total_received);
    println!(
        "counters: generator sent {} (port {}), received {} (port {}); dmscd rx {} forwarded {} tx {} [{}]; pool exhausted {alloc_failures} times",
        total_accepted, txs.opackets, total_received, rxs.ipackets, counters.rx, counters.forwarded, counters.tx, counters.drops
    );
    if !problems.is_empty() {
        let msg = problems.join("; ");
        if args.smoke {
            bail!("counters do not add up: {msg}");
        }
        eprintln!("WARNING: counters do not add up: {msg}");
    }
    if args.smoke {
        println!("smoke: ok");
    }
    Ok(())
}

/// Whole-session checks: what we sent is what dmscd received, what dmscd sent is what we
/// received (nothing left in flight after the final drain), dmscd forwarded everything.
fn reconcile(c: &RouterCounters, port_tx: u64, port_rx: u64, accepted: u64, received: u64) -> Vec<String> {
    let mut p = Vec::new();
    if accepted != port_tx {
        p.push(format!("the generator counted {accepted} packets accepted, its port {port_tx}"));
    }
    if received != port_rx {
        p.push(format!("the receiver counted {received} packets, its port {port_rx}"));
    }
    if c.rx != port_tx {
        p.push(format!("the generator sent {port_tx} packets, dmscd received {}", c.rx));
    }
    if c.forwarded != c.rx {
        p.push(format!("dmscd forwarded {} of {} (all traffic is routable)", c.forwarded, c.rx));
    }
    if c.tx != port_rx {
        p.push(format!("dmscd sent {} packets, the receiver got {port_rx}", c.tx));
    }
    p
}

fn smoke(args: &Args, gen: &mut Gen, stop: &AtomicBool) -> Result<()> {
    let (full, cpu) = gen.trial(args, None, args.rmax_s, stop)?;
    println!("full blast: {} | {}", full.line(), cpu.text());
    let (r, cpu) = gen.trial(args, Some(args.smoke_pps), args.duration_s, stop)?;
    println!("{:.0} pps: {} | {}", args.smoke_pps, r.line(), cpu.text());
    let mut problems = Vec::new();
    for (what, t) in [("full blast", &full), ("low rate", &r)] {
        let s = &t.seq;
        if s.sent == 0 || s.distinct == 0 {
            problems.push(format!("{what}: no traffic flowed (sent {}, received {})", s.sent, s.distinct));
        }
        if s.sent != s.distinct + s.lost || s.lost != s.lost_by_gaps {
            problems.push(format!("{what}: sent {} ≠ received {} + lost {} (lost by gaps {})", s.sent, s.distinct, s.lost, s.lost_by_gaps));
        }
        if s.duplicates + s.out_of_range + t.foreign + t.nonpositive > 0 {
            problems.push(format!(
                "{what}: {} duplicates, {} out of range, {} foreign, {} non-positive latencies",
                s.duplicates, s.out_of_range, t.foreign, t.nonpositive
            ));
        }
        match t.percentiles() {
            Some(p) if p.min_us > 0.0 && p.max_us < SMOKE_MAX_LATENCY_US => {}
            Some(p) => problems.push(format!("{what}: latency out of (0, {SMOKE_MAX_LATENCY_US} µs): min {} max {}", p.min_us, p.max_us)),
            None => problems.push(format!("{what}: no latency sample")),
        }
    }
    // A low rate must mostly arrive (not a speed assertion: 100 kpps is ~2 % of either core).
    if r.seq.distinct * 2 < r.seq.sent {
        problems.push(format!("low rate: only {} of {} packets arrived", r.seq.distinct, r.seq.sent));
    }
    ensure!(problems.is_empty(), "smoke: {}", problems.join("; "));
    Ok(())
}

/// Fails if dmscd has exited.
fn alive(dmscd: &mut Dmscd) -> Result<()> {
    if let Some(st) = dmscd.exited() {
        bail!("dmscd exited ({st}) during the measurement");
    }
    Ok(())
}

/// Formats `x` µs.
fn us(x: f64) -> String {
    format!("{x:.1}")
}

fn measure(args: &Args, gen: &mut Gen, stop: &AtomicBool, dmscd: &mut Dmscd) -> Result<()> {
    // rows[i]: results of load i over runs; rmax: per-run R_max trials.
    let mut rmax: Vec<TrialResult> = Vec::new();
    let mut rows: Vec<Vec<TrialResult>> = vec![Vec::new(); args.loads.len()];
    let mut cpus: Vec<Vec<CpuShare>> = vec![Vec::new(); args.loads.len()];
    let mut rmax_cpu: Vec<CpuShare> = Vec::new();
    let runs = if args.no_sweep { 1 } else { args.runs };
    for run in 1..=runs {
        alive(dmscd)?;
        let (full, cpu) = gen.trial(args, None, args.rmax_s, stop)?;
        let r_max = full.received_pps();
        eprintln!("run {run}: full blast (R_max): {} | {}", full.line(), cpu.text());
        rmax_cpu.push(cpu);
        ensure!(r_max > 0.0, "nothing came back at full blast");
        rmax.push(full);
        if args.no_sweep {
            break;
        }
        for (i, load) in args.loads.iter().enumerate() {
            alive(dmscd)?;
            let rate = r_max * load / 100.0;
            let (t, cpu) = gen.trial(args, Some(rate), args.duration_s, stop)?;
            eprintln!("run {run}: {load:>3} % ({:.3} Mpps): {} | {}", rate / 1e6, t.line(), cpu.text());
            cpus[i].push(cpu);
            if t.offered_pps() < 0.98 * rate {
                eprintln!("  note: offered {:.3} Mpps, below the target: the generator fell behind", t.offered_pps() / 1e6);
            }
            rows[i].push(t);
        }
    }
    let med = |v: Vec<f64>| median(&v).unwrap_or(f64::NAN);
    let rmax_med = med(rmax.iter().map(TrialResult::received_pps).collect());
    println!(
        "R_max (received at full blast, {} s after {} s warm-up): median {:.3} Mpps over {} runs (runs: {}); \
         offered {:.3} Mpps, refused at dmscd's input {:.3} Mpps (median)",
        args.rmax_s,
        args.warmup_s,
        rmax_med / 1e6,
        rmax.len(),
        rmax.iter().map(|t| format!("{:.3}", t.received_pps() / 1e6)).collect::<Vec<_>>().join(", "),
        med(rmax.iter().map(TrialResult::offered_pps).collect()) / 1e6,
        med(rmax.iter().map(|t| t.refused as f64 / t.duration_s).collect()) / 1e6,
    );
    let pct = |t: &TrialResult| t.percentiles().unwrap_or_default();
    if !args.no_sweep {
        println!(
            "latency, µs (median over {} runs of each run's percentile; max = largest of any run), {} s per load after {} s warm-up:",
            args.runs, args.duration_s, args.warmup_s
        );
        println!("| load | offered Mpps | received Mpps | p50 | p99 | p99.9 | max | lost (all runs) | undisturbed runs |");
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let table = |label: String, ts: &[TrialResult], cs: &[CpuShare]| {
            let maxv = ts.iter().map(|t| pct(t).max_us).fold(0.0, f64::max);
            println!(
                "| {label} | {:.3} | {:.3} | {} | {} | {} | {} | {} of {} | {} of {} |",
                med(ts.iter().map(TrialResult::offered_pps).collect()) / 1e6,
                med(ts.iter().map(TrialResult::received_pps).collect()) / 1e6,
                us(med(ts.iter().map(|t| pct(t).p50_us).collect())),
                us(med(ts.iter().map(|t| pct(t).p99_us).collect())),
                us(med(ts.iter().map(|t| pct(t).p999_us).collect())),
                us(maxv),
                ts.iter().map(TrialResult::lost_total).sum::<u64>(),
                ts.iter().map(TrialResult::offered).sum::<u64>(),
                cs.iter().filter(|c| c.clean()).count(),
                cs.len(),
            );
        };
        for ((load, ts), cs) in args.loads.iter().zip(&rows).zip(&cpus) {
            table(format!("{load} %"), ts, cs);
        }
        table("full blast".into(), &rmax, &rmax_cpu);
        println!("undisturbed = this process and dmscd each got >= 95 % of their core while measured (/proc/PID/stat)");
    }
    if args.loss_search {
        // Ceiling: the median R_max (the search's resolution is 1 % of it).
        let base = rmax_med;
        let mut search = LossSearch::new(base, base * args.resolution_pct / 100.0);
        eprintln!("loss search: ceiling {:.3} Mpps, resolution {:.3} Mpps, {} s trials", base / 1e6, base * args.resolution_pct / 1e8, args.duration_s);
        let mut best: Option<TrialResult> = None;
        while let Some(rate) = search.next_rate() {
            alive(dmscd)?;
            let (t, cpu) = gen.trial(args, Some(rate), args.duration_s, stop)?;
            eprintln!(
                "  {:.3} Mpps: {} | {} | skipped {} | {}",
                rate / 1e6,
                if t.zero_loss() { "zero loss" } else { "LOSS" },
                t.line(),
                t.skipped,
                cpu.text()
            );
            let ok = t.zero_loss();
            search.record(rate, ok);
            if ok {
                best = Some(t);
            }
        }
        let r = search.result();
        let best_line = best.map(|t| {
            let p = pct(&t);
            format!(" (latency there: p50 {} µs, p99 {} µs, max {} µs)", us(p.p50_us), us(p.p99_us), us(p.max_us))
        });
        println!(
            "RFC 2544 zero-loss rate ({} s trials, resolution {} % of R_max = {:.3} Mpps): {:.3} Mpps = {:.1} % of R_max{}{}; lowest lossy rate {}; {} trials",
            args.duration_s,
            args.resolution_pct,
            base / 1e6,
            r.zero_loss_pps / 1e6,
            100.0 * r.zero_loss_pps / base,
            if r.at_ceiling { " (the ceiling itself: may be higher)" } else { "" },
            best_line.unwrap_or_default(),
            r.lossy_pps.map_or("none".into(), |x| format!("{:.3} Mpps", x / 1e6)),
            r.trials.len()
        );
    }
    Ok(())
}
