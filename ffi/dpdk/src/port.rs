//! Ethernet ports ([`Port`]) and their per-queue burst handles ([`RxQueue`], [`TxQueue`]).
//!
//! A [`Port`] is a `Copy` id. Control operations (configure, start, stop, close, stats …)
//! go through a process-wide registry under a mutex, which
//!
//! * keeps every [`Mempool`] a port's rx queues were set up with alive until the port is
//!   closed (a PMD allocates from it on every rx burst);
//! * hands out at most one [`RxQueue`]/[`TxQueue`] per queue, only while the port is
//!   started, and refuses to stop, reconfigure or close a port while any such handle lives.
//!   DPDK's burst functions are not thread-safe per queue and do not check queue ids in
//!   release builds, so this is what makes `rx_burst`/`tx_burst` safe to call.
//!
//! Lifecycle: [`Port::configure`] → [`Port::start`] → take queues → poll → drop queues →
//! [`Port::stop`] → [`Port::close`]. Ports configured here that are still open when the
//! [`crate::Eal`] is dropped are stopped and closed then.

use std::cell::Cell;
use std::ffi::CStr;
use std::marker::PhantomData;
use std::sync::{Mutex, MutexGuard};

use dpdk_sys::{rte_eth_conf, rte_eth_dev_info, rte_eth_link, rte_eth_stats, rte_ether_addr};

use crate::eal::{ensure_running, is_running, LiveToken};
use crate::libc_errno::{EBUSY, EINVAL, ENETDOWN, ENODEV, ENOTSUP};
use crate::{check, cstring, DpdkError, MbufArray, Mempool};

/// Queue and MTU settings for [`Port::configure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortConfig {
    /// Receive queues (≥ 1). With more than one, RSS is enabled over every hash type the
    /// device supports (if it supports any).
    pub rx_queues: u16,
    /// Transmit queues (≥ 1).
    pub tx_queues: u16,
    /// Descriptors per rx queue (0 = driver default); adjusted to the driver's limits.
    pub rx_descriptors: u16,
    /// Descriptors per tx queue (0 = driver default); adjusted to the driver's limits.
    pub tx_descriptors: u16,
    /// L3 MTU in bytes (Ethernet payload, e.g. 1500). The pool's data room minus headroom
    /// must hold MTU + 14 (+ 4 for a VLAN tag) bytes, since scatter is not enabled.
    pub mtu: u16,
}

impl Default for PortConfig {
    fn default() -> Self {
        PortConfig { rx_queues: 1, tx_queues: 1, rx_descriptors: 1024, tx_descriptors: 1024, mtu: 1500 }
    }
}

/// Link state (`rte_eth_link_get_nowait`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// Carrier up.
    pub up: bool,
    /// Speed in Mbit/s; 0 when none, `u32::MAX` when the driver does not know.
    pub speed_mbps: u32,
    /// Full duplex.
    pub full_duplex: bool,
}

/// Basic port counters (`rte_eth_stats_get`), cumulative since start or reset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortStats {
    /// Packets received successfully.
    pub ipackets: u64,
    /// Packets transmitted successfully.
    pub opackets: u64,
    /// Bytes received successfully.
    pub ibytes: u64,
    /// Bytes transmitted successfully.
    pub obytes: u64,
    /// Packets dropped by the hardware because no rx descriptor was free (rx queue full).
    pub imissed: u64,
    /// Erroneous received packets.
    pub ierrors: u64,
    /// Failed transmissions.
    pub oerrors: u64,
    /// Rx mbuf allocation failures (pool exhausted).
    pub rx_nombuf: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PortState {
    /// Not configured through this wrapper (or closed, or a configure failed half-way).
    Unconfigured,
    Configured,
    Started,
}

struct PortSlot {
    state: PortState,
    rx_queues: u16,
    tx_queues: u16,
    /// Every pool rx queues were set up with since the last close (a failed reconfigure
    /// may leave queues on an older pool, so all are kept).
    pools: Vec<Mempool>,
    rx_claimed: Vec<bool>,
    tx_claimed: Vec<bool>,
    claims: usize,
}

impl PortSlot {
    const fn new() -> PortSlot {
        PortSlot {
            state: PortState::Unconfigured,
            rx_queues: 0,
            tx_queues: 0,
            pools: Vec::new(),
            rx_claimed: Vec::new(),
            tx_claimed: Vec::new(),
            claims: 0,
        }
    }
}

