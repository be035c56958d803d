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
//! Until the routing protocol lands, [`ControlThread`] validates each punted
//! packet with the same decoder as the data plane, counts it, logs it at debug
//! level, and frees it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_queue::ArrayQueue;
use dmsc_wire::ethernet::{self, Frame};
use dmsc_wire::packet::Packet;
use dpdk::Mbuf;

/// How often the control thread drains the punt rings.
pub const DRAIN_PERIOD: Duration = Duration::from_millis(1);

/// Capacity of each lcore's punt ring, in packets.
pub const PUNT_RING_SIZE: usize = 1024;

/// Counters of the control thread (single writer: the control thread).
#[derive(Debug, Default)]
pub struct ControlCounters {
    /// Control packets received from the lcores.
    pub received: AtomicU64,
    /// Of those, packets that failed validation (cannot happen for packets the
    /// data plane validated; kept as a guard).
    pub malformed: AtomicU64,
}

impl ControlCounters {
    fn bump(c: &AtomicU64) {
        c.store(c.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }
}

/// A running control thread.
pub struct ControlThread {
    handle: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    /// Its counters.
    pub counters: Arc<ControlCounters>,
}

impl ControlThread {
    /// Starts the thread. `punt` holds one ring per lcore.
    ///
    /// Errors: the OS refused to create the thread or the runtime.
    pub fn spawn(punt: Vec<Arc<ArrayQueue<Mbuf>>>) -> std::io::Result<ControlThread> {
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(ControlCounters::default());
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
        let (s, c) = (stop.clone(), counters.clone());
        let handle = std::thread::Builder::new()
            .name("dmsc-control".into())
            .spawn(move || rt.block_on(drain_loop(punt, s, c)))?;
        Ok(ControlThread { handle: Some(handle), stop, counters })
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

async fn drain_loop(punt: Vec<Arc<ArrayQueue<Mbuf>>>, stop: Arc<AtomicBool>, counters: Arc<ControlCounters>) {
    let mut tick = tokio::time::interval(DRAIN_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        for ring in &punt {
            while let Some(m) = ring.pop() {
                handle_control(m.data(), &counters);
            }
        }
        if stopping {
            return;
        }
        tick.tick().await;
    }
}

/// Validates and accounts one punted frame.
pub fn handle_control(frame: &[u8], counters: &ControlCounters) {
    ControlCounters::bump(&counters.received);
    let pkt = Frame::new_checked(frame)
        .ok()
        .and_then(|_| Packet::new_checked(&frame[ethernet::HEADER_LEN..]).ok());
    match pkt {
        Some(p) => tracing::debug!(
            src = %p.src_name(),
            dst = %p.dst_name(),
            len = p.total_len(),
            "control packet (routing protocol not yet running: dropped)"
        ),
        None => ControlCounters::bump(&counters.malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_counted_not_fatal() {
        let c = ControlCounters::default();
        handle_control(&[0u8; 3], &c);
        handle_control(&[0xffu8; 200], &c);
        assert_eq!(c.received.load(Ordering::Relaxed), 2);
        assert_eq!(c.malformed.load(Ordering::Relaxed), 2);
    }
}
