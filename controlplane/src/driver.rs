//! The routing protocol driver: the thin I/O shell around the pure
//! `dmsc_routing::router::Router` state machine, run by the control thread
//! [draft-li-dmsc-architecture §6.1 steps 3–5].
//!
//! Every turn (one millisecond) the driver
//! 1. polls the link state of the routing ports (every [`LINK_POLL`]) and
//!    reports changes (`LinkUp`/`LinkDown`), so a cut memif or a stopped
//!    neighbour is noticed within milliseconds, not after the hold time; and
//!    stops and starts a memif client port whose link stays down, so that it
//!    dials its restarted server again ([`crate::reconnect`]; the lcores'
//!    port gate is closed around it, `dmsc_forwarder::gate`);
//! 2. drains the punt rings and hands each control PDU to the router with the
//!    port it arrived on and the neighbour's MAC;
//! 3. fires the router's timers when due;
//! 4. executes the actions: PDUs become control frames in fresh mbufs that
//!    lcore 0 transmits (the inject ring: the control thread owns no tx queue,
//!    and memif ports cannot add queues the peer did not negotiate), and FIB
//!    changes go through the [`RouteTable`] into the [`FibWriter`] — one batch
//!    per turn, published with one pointer swap.
//!
//! The lcores never wait for any of this: they see a new FIB after the swap,
//! and they pass control frames through a lock-free ring.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;
use dmsc_fib::{FibChange, FibError, FibWriter, NextHop, UpdateStats};
use dmsc_forwarder::PortGates;
use dmsc_routing::router::{Action, Input, Router};
use dmsc_routing::types::{Lsa, LsaBody};
use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::Name;
use dpdk::{Mbuf, Mempool, Port};

use crate::mgmt::pb;
use crate::reconnect::{Backoff, Reconnect};
use crate::routes::{RouteTable, Source};
use crate::{frame, ControlCounters};

/// How often the routing ports' link state is read.
pub const LINK_POLL: Duration = Duration::from_millis(5);

/// The control state shared by the driver and the management API (behind a
/// mutex that only control-thread tasks take).
pub struct Shared {
    /// Who we are, for every management reply.
    pub node: pb::NodeInfo,
    /// Port names by port index.
    pub port_names: Vec<String>,
    /// The routing protocol instance, when `[routing]` is configured.
    pub router: Option<Router>,
    /// Routes of every source, merged.
    pub table: RouteTable,
    /// The FIB the lcores read.
    pub writer: FibWriter,
    /// Control-plane counters.
    pub counters: Arc<ControlCounters>,
    /// The data plane's counters as the JSON document of `--stats-json`.
    pub dataplane_json: Box<dyn Fn() -> String + Send>,
}

impl Shared {
    /// Publishes `changes` (if any) in one FIB update and counts it.
    ///
    /// # Errors
    /// The FIB refused the batch (too many entries); the live FIB is untouched.
    pub fn apply(&mut self, changes: Vec<FibChange>) -> Result<Option<UpdateStats>, FibError> {
        if changes.is_empty() {
            return Ok(None);
        }
        let n = changes.len() as u64;
        match self.writer.apply(changes) {
            Ok(st) => {
                ControlCounters::add(&self.counters.fib_updates, 1);
                ControlCounters::add(&self.counters.fib_changes, n);
                Ok(Some(st))
            }
            Err(e) => {
                ControlCounters::add(&self.counters.fib_errors, 1);
                tracing::error!(error = %e, changes = n, "FIB update refused; the live FIB is unchanged");
                Err(e)
            }
        }
    }

    /// Control and routing counters by name.
    pub fn control_counters(&self) -> HashMap<String, u64> {
        let mut m: HashMap<String, u64> =
            self.counters.snapshot().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        if let Some(r) = &self.router {
            for (k, v) in r.counters().iter() {
                m.insert(format!("routing_{k}"), v);
            }
            m.insert("routing_retransmit_pending".into(), r.retransmit_pending() as u64);
        }
        m
    }
}

/// The management view of one LSA.
pub fn lsa_pb(l: &Lsa) -> pb::Lsa {
    let h = &l.header;
    let summary = match &l.body {
        LsaBody::Node(n) => {
            let links: Vec<String> = n.links.iter().map(|k| format!("{}({})", k.neighbor.0, k.metric)).collect();
            format!("{} {:?} links: {}", n.hostname, n.role, links.join(" "))
        }
        LsaBody::Prefix(p) => {
            let ps: Vec<String> = p.iter().map(|e| format!("{}({})", e.prefix, e.metric)).collect();
            ps.join(" ")
        }
        LsaBody::Purged => "(purged)".to_owned(),
    };
    pb::Lsa {
        kind: format!("{:?}", h.id.kind).to_lowercase(),
        origin: h.id.origin.0,
        fragment: u32::from(h.id.fragment),
        seq: h.seq,
        remaining_lifetime_s: u32::from(h.remaining_lifetime_s),
        checksum: u32::from(h.checksum),
        summary,
    }
}

