//! Test frames of the latency harness: DMSC requests that carry a stamp (trial, sequence
//! number, transmit TSC) in their payload.
//!
//! The stamp is the first [`STAMP_LEN`] bytes of the DMSC payload:
//!
//! ```text
//!  0      4        8                16               24
//!  | magic | trial | seq (u64, BE)  | tx TSC (u64, BE) |
//! ```
//!
//! The router rewrites the Ethernet header and the hop limit and leaves the payload alone
//! [draft-li-dmsc-architecture §6.1], so the stamp comes back unchanged. On receipt the
//! frame is parsed with the checked `dmsc_wire` accessors (it crossed a process boundary:
//! any byte may be wrong), and a frame that is not one of ours is an error value, never a
//! panic.
//!
//! Rejected: the stamp at a fixed offset from the frame's end (cheaper to find, but it
//! breaks silently if a router pads or trims); the sequence number in the flow label (only
//! 32 bits, and it would change the ECMP choice per packet).

use dmsc_wire::ethernet::{self, Frame, MacAddr};
use dmsc_wire::name::Name;
use dmsc_wire::packet::{self, Packet, PacketType};

/// Bytes of the stamp at the start of the DMSC payload.
pub const STAMP_LEN: usize = 24;
/// First 4 bytes of every stamp ("DLAT").
pub const MAGIC: u32 = 0x444c_4154;

/// What a test frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Trial number (warm-up and measured phases have different numbers).
    pub trial: u32,
    /// Sequence number within the trial, from 0.
    pub seq: u64,
    /// TSC of the sending core just before the burst was handed to the driver, cycles.
    pub tx_tsc: u64,
}

/// Why a received frame carries no readable stamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StampError {
    /// Shorter than an Ethernet header, or another EtherType.
    #[error("not a DMSC frame")]
    NotDmsc,
    /// The DMSC header does not parse.
    #[error("malformed DMSC packet")]
    Malformed,
    /// The payload is shorter than a stamp or does not start with [`MAGIC`].
    #[error("no latency stamp in the payload")]
    NoStamp,
}

/// A prebuilt request frame; [`Template::stamp_into`] copies it into a buffer and writes
/// the stamp.
#[derive(Clone, Debug)]
pub struct Template {
    bytes: Vec<u8>,
    stamp_at: usize,
}

impl Template {
    /// A request to `dst` from `src` with `flow_label`, padded to `frame_len_bytes`
    /// (Ethernet header included, FCS excluded) or to the smallest frame that holds the
    /// header and a stamp, whichever is larger.
    ///
    /// # Errors
    /// The packet does not fit a DMSC packet (names too long).
    pub fn request(
        dst: &Name,
        src: &Name,
        flow_label: u32,
        frame_len_bytes: usize,
        src_mac: MacAddr,
        dst_mac: MacAddr,
    ) -> Result<Template, dmsc_wire::Error> {
        let repr = packet::Repr {
            packet_type: PacketType::Request,
            hop_limit: packet::DEFAULT_HOP_LIMIT,
            flags: 0,
            flow_label,
            dst: dst.as_ref(),
            src: src.as_ref(),
            fields: &[],
            payload_len: 0,
        };
        let header = repr.header_len();
        let payload_len = frame_len_bytes.saturating_sub(ethernet::HEADER_LEN + header).max(STAMP_LEN);
        let repr = packet::Repr { payload_len, ..repr };
        let mut bytes = vec![0u8; ethernet::HEADER_LEN + repr.buffer_len()];
        ethernet::Repr { src: src_mac, dst: dst_mac, ethertype: ethernet::DEFAULT_ETHERTYPE }
            .emit(&mut Frame::new_unchecked(&mut bytes[..]));
        repr.emit(&mut Packet::new_unchecked(&mut bytes[ethernet::HEADER_LEN..]))?;
        let stamp_at = ethernet::HEADER_LEN + header;
        // Recognisable filler after the stamp.
        for (i, b) in bytes[stamp_at..].iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(31);
        }
        Ok(Template { bytes, stamp_at })
    }

    /// Frame length in bytes (FCS excluded).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: a template holds at least an Ethernet header.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The frame bytes (stamp area zeroed).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Copies the frame into `out` (which must be [`Template::len`] bytes long) and
    /// writes `stamp`. Returns false, leaving `out` unchanged, on a length mismatch.
    pub fn stamp_into(&self, out: &mut [u8], stamp: Stamp) -> bool {
        if out.len() != self.bytes.len() {
            return false;
        }
        out.copy_from_slice(&self.bytes);
        write_stamp(out, self.stamp_at, stamp)
    }

    /// Byte offset of the stamp in the frame.
    pub fn stamp_offset(&self) -> usize {
        self.stamp_at
    }
}

/// Writes `stamp` at byte `at` of `frame`; returns false (frame unchanged) if it does not
/// fit.
pub fn write_stamp(frame: &mut [u8], at: usize, stamp: Stamp) -> bool {
    let Some(dst) = frame.get_mut(at..at.saturating_add(STAMP_LEN)) else {
        return false;
    };
    dst[0..4].copy_from_slice(&MAGIC.to_be_bytes());
    dst[4..8].copy_from_slice(&stamp.trial.to_be_bytes());
    dst[8..16].copy_from_slice(&stamp.seq.to_be_bytes());
    dst[16..24].copy_from_slice(&stamp.tx_tsc.to_be_bytes());
    true
}

