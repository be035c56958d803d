//! Start-up, run and shutdown of one DMSC router process (`dmscd run`).
//!
//! Order of start-up, each step failing cleanly with a message:
//! EAL (with the ports' devices and the lcore list from the configuration),
//! the mbuf pool, the ports (configured with one tx queue per forwarding lcore,
//! then started), the FIB built from the static routes and published through
//! RCU, the control thread, then one forwarding loop per lcore. Shutdown
//! reverses it: lcores stop, the control thread drains, ports stop and close,
//! EAL cleans up. The counters table is printed periodically and at the end.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use crossbeam_queue::ArrayQueue;
use dmsc_config::Config;
use dmsc_controlplane::driver::{load_static, ControlPort, Shared};
use dmsc_controlplane::routes::RouteTable;
use dmsc_controlplane::{mgmt, Attach, ControlThread, INJECT_RING_SIZE, PUNT_RING_SIZE};
use dmsc_fib::{Fib, FibWriter, NextHop};
use dmsc_forwarder::lcore::{Lcore, LcoreParams, RxPort, TxPort};
use dmsc_forwarder::plan::{self, Dispatch, PortSpec};
use dmsc_forwarder::{LcoreCounters, Pipeline, PortGates, PortInfo};
use dmsc_wire::ethernet::{self, MacAddr};
use dpdk::{Eal, MbufRing, Mempool, Port, PortConfig};

use crate::stats::Report;

/// Options of `dmscd run` beyond the configuration file.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Stop once no frame has arrived for this long, after at least one did
    /// (for finite inputs such as a pcap file).
    pub exit_when_idle: Option<Duration>,
    /// Stop after this long in any case.
    pub duration: Option<Duration>,
    /// Write the final counters as JSON to this file.
    pub stats_json: Option<PathBuf>,
}

/// The EAL argument list (program name excluded): the lcore list (first =
/// main lcore), the configuration's extra arguments, the ports' devices.
/// The configuration already rejects lcore options in `eal.args`.
pub fn eal_args(cfg: &Config) -> Vec<String> {
    cfg.eal_argv("dmscd").split_off(1)
}

/// Builds the FIB of the static routes. Next-hop ports are port indices in
/// configuration order.
pub fn static_fib(cfg: &Config) -> Result<Fib> {
    Fib::build(static_routes(cfg)?).context("building the FIB from the static routes")
}

/// The static routes with next hops resolved to port indices and MACs.
pub fn static_routes(cfg: &Config) -> Result<Vec<(dmsc_wire::name::Name, Vec<NextHop>)>> {
    let mut routes = Vec::with_capacity(cfg.routes.len());
    for r in &cfg.routes {
        let mut hops = Vec::with_capacity(r.next_hops.len());
        for nh in &r.next_hops {
            let (port, mac) = cfg
                .resolve(nh)
                .with_context(|| format!("route {}: unknown port {} or neighbor {}", r.prefix, nh.port, nh.neighbor))?;
            hops.push(NextHop { port: port as u16, mac, cost: nh.cost });
        }
        routes.push((r.prefix.clone(), hops));
    }
    Ok(routes)
}

