//! FIB churn under load: a client of dmscd's management API that replaces routes at a
//! paced rate while the forwarding harnesses (`latency`, `throughput`) send traffic.
//!
//! What it does. `UpdateRoutes` (controlplane/proto/management.proto) applies a batch of
//! route updates atomically: the control thread merges them into its route table
//! (`controlplane/src/routes.rs`) and publishes the resulting FIB changes with one
//! `FibWriter::apply` (left-right copies, one pointer swap, a grace period). The churn
//! sends batches of `B` replacements every `B / R` seconds (`R` routes per second), each
//! route alternating between two next hops that both leave through the sink's port
//! (`p1`, neighbour MACs `…:02` and `…:03`), so every replacement is a real FIB change
//! (`RouteBatchReply.changed` counts it) and the traffic keeps reaching the sink.
//!
//! Which routes. Route sources have a preference: the configuration's static routes
//! (`[[routes]]`, `routes_file`) shadow API routes, which shadow the routing protocol's.
//! An API replacement of a prefix that is also a static route changes nothing in the
//! FIB (`changed = 0`). So the harnesses load the *churn set* — a subset of the FIB that
//! includes every route the traffic uses — through the API before traffic starts
//! ([`Churner::install`]), and write only the other prefixes to the routes file; the FIB
//! has the same prefixes as without churn, and the routes the packets hit are among
//! those replaced. [`churn_indices`] picks the set.
//!
//! Threads. The client is one OS thread with a single-threaded tokio runtime
//! ([`Churner`]), driven by the harness's main thread through a channel. It must be
//! spawned *before* the harness initialises EAL: threads created afterwards inherit the
//! EAL lcore's affinity (core 0, the generator's) — the same rule dmscd follows for its
//! control thread. [`pin_thread`] (via `taskset`) moves a thread to one core, e.g. dmscd's
//! control thread `dmsc-control`, found by [`thread_named`].
//!
//! Pacing. Batch `k` is due at `k · B / R` seconds after the start; one request is
//! outstanding at a time (like a controller waiting for each acknowledgement). If the
//! client falls more than `max(4 intervals, 50 ms)` behind (the server is slower than
//! `R`, or the client was not scheduled), the excess slots are skipped rather than sent
//! as a catch-up burst, and the achieved rate is reported.
//!
//! Encoding. The client replays the same updates over and over, so it encodes each
//! route's update once per next hop ([`EncodedSet`]) and sends a batch as a copy of
//! those bytes ([`mgmt::update_routes_encoded`]). Building and encoding the messages
//! for every batch cost the client ~1.2 µs per route, a third of it copying the prefix
//! strings (cache misses among 10^5 of them); at 10^5 routes/s that was ~12 % of the
//! core it shares with the generator (docs/performance.md, "A cheaper churn client").
//!
//! Rejected: one batch per packet-rate window driven from the generator's lcore loop
//! (a blocking RPC would stall the generator); a second process for the client (its
//! results would have to be parsed back; a thread shares the harness's clock and exit
//! path); removing and re-adding routes instead of replacing them (a removed route
//! drops the traffic that uses it: that is a different experiment, and the goal here is
//! zero loss while routes change).

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use dmsc_controlplane::mgmt::{self, pb};
use prost::Message;

/// Name of the client's thread (as `/proc/PID/task/TID/comm` shows it).
pub const THREAD_NAME: &str = "dmsc-churn";

/// A next hop on port `port_name` towards `mac`, cost 1.
pub fn hop(port_name: &str, mac: &str) -> pb::NextHop {
    pb::NextHop { port: 0, port_name: port_name.to_owned(), mac: mac.to_owned(), cost: 1 }
}

/// Indices (ascending, distinct) of the churn set among `n_routes` routes: every
/// `n_routes / set_size`-th route (so the set is spread over the whole FIB), plus every
/// index in `must` (the routes the traffic uses). At most `n_routes` indices.
pub fn churn_indices(n_routes: usize, set_size: usize, must: &[usize]) -> Vec<usize> {
    if n_routes == 0 {
        return Vec::new();
    }
    let set_size = set_size.clamp(1, n_routes);
    let stride = (n_routes / set_size).max(1);
    let mut v: Vec<usize> = (0..n_routes).step_by(stride).take(set_size).collect();
    v.extend(must.iter().copied().filter(|i| *i < n_routes));
    v.sort_unstable();
    v.dedup();
    v
}

/// Median, 99th percentile and maximum of a set of values (same unit as the values).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Quantiles {
    /// Median.
    pub p50: f64,
    /// 99th percentile (nearest rank).
    pub p99: f64,
    /// Largest value.
    pub max: f64,
}

impl Quantiles {
    /// Of `xs` (all zero when empty).
    pub fn of(xs: &[f64]) -> Quantiles {
        if xs.is_empty() {
            return Quantiles::default();
        }
        let mut v = xs.to_vec();
        v.sort_by(f64::total_cmp);
        let rank = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        Quantiles { p50: rank(0.5), p99: rank(0.99), max: v[v.len() - 1] }
    }
}

