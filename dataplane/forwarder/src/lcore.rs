//! The run-to-completion loop of one forwarding lcore.
//!
//! One [`Lcore::run`] per lcore, pinned by EAL. Each turn of the loop does, in
//! order (the NDN-DPDK / VPP shape):
//!
//! 1. **Quiescent state**: report to the FIB's RCU domain that this lcore holds
//!    no reference into an old FIB, so the control thread may free it; then
//!    read the closed-port bits ([`crate::gate`]): the queue handles of a port
//!    the control thread is about to stop and start are dropped (and claimed
//!    again once it reopens the port).
//! 2. **Timers**: one TSC read per turn, the clock of the nack rate limiter.
//! 3. **Rx burst** from each rx queue this lcore owns (and from the dispatch
//!    rings other lcores fill, see [`crate::plan`]).
//! 4. **Process** the burst with [`Pipeline::process_burst`] against one FIB
//!    snapshot held for the whole turn: destination names go through this
//!    lcore's own [`LookupCache`] (exact; emptied when the snapshot changes),
//!    and the names it does not hold through one burst FIB lookup, whose cache
//!    misses overlap.
//! 5. **Tx burst**: frames are buffered per egress port and sent with one
//!    `tx_burst` per port per turn, or earlier when a buffer fills.
//!
//! Nothing in the loop allocates, locks, or makes a system call, except the
//! idle back-off: after `idle_polls_before_sleep` empty turns the lcore goes
//! RCU-offline and sleeps `idle_sleep` per turn, so that several routers (or a
//! router and a traffic generator) can share a 2-core machine. `idle_sleep = 0`
//! means pure busy polling, as a dedicated appliance would run.
//!
//! Counters are this lcore's own ([`LcoreCounters`], single writer).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arrayvec::ArrayVec;
use crossbeam_queue::ArrayQueue;
use dmsc_fib::{Fib, LookupCache};
use dmsc_rcu::Reader;
use dpdk::{Mbuf, MbufArray, Mempool, Port, RingConsumer, RingProducer, RxQueue, TxQueue};

use crate::counters::{DropReason, LcoreCounters};
use crate::gate::{is_closed_in, PortGates};
use crate::pipeline::{NackOutcome, Pipeline, Verdict};
use crate::plan::lcore_for_flow;
use crate::ratelimit::TokenBucket;

/// Frames per rx burst.
pub const BURST: usize = 32;
// One rx burst is processed by one `Pipeline::process_burst` call.
const _: () = assert!(BURST <= crate::pipeline::MAX_BURST);

/// Frames buffered per egress port before a forced tx burst.
pub const TX_BUFFER: usize = 64;

/// Byte offset of the flow label in an Ethernet frame carrying DMSC
/// (14-byte Ethernet header + offset 8 in the DMSC fixed header).
const FLOW_LABEL_OFFSET: usize = 14 + 8;

/// Idle back-off and nack limits of an lcore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LcoreParams {
    /// Empty turns before the lcore starts sleeping.
    pub idle_polls_before_sleep: u32,
    /// Sleep per empty turn once idle; zero = never sleep.
    pub idle_sleep: Duration,
    /// Nacks per second this lcore may send.
    pub nack_rate_per_s: u32,
    /// Nack burst size.
    pub nack_burst: u32,
    /// Destination names this lcore's lookup cache holds (0 = off).
    pub name_cache: usize,
}

/// An rx queue this lcore polls.
pub struct RxPort {
    /// Port index.
    pub port: usize,
    /// The DPDK port.
    pub device: Port,
    /// The queue's id on `device`.
    pub queue_id: u16,
    /// The queue (owned: only this lcore polls it); `None` while the port's
    /// gate is closed ([`crate::gate`]), e.g. a memif client that has not
    /// connected yet.
    pub queue: Option<RxQueue>,
    /// Whether frames from this queue are dispatched by flow label
    /// (through [`Lcore::dispatch_to`]).
    pub dispatch: bool,
}

