//! Convergence after a failure under traffic, loss-derived [RFC 6413 §3.5,
//! §4.1]: a DMSC network of real dmscd processes (`dmsc topo up`, by default
//! the draft's Figure 2), a constant stream of requests from one Pod to a
//! service behind another SG, one router killed (SIGKILL) mid-stream, and
//!
//! ```text
//!   convergence time = frames lost / offered rate
//! ```
//!
//! measured at the destination Pod, which sees every frame's sequence number.
//!
//! ```text
//!        SG1 (sender pod)             SG1 → SR1 → SG3 before the failure,
//!        |  \                         SG1 → SR2 → SR3 → SG3 after it
//!       SR1 - SR2
//!        |  \  |
//!       SG3 - SR3
//!   (receiver pod)
//! ```
//!
//! One run: bring the topology up; wait until every router's SPF back-off is
//! quiet [RFC 8405 §5.1] (the state an operator's network is in when a fault
//! strikes); start the capture at the receiver and the paced sender; after
//! `--before-ms` kill the failed router; stop sending after `--after-ms` more;
//! count. A control run with `--fail none` measures the loss of the path
//! itself (it should be 0; a non-zero figure is subtracted by nobody and is
//! reported next to the result).
//!
//! Also reported: the longest run of consecutive lost sequence numbers ÷ rate
//! (the outage as one gap, RFC 6413 §4.5 "loss-derived" vs the gap view),
//! frames that arrived twice, and frames that arrived out of order.
//!
//! Alternatives rejected: timing the FIB change with `dmsc show fib` polls
//! (measures the control plane, not what the Pod sees, and at the poll's
//! resolution); a DPDK generator on a memif port (the Pods of `dmsc topo` are
//! taps, and the rate needed for 1 ms resolution, 20,000 frames/s, is well
//! within AF_PACKET's reach).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use clap::Parser;
use dmsc::topo::{self, Topology};
use dmsc::traffic;
use dmsc_wire::packet::Packet;

#[derive(Parser, Debug)]
#[command(about = "Loss-derived convergence time (RFC 6413) after a router failure under traffic")]
struct Args {
    /// Topology file.
    #[arg(long, default_value = "config/examples/figure2/topology.toml")]
    topology: PathBuf,
    /// Router to kill (SIGKILL) mid-stream, or `none` for a control run.
    #[arg(long, default_value = "sr1")]
    fail: String,
    /// The SG whose Pod sends.
    #[arg(long, default_value = "sg1")]
    from: String,
    /// The SG whose Pod receives (it must serve `--name`).
    #[arg(long, default_value = "sg3")]
    to: String,
    /// Destination name of the requests (under a prefix `--to` serves).
    #[arg(long, default_value = "/inventory/stock")]
    name: String,
    /// Offered rate, frames per second (1 frame = 1000 / rate ms of outage).
    #[arg(long, default_value_t = 20_000)]
    rate_pps: u64,
    /// Traffic before the failure, ms.
    #[arg(long, default_value_t = 1_000)]
    before_ms: u64,
    /// Traffic after the failure, ms.
    #[arg(long, default_value_t = 3_000)]
    after_ms: u64,
    /// Frame size in bytes (Ethernet header included).
    #[arg(long, default_value_t = 128)]
    frame: usize,
    /// Runs (each a fresh bring-up).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Give up waiting for convergence or a quiet back-off after this many seconds.
    #[arg(long, default_value_t = 60)]
    timeout_s: u64,
    /// Directory of the release binaries (dmscd, dmsc).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Turn loop-free alternates off on every router (`loop_free_alternates =
    /// false`): the repair then waits for SPF (RFC 8405 initial delay).
    #[arg(long)]
    no_lfa: bool,
    /// Work directory (pcaps; the routers' run directory) [default: a new one under /tmp].
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Keep the work directory (pcaps, router logs) for inspection.
    #[arg(long)]
    keep: bool,
}

