//! DMSC test traffic: generate frames (`dmsc pcap gen`, `dmsc send`) and
//! decode them into readable lines (`dmsc pcap dump`, `dmsc capture`).
//!
//! Generation is deterministic for a given seed, so tests and benchmarks can
//! regenerate exactly the same input. Each flow is a destination name (one of
//! the given prefixes extended with a per-flow component, so that lookups are
//! longest-prefix matches, not exact ones) and a flow label; packets pick a
//! flow uniformly. Optional shares of misses (names under `/dmsc-miss`, which
//! no route should cover), hop-limit-1 packets, malformed DMSC frames and
//! non-DMSC frames exercise every drop counter.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use dmsc_wire::ethernet::{self, Frame, MacAddr};
use dmsc_wire::field;
use dmsc_wire::nack::NackRepr;
use dmsc_wire::name::Name;
use dmsc_wire::packet::{self, Packet, PacketType};
use pcap_file::pcap::{PcapPacket, PcapReader, PcapWriter};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Prefix under which generated misses are named; must not be routed.
pub const MISS_PREFIX: &str = "/dmsc-miss";

/// What kind of frame a generated packet is (the generator's ground truth).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A routable request towards one of the given prefixes.
    Routable,
    /// A request under [`MISS_PREFIX`].
    Miss,
    /// A routable request with hop limit 1.
    Expired,
    /// DMSC EtherType but an invalid header.
    Malformed,
    /// Another EtherType (IPv4).
    Foreign,
}

/// Parameters of a generated traffic mix.
#[derive(Clone, Debug)]
pub struct GenSpec {
    /// Destination prefixes; each flow extends one of them.
    pub names: Vec<Name>,
    /// Number of frames.
    pub count: usize,
    /// Number of flows (distinct destination name + flow label pairs).
    pub flows: usize,
    /// Frame sizes in bytes (Ethernet header included, FCS excluded) with
    /// weights; a size too small for a packet's header is raised to fit.
    pub sizes: Vec<(usize, u32)>,
    /// Share of misses, 0..=1.
    pub miss_share: f64,
    /// Share of hop-limit-1 packets.
    pub expired_share: f64,
    /// Share of malformed DMSC frames.
    pub malformed_share: f64,
    /// Share of non-DMSC frames.
    pub foreign_share: f64,
    /// Source name of every packet (the requester's routable prefix).
    pub src: Name,
    /// Hop limit of normal packets.
    pub hop_limit: u8,
    /// Ethernet source.
    pub src_mac: MacAddr,
    /// Ethernet destination (the router's port).
    pub dst_mac: MacAddr,
    /// DMSC EtherType.
    pub ethertype: u16,
    /// Random seed.
    pub seed: u64,
}

impl Default for GenSpec {
    fn default() -> Self {
        GenSpec {
            names: vec!["/svc".parse().expect("static name")],
            count: 100,
            flows: 10,
            sizes: vec![(64, 1)],
            miss_share: 0.0,
            expired_share: 0.0,
            malformed_share: 0.0,
            foreign_share: 0.0,
            src: "/client".parse().expect("static name"),
            hop_limit: 64,
            src_mac: MacAddr([0x02, 0, 0, 0, 0x0c, 0x01]),
            dst_mac: MacAddr([0x02, 0, 0, 0, 0x0d, 0x01]),
            ethertype: ethernet::DEFAULT_ETHERTYPE,
            seed: 1,
        }
    }
}

/// A generated frame and what it is meant to be.
#[derive(Clone, Debug)]
pub struct GenFrame {
    /// The frame bytes.
    pub bytes: Vec<u8>,
    /// The generator's ground truth.
    pub kind: Kind,
}

/// Parses a size distribution such as `64:50,256:30,1024:20` (or `64`).
pub fn parse_sizes(s: &str) -> Result<Vec<(usize, u32)>> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let (size, weight) = match part.split_once(':') {
            Some((a, b)) => (a.trim().parse()?, b.trim().parse()?),
            None => (part.trim().parse()?, 1),
        };
        if !(14 + packet::FIXED_HEADER_LEN..=9614).contains(&size) {
            bail!("frame size {size} out of range 30..=9614");
        }
        out.push((size, weight));
    }
    if out.iter().all(|(_, w)| *w == 0) {
        bail!("size distribution has no positive weight");
    }
    Ok(out)
}