/// This lcore's tx queue on one port.
pub struct TxPort {
    /// The DPDK port.
    pub device: Port,
    /// The queue's id on `device` (the lcore's index).
    pub queue_id: u16,
    /// The queue; `None` while the port's gate is closed.
    pub queue: Option<TxQueue>,
}

/// Everything one forwarding lcore owns.
pub struct Lcore {
    /// Position in the configured lcore list (also its tx queue index).
    pub index: usize,
    /// Rx queues it polls.
    pub rx: Vec<RxPort>,
    /// Rings other lcores' dispatchers fill for it.
    pub rings_in: Vec<RingConsumer>,
    /// With flow-label dispatch: one ring producer per lcore index, `None`
    /// at this lcore's own index (its share is processed in place). Empty if
    /// this lcore dispatches nothing.
    pub dispatch_to: Vec<Option<RingProducer>>,
    /// Its tx queue on every port, indexed by port index.
    pub tx: Vec<TxPort>,
    /// Its RCU reader of the FIB.
    pub fib: Reader<Fib>,
    /// The forwarding rules.
    pub pipeline: Arc<Pipeline>,
    /// Its counters (read by the statistics thread).
    pub counters: Arc<LcoreCounters>,
    /// Where nack mbufs come from.
    pub pool: Arc<Mempool>,
    /// Ring of control packets to the control thread.
    pub punt: Arc<ArrayQueue<Mbuf>>,
    /// Ring of control packets *from* the control thread, each with its port
    /// index, that this lcore transmits on its own tx queues (the control
    /// thread owns no tx queue). `Some` on one lcore only.
    pub inject: Option<Arc<ArrayQueue<(u16, Mbuf)>>>,
    /// Ports closed to the lcores by the control thread (read once per turn;
    /// [`crate::gate`]).
    pub gates: Arc<PortGates>,
    /// Set by the main thread to stop the loop.
    pub quit: Arc<AtomicBool>,
    /// Idle and nack parameters.
    pub params: LcoreParams,
}

/// Most control packets an lcore takes from [`Lcore::inject`] per turn, so a
/// flood of control output cannot starve forwarding.
pub const INJECT_PER_TURN: usize = 32;

struct Egress {
    queues: Vec<TxPort>,
    bufs: Vec<MbufArray<TX_BUFFER>>,
    /// Bytes of the frames in each port's buffer, counted as they enter it,
    /// so a tx burst only has to walk the frames it did not send.
    buffered_bytes: Vec<u64>,
}

impl Egress {
    #[inline]
    fn push(&mut self, port: usize, m: Mbuf, c: &LcoreCounters) {
        let Some(buf) = self.bufs.get_mut(port) else {
            c.drop(DropReason::NoRoute);
            return;
        };
        let bytes = &mut self.buffered_bytes[port];
        if buf.is_full() {
            Self::send(&mut self.queues[port].queue, buf, bytes, port, c);
        }
        let len = m.len() as u64;
        match buf.push(m) {
            Ok(()) => *bytes += len,
            Err(m) => {
                c.drop(DropReason::TxFull);
                drop(m);
            }
        }
    }

    #[inline]
    fn send(q: &mut Option<TxQueue>, buf: &mut MbufArray<TX_BUFFER>, bytes: &mut u64, port: usize, c: &LcoreCounters) {
        let Some(q) = q.as_mut() else {
            // The port's gate is closed: the control thread is restarting it.
            c.drop_n(DropReason::PortDown, buf.len() as u64);
            buf.clear();
            *bytes = 0;
            return;
        };
        let before = buf.len();
        let sent = q.tx_burst(buf);
        if sent > 0 {
            // Only the unsent tail (usually empty) is walked.
            let unsent_bytes: u64 = buf.iter().map(|m| m.len() as u64).sum();
            c.tx_packets.add(sent as u64);
            c.tx_bytes.add(*bytes - unsent_bytes);
            c.port_tx(port, sent as u64);
            *bytes = unsent_bytes;
        }
        debug_assert_eq!(before - sent, buf.len());
    }

