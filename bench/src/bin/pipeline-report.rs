//! The forwarding pipeline alone (`Pipeline::process_burst`: header checks,
//! lookup through the lcore's cache, decision, rewrite) on minimum-size DMSC
//! frames in memory (64 bytes, or the header + 8 bytes of payload when the
//! names need more, as `bench/throughput --frame 64`), as a Markdown table: nanoseconds per packet with the
//! lookup cache on and off, for 1, 10^4 and 10^5 flows. No DPDK, no memif:
//! the part of dmscd's per-packet cost that is our own code, measured
//! without the machine's memif speed states (see `docs/performance.md`).
//!
//! Each burst first copies its 32 frames from the pristine pcap-like store
//! into a ring of 2 KiB buffers (as memif rx copies into mbufs), so the
//! figures include that copy, the same in every column.
//!
//! Usage: `pipeline-report [--prefixes N] [--components K] [--cache N]
//! [--flows 1,10000,100000] [--runs N] [--repeat N]`. Each cell is the
//! median of `--repeat` interleaved measurements, each the median of
//! 2048-packet samples over `--runs` passes.

use arrayvec::ArrayVec;
use clap::Parser;
use dmsc::traffic::{request_frame, GenSpec};
use dmsc_bench::fib::{median_ns_per_lookup, CacheBenchArgs, Workload};
use dmsc_fib::{Fib, LookupCache};
use dmsc_forwarder::{Pipeline, PortInfo, Verdict};
use dmsc_wire::ethernet::{self, MacAddr};
use dmsc_wire::name::Name;
use dmsc_wire::packet::{self, Packet};

#[derive(Parser)]
#[command(about = "Pipeline::process_burst per packet, cache on and off")]
struct Args {
    #[command(flatten)]
    bench: CacheBenchArgs,
}

/// Frames per pass (the workload's names).
const FRAMES: usize = 1 << 17;
/// Receive buffers cycled through, as an mbuf pool's warm part.
const RING: usize = 512;
const BUF_BYTES: usize = 2048;
/// Requested frame size; the store keeps one frame per `SLOT_BYTES`.
const FRAME_BYTES: usize = 64;
const SLOT_BYTES: usize = 256;

struct Bench<'a> {
    pipeline: &'a Pipeline,
    fib: &'a Fib,
    /// Every frame, one per `SLOT_BYTES`, and its length.
    store: &'a [u8],
    lens: &'a [usize],
    ring: Vec<u8>,
    verdicts: [Verdict; dmsc_forwarder::BURST],
    forwarded: u64,
}

impl Bench<'_> {
    /// Processes frames `range` in bursts of 32.
    fn pass(&mut self, cache: &mut LookupCache, range: std::ops::Range<usize>) {
        let mut start = range.start;
        while start < range.end {
            let n = (range.end - start).min(dmsc_forwarder::BURST);
            let slot0 = (start % RING) & !(dmsc_forwarder::BURST - 1);
            let mut bufs: ArrayVec<&mut [u8], { dmsc_forwarder::BURST }> = ArrayVec::new();
            let ring = &mut self.ring[slot0 * BUF_BYTES..(slot0 + n) * BUF_BYTES];
            for (k, buf) in ring.chunks_mut(BUF_BYTES).enumerate() {
                let len = self.lens[start + k];
                let src = &self.store[(start + k) * SLOT_BYTES..][..len];
                buf[..len].copy_from_slice(src);
                bufs.push(&mut buf[..len]);
            }
            let verdicts = &mut self.verdicts[..n];
            self.pipeline.process_burst(self.fib, cache, &mut bufs, verdicts);
            self.forwarded += verdicts.iter().filter(|v| matches!(v, Verdict::Forward { .. })).count() as u64;
            start += n;
        }
    }
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse().bench;
    let w = Workload::new(a.prefixes, a.components, FRAMES, 42);
    let names: Vec<Name> = w.names().iter().map(|n| n.to_owned()).collect();
    let fib = Fib::build(w.routes.iter().cloned())?;
    let ports = (0..4).map(|p| PortInfo { mac: MacAddr([2, 0, 0, 0, 0x0d, p]), mtu: 9000 }).collect();
    let pipeline = Pipeline::new(ethernet::DEFAULT_ETHERTYPE, ports, "/bench/router".parse()?, 64);
    let spec = GenSpec::default();
    println!(
        "{} prefixes, {} components, minimum-size frames, cache of {} names; ns per packet (M packets/s), median of {}",
        a.prefixes, a.components, a.cache, a.repeat
    );
    println!("| traffic | cache off | cache on | off / on | hits % | forwarded % |");
    println!("|---|---:|---:|---:|---:|---:|");
    for &flows in &a.flows {
        let flows = flows.clamp(1, FRAMES);
        let mut store = vec![0u8; FRAMES * SLOT_BYTES];
        let mut lens = Vec::with_capacity(FRAMES);
        for i in 0..FRAMES {
            let frame =
                request_frame(&spec, &names[i % flows], i as u32, packet::DEFAULT_HOP_LIMIT, FRAME_BYTES, i as u64)?;
            anyhow::ensure!(frame.len() <= SLOT_BYTES, "{} components make {}-byte frames", a.components, frame.len());
            Packet::new_checked(&frame[ethernet::HEADER_LEN..])?;
            store[i * SLOT_BYTES..][..frame.len()].copy_from_slice(&frame);
            lens.push(frame.len());
        }
        let mut bench = Bench {
            pipeline: &pipeline,
            fib: &fib,
            store: &store,
            lens: &lens,
            ring: vec![0; RING * BUF_BYTES],
            verdicts: [Verdict::Punt; dmsc_forwarder::BURST],
            forwarded: 0,
        };
        let mut off = LookupCache::new(0);
        let mut on = LookupCache::new(a.cache);
        let (mut t_off, mut t_on) = (Vec::new(), Vec::new());
        for _ in 0..a.repeat.max(1) {
            t_off.push(median_ns_per_lookup(a.runs, FRAMES, |r| bench.pass(&mut off, r)));
            t_on.push(median_ns_per_lookup(a.runs, FRAMES, |r| bench.pass(&mut on, r)));
        }
        t_off.sort_by(f64::total_cmp);
        t_on.sort_by(f64::total_cmp);
        let (x, y) = (t_off[t_off.len() / 2], t_on[t_on.len() / 2]);
        let passes = 2 * a.repeat.max(1) * (a.runs.max(1) + 1);
        let s = on.stats();
        println!(
            "| {flows} flows | {x:.1} ({:.2}) | {y:.1} ({:.2}) | {:.2}× | {:.1} | {:.1} |",
            1e3 / x,
            1e3 / y,
            x / y,
            100.0 * s.hits as f64 / (s.hits + s.misses + s.bypassed).max(1) as f64,
            100.0 * bench.forwarded as f64 / (passes * FRAMES) as f64
        );
    }
    Ok(())
}
