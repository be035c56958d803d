//! The control plane's CPU cost per replaced route, without DPDK: what the FIB
//! churn of `bench/latency --churn` and `bench/throughput --churn` costs the
//! control thread, measured where nothing else competes for it.
//!
//! One process, three threads, as in dmscd and the harnesses: the control
//! thread (a current-thread tokio runtime serving the management API on a unix
//! socket over dmscd's own `Shared` state: route table, `FibWriter` with
//! `--fib` routes of up to `--components` components), one reader playing the
//! lcore (read + quiescent state in a loop, so every publication waits for a
//! real grace period), and the harnesses' churn client (`Churner`: pre-encoded
//! batches of `--batch` routes, each route's next hop alternating, as fast as
//! the server answers or at `--rate`). The FIB is loaded as in the harnesses:
//! nine tenths as static routes, the churn set (every 10th route) through the
//! API.
//!
//! Two measurements per run:
//! * **served**: `--seconds` of churn through gRPC; control-thread CPU per
//!   route from `/proc` (user + system ticks ÷ routes), client CPU likewise.
//! * **steps**: the same encoded batches handled on the control thread without the
//!   transport, each step timed: protobuf decoding, validation and route-table
//!   merge (`mgmt::update_routes` minus the FIB), and the `FibWriter` update
//!   (plan, apply, grace period, replay). served − steps ≈ the transport
//!   (HTTP/2, tonic, tokio, the socket).
//!
//! ```sh
//! cargo run --release -p dmsc-bench --bin route-update-report -- [--fib N] [--components K] [--batch B] [--runs R]
//! ```
//!
//! The process runs with dmscd's glibc tunables (`dmsc::heap`: huge pages, a
//! larger thread cache); set `GLIBC_TUNABLES` to compare others (what it sets
//! is left alone).
//!
//! Threads are pinned with `taskset` when `--control-core`/`--reader-core` are
//! given (the client runs where the control thread runs, as in row D).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use clap::Parser;
use dmsc_bench::churn::{self, own_tid, pin_thread, thread_cpu_ticks, ChurnSpec, Churner, EncodedSet, Quantiles};
use dmsc_bench::fib::Workload;
use dmsc_controlplane::driver::{load_static, Shared};
use dmsc_controlplane::mgmt::{self, pb};
use dmsc_controlplane::routes::RouteTable;
use dmsc_controlplane::ControlCounters;
use dmsc_fib::{Fib, FibWriter};
use prost::Message;

#[derive(Parser)]
#[command(about = "Control-thread CPU per route replaced through the management API (no DPDK)")]
struct Args {
    /// Routes in the FIB.
    #[arg(long, default_value_t = 1_000_000)]
    fib: usize,
    /// Most components of a prefix (names of 2..components components).
    #[arg(long, default_value_t = 8)]
    components: usize,
    /// Routes per `UpdateRoutes` call.
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// Target routes/s of the served churn (the default is more than one core takes:
    /// the client then sends the next batch as soon as a reply arrives).
    #[arg(long, default_value_t = 10_000_000.0)]
    rate: f64,
    /// Seconds of served churn per run.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Batches handled without the transport per run (the steps).
    #[arg(long, default_value_t = 300)]
    step_batches: usize,
    /// Runs (median, min and max reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Core for the control thread and the client (default: unpinned).
    #[arg(long)]
    control_core: Option<u32>,
    /// Core for the reader that plays the lcore (default: unpinned).
    #[arg(long)]
    reader_core: Option<u32>,
}

/// µs of CPU or wall time per route, per run.
#[derive(Default)]
struct Run {
    served_control_us: f64,
    served_client_us: f64,
    served_rps: f64,
    steps: Steps,
}