    /// One tx burst per port with something buffered. What the queue did not
    /// take stays buffered for the next turn (bounded by `TX_BUFFER`).
    #[inline]
    fn flush(&mut self, c: &LcoreCounters) {
        let ports = self.queues.iter_mut().zip(self.bufs.iter_mut()).zip(self.buffered_bytes.iter_mut());
        for (port, ((t, buf), bytes)) in ports.enumerate() {
            if !buf.is_empty() {
                Self::send(&mut t.queue, buf, bytes, port, c);
            }
        }
    }
}

struct Work<'a> {
    pipeline: &'a Pipeline,
    counters: &'a LcoreCounters,
    pool: &'a Mempool,
    punt: &'a ArrayQueue<Mbuf>,
    egress: &'a mut Egress,
    bucket: &'a mut TokenBucket,
    cache: &'a mut LookupCache,
    /// Verdicts of the burst being processed (kept across bursts: written
    /// before read, never re-initialised).
    verdicts: &'a mut [Verdict; BURST],
    now: u64,
}

impl Work<'_> {
    /// Processes every frame of `burst` against `fib` (one burst FIB
    /// lookup for all of them), emptying `burst`.
    #[inline]
    fn process_burst(&mut self, fib: &Fib, burst: &mut MbufArray<BURST>) {
        let c = self.counters;
        let n = burst.len();
        // The per-burst arrays are filled only as far as the burst goes: a
        // full `[_; BURST]` initialiser per burst is ~200 stores that the
        // profile showed stalling on a full store buffer behind memif's copies.
        let verdicts = &mut self.verdicts[..n];
        let mut chained = [false; BURST];
        {
            let mut frames: ArrayVec<&mut [u8], BURST> = ArrayVec::new();
            c.rx_packets.add(n as u64);
            let mut rx_bytes = 0u64;
            for (i, m) in burst.as_mut_slice().iter_mut().enumerate() {
                rx_bytes += m.len() as u64;
                // Chained mbufs (frames larger than one mbuf) are not parsed.
                if m.nb_segs() == 1 {
                    frames.push(m.data_mut());
                } else {
                    chained[i] = true;
                    frames.push(<&mut [u8]>::default());
                }
            }
            c.rx_bytes.add(rx_bytes);
            self.pipeline.process_burst(fib, self.cache, &mut frames, verdicts);
        }
        for (i, m) in burst.drain().enumerate() {
            let verdict =
                if chained[i] { Verdict::Drop { reason: DropReason::Malformed, nack: None } } else { self.verdicts[i] };
            match verdict {
                Verdict::Forward { port } => {
                    c.forwarded.inc();
                    self.egress.push(usize::from(port), m, c);
                }
                Verdict::Punt => {
                    if let Err(m) = self.punt.push(m) {
                        c.drop(DropReason::PuntFull);
                        drop(m);
                    } else {
                        c.punted.inc();
                    }
                }
                Verdict::Drop { reason, nack } => {
                    c.drop(reason);
                    if let Some(reason) = nack {
                        self.nack(fib, &m, reason);
                    }
                    // `m` is freed here.
                }
            }
        }
    }

    #[cold]
    fn nack(&mut self, fib: &Fib, original: &Mbuf, reason: dmsc_wire::nack::NackReason) {
        let c = self.counters;
        if !self.bucket.take(self.now) {
            c.nacks_rate_limited.inc();
            return;
        }
        let Some(mut out) = self.pool.alloc() else {
            c.nacks_no_mbuf.inc();
            return;
        };
        let room = out.tailroom();
        let Some(buf) = out.append(room) else {
            c.nacks_no_mbuf.inc();
            return;
        };
        match self.pipeline.build_nack(fib, original.data(), reason, buf) {
            NackOutcome::Built { port, len } => {
                out.trim(room - len);
                c.nacks_sent.inc();
                self.egress.push(usize::from(port), out, c);
            }
            NackOutcome::NoRoute => c.nacks_no_route.inc(),
            NackOutcome::NotAllowed => {}
            NackOutcome::BufferTooSmall => c.nacks_no_mbuf.inc(),
        }
    }
}

