//! A discrete-event network simulator for `dmsc_routing::router::Router`.
//!
//! N routers joined by point-to-point links (each end: a router, a port, a
//! distinct MAC). Time is virtual (`t0 + offset`, never slept); an event
//! queue holds frames in flight. Every `Action::Send` is delivered to the
//! other end of the link after `delay`, subject to the link's loss,
//! duplication and reordering (extra random delay) drawn from a seeded RNG,
//! so every run is reproducible. Each router is ticked at its own
//! `next_deadline()`. `Action::Fib` changes are applied to a per-router
//! `BTreeMap<Name, Vec<NextHop>>` model of the FIB.
#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use dmsc_fib::{FibChange, NextHop};
use dmsc_routing::router::{Action, Input, PortConfig, Router, RouterConfig, Timers};
use dmsc_routing::types::{AdjState, PortIndex, PrefixEntry, Role, RouterId};
use dmsc_routing::wire::{Key, Keychain};
use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::Name;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Frame impairments of one link direction.
#[derive(Clone, Copy, Debug)]
pub struct Impair {
    /// Base one-way delay.
    pub delay: Duration,
    /// Probability a frame is lost.
    pub loss: f64,
    /// Probability a frame is delivered twice.
    pub dup: f64,
    /// Probability a frame gets up to `reorder_by` extra delay (so later frames overtake it).
    pub reorder: f64,
    /// Maximum extra delay of a reordered frame.
    pub reorder_by: Duration,
    /// Drop everything (one-way link).
    pub blackhole: bool,
}

impl Default for Impair {
    fn default() -> Self {
        Impair {
            delay: Duration::from_millis(1),
            loss: 0.0,
            dup: 0.0,
            reorder: 0.0,
            reorder_by: Duration::from_millis(20),
            blackhole: false,
        }
    }
}

/// One end of a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct End {
    pub node: usize,
    pub port: PortIndex,
    pub mac: MacAddr,
}

/// A point-to-point link.
#[derive(Clone, Debug)]
pub struct Link {
    pub ends: [End; 2],
    pub metric: u32,
    pub up: bool,
    /// Impairments by direction: `[0]` for frames from `ends[0]` to `ends[1]`.
    pub impair: [Impair; 2],
}