const MAX_PORTS: usize = dpdk_sys::RTE_MAX_ETHPORTS as usize;

static PORTS: Mutex<[PortSlot; MAX_PORTS]> = Mutex::new([const { PortSlot::new() }; MAX_PORTS]);

fn registry() -> MutexGuard<'static, [PortSlot; MAX_PORTS]> {
    PORTS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Called by `Drop for Eal` (state already FINISHED): stop and close every port configured
/// here that has no queue handle, releasing its pools.
pub(crate) fn close_idle_ports() {
    let mut ports = registry();
    for (id, slot) in ports.iter_mut().enumerate() {
        if slot.state == PortState::Unconfigured && slot.pools.is_empty() {
            continue;
        }
        if slot.claims != 0 {
            continue;
        }
        let id = id as u16;
        // SAFETY: no queue handle exists, so no lcore polls this port; EAL still mapped.
        unsafe {
            if slot.state == PortState::Started {
                dpdk_sys::rte_eth_dev_stop(id);
            }
            dpdk_sys::rte_eth_dev_close(id);
        }
        *slot = PortSlot::new();
    }
}

/// An Ethernet port (`port_id`). Cheap to copy; operations check that it still exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Port {
    id: u16,
}

impl Port {
    /// Look a port up by device name, e.g. `"net_ring0"` or a PCI address
    /// (`rte_eth_dev_get_port_by_name`). Errors: `ENODEV` if there is none.
    pub fn by_name(name: &str) -> Result<Port, DpdkError> {
        const OP: &str = "rte_eth_dev_get_port_by_name";
        let _ports = registry();
        ensure_running(OP)?;
        let c = cstring(OP, name)?;
        let mut id = 0u16;
        // SAFETY: valid C string and out-pointer; EAL running (checked under the lock
        // that `Drop for Eal` also takes).
        check(OP, unsafe { dpdk_sys::rte_eth_dev_get_port_by_name(c.as_ptr(), &mut id) })?;
        Ok(Port { id })
    }

    /// The port with id `id`, if it exists (`rte_eth_dev_is_valid_port`).
    pub fn from_id(id: u16) -> Result<Port, DpdkError> {
        let _ports = registry();
        ensure_running("rte_eth_dev_is_valid_port")?;
        // SAFETY: any id is a valid argument; EAL running.
        if unsafe { dpdk_sys::rte_eth_dev_is_valid_port(id) } == 0 {
            return Err(DpdkError::new("rte_eth_dev_is_valid_port", ENODEV));
        }
        Ok(Port { id })
    }

    /// Every available port, by ascending id (`rte_eth_find_next`).
    pub fn all() -> Vec<Port> {
        let _ports = registry();
        let mut out = Vec::new();
        if !is_running() {
            return out;
        }
        let mut id = 0u16;
        loop {
            // SAFETY: any id is a valid argument; returns RTE_MAX_ETHPORTS when done.
            id = unsafe { dpdk_sys::rte_eth_find_next(id) };
            if id as usize >= MAX_PORTS {
                return out;
            }
            out.push(Port { id });
            id += 1;
        }
    }

    /// Number of available ports (`rte_eth_dev_count_avail`); 0 without a running EAL.
    pub fn count() -> u16 {
        let _ports = registry();
        if !is_running() {
            return 0;
        }
        // SAFETY: EAL running; plain getter.
        unsafe { dpdk_sys::rte_eth_dev_count_avail() }
    }

    /// DPDK port id.
    #[inline]
    pub fn id(&self) -> u16 {
        self.id
    }

    /// Lock the registry, check EAL and port, and run `f` on this port's slot.
    fn with_slot<R>(
        &self,
        op: &'static str,
        f: impl FnOnce(&mut PortSlot) -> Result<R, DpdkError>,
    ) -> Result<R, DpdkError> {
        let mut ports = registry();
        ensure_running(op)?;
        // SAFETY: any id is a valid argument; EAL running.
        if usize::from(self.id) >= MAX_PORTS || unsafe { dpdk_sys::rte_eth_dev_is_valid_port(self.id) } == 0 {
            return Err(DpdkError::new(op, ENODEV));
        }
        f(&mut ports[usize::from(self.id)])
    }

