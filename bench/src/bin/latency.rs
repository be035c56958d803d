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
//! FIB churn (`--churn R`, `dmsc_bench::churn`): a tenth of the FIB (`--churn-set`, always
//! including the routes the traffic hits) is installed through dmscd's management API
//! instead of the routes file (static routes would shadow API replacements), and while
//! a trial runs, a client thread replaces those routes at `R` routes/s in batches of
//! `--churn-batch`, alternating two next hops on the sink's port. Every trial of the
//! sweep is then run twice at the same offered rate, with and without churn (order
//! alternating by run), and full blast too; each trial also records the received and
//! offered rate per 100-ms window (lowest vs median = the rate dip), how often dmscd's
//! lcore thread was preempted and how long it waited for its core (`schedstat`), the
//! hypervisor's steal time on both cores (`/proc/stat`), and where its control thread
//! ran. With `--smoke` it also
//! checks that the batches changed FIB entries (replies' `changed`, dmscd's
//! `fib_changes` counter, `ShowFib`'s source `api`) and that frames carried the second
//! next hop's MAC.
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
use dmsc_bench::churn::{self, ChurnSpec, ChurnSummary, Churner};
use dmsc_bench::housekeeping::HousekeepingArgs;
use dmsc_bench::latency::frame::{read_stamp, write_tx_tsc, Stamp, Template};
use dmsc_bench::latency::pacing::Pacer;
use dmsc_bench::latency::router::{
    self, cpu_ticks, Dmscd, DmscdSpec, RouterCounters, StartOptions, CHURN_ALT_MAC, NEIGHBOR_MAC,
};
use dmsc_bench::latency::search::LossSearch;
use dmsc_bench::latency::seq::{Receipt, SeqTracker};
use dmsc_bench::latency::stats::{median, new_histogram, TrialResult, WindowRates};
use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::Name;
use dpdk::{Eal, MbufArray, Mempool, Port, PortConfig, RxQueue, TxQueue, DEFAULT_DATA_ROOM_BYTES, SOCKET_ID_ANY};

/// Largest burst handed to the driver at once.
const MAX_BURST: usize = 32;
/// Sanity bound of the smoke mode: no latency may exceed this.
const SMOKE_MAX_LATENCY_US: f64 = 1e6;
/// Length of the windows the received and offered rates are counted in, seconds.
const WINDOW_S: f64 = 0.1;
/// Routes per `UpdateRoutes` call when installing the churn set.
const INSTALL_BATCH: usize = 10_000;

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
    #[command(flatten)]
    churn_opts: churn::ChurnArgs,
    #[command(flatten)]
    housekeeping: HousekeepingArgs,
    /// CPUs dmscd is started with (its affinity before its EAL pins the lcore):
    /// `inherit` (default: this program's, i.e. its EAL lcore's core `--gen-core`, since
    /// dmscd is started after EAL initialisation), `all` (the machine's online CPUs, as
    /// when started from a shell or systemd), or a `taskset` list. dmscd's control and
    /// statistics threads keep this affinity: with `inherit` they share the generator's
    /// core and never run on the lcore's.
    #[arg(long, default_value = "inherit")]
    dmscd_cpus: String,
    /// Pin dmscd's control thread (`dmsc-control`: management API and FIB writer) to this
    /// core, or `any` (default: leave it on `--dmscd-cpus`).
    #[arg(long, default_value = "any")]
    control_core: String,
    /// Nice value for dmscd's control thread (`renice`; e.g. -10: when it shares a core
    /// with the polling lcore, the scheduler then gives it the larger share it asks for,
    /// instead of half).
    #[arg(long, allow_hyphen_values = true)]
    control_nice: Option<i32>,
    /// log2 of the memif ring size on both links (dmscd, the memif client, sets it;
    /// 1..=14); default: the driver's, 10 (1024 slots). A ring of `2^r` slots absorbs a
    /// stall of the router (or of this program's receive loop) of `2^r / rate` seconds.
    #[arg(long)]
    memif_rsize: Option<u8>,
    /// Packets the paced generator may fall behind its schedule and still send late
    /// (back-to-back bursts of 32) before it skips slots; 0 (default) = one burst. A
    /// generator that shares its core (e.g. with `--control-core 0`) then offers its
    /// target on average, in bursts of up to this many packets: keep it below the ring
    /// (`2^memif-rsize`) so that a catch-up burst alone cannot overflow it.
    #[arg(long, default_value_t = 0)]
    catch_up: usize,
    /// Before each trial, wait up to this many seconds until other processes use under
    /// 10 % of a core (this program and dmscd excluded); 0 = do not wait. Each trial
    /// reports the CPU other processes used while it was measured either way.
    #[arg(long, default_value_t = 0.0)]
    quiet_wait_s: f64,
    /// Pin the churn client thread to this core, or `any` (default).
    #[arg(long, default_value = "any")]
    churn_core: String,
}

