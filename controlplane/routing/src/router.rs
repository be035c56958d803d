//! One routing instance: the composition of [`crate::adjacency`],
//! [`crate::lsdb`], [`crate::flooding`], [`crate::spf`], [`crate::rib`] and
//! [`crate::backoff`] behind a single `handle(now, input) -> actions` call
//! [draft-li-dmsc-architecture §6.1 steps 3–5].
//!
//! The driver (`dmsc-controlplane`) feeds it received PDUs, link events,
//! configuration changes and `Tick`s at [`Router::next_deadline`], and carries
//! out the returned [`Action`]s: frames to send, FIB changes to apply, and
//! adjacency changes to log. After every input the router runs all the work
//! due at `now` (hellos, hold timers, ageing, refreshes, CSNPs,
//! retransmissions, SPF), so a `Tick` is only needed when nothing else
//! arrives.
//!
//! Module layout: this file holds the public API and the timer loop;
//! `router/originate.rs` builds and (re)originates our own LSAs (node LSA from
//! Up adjacencies, prefix LSAs fragmented to fit one LSU), `router/receive.rs`
//! decodes, authenticates, replay-checks and dispatches received PDUs
//! (the LSU rules of [ISO 10589 §7.3.15.1] and [RFC 2328 §13.4] for our own
//! LSAs), `router/fibsync.rs` runs SPF and turns the RIB into FIB changes.
//!
//! Alternatives rejected: one task per adjacency with channels (the protocol
//! is small and its state is shared: LSDB, own LSAs; a single owner avoids
//! locks and makes the simulation deterministic); diffing RIBs and mapping
//! the difference (an adjacency change alters the port/MAC of next hops
//! without changing the RIB, so the router diffs the *FIB* it last emitted
//! against the one it wants, which covers both cases).

mod fibsync;
mod originate;
mod receive;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use dmsc_fib::{FibChange, NextHop};
use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::Name;

use crate::adjacency::{Adjacency, Transition};
use crate::backoff::{BackoffState, SpfBackoff, SpfBackoffConfig};
use crate::flooding::{self, FloodQueue};
use crate::lsdb::Lsdb;
use crate::rib::Rib;
use crate::types::{AdjState, Lsa, LsaBody, LsaId, NeighborInfo, Pdu, PduBody, PortIndex, PrefixEntry, Role, RouterId};
use crate::wire::{self, Keychain};

/// Protocol timers. Defaults: hello 1 s, hold 3 × hello, LSA lifetime 1200 s,
/// refresh 900 s, retransmit 500 ms, CSNP 10 s, RFC 8405 defaults for SPF.
#[derive(Clone, Debug)]
pub struct Timers {
    /// Interval between hellos on each port.
    pub hello_interval: Duration,
    /// Hold time advertised in our hellos = `hold_multiplier × hello_interval`.
    pub hold_multiplier: u16,
    /// Remaining lifetime our LSAs start with (at most 65535 s).
    pub lsa_lifetime: Duration,
    /// Our LSAs are re-originated (seq + 1) this long after their last origination.
    pub lsa_refresh: Duration,
    /// Unacknowledged LSAs are re-sent to a neighbour after this long.
    pub retransmit_interval: Duration,
    /// Interval of periodic CSNPs on each Up adjacency.
    pub csnp_interval: Duration,
    /// SPF back-off [RFC 8405].
    pub spf: SpfBackoffConfig,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            hello_interval: Duration::from_secs(1),
            hold_multiplier: 3,
            lsa_lifetime: Duration::from_secs(1200),
            lsa_refresh: Duration::from_secs(900),
            retransmit_interval: Duration::from_millis(500),
            csnp_interval: Duration::from_secs(10),
            spf: SpfBackoffConfig::default(),
        }
    }
}

/// One routed port.
#[derive(Clone, Debug)]
pub struct PortConfig {
    /// Port index (as in the FIB's `NextHop::port`).
    pub index: PortIndex,
    /// Link metric advertised for adjacencies on this port (1..=2^24−1; clamped).
    pub metric: u32,
}