/// Overwrites only the TSC of a stamp written at `at` (the transmit time is known only
/// once a burst is complete); false if it does not fit.
pub fn write_tx_tsc(frame: &mut [u8], at: usize, tx_tsc: u64) -> bool {
    match frame.get_mut(at.saturating_add(16)..at.saturating_add(STAMP_LEN)) {
        Some(dst) => {
            dst.copy_from_slice(&tx_tsc.to_be_bytes());
            true
        }
        None => false,
    }
}

/// Reads the stamp of a received frame (checked parse of Ethernet and DMSC headers).
///
/// # Errors
/// [`StampError`] when the frame is not a DMSC packet with a stamp.
pub fn read_stamp(frame: &[u8]) -> Result<Stamp, StampError> {
    let eth = Frame::new_checked(frame).map_err(|_| StampError::NotDmsc)?;
    if eth.ethertype() != ethernet::DEFAULT_ETHERTYPE {
        return Err(StampError::NotDmsc);
    }
    let pkt = Packet::new_checked(eth.payload()).map_err(|_| StampError::Malformed)?;
    let p = pkt.payload();
    let field = |r: std::ops::Range<usize>| p.get(r).ok_or(StampError::NoStamp);
    let u32_at = |at: usize| -> Result<u32, StampError> {
        let b = field(at..at + 4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u64_at = |at: usize| -> Result<u64, StampError> {
        let b = field(at..at + 8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    };
    if u32_at(0)? != MAGIC {
        return Err(StampError::NoStamp);
    }
    Ok(Stamp { trial: u32_at(4)?, seq: u64_at(8)?, tx_tsc: u64_at(16)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(len: usize) -> Template {
        let dst: Name = "/svc01/method02/abcd/x0/f0".parse().unwrap();
        let src: Name = "/bench/latency".parse().unwrap();
        Template::request(&dst, &src, 7, len, MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2])).unwrap()
    }

    #[test]
    fn stamp_round_trips_and_frame_parses() {
        let t = template(128);
        assert_eq!(t.len(), 128);
        let mut buf = vec![0u8; t.len()];
        let s = Stamp { trial: 3, seq: 0x0102_0304_0506, tx_tsc: u64::MAX - 5 };
        assert!(t.stamp_into(&mut buf, s));
        assert_eq!(read_stamp(&buf), Ok(s));
        assert!(write_tx_tsc(&mut buf, t.stamp_offset(), 42));
        assert_eq!(read_stamp(&buf), Ok(Stamp { tx_tsc: 42, ..s }));
        // The frame is a valid request whose payload starts with the stamp.
        let eth = Frame::new_checked(&buf[..]).unwrap();
        let pkt = Packet::new_checked(eth.payload()).unwrap();
        assert_eq!(pkt.packet_type(), PacketType::Request);
        assert_eq!(pkt.dst_name().to_string(), "/svc01/method02/abcd/x0/f0");
        assert_eq!(&pkt.payload()[..4], b"DLAT");
    }

    #[test]
    fn small_frames_grow_to_hold_the_stamp() {
        let t = template(64);
        assert!(t.len() > 64, "names of 5 components do not fit 64 bytes with a stamp");
        let mut buf = vec![0u8; t.len()];
        assert!(t.stamp_into(&mut buf, Stamp { trial: 1, seq: 9, tx_tsc: 1 }));
        assert_eq!(read_stamp(&buf).unwrap().seq, 9);
        assert!(!t.stamp_into(&mut buf[1..], Stamp { trial: 1, seq: 9, tx_tsc: 1 }));
    }

    #[test]
    fn foreign_and_damaged_frames_are_errors() {
        let t = template(100);
        let mut buf = vec![0u8; t.len()];
        t.stamp_into(&mut buf, Stamp { trial: 1, seq: 1, tx_tsc: 1 });
        assert_eq!(read_stamp(&buf[..10]), Err(StampError::NotDmsc));
        let mut ip = buf.clone();
        ip[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
        assert_eq!(read_stamp(&ip), Err(StampError::NotDmsc));
        let mut bad = buf.clone();
        bad[14] = 9; // DMSC version 9
        assert_eq!(read_stamp(&bad), Err(StampError::Malformed));
        let mut nomagic = buf.clone();
        nomagic[t.stamp_offset()] ^= 0xff;
        assert_eq!(read_stamp(&nomagic), Err(StampError::NoStamp));
        // Every truncation is an error or a stamp, never a panic.
        for n in 0..buf.len() {
            let _ = read_stamp(&buf[..n]);
        }
        assert!(!write_stamp(&mut buf, usize::MAX - 3, Stamp { trial: 0, seq: 0, tx_tsc: 0 }));
        assert!(!write_tx_tsc(&mut buf, usize::MAX - 3, 0));
    }
}