/// One simulated router.
pub struct Node {
    pub name: String,
    pub cfg: RouterConfig,
    pub router: Router,
    /// FIB model: the Fib actions applied in order.
    pub fib: BTreeMap<Name, Vec<NextHop>>,
    /// False: powered off (no ticks, frames to it are lost).
    pub alive: bool,
    pub adjacency_log: Vec<(Duration, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Frame {
    to: usize,
    port: PortIndex,
    src_mac: MacAddr,
    payload: Vec<u8>,
}

/// A frame seen on a link (for capture/replay tests).
#[derive(Clone, Debug)]
pub struct Captured {
    pub link: usize,
    pub from: End,
    pub payload: Vec<u8>,
}

/// Test key helper.
pub fn key(id: u16, secret: &str, send: bool, accept: bool) -> Key {
    Key { id, secret: secret.as_bytes().to_vec(), send, accept }
}

/// A keychain with one send+accept key.
pub fn chain1(id: u16, secret: &str) -> Keychain {
    Keychain::new(vec![key(id, secret, true, true)]).expect("valid keychain")
}

pub fn name(s: &str) -> Name {
    Name::from_uri(s).expect("valid name")
}

pub fn prefixes(list: &[(&str, u32)]) -> Vec<PrefixEntry> {
    list.iter().map(|(p, m)| PrefixEntry { prefix: name(p), metric: *m }).collect()
}

/// (name, router id, role, prefixes, ports) of a node being built.
type NodeSpec = (String, u64, Role, Vec<PrefixEntry>, Vec<PortConfig>);

/// Builds a simulation.
pub struct Builder {
    nodes: Vec<NodeSpec>,
    links: Vec<Link>,
    pub timers: Timers,
    pub keychain: Keychain,
    pub impair: Impair,
    pub seed: u64,
    /// `RouterConfig::loop_free_alternates` of every router.
    pub lfa: bool,
}

impl Builder {
    pub fn new() -> Builder {
        Builder {
            nodes: Vec::new(),
            links: Vec::new(),
            timers: Timers::default(),
            keychain: chain1(1, "domain secret one"),
            impair: Impair::default(),
            seed: 1,
            lfa: true,
        }
    }

    /// Adds a router; returns its index.
    pub fn router(&mut self, name: &str, id: u64, role: Role, prefixes: Vec<PrefixEntry>) -> usize {
        self.nodes.push((name.to_owned(), id, role, prefixes, Vec::new()));
        self.nodes.len() - 1
    }

    /// Links `a` and `b` with `metric` on both ends; returns the link index.
    pub fn link(&mut self, a: usize, b: usize, metric: u32) -> usize {
        let li = self.links.len();
        let mut ends = [End { node: a, port: 0, mac: MacAddr::ZERO }; 2];
        for (k, n) in [a, b].into_iter().enumerate() {
            let ports = &mut self.nodes[n].4;
            let port = ports.len() as PortIndex;
            ports.push(PortConfig { index: port, metric });
            // 02:<node>:<port>:<link>:00:<end>
            ends[k] = End { node: n, port, mac: MacAddr([0x02, n as u8, port as u8, li as u8, 0, k as u8]) };
        }
        self.links.push(Link { ends, metric, up: true, impair: [self.impair; 2] });
        li
    }

    pub fn build(self) -> Sim {
        let t0 = Instant::now();
        let nodes = self
            .nodes
            .into_iter()
            .map(|(name, id, role, prefixes, ports)| {
                let cfg = RouterConfig {
                    id: RouterId(id),
                    hostname: name.clone(),
                    role,
                    ports,
                    prefixes,
                    keychain: self.keychain.clone(),
                    crypto_seq_base: 1_000,
                    timers: self.timers.clone(),
                    loop_free_alternates: self.lfa,
                };
                let router = Router::new(cfg.clone(), t0);
                Node { name, cfg, router, fib: BTreeMap::new(), alive: true, adjacency_log: Vec::new() }
            })
            .collect();
        Sim {
            t0,
            now: t0,
            nodes,
            links: self.links,
            queue: BinaryHeap::new(),
            seq: 0,
            rng: StdRng::seed_from_u64(self.seed),
            capture: false,
            captured: Vec::new(),
            delivered: 0,
            dropped: 0,
        }
    }
}

/// The running simulation.
pub struct Sim {
    pub t0: Instant,
    pub now: Instant,
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
    queue: BinaryHeap<Reverse<(Instant, u64, Frame)>>,
    seq: u64,
    rng: StdRng,
    /// Record every frame sent on a link into `captured`.
    pub capture: bool,
    pub captured: Vec<Captured>,
    pub delivered: u64,
    pub dropped: u64,
}

impl Sim {
    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    pub fn node(&self, name: &str) -> usize {
        self.nodes.iter().position(|n| n.name == name).unwrap_or_else(|| panic!("no node {name}"))
    }

    /// The link between two named nodes (the first one found).
    pub fn link_between(&self, a: &str, b: &str) -> usize {
        let (a, b) = (self.node(a), self.node(b));
        self.links
            .iter()
            .position(|l| {
                let (x, y) = (l.ends[0].node, l.ends[1].node);
                (x, y) == (a, b) || (x, y) == (b, a)
            })
            .expect("link exists")
    }

    fn link_of(&self, node: usize, port: PortIndex) -> Option<(usize, usize)> {
        self.links
            .iter()
            .enumerate()
            .find_map(|(i, l)| l.ends.iter().position(|e| e.node == node && e.port == port).map(|k| (i, k)))
    }

    /// Queues `payload` for delivery to end `to` of `link` as if sent by the other end now.
    pub fn inject(&mut self, link: usize, to_end: usize, payload: Vec<u8>) {
        let from = self.links[link].ends[1 - to_end];
        let to = self.links[link].ends[to_end];
        let at = self.now + Duration::from_millis(1);
        self.push(at, Frame { to: to.node, port: to.port, src_mac: from.mac, payload });
    }

    fn push(&mut self, at: Instant, f: Frame) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, f)));
    }

    /// Carries out a router's actions.
    fn actions(&mut self, node: usize, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Send { port, dst_mac: _, payload } => self.send(node, port, payload),
                Action::Fib(changes) => {
                    let fib = &mut self.nodes[node].fib;
                    for c in changes {
                        match c {
                            FibChange::Upsert(n, h) => {
                                fib.insert(n, h);
                            }
                            FibChange::Remove(n) => {
                                assert!(fib.remove(&n).is_some(), "remove of absent route {n}");
                            }
                        }
                    }
                }
                Action::Adjacency(info) => {
                    let t = self.elapsed();
                    let n = &mut self.nodes[node];
                    n.adjacency_log.push((t, format!("port {} {} {:?}", info.port, info.hostname, info.state)));
                }
            }
        }
    }

    fn send(&mut self, node: usize, port: PortIndex, payload: Vec<u8>) {
        let Some((li, k)) = self.link_of(node, port) else {
            return;
        };
        let link = &self.links[li];
        let (from, to, imp) = (link.ends[k], link.ends[1 - k], link.impair[k]);
        if self.capture {
            self.captured.push(Captured { link: li, from, payload: payload.clone() });
        }
        if !link.up || imp.blackhole || self.rng.gen_bool(imp.loss) {
            self.dropped += 1;
            return;
        }
        let copies = if self.rng.gen_bool(imp.dup) { 2 } else { 1 };
        for _ in 0..copies {
            let mut delay = imp.delay;
            if self.rng.gen_bool(imp.reorder) {
                delay += imp.reorder_by.mul_f64(self.rng.gen::<f64>());
            }
            let f = Frame { to: to.node, port: to.port, src_mac: from.mac, payload: payload.clone() };
            self.push(self.now + delay, f);
        }
    }

    /// Runs until virtual time `t` (absolute).
    pub fn run_until(&mut self, t: Instant) {
        let mut spins = 0u32;
        loop {
            let next_frame = self.queue.peek().map(|Reverse((at, _, _))| *at);
            let next_tick = self
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.alive)
                .filter_map(|(i, n)| n.router.next_deadline().map(|d| (d, i)))
                .min();
            let frame_first = match (next_frame, next_tick) {
                (Some(f), Some((d, _))) => f <= d,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let at = if frame_first { next_frame.unwrap() } else { next_tick.unwrap().0 };
            if at > t {
                break;
            }
            if at <= self.now {
                spins += 1;
                assert!(spins < 100_000, "simulation stuck at {:?}", self.elapsed());
            } else {
                spins = 0;
            }
            self.now = self.now.max(at);
            if frame_first {
                let Reverse((_, _, f)) = self.queue.pop().unwrap();
                if !self.nodes[f.to].alive {
                    self.dropped += 1;
                    continue;
                }
                self.delivered += 1;
                let now = self.now;
                let acts = self.nodes[f.to]
                    .router
                    .handle(now, Input::Received { port: f.port, src_mac: f.src_mac, payload: &f.payload });
                self.actions(f.to, acts);
            } else {
                let i = next_tick.unwrap().1;
                let now = self.now;
                let acts = self.nodes[i].router.handle(now, Input::Tick);
                self.actions(i, acts);
            }
        }
        self.now = self.now.max(t);
    }

    /// Runs for `d` more virtual time.
    pub fn run_for(&mut self, d: Duration) {
        let t = self.now + d;
        self.run_until(t);
    }

    /// Gives `input` to a node now.
    pub fn input(&mut self, node: usize, input: Input<'_>) {
        let now = self.now;
        let acts = self.nodes[node].router.handle(now, input);
        self.actions(node, acts);
    }

    /// Cuts (both ends get LinkDown) or restores (LinkUp) a link.
    pub fn set_link(&mut self, li: usize, up: bool) {
        self.links[li].up = up;
        for e in self.links[li].ends {
            if self.nodes[e.node].alive {
                self.input(e.node, if up { Input::LinkUp(e.port) } else { Input::LinkDown(e.port) });
            }
        }
    }

    /// Replaces a node's router by a fresh one (same configuration, a larger
    /// crypto sequence base), as after a process restart.
    pub fn restart(&mut self, node: usize, crypto_seq_base: u64) {
        let mut cfg = self.nodes[node].cfg.clone();
        cfg.crypto_seq_base = crypto_seq_base;
        self.nodes[node].router = Router::new(cfg, self.now);
        self.nodes[node].fib.clear();
        self.nodes[node].alive = true;
    }

    /// True when every up link without a blackholed direction has both ends Up.
    pub fn all_adjacencies_up(&self) -> bool {
        self.links.iter().filter(|l| l.up && !l.impair.iter().any(|i| i.blackhole)).all(|l| {
            l.ends.iter().all(|e| {
                !self.nodes[e.node].alive
                    || self.nodes[e.node].router.neighbors().iter().any(|n| n.port == e.port && n.state == AdjState::Up)
            })
        })
    }

    pub fn digests_equal(&self) -> bool {
        let mut d = self.nodes.iter().filter(|n| n.alive).map(|n| n.router.lsdb_digest());
        let first = d.next();
        d.all(|x| Some(x) == first)
    }

    pub fn pending(&self) -> usize {
        self.nodes.iter().filter(|n| n.alive).map(|n| n.router.retransmit_pending()).sum()
    }

    /// Every alive node's FIB model equals the router's own view of what it emitted.
    pub fn fib_models_consistent(&self) -> bool {
        self.nodes.iter().filter(|n| n.alive).all(|n| &n.fib == n.router.fib())
    }

    /// Steps of 100 ms until adjacencies are Up, LSDBs equal and nothing is
    /// pending, for at most `max`; returns the virtual time it took.
    pub fn converge(&mut self, max: Duration) -> Option<Duration> {
        let start = self.now;
        while self.now - start <= max {
            if self.all_adjacencies_up() && self.digests_equal() && self.pending() == 0 {
                return Some(self.now - start);
            }
            self.run_for(Duration::from_millis(100));
        }
        None
    }

    /// A node's FIB model as text, one route per line:
    /// `<prefix> <cost> <neighbour>[,<neighbour>...][ | <backup cost> <neighbour>...]`,
    /// neighbours named by the node at the other end of the (port, MAC) next
    /// hop (`?` if no such link); the primaries (lowest cost) first, then the
    /// loop-free alternates.
    pub fn fib_dump(&self, node: usize) -> String {
        let mut lines: Vec<String> = Vec::new();
        for (n, hops) in &self.nodes[node].fib {
            let mut costs: Vec<u32> = hops.iter().map(|h| h.cost).collect();
            costs.sort_unstable();
            costs.dedup();
            let groups: Vec<String> = costs
                .iter()
                .map(|&c| {
                    let mut names: Vec<String> =
                        hops.iter().filter(|h| h.cost == c).map(|h| self.hop_name(node, h)).collect();
                    names.sort();
                    format!("{c} {}", names.join(","))
                })
                .collect();
            lines.push(format!("{n} {}\n", groups.join(" | ")));
        }
        lines.sort();
        lines.concat()
    }

    fn hop_name(&self, node: usize, h: &NextHop) -> String {
        match self.link_of(node, h.port) {
            Some((li, k)) if self.links[li].ends[1 - k].mac == h.mac => {
                self.nodes[self.links[li].ends[1 - k].node].name.clone()
            }
            _ => "?".into(),
        }
    }

    /// Sum of a counter over alive nodes.
    pub fn sum(&self, f: impl Fn(&Router) -> u64) -> u64 {
        self.nodes.iter().filter(|n| n.alive).map(|n| f(&n.router)).sum()
    }
}

impl Sim {
    /// A multi-line status for failure messages.
    pub fn status(&self) -> String {
        let mut s = format!("t={:?} delivered={} dropped={}\n", self.elapsed(), self.delivered, self.dropped);
        for n in &self.nodes {
            let r = &n.router;
            let nb: Vec<String> =
                r.neighbors().iter().map(|x| format!("p{}:{}:{:?}", x.port, x.hostname, x.state)).collect();
            let _ = writeln!(
                s,
                "{} alive={} digest={:016x} lsas={} pending={} nbrs=[{}]\n    {:?}",
                n.name,
                n.alive,
                r.lsdb_digest(),
                r.lsdb(self.now).len(),
                r.retransmit_pending(),
                nb.join(" "),
                r.counters()
            );
        }
        s
    }
}