    /// Device name (`rte_eth_dev_get_name_by_port`), e.g. `"net_tap0"`; empty if the port
    /// no longer exists or the EAL is not running (see [`Port::try_name`]).
    pub fn name(&self) -> String {
        self.try_name().unwrap_or_default()
    }

    /// Device name, with the error if it cannot be read.
    pub fn try_name(&self) -> Result<String, DpdkError> {
        const OP: &str = "rte_eth_dev_get_name_by_port";
        self.with_slot(OP, |_| {
            let mut buf = [0 as std::ffi::c_char; dpdk_sys::RTE_ETH_NAME_MAX_LEN as usize];
            // SAFETY: buffer of RTE_ETH_NAME_MAX_LEN bytes as the API requires.
            check(OP, unsafe { dpdk_sys::rte_eth_dev_get_name_by_port(self.id, buf.as_mut_ptr()) })?;
            // SAFETY: DPDK wrote a NUL-terminated name into buf.
            Ok(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned())
        })
    }

    /// NUMA socket the device is attached to (`rte_eth_dev_socket_id`); -1 if unknown.
    pub fn socket_id(&self) -> Result<i32, DpdkError> {
        // SAFETY (closure): valid port, EAL running.
        self.with_slot("rte_eth_dev_socket_id", |_| Ok(unsafe { dpdk_sys::rte_eth_dev_socket_id(self.id) }))
    }

    /// Configure the port: `rte_eth_dev_configure` (RSS when `rx_queues > 1` and supported,
    /// rx MTU), descriptor counts adjusted to the driver, `rte_eth_rx_queue_setup` for each rx
    /// queue with `pool`, `rte_eth_tx_queue_setup` for each tx queue, then
    /// `rte_eth_dev_set_mtu` (`ENOTSUP`, as on most virtual devices, is ignored because the
    /// MTU already went through `rte_eth_dev_configure`).
    ///
    /// Errors: `EBUSY` if the port is started or a queue handle exists, `EINVAL` for zero
    /// queues, otherwise the failing DPDK call with its errno (the port must then be
    /// configured again before it can start).
    pub fn configure(&self, conf: &PortConfig, pool: &Mempool) -> Result<(), DpdkError> {
        self.with_slot("rte_eth_dev_configure", |slot| {
            if slot.state == PortState::Started || slot.claims != 0 {
                return Err(DpdkError::new("rte_eth_dev_configure", EBUSY));
            }
            if conf.rx_queues == 0 || conf.tx_queues == 0 {
                return Err(DpdkError::new("rte_eth_dev_configure", EINVAL));
            }
            slot.state = PortState::Unconfigured;
            // Keep the pool before any queue can reference it.
            if !slot.pools.iter().any(|p| p.as_ptr() == pool.as_ptr()) {
                slot.pools.push(pool.clone());
            }
            let id = self.id;

            let mut info = rte_eth_dev_info::default();
            // SAFETY: valid port and out-pointer.
            check("rte_eth_dev_info_get", unsafe { dpdk_sys::rte_eth_dev_info_get(id, &mut info) })?;

            let mut eth_conf = rte_eth_conf::default();
            eth_conf.rxmode.mtu = u32::from(conf.mtu);
            if conf.rx_queues > 1 && info.flow_type_rss_offloads != 0 {
                eth_conf.rxmode.mq_mode = dpdk_sys::RTE_ETH_MQ_RX_RSS;
                eth_conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads;
            }
            // SAFETY: valid port; eth_conf is fully initialised (zeroed + fields above).
            check("rte_eth_dev_configure", unsafe {
                dpdk_sys::rte_eth_dev_configure(id, conf.rx_queues, conf.tx_queues, &eth_conf)
            })?;

            let (mut rxd, mut txd) = (conf.rx_descriptors, conf.tx_descriptors);
            // SAFETY: valid port and out-pointers.
            check("rte_eth_dev_adjust_nb_rx_tx_desc", unsafe {
                dpdk_sys::rte_eth_dev_adjust_nb_rx_tx_desc(id, &mut rxd, &mut txd)
            })?;
            // SAFETY: valid port.
            let socket = unsafe { dpdk_sys::rte_eth_dev_socket_id(id) };
            for q in 0..conf.rx_queues {
                // SAFETY: configured port, q < nb_rx_queues, NULL rx_conf = driver defaults,
                // pool valid and kept alive by `slot.pools` until close.
                check("rte_eth_rx_queue_setup", unsafe {
                    dpdk_sys::rte_eth_rx_queue_setup(id, q, rxd, socket as u32, std::ptr::null(), pool.as_ptr())
                })?;
            }
            for q in 0..conf.tx_queues {
                // SAFETY: configured port, q < nb_tx_queues, NULL tx_conf = driver defaults.
                check("rte_eth_tx_queue_setup", unsafe {
                    dpdk_sys::rte_eth_tx_queue_setup(id, q, txd, socket as u32, std::ptr::null())
                })?;
            }
            // SAFETY: configured port.
            let ret = unsafe { dpdk_sys::rte_eth_dev_set_mtu(id, conf.mtu) };
            if ret != -ENOTSUP {
                check("rte_eth_dev_set_mtu", ret)?;
            }

            slot.state = PortState::Configured;
            slot.rx_queues = conf.rx_queues;
            slot.tx_queues = conf.tx_queues;
            slot.rx_claimed = vec![false; usize::from(conf.rx_queues)];
            slot.tx_claimed = vec![false; usize::from(conf.tx_queues)];
            Ok(())
        })
    }