/// Builds one DMSC request frame.
pub fn request_frame(
    spec: &GenSpec,
    dst: &Name,
    flow_label: u32,
    hop_limit: u8,
    frame_len: usize,
    seq: u64,
) -> Result<Vec<u8>> {
    let repr = packet::Repr {
        packet_type: PacketType::Request,
        hop_limit,
        flags: 0,
        flow_label,
        dst: dst.as_ref(),
        src: spec.src.as_ref(),
        fields: &[],
        payload_len: 0,
    };
    let header = repr.header_len();
    let payload_len = frame_len.saturating_sub(ethernet::HEADER_LEN + header).max(8);
    let repr = packet::Repr { payload_len, ..repr };
    let mut buf = vec![0u8; ethernet::HEADER_LEN + repr.buffer_len()];
    ethernet::Repr { src: spec.src_mac, dst: spec.dst_mac, ethertype: spec.ethertype }
        .emit(&mut Frame::new_unchecked(&mut buf[..]));
    let l3 = &mut buf[ethernet::HEADER_LEN..];
    repr.emit(&mut Packet::new_unchecked(&mut *l3)).context("emitting a request")?;
    let payload = &mut l3[header..];
    payload[..8].copy_from_slice(&seq.to_be_bytes());
    for (i, b) in payload[8..].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31).wrapping_add(seq as u8);
    }
    Ok(buf)
}

/// Generates the traffic mix.
pub fn generate(spec: &GenSpec) -> Result<Vec<GenFrame>> {
    if spec.names.is_empty() {
        bail!("no destination names");
    }
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let flows = spec.flows.max(1);
    let miss_root: Name = MISS_PREFIX.parse().expect("static name");
    let mut flow_names = Vec::with_capacity(flows);
    for f in 0..flows {
        let mut n = spec.names[rng.gen_range(0..spec.names.len())].clone();
        if n.len() < dmsc_wire::name::MAX_COMPONENTS {
            n.push(format!("f{f}").as_bytes()).context("extending a name")?;
        }
        let mut m = miss_root.clone();
        m.push(format!("f{f}").as_bytes()).context("miss name")?;
        flow_names.push((n, m, rng.gen::<u32>()));
    }
    let total_weight: u64 = spec.sizes.iter().map(|(_, w)| u64::from(*w)).sum();
    let mut out = Vec::with_capacity(spec.count);
    for seq in 0..spec.count as u64 {
        let mut pick = rng.gen_range(0..total_weight.max(1));
        let mut frame_len = spec.sizes[0].0;
        for (size, w) in &spec.sizes {
            if pick < u64::from(*w) {
                frame_len = *size;
                break;
            }
            pick -= u64::from(*w);
        }
        let (name, miss, label) = &flow_names[rng.gen_range(0..flows)];
        let r: f64 = rng.gen();
        let mut edge = spec.foreign_share;
        let kind = if r < edge {
            Kind::Foreign
        } else if r < {
            edge += spec.malformed_share;
            edge
        } {
            Kind::Malformed
        } else if r < {
            edge += spec.expired_share;
            edge
        } {
            Kind::Expired
        } else if r < {
            edge += spec.miss_share;
            edge
        } {
            Kind::Miss
        } else {
            Kind::Routable
        };
        let bytes = match kind {
            Kind::Routable => request_frame(spec, name, *label, spec.hop_limit, frame_len, seq)?,
            Kind::Miss => request_frame(spec, miss, *label, spec.hop_limit, frame_len, seq)?,
            Kind::Expired => request_frame(spec, name, *label, 1, frame_len, seq)?,
            Kind::Malformed => malformed_frame(spec, name, *label, frame_len, seq)?,
            Kind::Foreign => {
                let mut b = vec![0u8; frame_len.max(60)];
                ethernet::Repr { src: spec.src_mac, dst: spec.dst_mac, ethertype: 0x0800 }
                    .emit(&mut Frame::new_unchecked(&mut b[..]));
                b[14] = 0x45;
                b
            }
        };
        out.push(GenFrame { bytes, kind });
    }
    Ok(out)
}

