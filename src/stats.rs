//! Counter reports: the readable table `dmscd` prints periodically and at
//! shutdown, and the same figures as JSON (`--stats-json`) for scripts/tests.

use std::fmt::Write as _;
use std::sync::Arc;

use dmsc_forwarder::{DropReason, LcoreCounters, LcoreSnapshot};
use dpdk::Port;
use serde::Serialize;

/// One port's figures: the data plane's own counts and the driver's.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PortReport {
    /// Configured port name.
    pub name: String,
    /// DPDK port id.
    pub dpdk_port: u16,
    /// Port MAC.
    pub mac: String,
    /// Link up.
    pub link_up: bool,
    /// Frames the lcores took from this port's rx queues.
    pub rx_packets: u64,
    /// Frames the lcores handed to this port's tx queues (accepted).
    pub tx_packets: u64,
    /// Driver counters (`rte_eth_stats`).
    pub hw_ipackets: u64,
    /// Driver: frames sent.
    pub hw_opackets: u64,
    /// Driver: frames dropped for lack of rx descriptors.
    pub hw_imissed: u64,
    /// Driver: rx errors.
    pub hw_ierrors: u64,
    /// Driver: tx errors.
    pub hw_oerrors: u64,
    /// Driver: rx mbuf allocation failures.
    pub hw_rx_nombuf: u64,
}

/// One lcore's figures.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LcoreReport {
    /// Position in `dataplane.lcores`.
    pub index: usize,
    /// The counters.
    #[serde(flatten)]
    pub c: CounterSet,
}

/// Serializable counter set (one lcore or the total).
#[derive(Clone, Debug, Default, Serialize)]
pub struct CounterSet {
    /// Frames received.
    pub rx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Frames sent.
    pub tx_packets: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Frames forwarded by FIB lookup.
    pub forwarded: u64,
    /// Control packets punted.
    pub punted: u64,
    /// Nacks sent.
    pub nacks_sent: u64,
    /// Nacks suppressed by the rate limiter.
    pub nacks_rate_limited: u64,
    /// Nacks impossible: no route back to the source.
    pub nacks_no_route: u64,
    /// Frames handed to other lcores (flow-label dispatch).
    pub dispatched: u64,
    /// Drops by reason (`not_dmsc`, `malformed`, `hop_limit`, `no_route`,
    /// `too_big`, `tx_full`, `punt_full`, `port_down`) plus `dispatch_full`.
    pub drops: std::collections::BTreeMap<&'static str, u64>,
    /// Loop turns.
    pub polls: u64,
    /// Loop turns that found nothing.
    pub idle_polls: u64,
    /// Destination names answered by the lcores' lookup caches.
    pub name_cache_hits: u64,
    /// Destination names looked up in the FIB.
    pub name_cache_misses: u64,
}

impl From<&LcoreSnapshot> for CounterSet {
    fn from(s: &LcoreSnapshot) -> Self {
        let mut drops: std::collections::BTreeMap<&'static str, u64> =
            DropReason::ALL.iter().map(|r| (r.as_str(), s.drops(*r))).collect();
        drops.insert("dispatch_full", s.dispatch_full);
        CounterSet {
            rx_packets: s.rx_packets,
            rx_bytes: s.rx_bytes,
            tx_packets: s.tx_packets,
            tx_bytes: s.tx_bytes,
            forwarded: s.forwarded,
            punted: s.punted,
            nacks_sent: s.nacks_sent,
            nacks_rate_limited: s.nacks_rate_limited,
            nacks_no_route: s.nacks_no_route,
            dispatched: s.dispatched,
            drops,
            polls: s.polls,
            idle_polls: s.idle_polls,
            name_cache_hits: s.name_cache_hits,
            name_cache_misses: s.name_cache_misses,
        }
    }
}

/// The whole report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Router name.
    pub node: String,
    /// Per port.
    pub ports: Vec<PortReport>,
    /// Per lcore.
    pub lcores: Vec<LcoreReport>,
    /// Sum over lcores.
    pub total: CounterSet,
    /// Control packets the control thread received.
    pub control_received: u64,
}