/// One `UpdateRoutes` call of the churn.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BatchRecord {
    /// When the request was sent, seconds since the churn started.
    pub sent_s: f64,
    /// Routes in the batch.
    pub routes: u32,
    /// FIB entries the reply says changed.
    pub changed: u32,
    /// The reply's `publish_us`: the server's time to validate, merge and publish the
    /// batch (grace period included), µs.
    pub publish_us: u64,
    /// The reply's `grace_period_us`: of `publish_us`, the wait for the lcores'
    /// quiescent states after the pointer swap, µs.
    pub grace_us: u64,
    /// Round-trip time of the call as the client saw it, µs.
    pub rpc_us: u64,
    /// CPU dmscd's control thread was last seen on after the reply (`None`: unknown).
    pub control_cpu: Option<u32>,
}

/// What a churn achieved.
#[derive(Clone, Debug, Default)]
pub struct ChurnSummary {
    /// Routes per second asked for.
    pub target_rps: f64,
    /// Routes per batch asked for.
    pub batch: usize,
    /// Every batch, in order.
    pub records: Vec<BatchRecord>,
    /// From the start to the last reply (or the stop), seconds.
    pub duration_s: f64,
    /// Schedule slots skipped because the client fell behind.
    pub skipped: u64,
    /// Calls that failed (the first error is in `first_error`).
    pub errors: u64,
    /// The first failed call's error.
    pub first_error: Option<String>,
    /// CPU time of dmscd's control thread during the churn, seconds (`None`: unknown).
    pub control_cpu_s: Option<f64>,
    /// CPU time of this client's thread during the churn, seconds.
    pub client_cpu_s: Option<f64>,
}

impl ChurnSummary {
    /// Batches answered.
    pub fn batches(&self) -> u64 {
        self.records.len() as u64
    }

    /// Routes sent in answered batches.
    pub fn routes(&self) -> u64 {
        self.records.iter().map(|r| u64::from(r.routes)).sum()
    }

    /// FIB entries changed, by the replies.
    pub fn changed(&self) -> u64 {
        self.records.iter().map(|r| u64::from(r.changed)).sum()
    }

    /// Routes per second achieved over the whole churn.
    pub fn achieved_rps(&self) -> f64 {
        if self.duration_s > 0.0 {
            self.routes() as f64 / self.duration_s
        } else {
            0.0
        }
    }

    /// Quantiles of one µs field of every batch.
    fn quantiles_of(&self, field: fn(&BatchRecord) -> u64) -> Quantiles {
        Quantiles::of(&self.records.iter().map(|r| field(r) as f64).collect::<Vec<_>>())
    }

    /// `publish_us` quantiles, µs.
    pub fn publish_us(&self) -> Quantiles {
        self.quantiles_of(|r| r.publish_us)
    }

    /// `grace_us` quantiles, µs.
    pub fn grace_us(&self) -> Quantiles {
        self.quantiles_of(|r| r.grace_us)
    }

    /// Round-trip quantiles, µs.
    pub fn rpc_us(&self) -> Quantiles {
        self.quantiles_of(|r| r.rpc_us)
    }

    /// Lowest routes/s over whole windows of `window_s` seconds (by send time); `None`
    /// if the churn lasted less than one window.
    pub fn min_window_rps(&self, window_s: f64) -> Option<f64> {
        let n = (self.duration_s / window_s).floor() as usize;
        if n == 0 || window_s <= 0.0 {
            return None;
        }
        let mut w = vec![0u64; n];
        for r in &self.records {
            if let Some(x) = w.get_mut((r.sent_s / window_s) as usize) {
                *x += u64::from(r.routes);
            }
        }
        w.iter().map(|x| *x as f64 / window_s).reduce(f64::min)
    }

    /// Share of the batches after which the control thread was seen on each CPU:
    /// `(cpu, batches)`, ascending by CPU.
    pub fn control_cpus(&self) -> Vec<(u32, u64)> {
        let mut m: std::collections::BTreeMap<u32, u64> = std::collections::BTreeMap::new();
        for c in self.records.iter().filter_map(|r| r.control_cpu) {
            *m.entry(c).or_default() += 1;
        }
        m.into_iter().collect()
    }

