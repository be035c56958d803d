//! Per-lcore counters.
//!
//! Every counter has exactly one writer: the lcore that owns it. The owner
//! updates it with a relaxed load and a relaxed store (two plain `mov`s on
//! x86-64), never with an atomic read-modify-write, so counting costs no
//! `lock` prefix and no cache-line ping-pong. Readers (the statistics printer,
//! the management API) load the values with relaxed ordering and may see a
//! value that is a few packets old, which is what a counter display needs.
//!
//! Alternatives rejected: shared `fetch_add` counters (a locked instruction per
//! packet and a contended line when two lcores count the same event); plain
//! `u64` fields read from another thread (a data race in Rust's memory model).
//! Each lcore's block is cache-line aligned so two lcores never share a line.

use std::sync::atomic::{AtomicU64, Ordering};

/// A single-writer event counter.
///
/// # Preconditions
/// [`Counter::add`] must only be called by the one thread that owns the
/// counter (its lcore); concurrent `add`s from two threads lose updates.
/// Reading with [`Counter::get`] from any thread is always fine.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds `n` (owner thread only, see the type's preconditions).
    #[inline(always)]
    pub fn add(&self, n: u64) {
        let v = self.0.load(Ordering::Relaxed);
        self.0.store(v.wrapping_add(n), Ordering::Relaxed);
    }

    /// Adds one (owner thread only).
    #[inline(always)]
    pub fn inc(&self) {
        self.add(1);
    }

    /// The current value, from any thread.
    #[inline]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Why the data plane dropped a frame. Each reason has its own counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// EtherType is not the configured DMSC EtherType, or the frame is
    /// shorter than an Ethernet header.
    NotDmsc,
    /// The DMSC header, a name or a field failed validation
    /// (see `docs/protocol.md`), or the mbuf is chained.
    Malformed,
    /// Hop limit was 0 or 1 on arrival.
    HopLimit,
    /// No FIB entry matches the destination name.
    NoRoute,
    /// The packet is larger than the egress port's MTU.
    TooBig,
    /// The egress queue did not accept the packet (tx ring full).
    TxFull,
    /// The ring to the control thread was full.
    PuntFull,
    /// The egress port was closed to the lcores while the control thread
    /// reconnected it (`crate::gate`).
    PortDown,
}

impl DropReason {
    /// Every reason, in display order.
    pub const ALL: [DropReason; 8] = [
        DropReason::NotDmsc,
        DropReason::Malformed,
        DropReason::HopLimit,
        DropReason::NoRoute,
        DropReason::TooBig,
        DropReason::TxFull,
        DropReason::PuntFull,
        DropReason::PortDown,
    ];

    /// Short stable name used in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::NotDmsc => "not_dmsc",
            DropReason::Malformed => "malformed",
            DropReason::HopLimit => "hop_limit",
            DropReason::NoRoute => "no_route",
            DropReason::TooBig => "too_big",
            DropReason::TxFull => "tx_full",
            DropReason::PuntFull => "punt_full",
            DropReason::PortDown => "port_down",
        }
    }
}

/// Maximum number of ports one router handles (size of the per-port arrays).
pub const MAX_PORTS: usize = 32;

/// One lcore's counters. Cache-line aligned; written only by its lcore.
#[derive(Debug, Default)]
#[repr(align(64))]
pub struct LcoreCounters {
    /// Frames taken from rx queues or dispatch rings.
    pub rx_packets: Counter,
    /// Bytes of those frames (Ethernet header included, FCS excluded).
    pub rx_bytes: Counter,
    /// Frames handed to a tx queue and accepted by it.
    pub tx_packets: Counter,
    /// Bytes of those frames.
    pub tx_bytes: Counter,
    /// DMSC packets forwarded by FIB lookup (before tx).
    pub forwarded: Counter,
    /// Control packets handed to the control thread.
    pub punted: Counter,
    /// Nacks generated and queued for tx.
    pub nacks_sent: Counter,
    /// Nacks not sent because the rate limiter had no token.
    pub nacks_rate_limited: Counter,
    /// Nacks not sent because no route leads back to the source name.
    pub nacks_no_route: Counter,
    /// Nacks not sent because no mbuf was free.
    pub nacks_no_mbuf: Counter,
    /// Frames moved to another lcore by flow-label dispatch.
    pub dispatched: Counter,
    /// Frames dropped because the dispatch ring to another lcore was full.
    pub dispatch_full: Counter,
    /// Poll-loop iterations that found no packet.
    pub idle_polls: Counter,
    /// Poll-loop iterations in total.
    pub polls: Counter,
    /// Destination names answered by the lcore's lookup cache.
    pub name_cache_hits: Counter,
    /// Destination names looked up in the FIB (cache misses and names too
    /// long to cache; with the cache off, every name).
    pub name_cache_misses: Counter,
    drops: [Counter; DropReason::ALL.len()],
    port_rx: [Counter; MAX_PORTS],
    port_tx: [Counter; MAX_PORTS],
}

impl LcoreCounters {
    /// Counts one drop for `reason` (owner lcore only).
    #[inline(always)]
    pub fn drop(&self, reason: DropReason) {
        self.drops[reason as usize].inc();
    }