impl Lcore {
    /// Runs until `quit` is set. Returns 0 (the EAL launch convention).
    pub fn run(self) -> i32 {
        let Lcore {
            index,
            mut rx,
            rings_in,
            mut dispatch_to,
            tx,
            mut fib,
            pipeline,
            counters,
            pool,
            punt,
            inject,
            gates,
            quit,
            params,
        } = self;
        let n_ports = tx.len();
        let mut egress = Egress {
            queues: tx,
            bufs: (0..n_ports).map(|_| MbufArray::new()).collect(),
            buffered_bytes: vec![0; n_ports],
        };
        // The closed-port bits applied to the queue handles, and when to retry
        // a claim that failed (TSC).
        let mut gates_applied = 0u64;
        let mut claim_retry: Option<u64> = None;
        let hz = dpdk::tsc_hz();
        let mut bucket = TokenBucket::new(params.nack_rate_per_s, params.nack_burst, hz, dpdk::tsc());
        let mut burst: MbufArray<BURST> = MbufArray::new();
        let mut staged: Vec<MbufArray<BURST>> = (0..dispatch_to.len()).map(|_| MbufArray::new()).collect();
        let mut idle_turns: u32 = 0;
        // Allocated here, on the lcore, before the loop: first touched by it.
        let mut cache = LookupCache::new(params.name_cache);
        let mut cache_seen = cache.stats();
        let mut verdicts = [Verdict::Punt; BURST];
        let c = &*counters;
        tracing::debug!(
            lcore = dpdk::lcore_id(),
            index,
            rx = rx.len(),
            rings = rings_in.len(),
            "forwarding loop starts"
        );

        while !quit.load(Ordering::Relaxed) {
            // 1. Quiescent state: no FIB reference survives from the last turn.
            fib.quiescent();
            // 2. Timers.
            let now = dpdk::tsc();
            // Port gates: one load per turn; handles change only when the bits do.
            let closed = gates.closed();
            if closed != gates_applied || claim_retry.is_some_and(|t| now >= t) {
                let failed = apply_gates(closed, &mut rx, &mut egress.queues);
                gates_applied = closed;
                claim_retry = failed.then_some(now + hz / 1000);
            }
            let mut got = 0usize;
            {
                let snapshot = fib.read();
                let mut work = Work {
                    pipeline: &pipeline,
                    counters: c,
                    pool: &pool,
                    punt: &punt,
                    egress: &mut egress,
                    bucket: &mut bucket,
                    cache: &mut cache,
                    verdicts: &mut verdicts,
                    now,
                };
                // 3. Rx bursts, 4. process.
                for r in rx.iter_mut() {
                    let Some(q) = r.queue.as_mut() else { continue };
                    let n = q.rx_burst(&mut burst);
                    if n == 0 {
                        continue;
                    }
                    got += n;
                    c.port_rx(r.port, n as u64);
                    match r.dispatch && !dispatch_to.is_empty() {
                        false => work.process_burst(&snapshot, &mut burst),
                        true => {
                            dispatch(&mut burst, &mut staged, &mut dispatch_to, index, c);
                            // This lcore's own share is processed in place.
                            if let Some(own) = staged.get_mut(index) {
                                work.process_burst(&snapshot, own);
                            }
                        }
                    }
                }
                for ring in rings_in.iter() {
                    let n = ring.dequeue_burst(&mut burst);
                    if n > 0 {
                        got += n;
                        work.process_burst(&snapshot, &mut burst);
                    }
                }
            }
            // Control packets from the control thread (a few per second):
            // one load of the ring's indices per turn when empty.
            if let Some(q) = inject.as_deref() {
                for _ in 0..INJECT_PER_TURN {
                    let Some((port, m)) = q.pop() else { break };
                    got += 1;
                    egress.push(usize::from(port), m, c);
                }
            }
            // 5. Tx bursts.
            egress.flush(c);

            c.polls.inc();
            if got == 0 {
                c.idle_polls.inc();
                idle_turns = idle_turns.saturating_add(1);
                if idle_turns > params.idle_polls_before_sleep && !params.idle_sleep.is_zero() {
                    // Going offline lets FIB writers proceed without us while
                    // we sleep; we re-read the FIB only after coming back.
                    fib.offline();
                    std::thread::sleep(params.idle_sleep);
                    fib.online();
                } else {
                    std::hint::spin_loop();
                }
            } else {
                idle_turns = 0;
                let now_stats = cache.stats();
                c.name_cache_hits.add(now_stats.hits - cache_seen.hits);
                c.name_cache_misses
                    .add((now_stats.misses + now_stats.bypassed) - (cache_seen.misses + cache_seen.bypassed));
                cache_seen = now_stats;
            }
        }
        // Leave nothing in flight: buffered frames are sent once more, then freed.
        egress.flush(c);
        tracing::debug!(index, "forwarding loop stops");
        0
    }
}