/// The routing protocol instance of `cfg.routing`, started at `now`.
pub fn routing_instance(cfg: &Config, now: Instant) -> Result<Option<dmsc_routing::router::Router>> {
    use dmsc_routing::router::{PortConfig as RPort, RouterConfig, Timers};
    use dmsc_routing::types::{PrefixEntry, Role as RRole, RouterId};
    use dmsc_routing::wire::{Key, Keychain};
    let Some(r) = &cfg.routing else { return Ok(None) };
    let keys =
        r.keys.iter().map(|k| Key { id: k.id, secret: k.secret.clone(), send: k.send, accept: k.accept }).collect();
    let keychain = Keychain::new(keys).map_err(|e| anyhow::anyhow!("routing.keys: {e}"))?;
    let timers = Timers {
        hello_interval: r.hello_interval,
        hold_multiplier: r.hold_multiplier,
        lsa_lifetime: r.lsa_lifetime,
        lsa_refresh: r.lsa_refresh,
        retransmit_interval: r.retransmit_interval,
        csnp_interval: r.csnp_interval,
        spf: dmsc_routing::backoff::SpfBackoffConfig {
            initial_delay: r.spf_initial_delay,
            short_delay: r.spf_short_delay,
            long_delay: r.spf_long_delay,
            time_to_learn: r.spf_time_to_learn,
            holddown: r.spf_holddown,
        },
    };
    // Cryptographic sequence numbers must keep increasing across restarts
    // [RFC 7474 §4]: start from the wall clock in nanoseconds.
    let crypto_seq_base =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1);
    let hostname = cfg.node.name.to_string();
    let config = RouterConfig {
        id: RouterId(r.router_id),
        hostname,
        role: match cfg.node.role {
            dmsc_config::Role::Sg => RRole::Sg,
            dmsc_config::Role::Sr => RRole::Sr,
        },
        ports: cfg
            .ports
            .iter()
            .enumerate()
            .filter(|(_, p)| p.routing)
            .map(|(i, p)| RPort { index: i as u16, metric: p.metric })
            .collect(),
        prefixes: r.prefixes.iter().map(|p| PrefixEntry { prefix: p.prefix.clone(), metric: p.metric }).collect(),
        keychain,
        crypto_seq_base,
        timers,
        loop_free_alternates: r.loop_free_alternates,
    };
    Ok(Some(dmsc_routing::router::Router::new(config, now)))
}

/// Mbuf data room: the largest frame of any port plus DPDK's headroom, at
/// least DPDK's default (2048 + 128 bytes).
fn data_room_bytes(cfg: &Config) -> u16 {
    let max_mtu = cfg.ports.iter().map(|p| p.mtu).max().unwrap_or(1500) as usize;
    let need = max_mtu + ethernet::HEADER_LEN + 4 + 128;
    need.max(2048 + 128).min(u16::MAX as usize) as u16
}