    /// Counts `n` drops for `reason` (owner lcore only).
    #[inline(always)]
    pub fn drop_n(&self, reason: DropReason, n: u64) {
        self.drops[reason as usize].add(n);
    }

    /// Drops counted for `reason`.
    pub fn drops(&self, reason: DropReason) -> u64 {
        self.drops[reason as usize].get()
    }

    /// Counts `n` frames received on port index `port` (owner lcore only).
    #[inline(always)]
    pub fn port_rx(&self, port: usize, n: u64) {
        if let Some(c) = self.port_rx.get(port) {
            c.add(n);
        }
    }

    /// Counts `n` frames sent on port index `port` (owner lcore only).
    #[inline(always)]
    pub fn port_tx(&self, port: usize, n: u64) {
        if let Some(c) = self.port_tx.get(port) {
            c.add(n);
        }
    }

    /// A consistent-enough copy for display.
    pub fn snapshot(&self) -> LcoreSnapshot {
        let mut drops = [0u64; DropReason::ALL.len()];
        for r in DropReason::ALL {
            drops[r as usize] = self.drops(r);
        }
        LcoreSnapshot {
            rx_packets: self.rx_packets.get(),
            rx_bytes: self.rx_bytes.get(),
            tx_packets: self.tx_packets.get(),
            tx_bytes: self.tx_bytes.get(),
            forwarded: self.forwarded.get(),
            punted: self.punted.get(),
            nacks_sent: self.nacks_sent.get(),
            nacks_rate_limited: self.nacks_rate_limited.get(),
            nacks_no_route: self.nacks_no_route.get(),
            nacks_no_mbuf: self.nacks_no_mbuf.get(),
            dispatched: self.dispatched.get(),
            dispatch_full: self.dispatch_full.get(),
            idle_polls: self.idle_polls.get(),
            polls: self.polls.get(),
            name_cache_hits: self.name_cache_hits.get(),
            name_cache_misses: self.name_cache_misses.get(),
            drops,
            port_rx: std::array::from_fn(|i| self.port_rx[i].get()),
            port_tx: std::array::from_fn(|i| self.port_tx[i].get()),
        }
    }
}

/// Plain copy of [`LcoreCounters`]; see there for each field's meaning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct LcoreSnapshot {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    pub forwarded: u64,
    pub punted: u64,
    pub nacks_sent: u64,
    pub nacks_rate_limited: u64,
    pub nacks_no_route: u64,
    pub nacks_no_mbuf: u64,
    pub dispatched: u64,
    pub dispatch_full: u64,
    pub idle_polls: u64,
    pub polls: u64,
    pub name_cache_hits: u64,
    pub name_cache_misses: u64,
    /// Indexed by `DropReason as usize`.
    pub drops: [u64; DropReason::ALL.len()],
    /// Frames received per port index.
    pub port_rx: [u64; MAX_PORTS],
    /// Frames sent per port index.
    pub port_tx: [u64; MAX_PORTS],
}

impl LcoreSnapshot {
    /// Drops for one reason.
    pub fn drops(&self, reason: DropReason) -> u64 {
        self.drops[reason as usize]
    }

    /// All drops.
    pub fn total_drops(&self) -> u64 {
        self.drops.iter().sum()
    }

    /// Element-wise sum (for a router-wide total).
    pub fn accumulate(&mut self, o: &LcoreSnapshot) {
        self.rx_packets += o.rx_packets;
        self.rx_bytes += o.rx_bytes;
        self.tx_packets += o.tx_packets;
        self.tx_bytes += o.tx_bytes;
        self.forwarded += o.forwarded;
        self.punted += o.punted;
        self.nacks_sent += o.nacks_sent;
        self.nacks_rate_limited += o.nacks_rate_limited;
        self.nacks_no_route += o.nacks_no_route;
        self.nacks_no_mbuf += o.nacks_no_mbuf;
        self.dispatched += o.dispatched;
        self.dispatch_full += o.dispatch_full;
        self.idle_polls += o.idle_polls;
        self.polls += o.polls;
        self.name_cache_hits += o.name_cache_hits;
        self.name_cache_misses += o.name_cache_misses;
        for i in 0..self.drops.len() {
            self.drops[i] += o.drops[i];
        }
        for i in 0..MAX_PORTS {
            self.port_rx[i] += o.port_rx[i];
            self.port_tx[i] += o.port_tx[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_snapshots() {
        let c = LcoreCounters::default();
        c.rx_packets.add(3);
        c.drop(DropReason::NoRoute);
        c.drop_n(DropReason::Malformed, 2);
        c.port_rx(1, 5);
        c.port_tx(MAX_PORTS + 3, 1); // out of range: ignored, no panic
        let s = c.snapshot();
        assert_eq!(s.rx_packets, 3);
        assert_eq!(s.drops(DropReason::NoRoute), 1);
        assert_eq!(s.drops(DropReason::Malformed), 2);
        assert_eq!(s.total_drops(), 3);
        assert_eq!(s.port_rx[1], 5);
        let mut total = LcoreSnapshot::default();
        total.accumulate(&s);
        total.accumulate(&s);
        assert_eq!(total.drops(DropReason::Malformed), 4);
        assert_eq!(std::mem::align_of::<LcoreCounters>(), 64);
    }

    #[test]
    fn drop_reason_indices_are_dense() {
        for (i, r) in DropReason::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i);
        }
    }
}