    /// One line: rates, counts, publish and round-trip times, where the control thread ran.
    pub fn line(&self) -> String {
        let (p, g, r) = (self.publish_us(), self.grace_us(), self.rpc_us());
        let cpus: Vec<String> = self.control_cpus().iter().map(|(c, n)| format!("cpu{c} {n}")).collect();
        let secs = |x: Option<f64>| x.map_or("?".to_owned(), |x| format!("{x:.2} s"));
        format!(
            "churn {:.0} routes/s asked, {:.0} achieved (lowest 1-s window {}) | {} batches of {}, {} routes, {} changed, {} skipped, {} errors | \
             publish µs p50 {:.0} p99 {:.0} max {:.0} (grace period p50 {:.0} p99 {:.0} max {:.0}); round trip µs p50 {:.0} p99 {:.0} max {:.0} | control thread CPU {} ({}), client CPU {}",
            self.target_rps,
            self.achieved_rps(),
            self.min_window_rps(1.0).map_or("–".to_owned(), |x| format!("{x:.0}")),
            self.batches(),
            self.batch,
            self.routes(),
            self.changed(),
            self.skipped,
            self.errors,
            p.p50,
            p.p99,
            p.max,
            g.p50,
            g.p99,
            g.max,
            r.p50,
            r.p99,
            r.max,
            secs(self.control_cpu_s),
            if cpus.is_empty() { "cpu ?".to_owned() } else { cpus.join(", ") },
            secs(self.client_cpu_s),
        )
    }
}

/// What [`Churner::install`] did.
#[derive(Clone, Copy, Debug, Default)]
pub struct InstallSummary {
    /// Routes sent.
    pub routes: u64,
    /// FIB entries the replies say changed.
    pub changed: u64,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// A churn to run: rate, batch size, the two next hops, the control thread to watch.
#[derive(Clone, Debug)]
pub struct ChurnSpec {
    /// Routes replaced per second.
    pub rate_rps: f64,
    /// Routes per `UpdateRoutes` call (at most the churn set's size).
    pub batch: usize,
    /// The next hops alternated: pass 0 over the set installs `hops[1]`, pass 1
    /// `hops[0]`, and so on ([`Churner::install`] installed `hops[0]`).
    pub hops: [pb::NextHop; 2],
    /// dmscd's pid and its control thread's id, to sample where the thread ran.
    pub control: Option<(u32, u32)>,
}

/// The churn options of `bench/latency` and `bench/throughput` (`#[command(flatten)]`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ChurnArgs {
    /// FIB churn: replace this many routes per second through dmscd's management API
    /// while forwarding, and measure with and without it in the same run (0 = no churn).
    #[arg(long, default_value_t = 0.0)]
    pub churn: f64,
    /// Routes per `UpdateRoutes` call of the churn (default: `--churn` / 100, one batch
    /// every ~10 ms; at most the churn set).
    #[arg(long)]
    pub churn_batch: Option<usize>,
    /// Prefixes installed through the API and replaced by the churn (default: a tenth of
    /// `--fib`), spread over the FIB; the routes the traffic hits are always among them.
    #[arg(long)]
    pub churn_set: Option<usize>,
}

impl ChurnArgs {
    /// Whether churn was asked for.
    pub fn enabled(&self) -> bool {
        self.churn > 0.0
    }

    /// Routes per batch: `--churn-batch`, or [`default_batch`] of the rate.
    pub fn batch(&self) -> usize {
        self.churn_batch.unwrap_or_else(|| default_batch(self.churn))
    }

    /// Size of the churn set for a FIB of `fib` routes: `--churn-set`, or a tenth; ≥ 1.
    pub fn set_size(&self, fib: usize) -> usize {
        self.churn_set.unwrap_or(fib / 10).max(1)
    }
}

/// The default batch size for `rate_rps`: one batch every ~10 ms, at least 1 route.
pub fn default_batch(rate_rps: f64) -> usize {
    ((rate_rps / 100.0).round() as usize).max(1)
}

/// The churn set's updates encoded once per next hop: a batch is then a copy of
/// contiguous bytes instead of `B` messages built and encoded.
///
/// Each route's record is the protobuf encoding of a one-route `RouteBatch` (the
/// `updates` field's tag, length and `RouteUpdate`); records concatenate into a batch
/// because a repeated field's elements may be written one after another.
pub struct EncodedSet {
    /// Per next hop: the records of every route of the set, in set order.
    bytes: [Vec<u8>; 2],
    /// Per next hop: where each record ends in `bytes` (record `i` is
    /// `ends[i - 1]..ends[i]`, record 0 starts at 0).
    ends: [Vec<usize>; 2],
}

impl EncodedSet {
    /// Encodes every prefix of `set` with each of `hops` (as [`batch_at`] builds them).
    pub fn new(set: &[String], hops: &[pb::NextHop; 2]) -> EncodedSet {
        let encode = |hop: &pb::NextHop| {
            let (mut bytes, mut ends) = (Vec::new(), Vec::with_capacity(set.len()));
            for prefix in set {
                let update = pb::RouteUpdate { prefix: prefix.clone(), remove: false, next_hops: vec![hop.clone()] };
                pb::RouteBatch { updates: vec![update] }.encode(&mut bytes).expect("a Vec grows as needed");
                ends.push(bytes.len());
            }
            (bytes, ends)
        };
        let ((b0, e0), (b1, e1)) = (encode(&hops[0]), encode(&hops[1]));
        EncodedSet { bytes: [b0, b1], ends: [e0, e1] }
    }