/// Configuration of a routing instance.
#[derive(Clone, Debug)]
pub struct RouterConfig {
    /// Our router id (non-zero).
    pub id: RouterId,
    /// Hostname carried in hellos and the node LSA (truncated to 255 bytes).
    pub hostname: String,
    /// SG or SR.
    pub role: Role,
    /// Routed ports. All start with their link up; the driver reports changes.
    pub ports: Vec<PortConfig>,
    /// Service prefixes we originate.
    pub prefixes: Vec<PrefixEntry>,
    /// Authentication keys (empty: no authentication).
    pub keychain: Keychain,
    /// First cryptographic sequence number; the driver passes wall-clock ns
    /// at start so that sequence numbers increase across restarts.
    pub crypto_seq_base: u64,
    /// Protocol timers.
    pub timers: Timers,
    /// Install loop-free alternates [RFC 5286] as backup next hops
    /// ([`crate::lfa`]); false: primaries only, repair waits for SPF.
    pub loop_free_alternates: bool,
}

/// An input to [`Router::handle`].
#[derive(Clone, Debug)]
pub enum Input<'a> {
    /// A routing PDU received on `port` from Ethernet source `src_mac`.
    Received {
        /// Receiving port.
        port: PortIndex,
        /// Ethernet source address.
        src_mac: MacAddr,
        /// The PDU bytes (payload of the DMSC Control packet).
        payload: &'a [u8],
    },
    /// The port's link came up.
    LinkUp(PortIndex),
    /// The port's link went down.
    LinkDown(PortIndex),
    /// Replace the prefixes we originate.
    SetPrefixes(Vec<PrefixEntry>),
    /// Replace the keychain (key rollover).
    SetKeychain(Keychain),
    /// Nothing but time passing: run what is due.
    Tick,
}

/// An output of [`Router::handle`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send `payload` (an encoded, authenticated PDU) on `port` to `dst_mac`
    /// (`wire::ALL_ROUTERS_MAC` for hellos, the neighbour MAC otherwise).
    Send {
        /// Egress port.
        port: PortIndex,
        /// Ethernet destination.
        dst_mac: MacAddr,
        /// PDU bytes.
        payload: Vec<u8>,
    },
    /// FIB changes, by difference (only changed prefixes), ready for
    /// `dmsc_fib::FibWriter::apply`. One next hop per Up adjacency to a
    /// first-hop router (parallel equal-metric links → several); `cost` is the
    /// route metric clamped to `u32`.
    Fib(Vec<FibChange>),
    /// An adjacency changed state (for logs).
    Adjacency(NeighborInfo),
}

/// Counters (monotonic, plain `u64`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoutingCounters {
    /// PDUs received (before any check).
    pub rx_pdus: u64,
    /// PDUs sent.
    pub tx_pdus: u64,
    /// Received PDUs dropped, by reason: `wire::Error::counter_name`, plus
    /// `unknown_port`, `own_pdu` (our own id as sender) and `not_adjacent`
    /// (LSU/CSNP/PSNP from a router without an Up adjacency on that port).
    pub rx_errors: BTreeMap<&'static str, u64>,
    /// PDUs that could not be encoded (dropped).
    pub tx_errors: u64,
    /// Authenticated PDUs dropped because their crypto sequence number was not
    /// above the last accepted one from that sender on that port.
    pub rx_replay: u64,
    /// Received LSAs installed (newer than ours).
    pub lsa_installed: u64,
    /// Received LSAs identical to ours (acknowledged, not flooded).
    pub lsa_duplicate: u64,
    /// Received LSAs older than ours (ours sent back).
    pub lsa_older: u64,
    /// Received copies of our own LSA, identical but about to expire before
    /// our refresh (from before a restart): re-originated above them.
    pub lsa_stale_own: u64,
    /// Purges installed (received, or made for our withdrawn fragments).
    pub lsa_purged: u64,
    /// LSAs whose lifetime ran out here.
    pub lsa_expired: u64,
    /// Own LSAs originated (new content, refresh, or above a stale copy).
    pub lsa_originated: u64,
    /// LSAs re-sent because not acknowledged in time.
    pub retransmits: u64,
    /// SPF runs.
    pub spf_runs: u64,
    /// FIB changes emitted (prefixes upserted or removed).
    pub fib_changes: u64,
    /// Adjacencies that came Up.
    pub adjacency_up: u64,
    /// Adjacencies that left Up.
    pub adjacency_down: u64,
}