/// µs per route of each step without the transport: protobuf decoding,
/// validation and route-table merge, the FIB update, of which its plan and
/// grace period.
#[derive(Clone, Copy, Default)]
struct Steps {
    decode_us: f64,
    table_us: f64,
    fib_us: f64,
    plan_us: f64,
    grace_us: f64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    // dmscd's heap: the same glibc tunables (re-executes once, as `dmscd run` does).
    let heap = dmsc::heap::reexec_with_heap_tunables(true).context("re-executing with dmscd's heap tunables")?;
    eprintln!("heap: {heap:?}, {}={}", dmsc::heap::ENV, std::env::var(dmsc::heap::ENV).unwrap_or_default());
    ensure!(
        args.runs > 0 && args.batch > 0 && args.step_batches > 0 && args.seconds > 0.0,
        "--runs, --batch, --step-batches and --seconds must be positive"
    );
    let t = Instant::now();
    let w = Workload::new(args.fib, args.components, 0, 1);
    let set_idx = churn::churn_indices(w.routes.len(), w.routes.len() / 10, &[]);
    let mut in_set = vec![false; w.routes.len()];
    for &i in &set_idx {
        in_set[i] = true;
    }
    let set: Vec<String> = set_idx.iter().map(|&i| w.routes[i].0.to_string()).collect();
    let statics: Vec<_> = w.routes.iter().zip(&in_set).filter(|(_, s)| !**s).map(|(r, _)| r.clone()).collect();
    let fib = Fib::build(statics.iter().cloned()).context("building the FIB")?;
    let (writer, rcu) = FibWriter::new(fib);
    let mut table = RouteTable::new();
    load_static(&mut table, statics);
    let shared = Arc::new(Mutex::new(Shared {
        node: pb::NodeInfo { name: "bench".into(), role: "sr".into(), router_id: 0 },
        port_names: (0..4).map(|p| format!("p{p}")).collect(),
        router: None,
        table,
        writer,
        counters: Arc::new(ControlCounters::default()),
        dataplane_json: Box::new(String::new),
    }));
    eprintln!(
        "{} routes ({} static, churn set {}), names of 2..{} components, built in {:.1} s",
        w.routes.len(),
        w.routes.len() - set.len(),
        set.len(),
        args.components,
        t.elapsed().as_secs_f64()
    );
    drop(w);

