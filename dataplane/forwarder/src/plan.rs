//! Which lcore polls which rx queue, and how traffic is spread across lcores.
//!
//! Two ways to spread a port's traffic over several lcores:
//!
//! * [`Dispatch::Queues`]: the port has several rx queues and the NIC spreads
//!   frames over them (RSS, or the kernel for `net_tap`, or the peer for
//!   `net_memif`). Each queue is polled by exactly one lcore; queues are dealt
//!   round-robin over the lcores, continuing the rotation from one port to the
//!   next so that single-queue ports land on different lcores.
//! * [`Dispatch::FlowLabel`]: for a NIC whose RSS cannot hash a custom
//!   EtherType (most hash only IPv4/IPv6/L4 fields; on anything else they put
//!   every frame in queue 0), the lcore that polls the port reads the 32-bit
//!   flow label at a fixed offset of the DMSC header and hands each frame over
//!   a single-producer single-consumer ring to the lcore chosen by the label
//!   ("software RSS", as NDN-DPDK's input demultiplexer does for NDN names). A
//!   flow therefore stays on one lcore and keeps its order. The cost is one
//!   ring enqueue/dequeue per frame, amortised over bursts.
//!
//! Rejected: `rte_flow` rules matching the EtherType and spreading by a raw
//! field (supported by a few NICs only, and none of the virtual devices); the
//! NIC's "RSS on L2 payload" modes (vendor-specific).
//!
//! Every lcore owns one tx queue on every port (queue index = lcore index), so
//! no tx queue is ever shared.

/// How a port's received traffic is spread over lcores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dispatch {
    /// One lcore per rx queue; the NIC spreads frames over queues.
    Queues,
    /// Software dispatch by flow label from the lcore(s) polling the port.
    FlowLabel,
}

/// What the planner needs to know about a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortSpec {
    /// Number of rx queues (at least 1).
    pub rx_queues: u16,
    /// The spreading mode.
    pub dispatch: Dispatch,
}

/// One rx queue bound to an lcore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RxBinding {
    /// Port index.
    pub port: usize,
    /// Rx queue on that port.
    pub queue: u16,
    /// Whether the polling lcore dispatches by flow label.
    pub dispatch: bool,
}

/// The work of one lcore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LcorePlan {
    /// Lcore index (0-based position in the configured lcore list; also the
    /// tx queue index it owns on every port).
    pub index: usize,
    /// The rx queues it polls.
    pub rx: Vec<RxBinding>,
}

/// The whole assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// One entry per lcore.
    pub lcores: Vec<LcorePlan>,
    /// Tx queues to configure on every port (one per lcore).
    pub tx_queues_per_port: u16,
    /// Whether any port uses flow-label dispatch (then every lcore gets an
    /// input ring from every dispatching lcore).
    pub needs_rings: bool,
}

impl Plan {
    /// Lcore indices that dispatch by flow label (producers of rings).
    pub fn dispatchers(&self) -> Vec<usize> {
        self.lcores.iter().filter(|l| l.rx.iter().any(|b| b.dispatch)).map(|l| l.index).collect()
    }
}

/// Deals the rx queues of `ports` over `n_lcores` lcores.
///
/// Panics never; `n_lcores == 0` yields an empty plan.
pub fn plan(ports: &[PortSpec], n_lcores: usize) -> Plan {
    let mut lcores: Vec<LcorePlan> = (0..n_lcores).map(|index| LcorePlan { index, rx: Vec::new() }).collect();
    let mut next = 0usize;
    if n_lcores > 0 {
        for (port, spec) in ports.iter().enumerate() {
            for queue in 0..spec.rx_queues.max(1) {
                lcores[next % n_lcores].rx.push(RxBinding {
                    port,
                    queue,
                    dispatch: spec.dispatch == Dispatch::FlowLabel && n_lcores > 1,
                });
                next += 1;
            }
        }
    }
    let needs_rings = lcores.iter().any(|l| l.rx.iter().any(|b| b.dispatch));
    Plan { lcores, tx_queues_per_port: n_lcores as u16, needs_rings }
}

/// The lcore index (of `n`) that handles flow label `label` under flow-label
/// dispatch. A multiply-shift of a mixed label: uniform, stable, no division.
#[inline(always)]
pub fn lcore_for_flow(label: u32, n: usize) -> usize {
    // Mix first so that sequential labels spread (labels are often counters).
    let mixed = (label as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    ((mixed * n as u64) >> 32) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: u16) -> PortSpec {
        PortSpec { rx_queues: n, dispatch: Dispatch::Queues }
    }

    #[test]
    fn single_queue_ports_land_on_different_lcores() {
        let p = plan(&[q(1), q(1), q(1)], 2);
        assert_eq!(p.tx_queues_per_port, 2);
        let l0: Vec<_> = p.lcores[0].rx.iter().map(|b| (b.port, b.queue)).collect();
        let l1: Vec<_> = p.lcores[1].rx.iter().map(|b| (b.port, b.queue)).collect();
        assert_eq!(l0, vec![(0, 0), (2, 0)]);
        assert_eq!(l1, vec![(1, 0)]);
        assert!(!p.needs_rings);
    }

    #[test]
    fn every_queue_polled_exactly_once() {
        let ports = [q(4), q(2), q(3)];
        for n in 1..6 {
            let p = plan(&ports, n);
            let mut seen = std::collections::BTreeSet::new();
            for l in &p.lcores {
                for b in &l.rx {
                    assert!(seen.insert((b.port, b.queue)), "queue polled twice");
                }
            }
            assert_eq!(seen.len(), 9);
        }
    }

    #[test]
    fn flow_label_dispatch_needs_rings_only_with_several_lcores() {
        let fl = PortSpec { rx_queues: 1, dispatch: Dispatch::FlowLabel };
        assert!(!plan(&[fl], 1).needs_rings);
        let p = plan(&[fl, q(1)], 2);
        assert!(p.needs_rings);
        assert_eq!(p.dispatchers(), vec![0]);
    }

    #[test]
    fn flow_mapping_is_stable_and_spreads() {
        let mut hist = [0u32; 4];
        for label in 0..40_000u32 {
            let l = lcore_for_flow(label, 4);
            assert_eq!(l, lcore_for_flow(label, 4));
            hist[l] += 1;
        }
        for h in hist {
            assert!((9_000..11_000).contains(&h), "{hist:?}");
        }
        assert_eq!(lcore_for_flow(12345, 1), 0);
    }
}