/// One port as the driver sees it.
#[derive(Clone, Debug)]
pub struct ControlPort {
    /// The DPDK port.
    pub port: Port,
    /// Its MAC (source of our control frames).
    pub mac: MacAddr,
    /// Whether the routing protocol runs on it.
    pub routing: bool,
    /// A memif client port: reconnected when its link stays down.
    pub memif_client: bool,
}

/// The I/O side of the control plane.
pub struct Driver {
    /// Shared with the management API.
    pub shared: Arc<Mutex<Shared>>,
    ports: Vec<ControlPort>,
    index_by_id: BTreeMap<u16, u16>,
    link_up: Vec<bool>,
    last_link_poll: Option<Instant>,
    ethertype: u16,
    node: Name,
    pool: Arc<Mempool>,
    inject: Arc<ArrayQueue<(u16, Mbuf)>>,
    gates: Arc<PortGates>,
    /// Per port: its reconnection state (memif clients only).
    reconnect: Vec<Option<Reconnect>>,
    counters: Arc<ControlCounters>,
}

impl Driver {
    /// A driver over `shared`, sending through `inject` with mbufs from `pool`.
    ///
    /// # Preconditions
    /// A port of `ports` that did not start (a memif client whose server was
    /// not up) has its gate closed in `gates`, before any lcore ran; the driver
    /// reconnects it as a port found down, and opens the gate once a restart
    /// succeeds.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        shared: Arc<Mutex<Shared>>,
        ports: Vec<ControlPort>,
        ethertype: u16,
        node: Name,
        pool: Arc<Mempool>,
        inject: Arc<ArrayQueue<(u16, Mbuf)>>,
        gates: Arc<PortGates>,
        counters: Arc<ControlCounters>,
    ) -> Driver {
        let index_by_id = ports.iter().enumerate().map(|(i, p)| (p.port.id(), i as u16)).collect();
        let link_up = vec![false; ports.len()];
        let now = Instant::now();
        let reconnect = ports
            .iter()
            .enumerate()
            .map(|(i, p)| {
                p.memif_client.then(|| match gates.is_closed(i) {
                    false => Reconnect::new(Backoff::default()),
                    true => Reconnect::down_since(Backoff::default(), now),
                })
            })
            .collect();
        Driver {
            shared,
            ports,
            index_by_id,
            link_up,
            last_link_poll: None,
            ethertype,
            node,
            pool,
            inject,
            gates,
            reconnect,
            counters,
        }
    }

    /// One turn: links, punted packets, timers, actions. Returns when the router
    /// next needs a timer turn (the caller's sleep bound).
    pub fn turn(&mut self, punt: &[Arc<ArrayQueue<Mbuf>>]) -> Option<Instant> {
        let now = Instant::now();
        let shared = self.shared.clone();
        let Ok(mut s) = shared.lock() else { return None };
        let mut actions: Vec<Action> = Vec::new();
        if self.last_link_poll.map_or(true, |t| now.duration_since(t) >= LINK_POLL) {
            self.last_link_poll = Some(now);
            for (i, p) in self.ports.iter().enumerate() {
                if !p.routing && !p.memif_client {
                    continue;
                }
                let up = !self.gates.is_closed(i) && p.port.try_link().is_ok_and(|l| l.up);
                if let Some(r) = self.reconnect[i].as_mut() {
                    if r.poll(now, up) {
                        r.attempted(now);
                        restart(p, i, &self.gates, &self.counters, r.attempts());
                    }
                }
                if !p.routing {
                    continue;
                }
                if up != self.link_up[i] {
                    self.link_up[i] = up;
                    ControlCounters::add(&self.counters.link_changes, 1);
                    tracing::info!(port = i, up, "link state changed");
                    if let Some(r) = s.router.as_mut() {
                        let input = if up { Input::LinkUp(i as u16) } else { Input::LinkDown(i as u16) };
                        actions.extend(r.handle(now, input));
                    }
                }
            }
        }
        for ring in punt {
            while let Some(m) = ring.pop() {
                ControlCounters::add(&self.counters.received, 1);
                let Some(&port) = self.index_by_id.get(&m.port()) else {
                    ControlCounters::add(&self.counters.malformed, 1);
                    continue;
                };
                match frame::parse(m.data()) {
                    Err(_) => ControlCounters::add(&self.counters.malformed, 1),
                    Ok(f) => match s.router.as_mut() {
                        Some(r) if self.ports[usize::from(port)].routing => {
                            actions.extend(
                                r.handle(now, Input::Received { port, src_mac: f.src_mac, payload: f.payload }),
                            );
                        }
                        _ => ControlCounters::add(&self.counters.not_routing, 1),
                    },
                }
            }
        }
        if let Some(r) = s.router.as_mut() {
            if r.next_deadline().is_some_and(|d| d <= now) {
                actions.extend(r.handle(now, Input::Tick));
            }
        }
        let mut fib: Vec<FibChange> = Vec::new();
        for a in actions {
            match a {
                Action::Send { port, dst_mac, payload } => self.send(port, dst_mac, &payload),
                Action::Fib(changes) => {
                    for c in changes {
                        match c {
                            FibChange::Upsert(p, h) => s.table.set(Source::Routing, p, Some(h), &mut fib),
                            FibChange::Remove(p) => s.table.set(Source::Routing, p, None, &mut fib),
                        }
                    }
                }
                Action::Adjacency(n) => {
                    tracing::info!(port = n.port, neighbor = %n.id, hostname = %n.hostname, mac = %n.mac, state = ?n.state, "adjacency")
                }
            }
        }
        let _ = s.apply(fib);
        s.router.as_ref().and_then(Router::next_deadline)
    }

    /// Builds a control frame in a fresh mbuf and queues it for lcore 0.
    fn send(&self, port: u16, dst: MacAddr, pdu: &[u8]) {
        let Some(p) = self.ports.get(usize::from(port)) else { return };
        let Some(mut m) = self.pool.alloc() else {
            ControlCounters::add(&self.counters.tx_no_mbuf, 1);
            return;
        };
        let len = frame::frame_len(self.node.as_ref(), pdu.len());
        let Some(buf) = m.append(len) else {
            ControlCounters::add(&self.counters.tx_no_mbuf, 1);
            return;
        };
        if frame::emit(buf, dst, p.mac, self.ethertype, self.node.as_ref(), pdu).is_err() {
            ControlCounters::add(&self.counters.tx_too_big, 1);
            return;
        }
        match self.inject.push((port, m)) {
            Ok(()) => ControlCounters::add(&self.counters.tx_frames, 1),
            Err(_) => ControlCounters::add(&self.counters.tx_ring_full, 1),
        }
    }
}