/// What one run saw.
#[derive(Clone, Debug, Default)]
struct RunResult {
    sent: usize,
    received: usize,
    lost: usize,
    duplicates: usize,
    reordered: usize,
    longest_gap: usize,
    /// Achieved send rate, frames/s (sent ÷ sender's wall time).
    rate_pps: f64,
    /// Time from the kill until the sender's SG had a route again (FIB poll, 5 ms).
    repair_ms: Option<f64>,
    /// Share of the frames sent before the failure (less the last 100 ms)
    /// that arrived: below 99 % the path was not forwarding cleanly before
    /// the failure and the run does not measure convergence.
    before_share: f64,
}

impl RunResult {
    fn convergence_ms(&self) -> f64 {
        self.lost as f64 * 1000.0 / self.rate_pps
    }
    fn gap_ms(&self) -> f64 {
        self.longest_gap as f64 * 1000.0 / self.rate_pps
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    prerequisites()?;
    let bin_dir = match &args.bin_dir {
        Some(d) => d.clone(),
        None => std::env::current_exe()?.parent().context("executable directory")?.to_path_buf(),
    };
    let (dmscd, dmsc) = (bin_dir.join("dmscd"), bin_dir.join("dmsc"));
    for b in [&dmscd, &dmsc] {
        ensure!(b.exists(), "{} not found (cargo build --release --bins)", b.display());
    }
    let mut base = Topology::load(&args.topology)?;
    for r in [&args.from, &args.to] {
        ensure!(
            base.routers.iter().any(|x| &x.name == r && x.pod),
            "router {r} has no pod in {}",
            args.topology.display()
        );
    }
    ensure!(
        args.fail == "none" || base.routers.iter().any(|x| x.name == args.fail),
        "no router {} in the topology",
        args.fail
    );
    ensure!(args.rate_pps > 0 && args.runs > 0, "--rate-pps and --runs must be positive");
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("dmsc-convergence-{}", std::process::id())));
    std::fs::create_dir_all(&work)?;
    base.name = format!("cv{}", std::process::id() % 100_000);
    base.run_dir = Some(work.join("run"));
    if args.no_lfa {
        base.loop_free_alternates = Some(false);
    }

    println!(
        "# {}{} on {} ({} routers): {} → {} ({}), {} frames/s of {} B, failure: {} after {} ms, then {} ms",
        if args.fail == "none" { "control run" } else { "kill" },
        if args.no_lfa { ", loop-free alternates off" } else { "" },
        args.topology.display(),
        base.routers.len(),
        args.from,
        args.to,
        args.name,
        args.rate_pps,
        args.frame,
        args.fail,
        args.before_ms,
        args.after_ms
    );
    println!(
        "{:>3} {:>8} {:>8} {:>6} {:>9} {:>14} {:>9} {:>5} {:>5} {:>10}  valid",
        "run", "sent", "recv", "lost", "rate/s", "convergence ms", "gap ms", "dup", "reord", "repair ms"
    );
    let mut results = Vec::new();
    let mut invalid = 0;
    for run in 1..=args.runs {
        let r = one_run(&args, &base, &work, &dmscd, &dmsc).with_context(|| {
            format!("run {run} (router logs were kept under /tmp/dmsc-topo-{}-logs if bring-up failed)", base.name)
        })?;
        let valid = r.before_share >= 0.99;
        println!(
            "{:>3} {:>8} {:>8} {:>6} {:>9.0} {:>14.1} {:>9.1} {:>5} {:>5} {:>10}  {}",
            run,
            r.sent,
            r.received,
            r.lost,
            r.rate_pps,
            r.convergence_ms(),
            r.gap_ms(),
            r.duplicates,
            r.reordered,
            r.repair_ms.map_or("-".to_string(), |v| format!("{v:.0}")),
            if valid {
                "yes".to_string()
            } else {
                format!("no: {:.1} % of the frames before the failure arrived", r.before_share * 100.0)
            }
        );
        if valid {
            results.push(r);
        } else {
            invalid += 1;
        }
    }
    if results.is_empty() {
        bail!("no valid run: the path did not forward before the failure in any of {} runs", args.runs);
    }
    let mut conv: Vec<f64> = results.iter().map(RunResult::convergence_ms).collect();
    conv.sort_by(f64::total_cmp);
    let lost: usize = results.iter().map(|r| r.lost).sum();
    let sent: usize = results.iter().map(|r| r.sent).sum();
    println!(
        "convergence (lost / offered rate): median {:.1} ms (min {:.1}, max {:.1}) over {} valid runs ({} invalid); {} of {} frames lost in those",
        conv[conv.len() / 2],
        conv[0],
        conv[conv.len() - 1],
        conv.len(),
        invalid,
        lost,
        sent
    );
    if !args.keep {
        let _ = std::fs::remove_dir_all(&work);
    } else {
        println!("work directory kept: {}", work.display());
    }
    Ok(())
}