impl Report {
    /// Reads every counter now.
    pub fn collect(
        node: &str,
        port_names: &[String],
        ports: &[Port],
        lcores: &[Arc<LcoreCounters>],
        control_received: u64,
    ) -> Report {
        let snaps: Vec<LcoreSnapshot> = lcores.iter().map(|c| c.snapshot()).collect();
        let mut total = LcoreSnapshot::default();
        for s in &snaps {
            total.accumulate(s);
        }
        let ports = ports
            .iter()
            .zip(port_names)
            .enumerate()
            .map(|(i, (p, name))| {
                let hw = p.stats().unwrap_or_default();
                PortReport {
                    name: name.clone(),
                    dpdk_port: p.id(),
                    mac: dmsc_wire::ethernet::MacAddr(p.mac_addr()).to_string(),
                    link_up: p.link().up,
                    rx_packets: total.port_rx.get(i).copied().unwrap_or(0),
                    tx_packets: total.port_tx.get(i).copied().unwrap_or(0),
                    hw_ipackets: hw.ipackets,
                    hw_opackets: hw.opackets,
                    hw_imissed: hw.imissed,
                    hw_ierrors: hw.ierrors,
                    hw_oerrors: hw.oerrors,
                    hw_rx_nombuf: hw.rx_nombuf,
                }
            })
            .collect();
        Report {
            node: node.to_string(),
            ports,
            lcores: snaps.iter().enumerate().map(|(index, s)| LcoreReport { index, c: s.into() }).collect(),
            total: (&total).into(),
            control_received,
        }
    }

    /// The human-readable table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "== {} counters ==", self.node);
        let _ = writeln!(
            s,
            "{:<8} {:>4} {:<17} {:>4} {:>12} {:>12} {:>10} {:>10} {:>8}",
            "port", "id", "mac", "link", "rx", "tx", "hw-missed", "hw-err", "nombuf"
        );
        for p in &self.ports {
            let _ = writeln!(
                s,
                "{:<8} {:>4} {:<17} {:>4} {:>12} {:>12} {:>10} {:>10} {:>8}",
                p.name,
                p.dpdk_port,
                p.mac,
                if p.link_up { "up" } else { "down" },
                p.rx_packets,
                p.tx_packets,
                p.hw_imissed,
                p.hw_ierrors + p.hw_oerrors,
                p.hw_rx_nombuf
            );
        }
        let reasons: Vec<&str> = self.total.drops.keys().copied().collect();
        let _ = write!(
            s,
            "{:<7} {:>10} {:>10} {:>10} {:>7} {:>7} {:>8}",
            "lcore", "rx", "fwd", "tx", "punt", "nack", "nack-rl"
        );
        for r in &reasons {
            let _ = write!(s, " {:>9}", r);
        }
        let _ = writeln!(s);
        let rows = self
            .lcores
            .iter()
            .map(|l| (l.index.to_string(), &l.c))
            .chain(std::iter::once(("total".to_string(), &self.total)));
        for (name, c) in rows {
            let _ = write!(
                s,
                "{:<7} {:>10} {:>10} {:>10} {:>7} {:>7} {:>8}",
                name, c.rx_packets, c.forwarded, c.tx_packets, c.punted, c.nacks_sent, c.nacks_rate_limited
            );
            for r in &reasons {
                let _ = write!(s, " {:>9}", c.drops.get(r).copied().unwrap_or(0));
            }
            let _ = writeln!(s);
        }
        let (hits, misses) = (self.total.name_cache_hits, self.total.name_cache_misses);
        let looked_up = hits + misses;
        let _ = writeln!(
            s,
            "name cache: {hits} hits, {misses} FIB lookups ({:.1} % hits)",
            if looked_up == 0 { 0.0 } else { 100.0 * hits as f64 / looked_up as f64 }
        );
        let _ = write!(s, "control packets received: {}", self.control_received);
        s
    }
}