/// `any` or a core number.
fn parse_core(what: &str, s: &str) -> Result<Option<u32>> {
    if s == "any" {
        return Ok(None);
    }
    s.parse().map(Some).with_context(|| format!("{what} {s:?}: expected a core number or `any`"))
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
    // Restored when dropped, at the end of this function (also after SIGINT/SIGTERM).
    let _housekeeping = args.housekeeping.apply(args.router_core as usize)?;
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
    let needs_taskset = args.dmscd_cpus != "inherit" || args.control_core != "any" || args.churn_core != "any";
    let in_path = |tool: &str| {
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
    };
    if args.control_nice.is_some() && !in_path("renice") {
        missing.push("`renice` not in PATH (Debian: bsdutils), needed by --control-nice".to_owned());
    }
    if needs_taskset && !in_path("taskset") {
        missing.push("`taskset` not in PATH (Debian: util-linux), needed unless --dmscd-cpus inherit".to_owned());
    }
    if args.memif_rsize.is_some_and(|r| !(1..=14).contains(&r)) {
        missing.push("--memif-rsize must be in 1..=14".to_owned());
    }
    if args.catch_up >= 1usize << args.memif_rsize.unwrap_or(10).min(14) {
        missing.push("--catch-up must be below the memif ring size (2^--memif-rsize)".to_owned());
    }
    if args.churn_opts.churn < 0.0 || !args.churn_opts.churn.is_finite() {
        missing.push(format!("--churn {}: routes per second must be >= 0", args.churn_opts.churn));
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
    /// dmscd's process id (for its CPU share; also its lcore thread's id).
    router_pid: u32,
    /// dmscd's control thread, if found.
    control_tid: Option<u32>,
    /// Destination MAC of the churn's second next hop.
    alt_mac: [u8; 6],
    /// The pacer's bound on late packets (`--catch-up`).
    catch_up: usize,
}

/// The churn of a session: client, what to run, what was installed.
struct ChurnCtx {
    churner: Churner,
    spec: ChurnSpec,
    installed: u64,
    /// A route the traffic hits (to show in the FIB).
    probe: String,
}

/// One trial's results.
struct Trial {
    r: TrialResult,
    cpu: CpuShare,
    churn: Option<ChurnSummary>,
}

/// Busy time of all CPUs together (`/proc/stat` line `cpu`: all but idle and iowait),
/// clock ticks (USER_HZ, 100/s).
fn busy_ticks() -> Option<u64> {
    let v = churn::cpu_stat_values(&std::fs::read_to_string("/proc/stat").ok()?, "cpu")?;
    v.iter().take(8).sum::<u64>().checked_sub(*v.get(3)? + *v.get(4)?)
}

/// Cores' worth of CPU other processes used between two samples: all CPUs' busy time
/// minus what `pids` used, over `dt` seconds.
fn others_share(busy: [Option<u64>; 2], ours: [[Option<u64>; 2]; 2], dt: f64) -> Option<f64> {
    let all = busy[1]?.checked_sub(busy[0]?)?;
    let mine = ours[1][0]?.saturating_sub(ours[0][0]?) + ours[1][1]?.saturating_sub(ours[0][1]?);
    (dt > 0.0).then(|| all.saturating_sub(mine) as f64 / 100.0 / dt)
}

/// Waits (up to `max_s`) until other processes use under 10 % of a core over half a
/// second; returns the seconds waited. `pids` (this process, dmscd) do not count.
fn wait_quiet(max_s: f64, pids: [u32; 2], stop: &AtomicBool) -> f64 {
    let t = Instant::now();
    while max_s > 0.0 && t.elapsed().as_secs_f64() < max_s && !stop.load(Ordering::Relaxed) {
        let (b0, p0) = (busy_ticks(), pids.map(cpu_ticks));
        let t0 = Instant::now();
        std::thread::sleep(Duration::from_millis(500));
        let others = others_share([b0, busy_ticks()], [p0, pids.map(cpu_ticks)], t0.elapsed().as_secs_f64());
        if others.is_some_and(|o| o < 0.10) {
            break;
        }
    }
    t.elapsed().as_secs_f64()
}

/// Share of one core (1.0 = never preempted) this process and dmscd got in a measured
/// phase, from `/proc/PID/stat`; `None` if unreadable.
#[derive(Clone, Copy, Debug, Default)]
struct CpuShare {
    gen: Option<f64>,
    router: Option<f64>,
    /// Times dmscd's lcore thread was preempted (involuntary context switches).
    lcore_preemptions: Option<u64>,
    /// Milliseconds dmscd's lcore thread was runnable but waiting for its core (other
    /// threads of this guest ran there).
    lcore_wait_ms: Option<f64>,
    /// Milliseconds of hypervisor steal time on the generator's and on the lcore's core.
    steal_ms: [Option<f64>; 2],
    /// CPU time of dmscd's control thread, share of one core.
    control: Option<f64>,
    /// CPU time of every other process on the machine (all cores busy time minus this
    /// process's and dmscd's), in cores.
    others: Option<f64>,
    /// Seconds waited for the machine to be quiet before the trial.
    waited_s: f64,
}

impl CpuShare {
    fn text(&self) -> String {
        let p = |x: Option<f64>| x.map_or("?".to_owned(), |x| format!("{:.0} %", x * 100.0));
        let ms = |x: Option<f64>| x.map_or("?".to_owned(), |x| format!("{x:.1} ms"));
        format!(
            "CPU: generator {}, dmscd {} (control thread {}; lcore preempted {} times, waited {}), other processes {} of a core, steal {} / {}{}",
            p(self.gen),
            p(self.router),
            p(self.control),
            self.lcore_preemptions.map_or("?".to_owned(), |n| n.to_string()),
            ms(self.lcore_wait_ms),
            p(self.others),
            ms(self.steal_ms[0]),
            ms(self.steal_ms[1]),
            if self.waited_s >= 0.5 { format!(" (waited {:.0} s for quiet)", self.waited_s) } else { String::new() }
        )
    }

    /// Other processes took under 10 % of a core while measured (unknown: not quiet).
    fn quiet(&self) -> bool {
        self.others.is_some_and(|o| o < 0.10)
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
    /// TSC at the phase's start, and cycles per rate window.
    start: u64,
    win_cycles: u64,
    /// Distinct receipts per window (empty: not counted).
    windows: Vec<u64>,
    /// Receipts that carried the churn's second next-hop MAC.
    alt_mac: u64,
}

impl RxState {
    fn idle(trial: u32, hz: u64) -> RxState {
        RxState {
            trial,
            tracker: SeqTracker::new(),
            hist: new_histogram(hz),
            stale: 0,
            foreign: 0,
            nonpositive: 0,
            start: 0,
            win_cycles: 1,
            windows: Vec::new(),
            alt_mac: 0,
        }
    }
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
        let (mut fresh, mut alt) = (0u64, 0u64);
        for m in arr.drain() {
            match read_stamp(m.data()) {
                Ok(s) if s.trial == st.trial => match st.tracker.on_received(s.seq) {
                    Receipt::InOrder | Receipt::Reordered => {
                        fresh += 1;
                        alt += u64::from(m.data().get(..6) == Some(&self.alt_mac[..]));
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
        st.alt_mac += alt;
        let w = (now.saturating_sub(st.start) / st.win_cycles) as usize;
        if let Some(x) = st.windows.get_mut(w) {
            *x += fresh;
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
    fn phase(
        &mut self,
        rate_pps: Option<f64>,
        d: Duration,
        drain: Duration,
        stop: &AtomicBool,
        sent_end: &mut dyn FnMut(),
    ) -> TrialResult {
        let trial = self.next_trial;
        self.next_trial = self.next_trial.wrapping_add(1);
        let mut st = RxState::idle(trial, self.hz);
        let start = dpdk::tsc();
        let end = start + (d.as_secs_f64() * self.hz as f64) as u64;
        st.start = start;
        st.win_cycles = ((WINDOW_S * self.hz as f64) as u64).max(1);
        let n_windows = (d.as_secs_f64() / WINDOW_S + 1e-9).floor() as usize;
        st.windows = vec![0; n_windows];
        let mut tx_windows = vec![0u64; n_windows];
        let mut pacer = Pacer::new(start, self.hz, rate_pps, MAX_BURST, self.catch_up);
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
                        if let Some(x) = tx_windows.get_mut(((now - start) / st.win_cycles) as usize) {
                            *x += n as u64;
                        }
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
            window_s: WINDOW_S,
            rx_windows: st.windows,
            tx_windows,
            alt_mac: st.alt_mac,
        }
    }

    /// A trial: warm-up (not measured, no drain), then the measured phase and its drain;
    /// with `churn`, the churn runs from before the warm-up to the end of the drain. Also
    /// returns the share of a core this process and dmscd got while measured, how often
    /// dmscd's lcore was preempted and its control thread's CPU time.
    fn trial(
        &mut self,
        args: &Args,
        rate_pps: Option<f64>,
        measure_s: f64,
        stop: &AtomicBool,
        churn: Option<&ChurnCtx>,
    ) -> Result<Trial> {
        let pids = [std::process::id(), self.router_pid];
        let waited = wait_quiet(args.quiet_wait_s, pids, stop);
        let running = churn.map(|c| c.churner.start(c.spec.clone())).transpose()?;
        if args.warmup_s > 0.0 {
            self.phase(rate_pps, Duration::from_secs_f64(args.warmup_s), Duration::ZERO, stop, &mut || {});
        }
        let (rp, ctid) = (self.router_pid, self.control_tid);
        let cores = [args.gen_core, args.router_core];
        let threads = move || {
            (
                churn::thread_preemptions(rp, rp),
                ctid.and_then(|t| churn::thread_cpu_ticks(rp, t)),
                churn::thread_run_delay_ns(rp, rp),
                cores.map(churn::cpu_steal_ticks),
            )
        };
        let before = pids.map(cpu_ticks);
        let busy_before = busy_ticks();
        let threads_before = threads();
        let t0 = Instant::now();
        let mut after = [None, None];
        let mut busy_after = None;
        let mut threads_after = (None, None, None, [None, None]);
        let mut dt = 0.0;
        let r = self.phase(
            rate_pps,
            Duration::from_secs_f64(measure_s),
            Duration::from_millis(args.drain_ms),
            stop,
            &mut || {
                // The drain is left out of the window (this process then only receives).
                after = pids.map(cpu_ticks);
                busy_after = busy_ticks();
                threads_after = threads();
                dt = t0.elapsed().as_secs_f64();
            },
        );
        let churn = running.map(|r| r.stop()).transpose()?;
        let share = |i: usize| Some(after[i]?.saturating_sub(before[i]?) as f64 / 100.0 / dt);
        let cpu = CpuShare {
            gen: share(0),
            router: share(1),
            lcore_preemptions: threads_after.0.zip(threads_before.0).map(|(a, b)| a.saturating_sub(b)),
            control: threads_after.1.zip(threads_before.1).map(|(a, b)| a.saturating_sub(b) as f64 / 100.0 / dt),
            lcore_wait_ms: threads_after.2.zip(threads_before.2).map(|(a, b)| a.saturating_sub(b) as f64 / 1e6),
            steal_ms: [0, 1]
                .map(|i| threads_after.3[i].zip(threads_before.3[i]).map(|(a, b)| a.saturating_sub(b) as f64 * 10.0)),
            others: others_share([busy_before, busy_after], [before, after], dt),
            waited_s: waited,
        };
        if stop.load(Ordering::Relaxed) {
            bail!("interrupted");
        }
        Ok(Trial { r, cpu, churn })
    }
}

fn session(args: &Args, bin_dir: &Path, work: &Path, stop: &AtomicBool) -> Result<()> {
    let t = Instant::now();
    // With churn, the churn set goes through the API, not the routes file.
    let flow_routes = router::flow_route_indices(args.fib, args.flows);
    let churn_idx = if args.churn_opts.enabled() {
        churn::churn_indices(args.fib, args.churn_opts.set_size(args.fib), &flow_routes)
    } else {
        Vec::new()
    };
    let routes = router::write_routes_except(&work.join("routes.txt"), args.fib, args.components, &churn_idx)?;
    let names = router::dest_names(&routes, args.flows, args.components)?;
    let probe = routes[flow_routes[0]].to_string();
    // Spawned before EAL initialisation, so not bound to the generator's core.
    let churner = if churn_idx.is_empty() {
        None
    } else {
        Some(Churner::spawn(churn_idx.iter().map(|i| routes[*i].to_string()).collect())?)
    };
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
    eprintln!(
        "prepared {} routes, {} names, frames of {frame_len} bytes in {:.1} s",
        args.fib,
        names.len(),
        t.elapsed().as_secs_f64()
    );

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
    let cpus = match args.dmscd_cpus.as_str() {
        "all" => Some(router::online_cpus()?),
        "inherit" => None,
        list => Some(list.to_owned()),
    };
    let opts = StartOptions { cpus, memif_rsize: args.memif_rsize, name_cache: None };
    let mut dmscd = Dmscd::start_with(&spec, Duration::from_secs(180), &opts)?;
    let start = Instant::now();
    while !(tx_port.link().up && rx_port.link().up) {
        if let Some(st) = dmscd.exited() {
            bail!("dmscd exited ({st}); see {}", work.join("dmscd.log").display());
        }
        ensure!(start.elapsed() < Duration::from_secs(10), "memif links not up 10 s after dmscd started");
        ensure!(!stop.load(Ordering::Relaxed), "interrupted");
        std::thread::sleep(Duration::from_millis(10));
    }
    let churn = match churner {
        Some(c) => Some(setup_churn(args, c, &spec, dmscd.pid(), probe)?),
        None => None,
    };
    let control_tid = churn::thread_named(dmscd.pid(), "dmsc-control");
    if let Some(core) = parse_core("--control-core", &args.control_core)? {
        churn::pin_thread(control_tid.context("dmscd's control thread (dmsc-control) not found")?, core)?;
    }
    if let Some(nice) = args.control_nice {
        churn::renice_thread(control_tid.context("dmscd's control thread (dmsc-control) not found")?, nice)?;
    }
    let allowed = |pid: u32, tid: Option<u32>| {
        tid.and_then(|t| churn::thread_status(pid, t, "Cpus_allowed_list")).unwrap_or_else(|| "?".into())
    };
    println!(
        "threads: dmscd lcore (tid {}) cores {}; dmscd control thread (dmsc-control, tid {}) cores {}, nice {}{}",
        dmscd.pid(),
        allowed(dmscd.pid(), Some(dmscd.pid())),
        control_tid.map_or("?".into(), |t| t.to_string()),
        allowed(dmscd.pid(), control_tid),
        args.control_nice.unwrap_or(0),
        churn.as_ref().map_or(String::new(), |c| format!(
            "; churn client ({}, tid {}) cores {}",
            churn::THREAD_NAME,
            c.churner.tid(),
            allowed(std::process::id(), Some(c.churner.tid()))
        )),
    );
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
        control_tid,
        alt_mac: CHURN_ALT_MAC.parse::<MacAddr>().map_err(|_| anyhow::anyhow!("bad MAC {CHURN_ALT_MAC}"))?.0,
        catch_up: args.catch_up,
    };
    println!(
        "dmscd on core {}, generator on core {}; fib {} prefixes, {} components, {}-byte frames ({} asked), {} flows; TSC {:.0} MHz; \
         generator memory {}, dmscd memory {}; memif rings of {} slots; pacer catch-up {} packets; dmscd started on CPUs {}",
        args.router_core,
        args.gen_core,
        args.fib,
        args.components,
        frame_len,
        args.frame,
        names.len(),
        hz as f64 / 1e6,
        gen_mem.join(" "),
        spec.mem_args.join(" "),
        1u32 << args.memif_rsize.unwrap_or(10),
        args.catch_up.max(MAX_BURST),
        opts.cpus.as_deref().unwrap_or("of the generator's lcore (inherited)"),
    );
    let mut outcome = if args.smoke {
        smoke(args, &mut gen, stop, churn.as_ref())
    } else {
        measure(args, &mut gen, stop, &mut dmscd, churn.as_ref())
    };
    // Whatever the outcome: let the last packets come back, check the churn's effect on
    // dmscd's FIB, stop dmscd, reconcile.
    let mut idle = RxState::idle(u32::MAX, hz);
    gen.drain(&mut idle, Duration::from_millis(200), false);
    if let Some(c) = &churn {
        let checked = check_churn_effect(c);
        if outcome.is_ok() && args.smoke {
            outcome = checked;
        } else if let Err(e) = checked {
            eprintln!("WARNING: {e:#}");
        }
    }
    drop(churn);
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

/// Installs the churn set through the management API (next hop `p1`/`NEIGHBOR_MAC`, as
/// the routes file would have), checks that every route changed the FIB and that a route
/// the traffic hits is now an API route, and returns the churn to run.
fn setup_churn(args: &Args, churner: Churner, spec: &DmscdSpec, dmscd_pid: u32, probe: String) -> Result<ChurnCtx> {
    if let Some(core) = parse_core("--churn-core", &args.churn_core)? {
        churn::pin_thread(churner.tid(), core)?;
    }
    churner.connect(&spec.mgmt_socket(), Duration::from_secs(10))?;
    let inst = churner.install(churn::hop("p1", NEIGHBOR_MAC), INSTALL_BATCH)?;
    ensure!(
        inst.changed == inst.routes,
        "installing the churn set: {} routes sent, {} FIB entries changed (a static route shadows an API route?)",
        inst.routes,
        inst.changed
    );
    let fib = churner.show_fib(&probe, 1)?;
    let route = fib.routes.first().filter(|r| r.prefix == probe).context("the probe route is not in dmscd's FIB")?;
    ensure!(route.source == "api", "route {probe} has source {:?} after the API install, not \"api\"", route.source);
    let batch = args.churn_opts.batch().clamp(1, churner.set_len());
    println!(
        "churn set: {} prefixes installed through the API in {:.2} s ({} FIB entries changed); FIB {} routes, version {}; \
         {probe}: source {}; churn {:.0} routes/s in batches of {batch} (every {:.1} ms), next hops p1 {NEIGHBOR_MAC} <-> p1 {CHURN_ALT_MAC}",
        inst.routes,
        inst.seconds,
        inst.changed,
        fib.total,
        fib.version,
        route.source,
        args.churn_opts.churn,
        batch as f64 / args.churn_opts.churn * 1e3,
    );
    let control = churn::thread_named(dmscd_pid, "dmsc-control").map(|t| (dmscd_pid, t));
    let hops = [churn::hop("p1", NEIGHBOR_MAC), churn::hop("p1", CHURN_ALT_MAC)];
    Ok(ChurnCtx {
        churner,
        spec: ChurnSpec { rate_rps: args.churn_opts.churn, batch, hops, control },
        installed: inst.changed,
        probe,
    })
}

/// After the trials: dmscd's `fib_changes` must equal what the install and the churn's
/// replies reported, and the probe route must still be an API route.
fn check_churn_effect(c: &ChurnCtx) -> Result<()> {
    let counters = c.churner.control_counters()?;
    let get = |k: &str| counters.get(k).copied().unwrap_or(0);
    let replaced = c.churner.replaced();
    let fib = c.churner.show_fib(&c.probe, 1)?;
    let route = fib.routes.first().filter(|r| r.prefix == c.probe).context("the probe route is not in dmscd's FIB")?;
    let hops: Vec<String> = route.next_hops.iter().map(|h| format!("{} {}", h.port_name, h.mac)).collect();
    println!(
        "churn check: dmscd fib_updates {} fib_changes {} fib_errors {} (installed {} + replaced {replaced}); FIB version {}, {} routes; \
         {} now: source {}, next hop {}",
        get("fib_updates"),
        get("fib_changes"),
        get("fib_errors"),
        c.installed,
        fib.version,
        fib.total,
        c.probe,
        route.source,
        hops.join(", ")
    );
    ensure!(
        get("fib_changes") == c.installed + replaced && get("fib_errors") == 0,
        "dmscd counted {} FIB changes ({} errors), the API replies {} + {replaced}",
        get("fib_changes"),
        get("fib_errors"),
        c.installed
    );
    ensure!(route.source == "api", "route {} has source {:?}, not \"api\"", c.probe, route.source);
    Ok(())
}

/// Smoke checks of one trial's packet accounting.
fn smoke_trial_problems(what: &str, t: &TrialResult, problems: &mut Vec<String>) {
    let s = &t.seq;
    if s.sent == 0 || s.distinct == 0 {
        problems.push(format!("{what}: no traffic flowed (sent {}, received {})", s.sent, s.distinct));
    }
    if s.sent != s.distinct + s.lost || s.lost != s.lost_by_gaps {
        problems.push(format!(
            "{what}: sent {} ≠ received {} + lost {} (lost by gaps {})",
            s.sent, s.distinct, s.lost, s.lost_by_gaps
        ));
    }
    if s.duplicates + s.out_of_range + t.foreign + t.nonpositive > 0 {
        problems.push(format!(
            "{what}: {} duplicates, {} out of range, {} foreign, {} non-positive latencies",
            s.duplicates, s.out_of_range, t.foreign, t.nonpositive
        ));
    }
    match t.percentiles() {
        Some(p) if p.min_us > 0.0 && p.max_us < SMOKE_MAX_LATENCY_US => {}
        Some(p) => problems
            .push(format!("{what}: latency out of (0, {SMOKE_MAX_LATENCY_US} µs): min {} max {}", p.min_us, p.max_us)),
        None => problems.push(format!("{what}: no latency sample")),
    }
    if t.rx_windows.iter().sum::<u64>() > s.distinct {
        problems.push(format!("{what}: more receipts in the rate windows than distinct receipts"));
    }
}

fn smoke(args: &Args, gen: &mut Gen, stop: &AtomicBool, churn: Option<&ChurnCtx>) -> Result<()> {
    let full = gen.trial(args, None, args.rmax_s, stop, None)?;
    println!("full blast: {} | {}", full.r.line(), full.cpu.text());
    let low = gen.trial(args, Some(args.smoke_pps), args.duration_s, stop, None)?;
    println!("{:.0} pps: {} | {}", args.smoke_pps, low.r.line(), low.cpu.text());
    let mut problems = Vec::new();
    smoke_trial_problems("full blast", &full.r, &mut problems);
    smoke_trial_problems("low rate", &low.r, &mut problems);
    // A low rate must mostly arrive (not a speed assertion: 100 kpps is ~2 % of either core).
    if low.r.seq.distinct * 2 < low.r.seq.sent {
        problems.push(format!("low rate: only {} of {} packets arrived", low.r.seq.distinct, low.r.seq.sent));
    }
    if let Some(c) = churn {
        let t = gen.trial(args, Some(args.smoke_pps), args.duration_s, stop, Some(c))?;
        let sum = t.churn.as_ref().context("churn trial without a churn summary")?;
        println!("{:.0} pps with churn: {} | {}", args.smoke_pps, t.r.line(), t.cpu.text());
        println!("{}", sum.line());
        smoke_trial_problems("low rate with churn", &t.r, &mut problems);
        if sum.batches() == 0 || sum.changed() == 0 {
            problems.push(format!("churn: {} batches, {} FIB entries changed", sum.batches(), sum.changed()));
        }
        if sum.changed() != sum.routes() || sum.errors > 0 {
            problems.push(format!(
                "churn: {} routes replaced but {} FIB entries changed; {} failed calls ({})",
                sum.routes(),
                sum.changed(),
                sum.errors,
                sum.first_error.as_deref().unwrap_or("-")
            ));
        }
        if t.r.alt_mac == 0 {
            problems.push(format!("churn: no received frame carried the second next hop's MAC {CHURN_ALT_MAC}"));
        }
        if t.r.seq.distinct * 2 < t.r.seq.sent {
            problems
                .push(format!("low rate with churn: only {} of {} packets arrived", t.r.seq.distinct, t.r.seq.sent));
        }
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

/// `a / b / c` of per-run values.
fn per_run(ts: &[Trial], f: impl Fn(&Trial) -> String) -> String {
    ts.iter().map(f).collect::<Vec<_>>().join(" / ")
}

/// Median, min and max of `xs` as `median (min–max)` with `f` formatting each.
fn spread(xs: &[f64], f: impl Fn(f64) -> String) -> String {
    let v: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    match median(&v) {
        None => "–".to_owned(),
        Some(m) if v.len() == 1 => f(m),
        Some(m) => format!(
            "{} ({}–{})",
            f(m),
            f(v.iter().copied().fold(f64::INFINITY, f64::min)),
            f(v.iter().copied().fold(f64::NEG_INFINITY, f64::max))
        ),
    }
}

/// The churn comparison: per load, the trials without and with churn.
fn churn_table(args: &Args, rows: &[(String, Vec<Trial>, Vec<Trial>)]) {
    println!(
        "FIB churn {:.0} routes/s (batches of {}): each load without and with churn in the same run; medians over runs (min–max); \
         windows of {:.0} ms; lost = refused at dmscd's input + not received:",
        args.churn_opts.churn,
        args.churn_opts.batch(),
        WINDOW_S * 1e3
    );
    println!(
        "| load | churn | offered Mpps | received Mpps | lost per run | loss (all runs) | received per window: lowest Mpps | median Mpps | dip | offered lowest window Mpps | p50 µs | p99 µs | max µs | lcore preemptions per run | lcore waited ms per run | steal ms on the lcore's core per run | control thread CPU | other processes' CPU | quiet trials | churn achieved routes/s | publish µs p50 / p99 / max |"
    );
    println!(
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mpps = |x: f64| format!("{:.3}", x / 1e6);
    for (label, without, with) in rows {
        for (on, ts) in [(false, without), (true, with)] {
            if ts.is_empty() {
                continue;
            }
            let w: Vec<WindowRates> = ts.iter().filter_map(|t| t.r.rx_window_rates()).collect();
            let tw: Vec<WindowRates> = ts.iter().filter_map(|t| t.r.tx_window_rates()).collect();
            let p: Vec<_> = ts.iter().map(|t| t.r.percentiles().unwrap_or_default()).collect();
            let lost: u64 = ts.iter().map(|t| t.r.lost_total()).sum();
            let offered: u64 = ts.iter().map(|t| t.r.offered()).sum();
            let sums: Vec<&ChurnSummary> = ts.iter().filter_map(|t| t.churn.as_ref()).collect();
            let publish = if sums.is_empty() {
                "–".to_owned()
            } else {
                let q: Vec<_> = sums.iter().map(|s| s.publish_us()).collect();
                format!(
                    "{:.0} / {:.0} / {:.0}",
                    median(&q.iter().map(|q| q.p50).collect::<Vec<_>>()).unwrap_or(0.0),
                    median(&q.iter().map(|q| q.p99).collect::<Vec<_>>()).unwrap_or(0.0),
                    q.iter().map(|q| q.max).fold(0.0, f64::max)
                )
            };
            println!(
                "| {label} | {} | {} | {} | {} | {lost} of {offered} ({:.3} %) | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} of {} | {} | {publish} |",
                if on { "yes" } else { "no" },
                spread(&ts.iter().map(|t| t.r.offered_pps()).collect::<Vec<_>>(), mpps),
                spread(&ts.iter().map(|t| t.r.received_pps()).collect::<Vec<_>>(), mpps),
                per_run(ts, |t| format!("{}{}", t.r.lost_total(), if t.r.saturated() { "*" } else { "" })),
                100.0 * lost as f64 / offered.max(1) as f64,
                spread(&w.iter().map(|w| w.min_pps).collect::<Vec<_>>(), mpps),
                spread(&w.iter().map(|w| w.median_pps).collect::<Vec<_>>(), mpps),
                spread(&w.iter().map(|w| w.dip() * 100.0).collect::<Vec<_>>(), |x| format!("{x:.1} %")),
                spread(&tw.iter().map(|w| w.min_pps).collect::<Vec<_>>(), mpps),
                spread(&p.iter().map(|p| p.p50_us).collect::<Vec<_>>(), us),
                spread(&p.iter().map(|p| p.p99_us).collect::<Vec<_>>(), us),
                us(p.iter().map(|p| p.max_us).fold(0.0, f64::max)),
                per_run(ts, |t| t.cpu.lcore_preemptions.map_or("?".into(), |n| n.to_string())),
                per_run(ts, |t| t.cpu.lcore_wait_ms.map_or("?".into(), |x| format!("{x:.1}"))),
                per_run(ts, |t| t.cpu.steal_ms[1].map_or("?".into(), |x| format!("{x:.0}"))),
                spread(&ts.iter().filter_map(|t| t.cpu.control).collect::<Vec<_>>(), |x| format!("{:.1} %", x * 100.0)),
                spread(&ts.iter().filter_map(|t| t.cpu.others).collect::<Vec<_>>(), |x| format!("{:.0} %", x * 100.0)),
                ts.iter().filter(|t| t.cpu.quiet()).count(),
                ts.len(),
                if sums.is_empty() {
                    "–".to_owned()
                } else {
                    spread(&sums.iter().map(|s| s.achieved_rps()).collect::<Vec<_>>(), |x| format!("{x:.0}"))
                },
            );
        }
    }
    println!(
        "dip = 1 − lowest / median received window; lcore preemptions = involuntary context switches of dmscd's forwarding thread while measured; \
         * = saturated trial (p50 latency ≥ 1 ms: a standing queue, the offered load was above what dmscd forwarded then); \
         lcore waited = its time runnable but not running (schedstat); steal = hypervisor steal time of the lcore's vCPU (/proc/stat, 10-ms ticks); \
         control thread CPU = share of one core; other processes' CPU = all cores' busy time minus this program's and dmscd's, share of one core \
         (quiet trial: < 10 %); publish = UpdateRoutes' publish_us (validate, merge, FibWriter::apply incl. grace period)"
    );
}

fn measure(args: &Args, gen: &mut Gen, stop: &AtomicBool, dmscd: &mut Dmscd, churn: Option<&ChurnCtx>) -> Result<()> {
    // rows[i]: trials of load i over runs (without churn); crows[i]: with churn.
    let mut rmax: Vec<Trial> = Vec::new();
    let mut rmax_churn: Vec<Trial> = Vec::new();
    let mut rows: Vec<Vec<Trial>> = (0..args.loads.len()).map(|_| Vec::new()).collect();
    let mut crows: Vec<Vec<Trial>> = (0..args.loads.len()).map(|_| Vec::new()).collect();
    let runs = if args.no_sweep { 1 } else { args.runs };
    let show_churn = |t: &Trial| {
        if let Some(s) = &t.churn {
            eprintln!("    {}", s.line());
        }
    };
    for run in 1..=runs {
        alive(dmscd)?;
        let full = gen.trial(args, None, args.rmax_s, stop, None)?;
        let r_max = full.r.received_pps();
        eprintln!("run {run}: full blast (R_max): {} | {}", full.r.line(), full.cpu.text());
        ensure!(r_max > 0.0, "nothing came back at full blast");
        rmax.push(full);
        if args.no_sweep {
            break;
        }
        if let Some(c) = churn {
            alive(dmscd)?;
            let t = gen.trial(args, None, args.rmax_s, stop, Some(c))?;
            eprintln!("run {run}: full blast with churn: {} | {}", t.r.line(), t.cpu.text());
            show_churn(&t);
            rmax_churn.push(t);
        }
        for (i, load) in args.loads.iter().enumerate() {
            let rate = r_max * load / 100.0;
            // With churn: both at the same rate, the order alternating by run.
            let order: &[bool] = match (churn.is_some(), run % 2 == 0) {
                (false, _) => &[false],
                (true, false) => &[false, true],
                (true, true) => &[true, false],
            };
            for &with in order {
                alive(dmscd)?;
                let t = gen.trial(args, Some(rate), args.duration_s, stop, churn.filter(|_| with))?;
                let tag = if with { " with churn" } else { "" };
                eprintln!("run {run}: {load:>3} % ({:.3} Mpps){tag}: {} | {}", rate / 1e6, t.r.line(), t.cpu.text());
                show_churn(&t);
                if t.r.offered_pps() < 0.98 * rate {
                    eprintln!(
                        "  note: offered {:.3} Mpps, below the target: the generator fell behind",
                        t.r.offered_pps() / 1e6
                    );
                }
                if with {
                    crows[i].push(t);
                } else {
                    rows[i].push(t);
                }
            }
        }
    }
    let med = |v: Vec<f64>| median(&v).unwrap_or(f64::NAN);
    let rmax_med = med(rmax.iter().map(|t| t.r.received_pps()).collect());
    println!(
        "R_max (received at full blast, {} s after {} s warm-up): median {:.3} Mpps over {} runs (runs: {}); \
         offered {:.3} Mpps, refused at dmscd's input {:.3} Mpps (median)",
        args.rmax_s,
        args.warmup_s,
        rmax_med / 1e6,
        rmax.len(),
        rmax.iter().map(|t| format!("{:.3}", t.r.received_pps() / 1e6)).collect::<Vec<_>>().join(", "),
        med(rmax.iter().map(|t| t.r.offered_pps()).collect()) / 1e6,
        med(rmax.iter().map(|t| t.r.refused as f64 / t.r.duration_s).collect()) / 1e6,
    );
    let pct = |t: &TrialResult| t.percentiles().unwrap_or_default();
    if !args.no_sweep {
        println!(
            "latency, µs (median over {} runs of each run's percentile; max = largest of any run), {} s per load after {} s warm-up{}:",
            args.runs,
            args.duration_s,
            args.warmup_s,
            if churn.is_some() { ", without churn" } else { "" }
        );
        println!(
            "| load | offered Mpps | received Mpps | p50 | p99 | p99.9 | max | lost (all runs) | undisturbed runs |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let table = |label: String, ts: &[Trial]| {
            let maxv = ts.iter().map(|t| pct(&t.r).max_us).fold(0.0, f64::max);
            println!(
                "| {label} | {:.3} | {:.3} | {} | {} | {} | {} | {} of {} | {} of {} |",
                med(ts.iter().map(|t| t.r.offered_pps()).collect()) / 1e6,
                med(ts.iter().map(|t| t.r.received_pps()).collect()) / 1e6,
                us(med(ts.iter().map(|t| pct(&t.r).p50_us).collect())),
                us(med(ts.iter().map(|t| pct(&t.r).p99_us).collect())),
                us(med(ts.iter().map(|t| pct(&t.r).p999_us).collect())),
                us(maxv),
                ts.iter().map(|t| t.r.lost_total()).sum::<u64>(),
                ts.iter().map(|t| t.r.offered()).sum::<u64>(),
                ts.iter().filter(|t| t.cpu.clean()).count(),
                ts.len(),
            );
        };
        for (load, ts) in args.loads.iter().zip(&rows) {
            table(format!("{load} %"), ts);
        }
        table("full blast".into(), &rmax);
        println!("undisturbed = this process and dmscd each got >= 95 % of their core while measured (/proc/PID/stat)");
        if churn.is_some() {
            let mut cmp: Vec<(String, Vec<Trial>, Vec<Trial>)> = args
                .loads
                .iter()
                .zip(rows.into_iter().zip(crows))
                .map(|(l, (a, b))| (format!("{l} %"), a, b))
                .collect();
            cmp.push(("full blast".into(), std::mem::take(&mut rmax), rmax_churn));
            churn_table(args, &cmp);
        }
    }
    if args.loss_search {
        // Ceiling: the median R_max (the search's resolution is 1 % of it). Without churn.
        let base = rmax_med;
        let mut search = LossSearch::new(base, base * args.resolution_pct / 100.0);
        eprintln!(
            "loss search: ceiling {:.3} Mpps, resolution {:.3} Mpps, {} s trials",
            base / 1e6,
            base * args.resolution_pct / 1e8,
            args.duration_s
        );
        let mut best: Option<TrialResult> = None;
        while let Some(rate) = search.next_rate() {
            alive(dmscd)?;
            let Trial { r: t, cpu, .. } = gen.trial(args, Some(rate), args.duration_s, stop, None)?;
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