    /// Start the port (`rte_eth_dev_start`). No-op if started. Errors: `EINVAL` if it was not
    /// successfully configured by [`Port::configure`].
    pub fn start(&self) -> Result<(), DpdkError> {
        const OP: &str = "rte_eth_dev_start";
        self.with_slot(OP, |slot| match slot.state {
            PortState::Started => Ok(()),
            PortState::Unconfigured => Err(DpdkError::new(OP, EINVAL)),
            PortState::Configured => {
                // SAFETY: configured port with all queues set up.
                check(OP, unsafe { dpdk_sys::rte_eth_dev_start(self.id) })?;
                slot.state = PortState::Started;
                Ok(())
            }
        })
    }

    /// Stop the port (`rte_eth_dev_stop`). No-op if not started. Errors: `EBUSY` while an
    /// [`RxQueue`]/[`TxQueue`] handle of this port exists.
    pub fn stop(&self) -> Result<(), DpdkError> {
        const OP: &str = "rte_eth_dev_stop";
        self.with_slot(OP, |slot| {
            if slot.claims != 0 {
                return Err(DpdkError::new(OP, EBUSY));
            }
            if slot.state == PortState::Started {
                // SAFETY: no queue handle exists, so nobody polls the port.
                check(OP, unsafe { dpdk_sys::rte_eth_dev_stop(self.id) })?;
                slot.state = PortState::Configured;
            }
            Ok(())
        })
    }

    /// Stop (if needed) and close the port (`rte_eth_dev_close`), releasing its queues and
    /// the pools they used; a virtual device's port id disappears. Errors: `EBUSY` while a
    /// queue handle exists.
    pub fn close(&self) -> Result<(), DpdkError> {
        const OP: &str = "rte_eth_dev_close";
        self.with_slot(OP, |slot| {
            if slot.claims != 0 {
                return Err(DpdkError::new(OP, EBUSY));
            }
            if slot.state == PortState::Started {
                // SAFETY: no queue handle exists.
                check("rte_eth_dev_stop", unsafe { dpdk_sys::rte_eth_dev_stop(self.id) })?;
                slot.state = PortState::Configured;
            }
            // SAFETY: port stopped, no queue handle exists.
            check(OP, unsafe { dpdk_sys::rte_eth_dev_close(self.id) })?;
            *slot = PortSlot::new();
            Ok(())
        })
    }

    /// The port's MAC address (`rte_eth_macaddr_get`); all zeros if the port no longer
    /// exists or the EAL is not running (see [`Port::try_mac_addr`]).
    pub fn mac_addr(&self) -> [u8; 6] {
        self.try_mac_addr().unwrap_or_default()
    }

