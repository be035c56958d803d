//! The control thread [draft-li-dmsc-architecture §6, §6.1].
//!
//! The forwarding lcores hand every DMSC Control packet to this thread over
//! one lock-free ring per lcore. The thread runs a single-threaded tokio
//! runtime on its own OS thread, so protocol timers and the management API can
//! be written as async tasks without ever running on an lcore.
//!
//! Why rings of mbufs and not a channel of copies: the punt path must not
//! allocate on the lcore; handing over the mbuf pointer costs one atomic
//! operation per *control* packet (never per data packet). Why a poll every
//! millisecond instead of a wake-up: an lcore must not make a system call
//! (an eventfd write) per punt; a 1 ms drain period is far below any protocol
//! timer (hellos are seconds apart).
//!
//! Before the daemon has built its ports and FIB, the thread only waits; the
//! daemon then hands it everything with [`ControlThread::attach`] and the thread
//! runs the routing driver ([`driver`]) and the management API ([`mgmt`]).

#![warn(missing_docs)]

pub mod driver;
pub mod frame;
pub mod mgmt;
pub mod reconnect;
pub mod routes;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;
use dpdk::{Mbuf, Mempool};

use crate::driver::{ControlPort, Driver, Shared};

/// How often the control thread drains the punt rings while control packets
/// arrive.
pub const DRAIN_PERIOD: Duration = Duration::from_millis(1);

/// How often it drains them after [`IDLE_TURNS`] turns without a punted
/// packet. Each turn is a wake-up of the control thread, which shares its CPU
/// with whatever is not a forwarding lcore (a traffic generator, in the
/// benchmarks: 1,000 wake-ups per second took 1.6 % of that core). Below the
/// driver's 5 ms link poll so link changes are still seen as often; protocol
/// timers still fire on time (the sleep ends at the router's next deadline).
pub const DRAIN_PERIOD_IDLE: Duration = Duration::from_millis(4);

/// Consecutive turns without a punted packet before [`DRAIN_PERIOD_IDLE`]
/// applies; the first punted packet restores [`DRAIN_PERIOD`].
pub const IDLE_TURNS: u32 = 100;

/// Capacity of each lcore's punt ring, in packets.
pub const PUNT_RING_SIZE: usize = 1024;

/// Capacity of the ring of control frames the control thread hands lcore 0 to send.
pub const INJECT_RING_SIZE: usize = 1024;

macro_rules! counters {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {
        /// Counters of the control thread (single writer: the control thread;
        /// read by the statistics thread and the management API).
        #[derive(Debug, Default)]
        pub struct ControlCounters {
            $($(#[$m])* pub $name: AtomicU64,)*
        }
        impl ControlCounters {
            /// Every counter by name.
            pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($name), self.$name.load(Ordering::Relaxed)),)*]
            }
        }
    };
}

counters! {
    /// Control packets received from the lcores.
    received,
    /// Of those, frames that failed validation or came from an unknown port.
    malformed,
    /// Control packets on a port without `routing = true` (or with routing off).
    not_routing,
    /// Control frames queued for transmission.
    tx_frames,
    /// Control frames dropped: the inject ring was full.
    tx_ring_full,
    /// Control frames not sent: no mbuf, or the mbuf too small.
    tx_no_mbuf,
    /// Control frames not sent: too large for a packet.
    tx_too_big,
    /// FIB updates published.
    fib_updates,
    /// Prefix changes in those updates.
    fib_changes,
    /// FIB updates refused (the live FIB stayed as it was).
    fib_errors,
    /// Routing port link state changes seen.
    link_changes,
    /// memif client ports stopped and started to reconnect to their server
    /// ([`reconnect`]).
    reconnects,
    /// Of those, starts that failed (the server's socket is not there yet).
    reconnect_failures,
}

/// Everything the control thread needs once the daemon has started EAL, the
/// ports and the FIB.
pub struct Attach {
    /// The state shared with the management API.
    pub shared: Shared,
    /// Every port, in port index order.
    pub ports: Vec<ControlPort>,
    /// EtherType of DMSC frames.
    pub ethertype: u16,
    /// Our node name (source name of control packets).
    pub node: dmsc_wire::name::Name,
    /// Where control frame mbufs come from.
    pub pool: Arc<Mempool>,
    /// The ring lcore 0 transmits from.
    pub inject: Arc<ArrayQueue<(u16, Mbuf)>>,
    /// The lcores' port gates: closed around a reconnection's stop and start.
    pub gates: Arc<dmsc_forwarder::PortGates>,
    /// The management API's unix socket, if it is to be served.
    pub management_socket: Option<PathBuf>,
    /// CPUs of the forwarding lcores: on attach the thread moves off them
    /// (see [`leave_forwarding_cpus`]).
    pub forwarding_cpus: Vec<usize>,
    /// Nice value the thread sets for itself on attach (0: leave it;
    /// `dataplane.control_nice`). A failure fails the attach.
    pub nice: i8,
}