    /// The encoded `RouteBatch` of [`batch_at`]`(set, hops, position, batch)`.
    pub fn batch(&self, position: u64, batch: usize) -> Vec<u8> {
        let n = self.ends[0].len() as u64;
        if n == 0 {
            return Vec::new();
        }
        let per_route = self.bytes[0].len() as u64 / n + 1;
        let mut out = Vec::with_capacity((per_route * batch as u64) as usize);
        let (mut p, end) = (position, position + batch as u64);
        while p < end {
            // A run of consecutive routes within one pass over the set: one next hop,
            // contiguous records.
            let (pass, i) = (p / n, (p % n) as usize);
            let h = if pass % 2 == 0 { 1 } else { 0 };
            let j = (p % n + (end - p)).min(n) as usize;
            let start = if i == 0 { 0 } else { self.ends[h][i - 1] };
            out.extend_from_slice(&self.bytes[h][start..self.ends[h][j - 1]]);
            p += (j - i) as u64;
        }
        out
    }
}

enum Job {
    Connect(PathBuf, Duration, mpsc::Sender<Result<()>>),
    Install(Arc<Vec<String>>, pb::NextHop, usize, mpsc::Sender<Result<InstallSummary>>),
    Run(ChurnSpec, Arc<AtomicBool>, mpsc::Sender<Result<ChurnSummary>>),
    ShowFib(String, u32, mpsc::Sender<Result<pb::FibReply>>),
    Counters(mpsc::Sender<Result<HashMap<String, u64>>>),
}

/// The churn client: a thread with a tokio runtime and a management API connection,
/// driven from the harness's thread. Dropping it ends the thread (after the current job).
pub struct Churner {
    jobs: Option<mpsc::Sender<Job>>,
    handle: Option<JoinHandle<()>>,
    tid: u32,
    /// Routes replaced so far, all runs: position in the set and pass (which next hop).
    position: Arc<AtomicU64>,
    prefixes: Arc<Vec<String>>,
}

impl Churner {
    /// Starts the client thread for the churn set `prefixes` (URI form, e.g.
    /// `/svc1/m2/tok`). Call before EAL initialisation (see the module documentation).
    pub fn spawn(prefixes: Vec<String>) -> Result<Churner> {
        ensure!(!prefixes.is_empty(), "empty churn set");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("churn runtime")?;
        let (tx, rx) = mpsc::channel::<Job>();
        let (tid_tx, tid_rx) = mpsc::channel::<u32>();
        let position = Arc::new(AtomicU64::new(0));
        let prefixes = Arc::new(prefixes);
        let (pos, set) = (position.clone(), prefixes.clone());
        let handle = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                let _ = tid_tx.send(own_tid().unwrap_or(0));
                worker(rt, rx, pos, set)
            })
            .context("starting the churn thread")?;
        let tid = tid_rx.recv_timeout(Duration::from_secs(5)).unwrap_or(0);
        Ok(Churner { jobs: Some(tx), handle: Some(handle), tid, position, prefixes })
    }

    /// The client thread's id (0 if unknown).
    pub fn tid(&self) -> u32 {
        self.tid
    }

    /// Prefixes in the churn set.
    pub fn set_len(&self) -> usize {
        self.prefixes.len()
    }

    fn call<T>(&self, make: impl FnOnce(mpsc::Sender<Result<T>>) -> Job) -> Result<mpsc::Receiver<Result<T>>> {
        let (tx, rx) = mpsc::channel();
        self.jobs.as_ref().context("churn thread stopped")?.send(make(tx)).map_err(|_| anyhow!("churn thread gone"))?;
        Ok(rx)
    }

    fn wait<T>(rx: mpsc::Receiver<Result<T>>) -> Result<T> {
        rx.recv().map_err(|_| anyhow!("churn thread gone"))?
    }

    /// Connects to the management socket, retrying until it answers or `timeout`.
    pub fn connect(&self, socket: &Path, timeout: Duration) -> Result<()> {
        Self::wait(self.call(|tx| Job::Connect(socket.to_path_buf(), timeout, tx))?)
    }

    /// Installs the whole churn set with next hop `hop`, `batch` routes per call (as
    /// fast as the server takes them). Fails if a call fails.
    pub fn install(&self, hop: pb::NextHop, batch: usize) -> Result<InstallSummary> {
        let set = self.prefixes.clone();
        Self::wait(self.call(|tx| Job::Install(set, hop, batch.max(1), tx))?)
    }

    /// Starts the churn; it runs until [`RunningChurn::stop`]. Replacements continue
    /// where the previous run stopped (same set order, same alternation).
    pub fn start(&self, spec: ChurnSpec) -> Result<RunningChurn> {
        ensure!(spec.rate_rps > 0.0, "churn rate must be positive");
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let rx = self.call(|tx| Job::Run(spec, s, tx))?;
        Ok(RunningChurn { stop, rx })
    }

    /// `ShowFib` of the routes under `under` (at most `limit`, 0 = all).
    pub fn show_fib(&self, under: &str, limit: u32) -> Result<pb::FibReply> {
        Self::wait(self.call(|tx| Job::ShowFib(under.to_owned(), limit, tx))?)
    }

    /// dmscd's control-plane counters (`ShowCounters.control`).
    pub fn control_counters(&self) -> Result<HashMap<String, u64>> {
        Self::wait(self.call(Job::Counters)?)
    }

    /// Routes replaced so far by every run (since [`Churner::reset`]).
    pub fn replaced(&self) -> u64 {
        self.position.load(Ordering::Relaxed)
    }

    /// Moves the replacement sequence `routes` positions on, as if they had been sent
    /// (after the caller replaced them itself, continuing the alternation).
    pub fn skip(&self, routes: u64) {
        self.position.fetch_add(routes, Ordering::Relaxed);
    }

    /// Starts the replacement sequence again from the set's first route and `hops[1]`
    /// (after [`Churner::install`] into a new dmscd).
    pub fn reset(&self) {
        self.position.store(0, Ordering::Relaxed);
    }
}

