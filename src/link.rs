//! Sending and capturing DMSC frames on a Linux interface (`dmsc send`,
//! `dmsc capture`): the small traffic tool that runs inside a network
//! namespace at the far end of a `net_tap` port.
//!
//! Both go through libpcap (the `pcap` crate), which opens an `AF_PACKET`
//! socket on the interface: frames are written and read whole, Ethernet
//! header included, with no kernel protocol stack involved, so a DMSC
//! EtherType works like any other. libpcap rather than a hand-written
//! `AF_PACKET` socket keeps this crate free of `unsafe`.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use pcap::{Active, Capture, Direction};

/// Largest frame captured whole: a 9600-byte MTU plus the Ethernet header.
const SNAPLEN_BYTES: i32 = 9614;
/// Kernel ring for captured frames. libpcap sizes each slot by the snaplen,
/// so this holds about 6,000 frames: enough for router bursts between polls.
const CAPTURE_BUFFER_BYTES: i32 = 64 << 20;

fn open(iface: &str, timeout: Duration) -> Result<Capture<Active>> {
    Capture::from_device(iface)
        .with_context(|| format!("no interface {iface}"))?
        .immediate_mode(true)
        .promisc(true)
        .snaplen(SNAPLEN_BYTES)
        .buffer_size(CAPTURE_BUFFER_BYTES)
        .timeout(timeout.as_millis().clamp(1, i32::MAX as u128) as i32)
        .open()
        .with_context(|| format!("opening {iface} (needs root or CAP_NET_RAW)"))
}

/// Sends `frames` on `iface`, at most `rate_pps` frames per second (0 = as
/// fast as the socket takes them). Returns the number sent. Prints `sending N
/// frames on IFACE` to stderr just before the first frame (so a caller can
/// time events against the stream).
pub fn send(iface: &str, frames: &[Vec<u8>], rate_pps: u64) -> Result<usize> {
    let mut cap = open(iface, Duration::from_millis(100))?;
    eprintln!("sending {} frames on {iface}", frames.len());
    let _ = std::io::stderr().flush();
    let start = Instant::now();
    for (i, f) in frames.iter().enumerate() {
        if rate_pps > 0 {
            let due = Duration::from_secs_f64(i as f64 / rate_pps as f64);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        cap.sendpacket(&f[..]).with_context(|| format!("sending frame {i} on {iface}"))?;
    }
    Ok(frames.len())
}

/// When a capture stops.
#[derive(Clone, Copy, Debug)]
pub struct CaptureLimits {
    /// After this many frames.
    pub count: usize,
    /// After this long in any case.
    pub timeout: Duration,
    /// After no frame for this long, once at least one has arrived.
    pub idle: Option<Duration>,
}

/// Captures incoming frames of EtherType `ethertype` on `iface` until a limit
/// is reached. Prints `capturing on IFACE` to stderr once the capture is open
/// (so a caller can start sending).
///
/// The socket is non-blocking and polled every millisecond when empty:
/// libpcap's read timeout does not apply in immediate mode, and a blocking
/// read would outlive the deadline on a silent link.
pub fn capture(iface: &str, ethertype: u16, limits: CaptureLimits) -> Result<Vec<Vec<u8>>> {
    let cap = open(iface, Duration::from_millis(50))?;
    let mut cap = cap.setnonblock().context("non-blocking capture")?;
    cap.direction(Direction::In).context("capture direction")?;
    cap.filter(&format!("ether proto {ethertype:#06x}"), true).context("capture filter")?;
    eprintln!("capturing on {iface}");
    let _ = std::io::stderr().flush();
    let start = Instant::now();
    let mut last = None::<Instant>;
    let mut out = Vec::new();
    while out.len() < limits.count && start.elapsed() < limits.timeout {
        if let (Some(idle), Some(t)) = (limits.idle, last) {
            if t.elapsed() >= idle {
                break;
            }
        }
        match cap.next_packet() {
            Ok(p) => {
                out.push(p.data.to_vec());
                last = Some(Instant::now());
            }
            Err(pcap::Error::TimeoutExpired) | Err(pcap::Error::NoMorePackets) => {
                std::thread::sleep(Duration::from_micros(200))
            }
            Err(e) => return Err(e).context("capturing"),
        }
    }
    // Say so if the capture itself lost frames: they were on the link.
    if let Ok(st) = cap.stats() {
        if st.dropped > 0 || st.if_dropped > 0 {
            eprintln!(
                "capture on {iface}: {} frames dropped by the capture buffer, {} by the interface",
                st.dropped, st.if_dropped
            );
        }
    }
    Ok(out)
}