/// Restricts the calling thread to the CPUs it may run on minus
/// `forwarding` (the forwarding lcores' CPUs), so that housekeeping threads
/// (control, statistics) never preempt a polling lcore, as DPDK keeps its own
/// control threads off the lcores' CPUs. Leaves the affinity alone when no
/// CPU would remain (e.g. every CPU forwards: then the kernel shares them).
/// Returns the CPUs the thread runs on afterwards.
pub fn leave_forwarding_cpus(forwarding: &[usize]) -> Vec<usize> {
    let own = dpdk::thread_cpus();
    let rest: Vec<usize> = own.iter().copied().filter(|c| !forwarding.contains(c)).collect();
    if rest.is_empty() || rest.len() == own.len() {
        return own;
    }
    match dpdk::set_thread_cpus(&rest) {
        Ok(()) => rest,
        Err(e) => {
            tracing::warn!(error = %e, cpus = ?rest, "could not move off the forwarding CPUs");
            own
        }
    }
}

/// A running control thread.
pub struct ControlThread {
    handle: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    attach: Option<tokio::sync::oneshot::Sender<Attach>>,
    /// Its counters.
    pub counters: Arc<ControlCounters>,
    errors: Arc<Mutex<Option<String>>>,
    ready: Arc<AtomicBool>,
}

impl ControlThread {
    /// Starts the thread. `punt` holds one ring per lcore. The thread waits
    /// for [`ControlThread::attach`].
    ///
    /// Errors: the OS refused to create the thread or the runtime.
    pub fn spawn(punt: Vec<Arc<ArrayQueue<Mbuf>>>) -> std::io::Result<ControlThread> {
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(ControlCounters::default());
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let errors = Arc::new(Mutex::new(None));
        let ready = Arc::new(AtomicBool::new(false));
        let (s, e, r) = (stop.clone(), errors.clone(), ready.clone());
        let handle = std::thread::Builder::new()
            .name("dmsc-control".into())
            .spawn(move || rt.block_on(control_loop(punt, s, rx, e, r)))?;
        Ok(ControlThread { handle: Some(handle), stop, attach: Some(tx), counters, errors, ready })
    }

    /// Hands the thread its state: from now on it runs the routing driver and
    /// the management API. Waits (up to 5 s) until the management socket is
    /// bound, so that a start-up error is reported here.
    ///
    /// Errors: the thread is gone, or the socket could not be served.
    pub fn attach(&mut self, mut a: Attach) -> Result<(), String> {
        a.shared.counters = self.counters.clone();
        let tx = self.attach.take().ok_or("control thread already attached")?;
        tx.send(a).map_err(|_| "control thread has stopped".to_owned())?;
        let t0 = Instant::now();
        loop {
            if let Some(e) = self.errors.lock().map_err(|_| "poisoned")?.take() {
                return Err(e);
            }
            if self.ready() || t0.elapsed() > Duration::from_secs(5) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Stops the thread after a last drain, and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for ControlThread {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn control_loop(
    punt: Vec<Arc<ArrayQueue<Mbuf>>>,
    stop: Arc<AtomicBool>,
    attach: tokio::sync::oneshot::Receiver<Attach>,
    errors: Arc<Mutex<Option<String>>>,
    ready: Arc<AtomicBool>,
) {
    let mut attach = attach;
    let a = loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        match attach.try_recv() {
            Ok(a) => break a,
            Err(tokio::sync::oneshot::error::TryRecvError::Closed) => return,
            Err(tokio::sync::oneshot::error::TryRecvError::Empty) => {
                tokio::time::sleep(DRAIN_PERIOD).await;
            }
        }
    };
    let cpus = leave_forwarding_cpus(&a.forwarding_cpus);
    tracing::info!(?cpus, forwarding = ?a.forwarding_cpus, "control thread CPUs");
    if a.nice != 0 {
        if let Err(e) = dpdk::set_thread_nice(i32::from(a.nice)) {
            if let Ok(mut slot) = errors.lock() {
                *slot = Some(format!("dataplane.control_nice = {}: {e}", a.nice));
            }
            return;
        }
        tracing::info!(nice = a.nice, "control thread nice value");
    }
    let counters = a.shared.counters.clone();
    let shared = Arc::new(Mutex::new(a.shared));
    let server = match a.management_socket.as_deref() {
        None => None,
        Some(path) => match mgmt::serve(path, shared.clone()) {
            Ok(h) => {
                tracing::info!(socket = %path.display(), "management API listening");
                Some(h)
            }
            Err(e) => {
                if let Ok(mut slot) = errors.lock() {
                    *slot = Some(format!("management socket {}: {e}", path.display()));
                }
                return;
            }
        },
    };
    ready.store(true, Ordering::Release);
    let mut driver = Driver::new(shared, a.ports, a.ethertype, a.node, a.pool, a.inject, a.gates, counters.clone());
    let mut idle_turns = 0u32;
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        let received = counters.received.load(Ordering::Relaxed);
        let deadline = driver.turn(&punt);
        if stopping {
            break;
        }
        let now = Instant::now();
        idle_turns =
            if counters.received.load(Ordering::Relaxed) == received { idle_turns.saturating_add(1) } else { 0 };
        let period = if idle_turns >= IDLE_TURNS { DRAIN_PERIOD_IDLE } else { DRAIN_PERIOD };
        let wake = deadline.map_or(now + period, |d| (now + period).min(d.max(now + DRAIN_PERIOD)));
        tokio::time::sleep_until(wake.into()).await;
    }
    if let Some(h) = server {
        h.abort();
    }
    if let Some(path) = a.management_socket {
        let _ = std::fs::remove_file(path);
    }
}