/// Runs the router until SIGINT/SIGTERM (or an option says stop) and returns
/// the final counters.
pub fn run(cfg: &Config, opts: &RunOptions) -> Result<Report> {
    let quit = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, quit.clone()).context("SIGINT handler")?;
    signal_hook::flag::register(signal_hook::consts::SIGTERM, quit.clone()).context("SIGTERM handler")?;

    // Threads started after EAL initialisation inherit the main lcore's CPU
    // affinity and would compete with its forwarding loop: the control and
    // statistics threads are started first, and receive what they need later
    // (then they also move off every forwarding lcore's CPU).
    let n_lcores = cfg.dataplane.lcores.len();
    let punt: Vec<Arc<ArrayQueue<dpdk::Mbuf>>> =
        (0..n_lcores).map(|_| Arc::new(ArrayQueue::new(PUNT_RING_SIZE))).collect();
    let counters: Vec<Arc<LcoreCounters>> = (0..n_lcores).map(|_| Arc::new(LcoreCounters::default())).collect();
    let mut control = ControlThread::spawn(punt.clone()).context("starting the control thread")?;
    let (ports_tx, ports_rx) = std::sync::mpsc::channel::<(Vec<Port>, Vec<usize>)>();
    let stats_thread = spawn_stats_thread(cfg, opts, quit.clone(), counters.clone(), &control, ports_rx)?;

    let args = eal_args(cfg);
    tracing::info!(?args, "initialising EAL");
    let eal = Eal::init(&args).context("EAL initialisation failed (see the EAL messages above)")?;
    let lcore_ids = cfg.dataplane.lcores.clone();
    if eal.main_lcore() != lcore_ids[0] {
        bail!("EAL main lcore is {} but dataplane.lcores starts with {}", eal.main_lcore(), lcore_ids[0]);
    }

    let pool = Arc::new(
        Mempool::pktmbuf(
            "dmsc_mbufs",
            cfg.dataplane.mbufs,
            cfg.dataplane.mbuf_cache,
            data_room_bytes(cfg),
            dpdk::socket_id(),
        )
        .context("creating the mbuf pool (more memory: -m, or hugepages)")?,
    );

    // Ports.
    let specs: Vec<PortSpec> = cfg
        .ports
        .iter()
        .map(|p| PortSpec {
            rx_queues: p.rx_queues,
            dispatch: match p.dispatch {
                dmsc_config::Dispatch::Queues => Dispatch::Queues,
                dmsc_config::Dispatch::FlowLabel => Dispatch::FlowLabel,
            },
        })
        .collect();
    let plan = plan::plan(&specs, n_lcores);
    let mut ports = Vec::with_capacity(cfg.ports.len());
    let mut infos = Vec::with_capacity(cfg.ports.len());
    let mut started = Vec::with_capacity(cfg.ports.len());
    // Closed by the control thread around a port's stop and start; a port that
    // did not start is closed here, before any lcore runs.
    let gates = Arc::new(PortGates::new());
    for p in &cfg.ports {
        let port = Port::by_name(p.device.dpdk_name())
            .with_context(|| format!("port {}: no DPDK port named {}", p.name, p.device.dpdk_name()))?;
        let conf = PortConfig {
            rx_queues: p.rx_queues,
            tx_queues: plan.tx_queues_per_port,
            rx_descriptors: cfg.dataplane.rx_descriptors,
            tx_descriptors: cfg.dataplane.tx_descriptors,
            mtu: p.mtu,
        };
        port.configure(&conf, &pool).with_context(|| format!("port {}: configure", p.name))?;
        match port.start() {
            Ok(()) => started.push(true),
            // A memif client whose server is not up yet: the control thread
            // starts it again until it connects (controlplane::reconnect).
            Err(e) if p.device.is_memif_client() => {
                tracing::warn!(port = %p.name, error = %e, "memif client port did not start (its server is not up?); retrying every few seconds");
                gates.close(ports.len());
                started.push(false);
            }
            Err(e) => return Err(e).with_context(|| format!("port {}: start", p.name)),
        }
        let mac = MacAddr(port.mac_addr());
        let state = if started.last() == Some(&true) { "started" } else { "not started yet" };
        tracing::info!(port = %p.name, id = port.id(), %mac, device = %p.device.dpdk_name(), state, "port configured");
        infos.push(PortInfo { mac, mtu: p.mtu });
        ports.push(port);
    }

    // FIB, published through RCU; the control thread owns the writer.
    let statics = static_routes(cfg)?;
    let fib = Fib::build(statics.clone()).context("building the FIB from the static routes")?;
    tracing::info!(prefixes = fib.len(), bytes = fib.memory_bytes(), "FIB built from static routes");
    let (writer, rcu) = FibWriter::new(fib);
    let inject: Arc<ArrayQueue<(u16, dpdk::Mbuf)>> = Arc::new(ArrayQueue::new(INJECT_RING_SIZE));

    let pipeline = Arc::new(Pipeline::new(
        cfg.dataplane.ethertype,
        infos.clone(),
        cfg.node.name.clone(),
        cfg.dataplane.nack_hop_limit,
    ));
    let params = LcoreParams {
        idle_polls_before_sleep: cfg.dataplane.idle_polls_before_sleep,
        idle_sleep: cfg.dataplane.idle_sleep,
        nack_rate_per_s: cfg.dataplane.nack_rate_per_s,
        nack_burst: cfg.dataplane.nack_burst,
        name_cache: cfg.dataplane.name_cache as usize,
    };

    // Dispatch rings: from every dispatching lcore to every other lcore.
    let mut producers: Vec<Vec<Option<dpdk::RingProducer>>> = (0..n_lcores).map(|_| Vec::new()).collect();
    let mut consumers: Vec<Vec<dpdk::RingConsumer>> = (0..n_lcores).map(|_| Vec::new()).collect();
    for d in plan.dispatchers() {
        producers[d] = (0..n_lcores).map(|_| None).collect();
        for t in 0..n_lcores {
            if t == d {
                continue;
            }
            let ring = MbufRing::new(&format!("dmsc_disp_{d}_{t}"), 4096)
                .with_context(|| format!("dispatch ring {d}->{t}"))?;
            let (prod, cons) = ring.split();
            producers[d][t] = Some(prod);
            consumers[t].push(cons);
        }
    }

    let mut lcores = Vec::with_capacity(n_lcores);
    for (lp, (prods, cons)) in plan.lcores.iter().zip(producers.into_iter().zip(consumers)) {
        // A port that did not start has no queue handles yet: the lcores claim
        // them once the control thread has started it (forwarder::gate).
        let mut rx = Vec::with_capacity(lp.rx.len());
        for b in &lp.rx {
            let queue = match started[b.port] {
                true => Some(
                    ports[b.port]
                        .rx_queue(b.queue)
                        .with_context(|| format!("port {}: rx queue {}", cfg.ports[b.port].name, b.queue))?,
                ),
                false => None,
            };
            rx.push(RxPort { port: b.port, device: ports[b.port], queue_id: b.queue, queue, dispatch: b.dispatch });
        }
        let mut tx = Vec::with_capacity(ports.len());
        for ((p, pc), &up) in ports.iter().zip(&cfg.ports).zip(&started) {
            let queue_id = lp.index as u16;
            let queue = match up {
                true => Some(p.tx_queue(queue_id).with_context(|| format!("port {}: tx queue {}", pc.name, queue_id))?),
                false => None,
            };
            tx.push(TxPort { device: *p, queue_id, queue });
        }
        lcores.push(Lcore {
            index: lp.index,
            rx,
            rings_in: cons,
            dispatch_to: prods,
            tx,
            fib: rcu.register(),
            pipeline: pipeline.clone(),
            counters: counters[lp.index].clone(),
            pool: pool.clone(),
            punt: punt[lp.index].clone(),
            inject: (lp.index == 0).then(|| inject.clone()),
            gates: gates.clone(),
            quit: quit.clone(),
            params,
        });
    }

    // The statistics thread can now read the ports; it and the control thread
    // move off the forwarding lcores' CPUs.
    let forwarding_cpus: Vec<usize> = {
        let mut c: Vec<usize> = lcore_ids.iter().flat_map(|&l| dpdk::lcore_cpus(l)).collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    let _ = ports_tx.send((ports.clone(), forwarding_cpus.clone()));
    crate::isolation::HostIsolation::read().log(&forwarding_cpus);

    // The control thread: routing driver and management API.
    let mut table = RouteTable::new();
    load_static(&mut table, statics);
    let port_names: Vec<String> = cfg.ports.iter().map(|p| p.name.clone()).collect();
    let router = routing_instance(cfg, Instant::now())?;
    let json = {
        let (node, names, ports, counters, cc) =
            (cfg.node.name.to_string(), port_names.clone(), ports.clone(), counters.clone(), control.counters.clone());
        Box::new(move || {
            let r = Report::collect(&node, &names, &ports, &counters, cc.received.load(Ordering::Relaxed));
            serde_json::to_string(&r).unwrap_or_default()
        })
    };
    let shared = Shared {
        node: mgmt::pb::NodeInfo {
            name: cfg.node.name.to_string(),
            role: cfg.node.role.as_str().to_owned(),
            router_id: cfg.routing.as_ref().map_or(0, |r| r.router_id),
        },
        port_names: port_names.clone(),
        router,
        table,
        writer,
        counters: control.counters.clone(),
        dataplane_json: json,
    };
    let control_ports = ports
        .iter()
        .zip(&infos)
        .zip(&cfg.ports)
        .map(|((p, info), pc)| ControlPort {
            port: *p,
            mac: info.mac,
            routing: pc.routing,
            memif_client: pc.device.is_memif_client(),
        })
        .collect();
    control
        .attach(Attach {
            shared,
            ports: control_ports,
            ethertype: cfg.dataplane.ethertype,
            node: cfg.node.name.clone(),
            pool: pool.clone(),
            inject: inject.clone(),
            gates: gates.clone(),
            management_socket: Some(cfg.management.socket.clone()),
            forwarding_cpus,
            nice: cfg.dataplane.control_nice,
        })
        .map_err(|e| anyhow::anyhow!("control thread: {e}"))?;

    // Launch: workers on their lcores, the first lcore's loop on this (main) thread.
    let mut it = lcores.into_iter();
    let main_loop = it.next().context("no forwarding lcore")?;
    for (l, lcore_id) in it.zip(lcore_ids.iter().skip(1)) {
        eal.launch(*lcore_id, move || l.run()).with_context(|| format!("launching lcore {lcore_id}"))?;
    }
    tracing::info!(lcores = ?lcore_ids, "forwarding");
    main_loop.run();
    eal.wait_all();
    quit.store(true, Ordering::Relaxed);
    let _ = stats_thread.join();

    let control_counters = control.counters.clone();
    control.stop();
    let control_received = control_counters.received.load(Ordering::Relaxed);
    let report = Report::collect(
        &cfg.node.name.to_string(),
        &cfg.ports.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
        &ports,
        &counters,
        control_received,
    );
    for (p, cfgp) in ports.iter().zip(&cfg.ports) {
        if let Err(e) = p.stop() {
            tracing::warn!(port = %cfgp.name, error = %e, "port stop");
        }
        if let Err(e) = p.close() {
            tracing::warn!(port = %cfgp.name, error = %e, "port close");
        }
    }
    drop(rcu);
    drop(punt);
    // Control frames queued but never sent go back to the pool before EAL cleanup.
    while inject.pop().is_some() {}
    drop(inject);
    drop(pool);
    match eal.live_handles() {
        0 => tracing::info!("ports closed, EAL cleaned up"),
        n => tracing::warn!(handles = n, "DPDK objects still alive: EAL cleanup skipped"),
    }
    drop(eal);
    Ok(report)
}

