//! Port gates: how the control thread takes a port away from the lcores to
//! stop and start it (a memif client reconnecting to a restarted server),
//! without a lock on the fast path.
//!
//! DPDK's `rte_eth_dev_stop`/`rte_eth_dev_start` must not run while an lcore
//! may be inside `rte_eth_rx_burst`/`rte_eth_tx_burst` on the same port
//! (memif's stop unmaps the rings those read). The safe DPDK wrapper enforces
//! it: `Port::stop` fails with `EBUSY` while any `RxQueue`/`TxQueue` handle of
//! the port exists. So the lcores give their handles back:
//!
//! 1. the control thread closes the port's gate ([`PortGates::close`]);
//! 2. each lcore reads one word of closed-port bits per turn; when a port's
//!    bit is set it drops that port's queue handles (frames it would have sent
//!    there are dropped and counted as `port_down`);
//! 3. the control thread retries `Port::stop` until no handle is left (one
//!    lcore turn: microseconds; an idle lcore's sleep at most), then starts
//!    the port;
//! 4. it opens the gate ([`PortGates::open`]) once the start succeeded, and
//!    each lcore claims its queue handles again at its next turn.
//!
//! Alternatives rejected: a per-port lock or in-burst flag set around each
//! burst (a store and a full fence per burst on every lcore); an `unsafe`
//! stop that trusts a grace period of the FIB's RCU domain (the proof would
//! span three crates, and unsafe code stays in `ffi/`); stopping every lcore
//! (`rte_eal_mp_wait_lcore`) for one port's reconnection (every port would
//! stop forwarding for the whole reconnection).

use std::sync::atomic::{AtomicU64, Ordering};

/// One bit per port index: set while the port is closed to the lcores.
/// Ports past [`PortGates::MAX_PORTS`] cannot be closed (always open).
#[derive(Debug, Default)]
pub struct PortGates {
    closed: AtomicU64,
}

impl PortGates {
    /// Port indexes `0..MAX_PORTS` have a gate.
    pub const MAX_PORTS: usize = 64;

    /// Every gate open.
    pub fn new() -> PortGates {
        PortGates::default()
    }

    /// The closed-port bits (bit `i` = port index `i`), as an lcore reads them
    /// once per turn.
    #[inline]
    pub fn closed(&self) -> u64 {
        self.closed.load(Ordering::Acquire)
    }

    /// Closes port index `port`'s gate: the lcores drop its queue handles at
    /// their next turn. Returns `false` (nothing closed) for a port without a
    /// gate (index `MAX_PORTS` or more; dmscd has at most 32 ports).
    pub fn close(&self, port: usize) -> bool {
        let Some(bit) = bit(port) else { return false };
        self.closed.fetch_or(bit, Ordering::SeqCst);
        true
    }

    /// Opens port index `port`'s gate: the lcores claim its queue handles again
    /// and poll and send on it from their next turn. Open only a started port.
    pub fn open(&self, port: usize) {
        if let Some(bit) = bit(port) {
            self.closed.fetch_and(!bit, Ordering::SeqCst);
        }
    }

    /// Whether `port`'s gate is closed.
    pub fn is_closed(&self, port: usize) -> bool {
        is_closed_in(self.closed(), port)
    }
}

/// Whether port index `port` is closed in `closed` (bits from [`PortGates::closed`]).
#[inline]
pub fn is_closed_in(closed: u64, port: usize) -> bool {
    closed != 0 && bit(port).is_some_and(|b| closed & b != 0)
}

#[inline]
fn bit(port: usize) -> Option<u64> {
    (port < PortGates::MAX_PORTS).then(|| 1u64 << port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_and_open() {
        let g = PortGates::new();
        assert_eq!(g.closed(), 0);
        assert!(g.close(3));
        assert!(g.close(63));
        assert!(!g.close(64), "no gate past MAX_PORTS");
        assert!(g.is_closed(3) && g.is_closed(63) && !g.is_closed(2) && !g.is_closed(64));
        assert!(is_closed_in(g.closed(), 3) && !is_closed_in(g.closed(), 4) && !is_closed_in(g.closed(), 200));
        g.open(3);
        g.open(64);
        assert_eq!(g.closed(), 1 << 63);
    }
}