impl RoutingCounters {
    /// Every counter by name (`rx_errors` as `rx_error_<reason>`), for displays.
    pub fn iter(&self) -> impl Iterator<Item = (String, u64)> + '_ {
        let fields = [
            ("rx_pdus", self.rx_pdus),
            ("tx_pdus", self.tx_pdus),
            ("tx_errors", self.tx_errors),
            ("rx_replay", self.rx_replay),
            ("lsa_installed", self.lsa_installed),
            ("lsa_duplicate", self.lsa_duplicate),
            ("lsa_older", self.lsa_older),
            ("lsa_stale_own", self.lsa_stale_own),
            ("lsa_purged", self.lsa_purged),
            ("lsa_expired", self.lsa_expired),
            ("lsa_originated", self.lsa_originated),
            ("retransmits", self.retransmits),
            ("spf_runs", self.spf_runs),
            ("fib_changes", self.fib_changes),
            ("adjacency_up", self.adjacency_up),
            ("adjacency_down", self.adjacency_down),
        ];
        fields
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .chain(self.rx_errors.iter().map(|(k, v)| (format!("rx_error_{k}"), *v)))
    }

    /// Sum of `rx_errors`.
    pub fn rx_errors_total(&self) -> u64 {
        self.rx_errors.values().sum()
    }

    fn rx_error(&mut self, name: &'static str) {
        *self.rx_errors.entry(name).or_insert(0) += 1;
    }
}

#[derive(Clone, Debug)]
struct Port {
    metric: u32,
    adj: Adjacency,
    flood: FloodQueue,
    next_csnp: Option<Instant>,
}

#[derive(Clone, Debug)]
struct OwnLsa {
    body: LsaBody,
    refresh_at: Instant,
}

/// One routing instance (see the module documentation).
#[derive(Debug)]
pub struct Router {
    cfg: RouterConfig,
    ports: BTreeMap<PortIndex, Port>,
    lsdb: Lsdb,
    own: BTreeMap<LsaId, OwnLsa>,
    replay: BTreeMap<(PortIndex, RouterId), u64>,
    crypto_seq: u64,
    backoff: SpfBackoff,
    rib: Rib,
    fib: BTreeMap<Name, Vec<NextHop>>,
    fib_dirty: bool,
    counters: RoutingCounters,
}

/// Largest link metric [`crate::types::Link::metric`] allows.
pub const MAX_LINK_METRIC: u32 = (1 << 24) - 1;

impl Router {
    /// A router with all adjacencies Down; originates its node LSA (no links)
    /// and prefix LSA(s) at sequence 1.
    pub fn new(mut cfg: RouterConfig, now: Instant) -> Router {
        cfg.prefixes.sort();
        cfg.prefixes.dedup_by(|a, b| a.prefix == b.prefix);
        let mut h = std::mem::take(&mut cfg.hostname);
        if h.len() > 255 {
            let mut end = 255;
            while !h.is_char_boundary(end) {
                end -= 1;
            }
            h.truncate(end);
        }
        cfg.hostname = h;
        let ports = cfg
            .ports
            .iter()
            .map(|p| {
                let port = Port {
                    metric: p.metric.clamp(1, MAX_LINK_METRIC),
                    adj: Adjacency::new(p.index, true, now),
                    flood: FloodQueue::new(),
                    next_csnp: None,
                };
                (p.index, port)
            })
            .collect();
        let mut r = Router {
            backoff: SpfBackoff::new(cfg.timers.spf),
            crypto_seq: cfg.crypto_seq_base,
            cfg,
            ports,
            lsdb: Lsdb::new(),
            own: BTreeMap::new(),
            replay: BTreeMap::new(),
            rib: Rib::default(),
            fib: BTreeMap::new(),
            fib_dirty: false,
            counters: RoutingCounters::default(),
        };
        r.update_own(now);
        r
    }