/// How long [`restart`] waits for the lcores to give back a port's queue
/// handles (one lcore turn normally; an idle lcore's sleep at most).
pub const HANDLES_BACK_WITHIN: Duration = Duration::from_millis(500);

/// Stops and starts memif client port `p` (index `i`) so that it dials its
/// server again: its gate closed, `Port::stop` retried until the lcores have
/// dropped their queue handles (the safe DPDK wrapper refuses to stop a port
/// with live handles), start, gate opened again if the start succeeded
/// (`dmsc_forwarder::gate`). Blocks the control thread for that long
/// (microseconds while the lcores poll; [`HANDLES_BACK_WITHIN`] at most).
fn restart(p: &ControlPort, i: usize, gates: &PortGates, c: &ControlCounters, attempt: u64) {
    ControlCounters::add(&c.reconnects, 1);
    gates.close(i);
    let t0 = Instant::now();
    let stopped = loop {
        match p.port.stop() {
            Ok(()) => break Ok(()),
            Err(e) if t0.elapsed() >= HANDLES_BACK_WITHIN => break Err(e),
            Err(_) => std::thread::sleep(Duration::from_micros(100)),
        }
    };
    let started = stopped.and_then(|()| p.port.start());
    match started {
        Ok(()) => {
            gates.open(i);
            tracing::info!(port = i, attempt, "memif client port restarted to reconnect to its server");
        }
        Err(e) => {
            ControlCounters::add(&c.reconnect_failures, 1);
            tracing::info!(port = i, attempt, error = %e, "memif client port: server not reachable yet; will retry");
        }
    }
}

/// Installs the static routes in the table without touching the FIB (the
/// daemon built the initial FIB from them).
pub fn load_static(table: &mut RouteTable, routes: Vec<(Name, Vec<NextHop>)>) {
    let mut ignored = Vec::new();
    for (p, h) in routes {
        table.set(Source::Static, p, Some(h), &mut ignored);
    }
}

impl ControlCounters {
    /// Adds `n` (single writer: the control thread).
    pub fn add(c: &AtomicU64, n: u64) {
        c.store(c.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }
}