impl Drop for Churner {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A churn in progress.
pub struct RunningChurn {
    stop: Arc<AtomicBool>,
    rx: mpsc::Receiver<Result<ChurnSummary>>,
}

impl RunningChurn {
    /// Stops after the batch in flight and returns the summary.
    pub fn stop(self) -> Result<ChurnSummary> {
        self.stop.store(true, Ordering::Relaxed);
        self.rx.recv_timeout(Duration::from_secs(60)).map_err(|e| anyhow!("churn thread did not stop: {e}"))?
    }
}

impl Drop for RunningChurn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn worker(rt: tokio::runtime::Runtime, jobs: mpsc::Receiver<Job>, position: Arc<AtomicU64>, set: Arc<Vec<String>>) {
    // The connection's type (a tonic channel) is inferred from `mgmt::channel`: the
    // bench does not depend on tonic, so the calls below take closures around it.
    let mut channel = None;
    let mut client = None;
    // Encoded once for the hops of the first run (every run uses the same two).
    let mut encoded: Option<([pb::NextHop; 2], EncodedSet)> = None;
    let no_client = || anyhow!("not connected to the management socket");
    while let Ok(job) = jobs.recv() {
        match job {
            Job::Connect(path, timeout, tx) => {
                let r = rt.block_on(async {
                    let start = Instant::now();
                    loop {
                        match mgmt::channel(path.clone()).await {
                            Ok(c) => return Ok(c),
                            Err(e) if start.elapsed() >= timeout => {
                                bail!("management socket {} not answering after {timeout:?}: {e}", path.display())
                            }
                            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                        }
                    }
                });
                let _ = tx.send(r.map(|ch| {
                    client = Some(pb::management_client::ManagementClient::new(ch.clone()));
                    channel = Some(ch);
                }));
            }
            Job::Install(set, hop, batch, tx) => {
                let r = match &client {
                    Some(c) => {
                        let mut update = |b: pb::RouteBatch| {
                            let mut c = c.clone();
                            async move { Ok(c.update_routes(b).await?.into_inner()) }
                        };
                        rt.block_on(install(&mut update, &set, hop, batch))
                    }
                    None => Err(no_client()),
                };
                let _ = tx.send(r);
            }
            Job::Run(spec, stop, tx) => {
                let r = match &channel {
                    Some(ch) => {
                        if encoded.as_ref().map_or(true, |(hops, _)| *hops != spec.hops) {
                            encoded = Some((spec.hops.clone(), EncodedSet::new(&set, &spec.hops)));
                        }
                        let enc = &encoded.as_ref().expect("encoded above").1;
                        let mut update = |b: Vec<u8>| {
                            let ch = ch.clone();
                            async move { Ok(mgmt::update_routes_encoded(ch, b.into()).await?) }
                        };
                        rt.block_on(run(&mut update, &spec, enc, &position, &stop))
                    }
                    None => Err(no_client()),
                };
                let _ = tx.send(r);
            }
            Job::ShowFib(under, limit, tx) => {
                let r = match &client {
                    Some(c) => {
                        let mut c = c.clone();
                        rt.block_on(async move {
                            Ok(c.show_fib(pb::FibRequest { under, limit }).await.context("ShowFib")?.into_inner())
                        })
                    }
                    None => Err(no_client()),
                };
                let _ = tx.send(r);
            }
            Job::Counters(tx) => {
                let r = match &client {
                    Some(c) => {
                        let mut c = c.clone();
                        rt.block_on(async move {
                            Ok(c.show_counters(pb::ShowRequest {}).await.context("ShowCounters")?.into_inner().control)
                        })
                    }
                    None => Err(no_client()),
                };
                let _ = tx.send(r);
            }
        }
    }
}

async fn install<F, Fut>(update: &mut F, set: &[String], hop: pb::NextHop, batch: usize) -> Result<InstallSummary>
where
    F: FnMut(pb::RouteBatch) -> Fut,
    Fut: Future<Output = Result<pb::RouteBatchReply>>,
{
    let t = Instant::now();
    let mut s = InstallSummary::default();
    for chunk in set.chunks(batch) {
        let updates = chunk
            .iter()
            .map(|p| pb::RouteUpdate { prefix: p.clone(), remove: false, next_hops: vec![hop.clone()] })
            .collect();
        let reply = update(pb::RouteBatch { updates }).await.context("UpdateRoutes (installing the churn set)")?;
        s.routes += chunk.len() as u64;
        s.changed += u64::from(reply.changed);
    }
    s.seconds = t.elapsed().as_secs_f64();
    Ok(s)
}

/// The next `batch` updates of the churn sequence starting at `position` (route
/// `position mod n` of pass `position div n`; pass 0 installs `hops[1]`).
pub fn batch_at(set: &[String], hops: &[pb::NextHop; 2], position: u64, batch: usize) -> Vec<pb::RouteUpdate> {
    let n = set.len().max(1) as u64;
    (position..position + batch as u64)
        .map(|p| {
            let pass = p / n;
            let hop = &hops[if pass % 2 == 0 { 1 } else { 0 }];
            pb::RouteUpdate { prefix: set[(p % n) as usize].clone(), remove: false, next_hops: vec![hop.clone()] }
        })
        .collect()
}

async fn run<F, Fut>(
    update: &mut F,
    spec: &ChurnSpec,
    set: &EncodedSet,
    position: &AtomicU64,
    stop: &AtomicBool,
) -> Result<ChurnSummary>
where
    F: FnMut(Vec<u8>) -> Fut,
    Fut: Future<Output = Result<pb::RouteBatchReply>>,
{
    // A batch must not name a prefix twice (the second update would count as a change
    // of its own): at most the whole set per batch.
    let batch = spec.batch.clamp(1, set.ends[0].len());
    let interval = batch as f64 / spec.rate_rps;
    let behind_limit = (4.0 * interval).max(0.05);
    let my_tid = own_tid();
    let client_ticks0 = my_tid.and_then(|t| thread_cpu_ticks(std::process::id(), t));
    let control_ticks0 = spec.control.and_then(|(p, t)| thread_cpu_ticks(p, t));
    let mut s = ChurnSummary { target_rps: spec.rate_rps, batch, ..ChurnSummary::default() };
    let t0 = Instant::now();
    let mut k: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        let now = t0.elapsed().as_secs_f64();
        let due = k as f64 * interval;
        if now < due {
            // Short sleeps so that a stop is seen within ~5 ms at any rate.
            tokio::time::sleep(Duration::from_secs_f64((due - now).min(0.005))).await;
            continue;
        }
        if now - due > behind_limit {
            let skip = ((now - due - behind_limit) / interval).ceil() as u64;
            s.skipped += skip;
            k += skip;
        }
        let pos = position.load(Ordering::Relaxed);
        let encoded = set.batch(pos, batch);
        let sent = t0.elapsed();
        match update(encoded).await {
            Ok(reply) => {
                let rpc = t0.elapsed() - sent;
                position.store(pos + batch as u64, Ordering::Relaxed);
                s.records.push(BatchRecord {
                    sent_s: sent.as_secs_f64(),
                    routes: batch as u32,
                    changed: reply.changed,
                    publish_us: reply.publish_us,
                    grace_us: reply.grace_period_us,
                    rpc_us: rpc.as_micros() as u64,
                    control_cpu: spec.control.and_then(|(p, t)| thread_last_cpu(p, t)),
                });
            }
            Err(e) => {
                s.errors += 1;
                if s.first_error.is_none() {
                    s.first_error = Some(format!("{e:#}"));
                }
                // A dead server: do not spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        k += 1;
    }
    s.duration_s = t0.elapsed().as_secs_f64();
    let secs = |a: Option<u64>, b: Option<u64>| Some(b?.saturating_sub(a?) as f64 / 100.0);
    s.client_cpu_s = secs(client_ticks0, my_tid.and_then(|t| thread_cpu_ticks(std::process::id(), t)));
    s.control_cpu_s = secs(control_ticks0, spec.control.and_then(|(p, t)| thread_cpu_ticks(p, t)));
    Ok(s)
}

// ---- threads in /proc ----------------------------------------------------------------

/// This thread's id (`/proc/thread-self` → `PID/task/TID`).
pub fn own_tid() -> Option<u32> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// The id of the first thread of process `pid` whose name (`comm`) is `name`.
pub fn thread_named(pid: u32, name: &str) -> Option<u32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .find(|tid| std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm")).is_ok_and(|c| c.trim_end() == name))
}

/// Fields of `/proc/PID/task/TID/stat` after the command name (field 3 is index 0).
fn task_stat(pid: u32, tid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// CPU time (user + system) thread `tid` of `pid` has used, clock ticks (USER_HZ, 100/s).
pub fn thread_cpu_ticks(pid: u32, tid: u32) -> Option<u64> {
    let f = task_stat(pid, tid)?;
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// The CPU thread `tid` of `pid` last ran on (`stat` field 39).
pub fn thread_last_cpu(pid: u32, tid: u32) -> Option<u32> {
    task_stat(pid, tid)?.get(36)?.parse().ok()
}

/// A line of `/proc/PID/task/TID/status` (e.g. `Cpus_allowed_list`), trimmed.
pub fn thread_status(pid: u32, tid: u32, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).ok()?;
    text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(':').map(|v| v.trim().to_owned()))
}

/// Involuntary context switches of thread `tid` of `pid` so far (the scheduler took
/// its CPU away while it was runnable: for a polling lcore, each one is a stall).
pub fn thread_preemptions(pid: u32, tid: u32) -> Option<u64> {
    thread_status(pid, tid, "nonvoluntary_ctxt_switches")?.parse().ok()
}

/// Nanoseconds thread `tid` of `pid` has spent runnable but waiting for its CPU
/// (`/proc/PID/task/TID/schedstat`, second value; the kernel's `sched_info`): for a
/// polling lcore, the time other threads of this guest kept it from polling.
pub fn thread_run_delay_ns(pid: u32, tid: u32) -> Option<u64> {
    parse_schedstat(&std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/schedstat")).ok()?).map(|s| s[1])
}

/// `schedstat`'s three values: time on the CPU (ns), time runnable and waiting (ns),
/// time slices run.
pub fn parse_schedstat(text: &str) -> Option<[u64; 3]> {
    let mut v = text.split_whitespace().map(|x| x.parse::<u64>().ok());
    let s = [v.next()??, v.next()??, v.next()??];
    v.next().is_none().then_some(s)
}

/// Steal time of CPU `cpu` so far: time the hypervisor ran something else while this
/// virtual CPU had work (`/proc/stat`, line `cpuN`, eighth value), clock ticks
/// (USER_HZ, 100/s). Invisible to the guest's scheduler: a polling lcore simply stops.
pub fn cpu_steal_ticks(cpu: u32) -> Option<u64> {
    parse_cpu_steal(&std::fs::read_to_string("/proc/stat").ok()?, cpu)
}

/// The steal value of line `cpuN` of a `/proc/stat` text.
pub fn parse_cpu_steal(stat: &str, cpu: u32) -> Option<u64> {
    cpu_stat_values(stat, &format!("cpu{cpu}"))?.get(7).copied()
}

/// The values of line `label` (`cpu` for all CPUs together, `cpuN` for one) of a
/// `/proc/stat` text: user, nice, system, idle, iowait, irq, softirq, steal, ... in
/// clock ticks (USER_HZ, 100/s); `None` without such a line or with a non-number.
pub fn cpu_stat_values(stat: &str, label: &str) -> Option<Vec<u64>> {
    let line = stat.lines().find(|l| l.split_whitespace().next() == Some(label))?;
    line.split_whitespace().skip(1).map(|x| x.parse().ok()).collect()
}

/// Restricts thread `tid` to CPU `core` (`taskset -p -c CORE TID`).
pub fn pin_thread(tid: u32, core: u32) -> Result<()> {
    let out = Command::new("taskset")
        .args(["-p", "-c", &core.to_string(), &tid.to_string()])
        .output()
        .context("running taskset (util-linux)")?;
    ensure!(out.status.success(), "taskset -p -c {core} {tid}: {}", String::from_utf8_lossy(&out.stderr).trim());
    Ok(())
}

/// Sets thread `tid`'s nice value (`renice -n NICE -p TID`; negative = a larger CPU
/// share when it competes with another thread, e.g. a polling lcore on the same core).
pub fn renice_thread(tid: u32, nice: i32) -> Result<()> {
    let out = Command::new("renice")
        .args(["-n", &nice.to_string(), "-p", &tid.to_string()])
        .output()
        .context("running renice (util-linux)")?;
    ensure!(out.status.success(), "renice -n {nice} -p {tid}: {}", String::from_utf8_lossy(&out.stderr).trim());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedstat_and_steal_parse() {
        assert_eq!(parse_schedstat("57329377 8197013 159\n"), Some([57_329_377, 8_197_013, 159]));
        assert_eq!(parse_schedstat("1 2"), None);
        assert_eq!(parse_schedstat("1 2 x"), None);
        assert_eq!(parse_schedstat("1 2 3 4"), None);
        let stat = "cpu  6130571 1 703985 4645297 30744 0 2811 9245 0 0\n\
                    cpu0 3000000 1 350000 2300000 15000 0 1400 4000 0 0\n\
                    cpu1 3130571 0 353985 2345297 15744 0 1411 5245 0 0\n\
                    intr 1 2 3\n";
        assert_eq!(parse_cpu_steal(stat, 0), Some(4000));
        assert_eq!(parse_cpu_steal(stat, 1), Some(5245));
        assert_eq!(parse_cpu_steal(stat, 2), None);
        assert_eq!(parse_cpu_steal("cpu1 1 2 3\n", 1), None);
    }

    #[test]
    fn churn_set_is_spread_and_contains_the_traffic_routes() {
        let v = churn_indices(1000, 100, &[3, 999, 10, 5000]);
        assert!(v.windows(2).all(|w| w[0] < w[1]), "sorted, distinct");
        assert!(v.contains(&3) && v.contains(&999) && !v.contains(&5000));
        assert_eq!(v.iter().filter(|i| *i % 10 == 0).count(), 100);
        assert_eq!(v.len(), 102);
        assert_eq!(churn_indices(5, 100, &[]), vec![0, 1, 2, 3, 4]);
        assert!(churn_indices(0, 10, &[1]).is_empty());
    }

    #[test]
    fn batches_alternate_the_next_hop_per_pass() {
        let set: Vec<String> = ["/a", "/b", "/c"].iter().map(|s| s.to_string()).collect();
        let hops = [hop("p1", "02:00:00:00:00:02"), hop("p1", "02:00:00:00:00:03")];
        let b = batch_at(&set, &hops, 2, 3);
        let got: Vec<(&str, &str)> = b.iter().map(|u| (u.prefix.as_str(), u.next_hops[0].mac.as_str())).collect();
        // Position 2 is /c of pass 0 (hop 1); 3 and 4 are /a and /b of pass 1 (hop 0).
        assert_eq!(got, vec![("/c", "02:00:00:00:00:03"), ("/a", "02:00:00:00:00:02"), ("/b", "02:00:00:00:00:02")]);
        assert!(b.iter().all(|u| !u.remove && u.next_hops.len() == 1));
        assert_eq!(default_batch(100_000.0), 1000);
        assert_eq!(default_batch(20.0), 1);
    }

    #[test]
    fn encoded_batches_decode_to_batch_at() {
        let hops = [hop("p1", "02:00:00:00:00:02"), hop("p1", "02:00:00:00:00:03")];
        for n in 1..=5usize {
            let set: Vec<String> = (0..n).map(|i| format!("/svc{i}/m{}", "x".repeat(i * 40))).collect();
            let enc = EncodedSet::new(&set, &hops);
            // Every start within three passes, every batch size up to two passes: runs
            // that wrap the set and change next hop mid-batch.
            for position in 0..(3 * n) as u64 {
                for batch in 1..=2 * n {
                    let got = pb::RouteBatch::decode(enc.batch(position, batch).as_slice()).expect("decodes");
                    let want = pb::RouteBatch { updates: batch_at(&set, &hops, position, batch) };
                    assert_eq!(got, want, "set of {n}, position {position}, batch {batch}");
                }
            }
        }
        assert!(EncodedSet::new(&[], &hops).batch(0, 3).is_empty());
    }

    #[test]
    fn summary_figures() {
        let rec = |sent_s: f64, publish_us: u64, cpu: u32| BatchRecord {
            sent_s,
            routes: 100,
            changed: 100,
            publish_us,
            grace_us: publish_us / 4,
            rpc_us: publish_us + 50,
            control_cpu: Some(cpu),
        };
        let s = ChurnSummary {
            target_rps: 1000.0,
            batch: 100,
            records: (0..20)
                .map(|i| rec(i as f64 * 0.1, 100 + i, (i % 2) as u32))
                .chain([rec(2.05, 5000, 1)])
                .collect(),
            duration_s: 2.1,
            ..ChurnSummary::default()
        };
        assert_eq!((s.batches(), s.routes(), s.changed()), (21, 2100, 2100));
        assert!((s.achieved_rps() - 1000.0).abs() < 1e-9);
        let p = s.publish_us();
        assert_eq!((p.p50, p.max), (110.0, 5000.0));
        assert_eq!(s.min_window_rps(1.0), Some(1000.0));
        assert_eq!(s.min_window_rps(5.0), None);
        assert_eq!(s.control_cpus(), vec![(0, 10), (1, 11)]);
        assert!(s.line().contains("2100 changed"), "{}", s.line());
        assert!(s.line().contains("(grace period p50 27 p99 1250 max 1250)"), "{}", s.line());
        assert_eq!(Quantiles::of(&[]), Quantiles::default());
        let q = Quantiles::of(&(1..=100).map(f64::from).collect::<Vec<_>>());
        assert_eq!((q.p50, q.p99, q.max), (50.0, 99.0, 100.0));
    }

    #[test]
    fn proc_helpers_see_this_thread() {
        let (pid, tid) = (std::process::id(), own_tid().expect("own tid"));
        assert!(thread_cpu_ticks(pid, tid).is_some());
        assert!(thread_last_cpu(pid, tid).is_some());
        assert!(thread_preemptions(pid, tid).is_some());
        assert!(thread_status(pid, tid, "Cpus_allowed_list").is_some());
        assert_eq!(thread_named(pid, "no-such-thread-name"), None);
    }
}