    /// The port's MAC address, with the error if it cannot be read.
    pub fn try_mac_addr(&self) -> Result<[u8; 6], DpdkError> {
        const OP: &str = "rte_eth_macaddr_get";
        self.with_slot(OP, |_| {
            let mut mac = rte_ether_addr::default();
            // SAFETY: valid port and out-pointer.
            check(OP, unsafe { dpdk_sys::rte_eth_macaddr_get(self.id, &mut mac) })?;
            Ok(mac.addr_bytes)
        })
    }

    /// Current link state, without waiting for negotiation (`rte_eth_link_get_nowait`);
    /// reported down (speed 0) if it cannot be read (see [`Port::try_link`]).
    pub fn link(&self) -> Link {
        self.try_link().unwrap_or(Link { up: false, speed_mbps: 0, full_duplex: false })
    }

    /// Current link state, with the error if it cannot be read.
    pub fn try_link(&self) -> Result<Link, DpdkError> {
        const OP: &str = "rte_eth_link_get_nowait";
        self.with_slot(OP, |_| {
            let mut link = rte_eth_link::default();
            // SAFETY: valid port and out-pointer.
            check(OP, unsafe { dpdk_sys::rte_eth_link_get_nowait(self.id, &mut link) })?;
            Ok(Link {
                up: link.link_status() == dpdk_sys::RTE_ETH_LINK_UP as u16,
                speed_mbps: link.link_speed,
                full_duplex: link.link_duplex() == dpdk_sys::RTE_ETH_LINK_FULL_DUPLEX as u16,
            })
        })
    }

    /// Port counters (`rte_eth_stats_get`).
    pub fn stats(&self) -> Result<PortStats, DpdkError> {
        const OP: &str = "rte_eth_stats_get";
        self.with_slot(OP, |_| {
            let mut s = rte_eth_stats::default();
            // SAFETY: valid port and out-pointer.
            check(OP, unsafe { dpdk_sys::rte_eth_stats_get(self.id, &mut s) })?;
            Ok(PortStats {
                ipackets: s.ipackets,
                opackets: s.opackets,
                ibytes: s.ibytes,
                obytes: s.obytes,
                imissed: s.imissed,
                ierrors: s.ierrors,
                oerrors: s.oerrors,
                rx_nombuf: s.rx_nombuf,
            })
        })
    }

    /// Reset the counters (`rte_eth_stats_reset`).
    pub fn reset_stats(&self) -> Result<(), DpdkError> {
        const OP: &str = "rte_eth_stats_reset";
        // SAFETY (closure): valid port.
        self.with_slot(OP, |_| check(OP, unsafe { dpdk_sys::rte_eth_stats_reset(self.id) }))
    }

    /// Enable or disable promiscuous mode (`rte_eth_promiscuous_enable`/`_disable`).
    pub fn set_promiscuous(&self, on: bool) -> Result<(), DpdkError> {
        let op = if on { "rte_eth_promiscuous_enable" } else { "rte_eth_promiscuous_disable" };
        self.with_slot(op, |_| {
            // SAFETY: valid port.
            let ret = unsafe {
                if on {
                    dpdk_sys::rte_eth_promiscuous_enable(self.id)
                } else {
                    dpdk_sys::rte_eth_promiscuous_disable(self.id)
                }
            };
            check(op, ret)
        })
    }

    /// Current MTU in bytes (`rte_eth_dev_get_mtu`).
    pub fn mtu(&self) -> Result<u16, DpdkError> {
        const OP: &str = "rte_eth_dev_get_mtu";
        self.with_slot(OP, |_| {
            let mut mtu = 0u16;
            // SAFETY: valid port and out-pointer.
            check(OP, unsafe { dpdk_sys::rte_eth_dev_get_mtu(self.id, &mut mtu) })?;
            Ok(mtu)
        })
    }

    /// The only handle for polling rx queue `queue`. Errors: `ENETDOWN` if the port is not
    /// started, `EINVAL` if `queue` was not configured, `EBUSY` if a handle already exists.
    pub fn rx_queue(&self, queue: u16) -> Result<RxQueue, DpdkError> {
        const OP: &str = "Port::rx_queue";
        self.with_slot(OP, |slot| {
            let live = LiveToken::acquire(OP)?;
            claim(OP, slot.state, &mut slot.rx_claimed, queue)?;
            slot.claims += 1;
            Ok(RxQueue { port: self.id, queue, _live: live, _not_sync: PhantomData })
        })
    }