/// A DMSC frame corrupted in one of four ways (chosen by `seq`): bad version,
/// a component length running past the name, an unknown critical field, a
/// header cut short.
fn malformed_frame(spec: &GenSpec, name: &Name, label: u32, frame_len: usize, seq: u64) -> Result<Vec<u8>> {
    let mut b = request_frame(spec, name, label, spec.hop_limit, frame_len, seq)?;
    let l3 = ethernet::HEADER_LEN;
    match seq % 4 {
        0 => b[l3] = 9,                              // version 9
        1 => b[l3 + packet::FIXED_HEADER_LEN] = 250, // first component overruns the name
        2 => {
            // Append an unknown critical field (type 0x0011, odd) inside the header.
            let hdr = u16::from_be_bytes([b[l3 + 4], b[l3 + 5]]) as usize;
            let tot = u16::from_be_bytes([b[l3 + 6], b[l3 + 7]]) as usize;
            let at = l3 + hdr;
            b.splice(at..at, [0x00, 0x11, 0x00, 0x00]);
            b[l3 + 4..l3 + 6].copy_from_slice(&((hdr + 4) as u16).to_be_bytes());
            b[l3 + 6..l3 + 8].copy_from_slice(&((tot + 4) as u16).to_be_bytes());
        }
        _ => b.truncate(l3 + 10),
    }
    Ok(b)
}

/// Writes frames to a pcap file (Ethernet link type), 1 µs apart.
pub fn write_pcap<W: Write>(w: W, frames: impl IntoIterator<Item = impl AsRef<[u8]>>) -> Result<usize> {
    let mut pw = PcapWriter::new(w).context("writing pcap header")?;
    let mut n = 0;
    for (i, f) in frames.into_iter().enumerate() {
        let data = f.as_ref();
        pw.write_packet(&PcapPacket::new(Duration::from_micros(i as u64), data.len() as u32, data))
            .context("writing a pcap record")?;
        n += 1;
    }
    Ok(n)
}

/// Reads every frame of a pcap file.
pub fn read_pcap<R: Read>(r: R) -> Result<Vec<Vec<u8>>> {
    let mut pr = PcapReader::new(r).context("reading pcap header")?;
    let mut out = Vec::new();
    while let Some(p) = pr.next_packet() {
        out.push(p.context("reading a pcap record")?.data.into_owned());
    }
    Ok(out)
}

/// One readable line for a frame.
pub fn describe(frame: &[u8], ethertype: u16) -> String {
    let mut s = String::new();
    let eth = match Frame::new_checked(frame) {
        Ok(e) => e,
        Err(e) => return format!("runt frame ({} bytes): {e}", frame.len()),
    };
    let _ = write!(s, "{} > {} ", eth.src_addr(), eth.dst_addr());
    if eth.ethertype() != ethertype {
        let _ = write!(s, "not DMSC (ethertype {:#06x}, {} bytes)", eth.ethertype(), frame.len());
        return s;
    }
    let pkt = match Packet::new_checked(eth.payload()) {
        Ok(p) => p,
        Err(e) => {
            let _ = write!(s, "malformed DMSC: {e} ({} bytes)", frame.len());
            return s;
        }
    };
    let _ = write!(
        s,
        "{:?} {} <- {} hl={} flow={:#010x} len={}",
        pkt.packet_type(),
        pkt.dst_name(),
        pkt.src_name(),
        pkt.hop_limit(),
        pkt.flow_label(),
        pkt.total_len()
    );
    if pkt.packet_type() == PacketType::Nack {
        match NackRepr::parse(&pkt) {
            Ok(n) => {
                let _ = write!(s, " nack={:?} for {}", n.reason, n.nacked_name);
            }
            Err(e) => {
                let _ = write!(s, " nack=<{e}>");
            }
        }
    }
    let fields = pkt.fields().filter(|f| !matches!(f.typ, field::NACK_REASON | field::NACKED_NAME)).count();
    if fields > 0 {
        let _ = write!(s, " fields={fields}");
    }
    let _ = write!(s, " payload={}B", pkt.payload().len());
    s
}

/// How [`summarize`] groups destination names.
#[derive(Clone, Copy, Debug, Default)]
pub struct Grouping {
    /// Keep at most this many leading components.
    pub depth: Option<usize>,
    /// Drop this many trailing components first.
    pub strip: usize,
}