fn prerequisites() -> Result<()> {
    let uid = std::fs::read_to_string("/proc/self/status")?
        .lines()
        .find_map(|l| l.strip_prefix("Uid:").map(|r| r.split_whitespace().next().unwrap_or("").to_string()))
        .unwrap_or_default();
    ensure!(uid == "0", "needs root (network namespaces, taps, DPDK)");
    ensure!(Command::new("ip").arg("-V").output().is_ok(), "`ip` (iproute2) not found");
    Ok(())
}

/// Stops the topology when dropped (also on error).
struct Down(Topology);

impl Drop for Down {
    fn drop(&mut self) {
        if let Err(e) = topo::down(&self.0) {
            eprintln!("topo down {}: {e:#}", self.0.name);
        }
    }
}

/// Kills a child process when dropped.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn one_run(args: &Args, base: &Topology, work: &Path, dmscd: &Path, dmsc: &Path) -> Result<RunResult> {
    let t = base.clone();
    let _down = Down(t.clone());
    let limit = Duration::from_secs(args.timeout_s);
    topo::up(&t, dmscd, limit)?;
    wait_quiet(&t, limit)?;

    // The stream: sequence numbers in the payload (traffic::request_frame).
    let count = (args.rate_pps * (args.before_ms + args.after_ms) / 1000) as usize;
    let spec = traffic::GenSpec {
        names: vec![args.name.parse().context("--name")?],
        count,
        flows: 16,
        sizes: vec![(args.frame, 1)],
        src: format!("/pod-{}", args.from).parse()?,
        hop_limit: 16,
        src_mac: t.pod_mac(&args.from).parse()?,
        dst_mac: t.pod_port_mac(&args.from).parse()?,
        ..traffic::GenSpec::default()
    };
    let frames = traffic::generate(&spec)?;
    let seq_of: BTreeMap<u64, usize> =
        frames.iter().enumerate().filter_map(|(i, f)| Some((seq(&f.bytes)?, i))).collect();
    ensure!(seq_of.len() == count, "generated frames lack distinct sequence numbers");
    let input = work.join("in.pcap");
    let output = work.join("out.pcap");
    traffic::write_pcap(std::fs::File::create(&input)?, frames.iter().map(|f| &f.bytes))?;

    let total_ms = args.before_ms + args.after_ms;
    let mut capture = Reap(
        Command::new("ip")
            .args(["netns", "exec", &t.netns(&args.to)])
            .arg(dmsc)
            .args(["capture", "--iface", &t.pod_iface(&args.to), "--quiet"])
            .args(["--count", &count.to_string(), "--idle-ms", "1500"])
            .args(["--timeout-ms", &(total_ms + 20_000).to_string()])
            .arg("--out")
            .arg(&output)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting dmsc capture")?,
    );
    let mut line = String::new();
    BufReader::new(capture.0.stderr.take().context("capture stderr")?).read_line(&mut line)?;
    ensure!(line.starts_with("capturing on"), "capture did not start: {line}");

    let mut sender = Reap(
        Command::new("ip")
            .args(["netns", "exec", &t.netns(&args.from)])
            .arg(dmsc)
            .args(["send", "--iface", &t.pod_iface(&args.from), "--rate-pps", &args.rate_pps.to_string()])
            .arg("--pcap")
            .arg(&input)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting dmsc send")?,
    );
    // The stream's time zero: the sender says so right before its first frame.
    let mut sender_err = BufReader::new(sender.0.stderr.take().context("sender stderr")?);
    let mut line = String::new();
    sender_err.read_line(&mut line)?;
    let started = Instant::now();
    ensure!(line.starts_with("sending"), "dmsc send did not start: {line}");
    let mut repair_ms = None;
    if args.fail != "none" {
        std::thread::sleep(Duration::from_millis(args.before_ms).saturating_sub(started.elapsed()));
        let state: topo::State = serde_json::from_str(&std::fs::read_to_string(t.run_dir().join("state.json"))?)?;
        let pid = *state.pids.get(&args.fail).context("failed router's pid")?;
        let killed = Instant::now();
        ensure!(Command::new("kill").args(["-KILL", &pid.to_string()]).status()?.success(), "kill {pid}");
        repair_ms = wait_route_change(&t, &args.from, &args.name, &args.fail, killed);
    }
    let status = sender.0.wait()?;
    let send_time = started.elapsed();
    if !status.success() {
        let mut err = String::new();
        std::io::Read::read_to_string(&mut sender_err, &mut err)?;
        bail!("dmsc send failed ({status}): {err}");
    }
    let status = capture.0.wait()?;
    ensure!(status.success(), "dmsc capture failed ({status})");

    let got = traffic::read_pcap(std::fs::File::open(&output)?)?;
    let mut seen = vec![false; count];
    let (mut duplicates, mut reordered, mut last) = (0, 0, None::<usize>);
    for f in &got {
        let Some(i) = seq(f).and_then(|s| seq_of.get(&s).copied()) else { continue };
        if std::mem::replace(&mut seen[i], true) {
            duplicates += 1;
            continue;
        }
        if last.is_some_and(|l| i < l) {
            reordered += 1;
        }
        last = Some(last.map_or(i, |l| l.max(i)));
    }
    let received = seen.iter().filter(|s| **s).count();
    let before = (args.rate_pps * args.before_ms.saturating_sub(100) / 1000) as usize;
    let before_share =
        if before == 0 { 1.0 } else { seen.iter().take(before).filter(|s| **s).count() as f64 / before as f64 };
    let longest_gap = seen.split(|s| *s).map(<[bool]>::len).max().unwrap_or(0);
    Ok(RunResult {
        sent: count,
        received,
        lost: count - received,
        duplicates,
        reordered,
        longest_gap,
        rate_pps: count as f64 / send_time.as_secs_f64(),
        repair_ms,
        before_share,
    })
}