    /// Processes one input at `now`, then runs everything due at `now`.
    pub fn handle(&mut self, now: Instant, input: Input<'_>) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Received { port, src_mac, payload } => self.receive(now, port, src_mac, payload, &mut out),
            Input::LinkUp(p) => {
                if let Some(port) = self.ports.get_mut(&p) {
                    port.adj.link_came_up(now);
                }
            }
            Input::LinkDown(p) => {
                if let Some(port) = self.ports.get_mut(&p) {
                    let tr = port.adj.link_went_down(now);
                    self.transitions(now, p, &tr, &mut out);
                }
            }
            Input::SetPrefixes(mut prefixes) => {
                prefixes.sort();
                prefixes.dedup_by(|a, b| a.prefix == b.prefix);
                self.cfg.prefixes = prefixes;
                self.update_own(now);
            }
            Input::SetKeychain(k) => self.cfg.keychain = k,
            Input::Tick => {}
        }
        self.run(now, &mut out);
        out
    }

    /// The earliest instant at which something is due (the driver calls
    /// `handle(t, Tick)` then, unless an input arrives first).
    pub fn next_deadline(&self) -> Option<Instant> {
        let ports = self.ports.values().flat_map(|p| {
            let csnp = if p.adj.state() == AdjState::Up { p.next_csnp } else { None };
            [p.adj.next_deadline(), p.flood.next_deadline(), csnp]
        });
        let own = self.own.values().map(|o| Some(o.refresh_at));
        ports.chain(own).chain([self.lsdb.next_deadline(), self.backoff.next_deadline()]).flatten().min()
    }

    /// Our router id.
    pub fn id(&self) -> RouterId {
        self.cfg.id
    }

    /// Neighbours heard on each port (Init or Up), by port.
    pub fn neighbors(&self) -> Vec<NeighborInfo> {
        self.ports.values().filter_map(|p| p.adj.info()).collect()
    }

    /// The LSDB sorted by id, purges included, remaining lifetimes as of `now`.
    pub fn lsdb(&self, now: Instant) -> Vec<Lsa> {
        self.lsdb.iter().filter_map(|(id, _)| self.lsdb.lsa(id, now)).collect()
    }

    /// FNV-1a hash of the sorted (id, seq, checksum) of live LSAs: equal LSDBs
    /// have equal digests. Display as `{:016x}`.
    pub fn lsdb_digest(&self) -> u64 {
        self.lsdb.digest()
    }

    /// The current RIB (from the last SPF run).
    pub fn rib(&self) -> &Rib {
        &self.rib
    }

    /// The FIB as last emitted through [`Action::Fib`] (prefix → next hops).
    pub fn fib(&self) -> &BTreeMap<Name, Vec<NextHop>> {
        &self.fib
    }

    /// Counters.
    pub fn counters(&self) -> &RoutingCounters {
        &self.counters
    }

    /// True while an SPF run is scheduled (the RIB and FIB may lag the LSDB).
    pub fn spf_pending(&self) -> bool {
        self.backoff.spf_deadline().is_some()
    }

    /// The SPF back-off state at `now` (QUIET, SHORT_WAIT, LONG_WAIT) [RFC 8405 §5].
    pub fn spf_state(&self, now: Instant) -> BackoffState {
        self.backoff.state_at(now)
    }

    /// LSAs awaiting acknowledgement, summed over all neighbours.
    pub fn retransmit_pending(&self) -> usize {
        self.ports.values().map(|p| p.flood.pending()).sum()
    }

    fn hold_time_s(&self) -> u16 {
        let t = &self.cfg.timers;
        let ms = t.hello_interval.as_millis().saturating_mul(u128::from(t.hold_multiplier));
        u16::try_from(ms.div_ceil(1000)).unwrap_or(u16::MAX).max(1)
    }

    /// Encodes and emits one PDU.
    fn send(&mut self, port: PortIndex, dst_mac: MacAddr, body: PduBody, out: &mut Vec<Action>) {
        let pdu = Pdu { sender: self.cfg.id, body };
        let seq = self.crypto_seq;
        self.crypto_seq = self.crypto_seq.wrapping_add(1);
        match wire::encode(&pdu, self.cfg.keychain.send_key(), seq) {
            Ok(payload) => {
                self.counters.tx_pdus += 1;
                out.push(Action::Send { port, dst_mac, payload });
            }
            Err(_) => self.counters.tx_errors += 1,
        }
    }

    /// Handles adjacency transitions on `port`.
    fn transitions(&mut self, now: Instant, port: PortIndex, trs: &[Transition], out: &mut Vec<Action>) {
        if trs.is_empty() {
            return;
        }
        let mut links_changed = false;
        if let Some(p) = self.ports.get_mut(&port) {
            for t in trs {
                out.push(Action::Adjacency(NeighborInfo {
                    port,
                    id: t.neighbor,
                    hostname: p.adj.hostname().to_owned(),
                    mac: p.adj.mac(),
                    state: t.to,
                }));
                if t.came_up() {
                    self.counters.adjacency_up += 1;
                    p.flood.reset();
                    p.next_csnp = Some(now);
                    links_changed = true;
                } else if t.went_down() {
                    self.counters.adjacency_down += 1;
                    p.flood.reset();
                    p.next_csnp = None;
                    links_changed = true;
                }
            }
        }
        if links_changed {
            self.fib_dirty = true;
            self.update_own(now);
        }
    }

    /// Runs everything due at `now`.
    fn run(&mut self, now: Instant, out: &mut Vec<Action>) {
        // Hold timers and hellos.
        let hello_interval = self.cfg.timers.hello_interval;
        let hold = self.hold_time_s();
        let idx: Vec<PortIndex> = self.ports.keys().copied().collect();
        for &p in &idx {
            let Some(port) = self.ports.get_mut(&p) else {
                continue;
            };
            let (trs, due1) = port.adj.poll(now, hello_interval);
            self.transitions(now, p, &trs, out);
            // Transitions may have made a hello due.
            let Some(port) = self.ports.get_mut(&p) else {
                continue;
            };
            let (_, due2) = port.adj.poll(now, hello_interval);
            if due1 || due2 {
                let hello = port.adj.hello(&self.cfg.hostname, self.cfg.role, hold);
                self.send(p, wire::ALL_ROUTERS_MAC, PduBody::Hello(hello), out);
            }
        }
        // Ageing.
        let aged = self.lsdb.age(now);
        for id in &aged.expired {
            self.counters.lsa_expired += 1;
            if self.own.contains_key(id) {
                // Our refresh should have come first; originate again.
                self.reoriginate(now, *id, None);
            } else {
                self.flood_all(*id, None, now);
                self.backoff.event(now);
            }
        }
        for id in &aged.removed {
            for p in self.ports.values_mut() {
                p.flood.clear(id);
                p.flood.clear_ack(id);
            }
        }
        // Refreshes.
        let due: Vec<LsaId> = self.own.iter().filter(|(_, o)| o.refresh_at <= now).map(|(id, _)| *id).collect();
        for id in due {
            self.reoriginate(now, id, None);
        }
        // CSNPs, then LSUs and PSNPs.
        for &p in &idx {
            self.flush_port(now, p, out);
        }
        // SPF and FIB.
        if self.backoff.poll(now) {
            self.run_spf();
            self.fib_dirty = true;
        }
        if self.fib_dirty {
            self.fib_dirty = false;
            self.sync_fib(out);
        }
    }

    /// Sends what is due on one port: CSNPs, LSAs, acknowledgements.
    fn flush_port(&mut self, now: Instant, p: PortIndex, out: &mut Vec<Action>) {
        let Some(port) = self.ports.get_mut(&p) else {
            return;
        };
        if port.adj.state() != AdjState::Up {
            return;
        }
        let mac = port.adj.mac();
        let mut bodies = Vec::new();
        if port.next_csnp.is_some_and(|t| t <= now) {
            port.next_csnp = Some(now + self.cfg.timers.csnp_interval);
            let summaries = self.lsdb.summaries(now);
            for c in flooding::build_csnps(&summaries, flooding::CSNP_MAX_ENTRIES) {
                bodies.push(PduBody::Csnp(c));
            }
        }
        let due = port.flood.take_due(now, self.cfg.timers.retransmit_interval);
        self.counters.retransmits += due.retransmits as u64;
        let mut lsas = Vec::with_capacity(due.ids.len());
        for id in &due.ids {
            match self.lsdb.lsa(id, now) {
                Some(l) => lsas.push(l),
                None => port.flood.clear(id),
            }
        }
        for lsu in flooding::pack_lsus(lsas, flooding::LSU_BUDGET_BYTES, wire::lsa_encoded_len) {
            bodies.push(PduBody::Lsu(lsu));
        }
        for psnp in flooding::pack_psnps(port.flood.take_acks()) {
            bodies.push(PduBody::Psnp(psnp));
        }
        for b in bodies {
            self.send(p, mac, b, out);
        }
    }

    /// Sets SRM for `id` on every Up adjacency except the one on `except`.
    fn flood_all(&mut self, id: LsaId, except: Option<PortIndex>, now: Instant) {
        for (idx, p) in self.ports.iter_mut() {
            if Some(*idx) == except || p.adj.state() != AdjState::Up {
                continue;
            }
            p.flood.flood(id, now);
        }
    }
}

#[cfg(test)]
mod tests;