/// Counts frames by (packet type, grouped destination name); non-DMSC and
/// malformed frames under their own keys. Sorted by key.
pub fn summarize(frames: &[Vec<u8>], ethertype: u16, group: Grouping) -> Vec<(String, usize)> {
    let mut m = std::collections::BTreeMap::<String, usize>::new();
    for f in frames {
        let key = match Frame::new_checked(&f[..]) {
            Err(_) => "runt".to_string(),
            Ok(e) if e.ethertype() != ethertype => format!("not-dmsc ethertype={:#06x}", e.ethertype()),
            Ok(e) => match Packet::new_checked(e.payload()) {
                Err(err) => format!("malformed ({err})"),
                Ok(p) => {
                    let d = p.dst_name();
                    let keep = d.len().saturating_sub(group.strip).min(group.depth.unwrap_or(usize::MAX));
                    format!("{:?} {}", p.packet_type(), d.prefix(keep))
                }
            },
        };
        *m.entry(key).or_default() += 1;
    }
    m.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_mix_has_the_requested_kinds_and_decodes() {
        let spec = GenSpec {
            names: vec!["/a".parse().unwrap(), "/b/c".parse().unwrap()],
            count: 2000,
            flows: 50,
            sizes: parse_sizes("64:1,512:1").unwrap(),
            miss_share: 0.1,
            expired_share: 0.1,
            malformed_share: 0.1,
            foreign_share: 0.1,
            ..GenSpec::default()
        };
        let frames = generate(&spec).unwrap();
        assert_eq!(frames.len(), 2000);
        let count = |k| frames.iter().filter(|f| f.kind == k).count();
        for k in [Kind::Miss, Kind::Expired, Kind::Malformed, Kind::Foreign] {
            assert!((120..280).contains(&count(k)), "{k:?}: {}", count(k));
        }
        for f in &frames {
            let d = describe(&f.bytes, spec.ethertype);
            match f.kind {
                Kind::Routable | Kind::Miss | Kind::Expired => assert!(d.contains("Request"), "{d}"),
                Kind::Malformed => assert!(d.contains("malformed"), "{d}"),
                Kind::Foreign => assert!(d.contains("not DMSC"), "{d}"),
            }
        }
        // Same seed, same bytes.
        let again = generate(&spec).unwrap();
        assert!(frames.iter().zip(&again).all(|(a, b)| a.bytes == b.bytes));
    }

    #[test]
    fn pcap_round_trip() {
        let frames = generate(&GenSpec::default()).unwrap();
        let mut buf = Vec::new();
        write_pcap(&mut buf, frames.iter().map(|f| &f.bytes)).unwrap();
        let back = read_pcap(&buf[..]).unwrap();
        assert_eq!(back.len(), frames.len());
        assert!(back.iter().zip(&frames).all(|(a, b)| *a == b.bytes));
    }

    #[test]
    fn summary_groups_by_prefix() {
        let spec =
            GenSpec { names: vec!["/a/b/c".parse().unwrap()], count: 20, foreign_share: 0.5, ..GenSpec::default() };
        let frames: Vec<Vec<u8>> = generate(&spec).unwrap().into_iter().map(|f| f.bytes).collect();
        let s = summarize(&frames, spec.ethertype, Grouping { depth: Some(2), strip: 0 });
        let by_route = summarize(&frames, spec.ethertype, Grouping { depth: None, strip: 1 });
        assert!(by_route.iter().any(|(k, _)| k == "Request /a/b/c"), "{by_route:?}");
        let total: usize = s.iter().map(|(_, n)| n).sum();
        assert_eq!(total, 20);
        assert!(s.iter().any(|(k, _)| k == "Request /a/b"), "{s:?}");
        assert!(s.iter().any(|(k, _)| k.starts_with("not-dmsc")), "{s:?}");
    }

    #[test]
    fn sizes_are_honoured() {
        let spec = GenSpec { sizes: vec![(256, 1)], count: 10, ..GenSpec::default() };
        for f in generate(&spec).unwrap() {
            assert_eq!(f.bytes.len(), 256);
        }
        assert!(parse_sizes("10").is_err());
        assert!(parse_sizes("64:0").is_err());
    }
}