    // The lcore: read and announce a quiescent state, in a loop.
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (stop, rcu, core) = (stop.clone(), rcu.clone(), args.reader_core);
        std::thread::Builder::new().name("lcore".into()).spawn(move || {
            if let (Some(c), Some(tid)) = (core, own_tid()) {
                pin_thread(tid, c).expect("pinning the reader");
            }
            let mut r = rcu.register();
            while !stop.load(Ordering::Relaxed) {
                std::hint::black_box(r.read().len());
                r.quiescent();
                std::hint::spin_loop();
            }
        })?
    };

    // The control thread: the management API over the shared state; between served
    // runs it also handles the steps (same thread, so the same heap arena and caches).
    let dir = tempdir()?;
    let sock = dir.join("mgmt.sock");
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (step_tx, step_rx) = std::sync::mpsc::channel::<StepJob>();
    let control = {
        let (stop, shared, sock, core) = (stop.clone(), shared.clone(), sock.clone(), args.control_core);
        std::thread::Builder::new().name("dmsc-control".into()).spawn(move || -> Result<()> {
            let tid = own_tid().unwrap_or(0);
            if let Some(c) = core {
                pin_thread(tid, c)?;
            }
            let _ = tid_tx.send(tid);
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(async {
                let server = mgmt::serve(&sock, shared.clone())?;
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(job) = step_rx.try_recv() {
                        let _ = job.reply.send(steps(&shared, &job));
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                server.abort();
                Ok(())
            })
        })?
    };
    let control_tid = tid_rx.recv_timeout(Duration::from_secs(5)).context("control thread did not start")?;

    let hops = [churn::hop("p1", "02:00:00:00:01:01"), churn::hop("p1", "02:00:00:00:01:02")];
    let churner = Churner::spawn(set.clone())?;
    if let Some(c) = args.control_core {
        pin_thread(churner.tid(), c)?;
    }
    churner.connect(&sock, Duration::from_secs(10))?;
    let inst = churner.install(hops[0].clone(), 10_000)?;
    ensure!(inst.changed == inst.routes, "install changed {} of {} routes", inst.changed, inst.routes);
    churner.reset();
    let encoded = Arc::new(EncodedSet::new(&set, &hops));
    if let Some(c) = args.control_core {
        pin_thread(own_tid().context("own thread id")?, c)?;
    }

    let pid = std::process::id();
    let mut runs = Vec::new();
    for run in 0..args.runs {
        let mut r = Run::default();
        let spec =
            ChurnSpec { rate_rps: args.rate, batch: args.batch, hops: hops.clone(), control: Some((pid, control_tid)) };
        let ticks0 = thread_cpu_ticks(pid, control_tid);
        let running = churner.start(spec)?;
        std::thread::sleep(Duration::from_secs_f64(args.seconds));
        let s = running.stop()?;
        ensure!(s.errors == 0, "churn errors: {:?}", s.first_error);
        let routes = s.routes() as f64;
        let ticks = thread_cpu_ticks(pid, control_tid).zip(ticks0).map(|(b, a)| b.saturating_sub(a));
        r.served_control_us = ticks.map_or(f64::NAN, |t| t as f64 * 10_000.0 / routes);
        r.served_client_us = s.client_cpu_s.map_or(f64::NAN, |c| c * 1e6 / routes);
        r.served_rps = s.achieved_rps();
        // The steps, on the control thread, continuing the alternation where the
        // client stopped (one position in the set, so every batch really changes
        // the next hops).
        let position = churner.replaced();
        let (reply_tx, reply_rx) = std::sync::mpsc::channel();
        let job = StepJob {
            encoded: encoded.clone(),
            position,
            batch: args.batch,
            batches: args.step_batches,
            reply: reply_tx,
        };
        step_tx.send(job).map_err(|_| anyhow::anyhow!("control thread gone"))?;
        let st = reply_rx.recv().map_err(|_| anyhow::anyhow!("control thread gone"))??;
        // The client's next run starts from its own position: skip it past the steps.
        churner.skip((args.batch * args.step_batches) as u64);
        r.steps = st;
        eprintln!(
            "run {}: served {:.0} routes/s, control {:.2} µs/route, client {:.2}; steps: decode {:.2}, table {:.2}, FIB {:.2} (plan {:.2}, grace {:.3}) µs/route",
            run + 1,
            r.served_rps,
            r.served_control_us,
            r.served_client_us,
            r.steps.decode_us,
            r.steps.table_us,
            r.steps.fib_us,
            r.steps.plan_us,
            r.steps.grace_us
        );
        runs.push(r);
    }
    stop.store(true, Ordering::Relaxed);
    reader.join().map_err(|_| anyhow::anyhow!("reader panicked"))?;
    control.join().map_err(|_| anyhow::anyhow!("control thread panicked"))??;
    let _ = std::fs::remove_dir_all(&dir);

    let q = |f: fn(&Run) -> f64| Quantiles::of(&runs.iter().map(f).collect::<Vec<_>>());
    let cell = |q: Quantiles, min: f64| format!("{:.2} ({:.2}–{:.2})", q.p50, min, q.max);
    let min = |f: fn(&Run) -> f64| runs.iter().map(f).fold(f64::INFINITY, f64::min);
    println!("| batch | served routes/s | control µs/route | client µs/route | decode | table | FIB (plan, grace) | transport ≈ |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let transport = |r: &Run| r.served_control_us - r.steps.decode_us - r.steps.table_us - r.steps.fib_us;
    println!(
        "| {} | {:.0} | {} | {:.2} | {:.2} | {:.2} | {:.2} ({:.2}, {:.3}) | {:.2} |",
        args.batch,
        q(|r| r.served_rps).p50,
        cell(q(|r| r.served_control_us), min(|r| r.served_control_us)),
        q(|r| r.served_client_us).p50,
        q(|r| r.steps.decode_us).p50,
        q(|r| r.steps.table_us).p50,
        q(|r| r.steps.fib_us).p50,
        q(|r| r.steps.plan_us).p50,
        q(|r| r.steps.grace_us).p50,
        Quantiles::of(&runs.iter().map(transport).collect::<Vec<_>>()).p50,
    );
    Ok(())
}

/// `batches` batches of `batch` routes from `position` on, handled as the
/// `UpdateRoutes` handler does, without the transport.
struct StepJob {
    encoded: Arc<EncodedSet>,
    position: u64,
    batch: usize,
    batches: usize,
    reply: std::sync::mpsc::Sender<Result<Steps>>,
}

fn steps(shared: &Mutex<Shared>, job: &StepJob) -> Result<Steps> {
    let mut t = [Duration::ZERO; 5];
    let mut position = job.position;
    for _ in 0..job.batches {
        let bytes = job.encoded.batch(position, job.batch);
        position += job.batch as u64;
        let t0 = Instant::now();
        let batch = pb::RouteBatch::decode(bytes.as_slice()).context("decoding an encoded batch")?;
        let t1 = Instant::now();
        let mut s = shared.lock().map_err(|_| anyhow::anyhow!("control state poisoned"))?;
        let (reply, stats) = mgmt::update_routes(&mut s, &batch).map_err(|e| anyhow::anyhow!("{e}"))?;
        let t2 = Instant::now();
        drop(s);
        ensure!(reply.changed as usize == job.batch, "batch changed {} of {} routes", reply.changed, job.batch);
        let st = stats.context("a changing batch has FIB stats")?;
        for (acc, d) in
            t.iter_mut().zip([t1 - t0, (t2 - t1).saturating_sub(st.total()), st.total(), st.plan, st.grace_period])
        {
            *acc += d;
        }
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / (job.batch * job.batches) as f64;
    Ok(Steps { decode_us: per(t[0]), table_us: per(t[1]), fib_us: per(t[2]), plan_us: per(t[3]), grace_us: per(t[4]) })
}

/// A fresh directory for the socket, under the system's temporary directory.
fn tempdir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("dmsc-route-update-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}