    /// The only handle for transmitting on tx queue `queue`. Errors as [`Port::rx_queue`].
    pub fn tx_queue(&self, queue: u16) -> Result<TxQueue, DpdkError> {
        const OP: &str = "Port::tx_queue";
        self.with_slot(OP, |slot| {
            let live = LiveToken::acquire(OP)?;
            claim(OP, slot.state, &mut slot.tx_claimed, queue)?;
            slot.claims += 1;
            Ok(TxQueue { port: self.id, queue, _live: live, _not_sync: PhantomData })
        })
    }
}

fn claim(op: &'static str, state: PortState, claimed: &mut [bool], queue: u16) -> Result<(), DpdkError> {
    if state != PortState::Started {
        return Err(DpdkError::new(op, ENETDOWN));
    }
    match claimed.get_mut(usize::from(queue)) {
        None => Err(DpdkError::new(op, EINVAL)),
        Some(true) => Err(DpdkError::new(op, EBUSY)),
        Some(c) => {
            *c = true;
            Ok(())
        }
    }
}

fn release(port: u16, queue: u16, rx: bool) {
    let mut ports = registry();
    let slot = &mut ports[usize::from(port)];
    let claimed = if rx { &mut slot.rx_claimed } else { &mut slot.tx_claimed };
    if let Some(c) = claimed.get_mut(usize::from(queue)) {
        *c = false;
    }
    slot.claims -= 1;
}

/// Exclusive handle on one rx queue of a started port. `Send`, not `Sync`, not `Clone`.
#[derive(Debug)]
pub struct RxQueue {
    port: u16,
    queue: u16,
    _live: LiveToken,
    _not_sync: PhantomData<Cell<()>>,
}

impl RxQueue {
    /// Receive up to `out.free_space()` packets, appended to `out` (`rte_eth_rx_burst`).
    /// Returns the number received. Does not allocate.
    #[inline]
    pub fn rx_burst<const N: usize>(&mut self, out: &mut MbufArray<N>) -> usize {
        let free = out.free_space();
        if free == 0 {
            return 0;
        }
        // SAFETY: this handle is the only user of (port, queue), which is configured and was
        // started (stopping/closing is refused while the handle exists); the PMD writes at
        // most `free` (≤ u16::MAX) owned mbufs into the spare slots of `out`.
        unsafe {
            let n = dpdk_sys::rte_eth_rx_burst(self.port, self.queue, out.spare_ptr(), free as u16) as usize;
            out.assume_appended(n);
            n
        }
    }

    /// The port this queue belongs to.
    pub fn port(&self) -> Port {
        Port { id: self.port }
    }

    /// The queue index.
    pub fn queue(&self) -> u16 {
        self.queue
    }
}

impl Drop for RxQueue {
    fn drop(&mut self) {
        release(self.port, self.queue, true);
    }
}

/// Exclusive handle on one tx queue of a started port. `Send`, not `Sync`, not `Clone`.
#[derive(Debug)]
pub struct TxQueue {
    port: u16,
    queue: u16,
    _live: LiveToken,
    _not_sync: PhantomData<Cell<()>>,
}

impl TxQueue {
    /// Transmit from the front of `pkts` (`rte_eth_tx_burst`); packets the driver did not
    /// accept (queue full) stay at the front of `pkts`, in order, for a retry or a drop.
    /// Returns the number sent. Does not allocate.
    #[inline]
    pub fn tx_burst<const N: usize>(&mut self, pkts: &mut MbufArray<N>) -> usize {
        if pkts.is_empty() {
            return 0;
        }
        // SAFETY: sole user of (port, queue) as for RxQueue; the first len() pointers are
        // owned mbufs; those the PMD accepted are now its to free, so they are dropped from
        // `pkts` without being freed.
        unsafe {
            let n = dpdk_sys::rte_eth_tx_burst(self.port, self.queue, pkts.as_raw_ptr(), pkts.len() as u16) as usize;
            pkts.consume_front(n);
            n
        }
    }

    /// The port this queue belongs to.
    pub fn port(&self) -> Port {
        Port { id: self.port }
    }

    /// The queue index.
    pub fn queue(&self) -> u16 {
        self.queue
    }
}

impl Drop for TxQueue {
    fn drop(&mut self) {
        release(self.port, self.queue, false);
    }
}