/// Drops the queue handles of the ports closed in `closed` and claims those of
/// open ports that it lacks ([`crate::gate`]). Returns whether a claim failed
/// (to be retried).
#[cold]
fn apply_gates(closed: u64, rx: &mut [RxPort], tx: &mut [TxPort]) -> bool {
    let mut failed = false;
    for r in rx.iter_mut() {
        if is_closed_in(closed, r.port) {
            r.queue = None;
        } else if r.queue.is_none() {
            match r.device.rx_queue(r.queue_id) {
                Ok(q) => r.queue = Some(q),
                Err(_) => failed = true,
            }
        }
    }
    for (port, t) in tx.iter_mut().enumerate() {
        if is_closed_in(closed, port) {
            t.queue = None;
        } else if t.queue.is_none() {
            match t.device.tx_queue(t.queue_id) {
                Ok(q) => t.queue = Some(q),
                Err(_) => failed = true,
            }
        }
    }
    failed
}

/// Moves every frame of `burst` to the staging array of the lcore its flow
/// label selects, then enqueues each other lcore's share on its ring.
#[inline]
fn dispatch(
    burst: &mut MbufArray<BURST>,
    staged: &mut [MbufArray<BURST>],
    producers: &mut [Option<RingProducer>],
    own: usize,
    c: &LcoreCounters,
) {
    let n = staged.len();
    while let Some(m) = burst.pop_front() {
        let d = m.data();
        let label = match d.get(FLOW_LABEL_OFFSET..FLOW_LABEL_OFFSET + 4) {
            Some(b) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            None => 0, // runt: any lcore will drop it, pick ours
        };
        let target = if d.len() < FLOW_LABEL_OFFSET + 4 { own } else { lcore_for_flow(label, n) };
        if let Err(m) = staged[target].push(m) {
            // Cannot happen (staging arrays are as large as a burst), but
            // never lose a frame silently.
            c.dispatch_full.inc();
            drop(m);
        }
    }
    for (i, (stage, prod)) in staged.iter_mut().zip(producers.iter_mut()).enumerate() {
        if i == own || stage.is_empty() {
            continue;
        }
        let Some(prod) = prod.as_mut() else {
            continue;
        };
        let want = stage.len();
        let sent = prod.enqueue_burst(stage);
        c.dispatched.add(sent as u64);
        if sent < want {
            c.dispatch_full.add((want - sent) as u64);
            stage.clear();
        }
    }
}