/// The 8-byte sequence number at the start of a request's payload.
fn seq(frame: &[u8]) -> Option<u64> {
    let p = Packet::new_checked(frame.get(14..)?).ok()?;
    Some(u64::from_be_bytes(p.payload().get(..8)?.try_into().ok()?))
}

/// Waits until every router's SPF back-off is quiet [RFC 8405 §5.1], so that
/// the failure meets the initial delay, not a long wait left from bring-up.
fn wait_quiet(t: &Topology, limit: Duration) -> Result<()> {
    let t0 = Instant::now();
    loop {
        let states = topo::spf_states(t)?;
        if states.values().all(|s| s == "quiet") {
            return Ok(());
        }
        if t0.elapsed() > limit {
            bail!("SPF back-off not quiet after {limit:?}: {states:?}");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Polls the sender SG's FIB until the route of `name` no longer points at
/// the failed router's port and has a next hop again; returns ms since `t0`
/// (None after 10 s). For the report only: the figure is the loss.
fn wait_route_change(t: &Topology, sg: &str, name: &str, failed: &str, t0: Instant) -> Option<f64> {
    let dead_port = format!("to-{failed}");
    while t0.elapsed() < Duration::from_secs(10) {
        let text = dmsc::show::show(t.socket(sg), dmsc::show::What::Fib, true, None, 0).ok()?;
        let fib: serde_json::Value = serde_json::from_str(&text).ok()?;
        // The longest prefix of `name`, component-wise.
        let covers = |p: &str| name == p || p == "/" || name.strip_prefix(p).is_some_and(|r| r.starts_with('/'));
        let route = fib["routes"]
            .as_array()?
            .iter()
            .filter(|r| r["prefix"].as_str().is_some_and(covers))
            .max_by_key(|r| r["prefix"].as_str().map_or(0, str::len));
        let ports: Option<Vec<String>> = route.map(|r| {
            r["next_hops"]
                .as_array()
                .map(|h| h.iter().filter_map(|x| x["port_name"].as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        });
        if let Some(ports) = ports {
            if !ports.is_empty() && !ports.contains(&dead_port) {
                return Some(t0.elapsed().as_secs_f64() * 1000.0);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}