/// The statistics thread: the periodic counter table, and the idle and
/// duration stops. Started before EAL; gets the ports once they exist.
fn spawn_stats_thread(
    cfg: &Config,
    opts: &RunOptions,
    quit: Arc<AtomicBool>,
    counters: Vec<Arc<LcoreCounters>>,
    control: &ControlThread,
    ports_rx: std::sync::mpsc::Receiver<(Vec<Port>, Vec<usize>)>,
) -> Result<std::thread::JoinHandle<()>> {
    let control_counters = control.counters.clone();
    let names: Vec<String> = cfg.ports.iter().map(|p| p.name.clone()).collect();
    let interval = cfg.dataplane.stats_interval;
    let node = cfg.node.name.to_string();
    let (idle, duration) = (opts.exit_when_idle, opts.duration);
    let handle = std::thread::Builder::new().name("dmsc-stats".into()).spawn(move || {
        // Start-up failures drop the sender: nothing to report then.
        let Ok((ports, forwarding_cpus)) = ports_rx.recv() else { return };
        dmsc_controlplane::leave_forwarding_cpus(&forwarding_cpus);
        let start = Instant::now();
        let mut last_print = Instant::now();
        let (mut last_rx, mut last_change) = (0u64, Instant::now());
        while !quit.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(20));
            let rx: u64 = counters.iter().map(|c| c.rx_packets.get()).sum();
            if rx != last_rx {
                (last_rx, last_change) = (rx, Instant::now());
            }
            if let Some(idle) = idle {
                if rx > 0 && last_change.elapsed() >= idle {
                    tracing::info!(idle_ms = idle.as_millis() as u64, "input idle: stopping");
                    quit.store(true, Ordering::Relaxed);
                }
            }
            if duration.is_some_and(|d| start.elapsed() >= d) {
                quit.store(true, Ordering::Relaxed);
            }
            if let Some(iv) = interval {
                if last_print.elapsed() >= iv {
                    last_print = Instant::now();
                    let received = control_counters.received.load(Ordering::Relaxed);
                    println!("{}", Report::collect(&node, &names, &ports, &counters, received).table());
                }
            }
        }
    })?;
    Ok(handle)
}
