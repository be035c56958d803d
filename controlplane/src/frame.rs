//! Control frames: a routing PDU inside a DMSC Control packet inside an
//! Ethernet frame (docs/protocol.md §5, docs/routing.md).
//!
//! Outgoing: Ethernet (neighbour or all-routers MAC, our port MAC, the DMSC
//! EtherType), DMSC header with type Control, hop limit 1, NO_NACK, the root as
//! destination name (link-local: the neighbour is the destination) and our node
//! name as source; the PDU is the payload. Incoming: the same checks the data
//! plane made (it punted only valid Control packets), plus the hop limit.

use dmsc_wire::ethernet::{self, Frame, MacAddr};
use dmsc_wire::name::NameRef;
use dmsc_wire::packet::{flags, Packet, PacketType, Repr};

/// Hop limit of control packets: link-local, never forwarded.
pub const CONTROL_HOP_LIMIT: u8 = 1;

/// Why a punted frame is not a usable control packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Not an Ethernet frame with a valid DMSC packet.
    #[error("malformed control frame")]
    Malformed,
    /// A valid DMSC packet that is not of type Control.
    #[error("not a control packet")]
    NotControl,
}

/// A received control frame's parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received<'a> {
    /// Ethernet source: the neighbour's MAC.
    pub src_mac: MacAddr,
    /// Ethernet destination.
    pub dst_mac: MacAddr,
    /// The DMSC payload: the routing PDU.
    pub payload: &'a [u8],
}

/// Parses a punted frame.
///
/// # Errors
/// [`FrameError::Malformed`] for anything that does not parse,
/// [`FrameError::NotControl`] for another packet type.
pub fn parse(frame: &[u8]) -> Result<Received<'_>, FrameError> {
    let eth = Frame::new_checked(frame).map_err(|_| FrameError::Malformed)?;
    let dmsc = frame.get(ethernet::HEADER_LEN..).ok_or(FrameError::Malformed)?;
    let pkt = Packet::new_checked(dmsc).map_err(|_| FrameError::Malformed)?;
    let repr = Repr::parse(&pkt).map_err(|_| FrameError::Malformed)?;
    if repr.packet_type != PacketType::Control {
        return Err(FrameError::NotControl);
    }
    let range = pkt.payload_range();
    let payload = dmsc.get(range).ok_or(FrameError::Malformed)?;
    Ok(Received { src_mac: eth.src_addr(), dst_mac: eth.dst_addr(), payload })
}

/// Length of the frame [`emit`] writes for a PDU of `pdu_len` bytes.
pub fn frame_len(node: NameRef<'_>, pdu_len: usize) -> usize {
    ethernet::HEADER_LEN + control_repr(node, pdu_len).buffer_len()
}

fn control_repr(node: NameRef<'_>, pdu_len: usize) -> Repr<'_> {
    Repr {
        packet_type: PacketType::Control,
        hop_limit: CONTROL_HOP_LIMIT,
        flags: flags::NO_NACK,
        flow_label: 0,
        dst: NameRef::ROOT,
        src: node,
        fields: &[],
        payload_len: pdu_len,
    }
}

/// Writes a control frame carrying `pdu` into `out`, which must be exactly
/// [`frame_len`] bytes.
///
/// # Errors
/// [`FrameError::Malformed`] if `out` has the wrong size or the packet would
/// exceed 65535 bytes.
pub fn emit(
    out: &mut [u8],
    dst: MacAddr,
    src: MacAddr,
    ethertype: u16,
    node: NameRef<'_>,
    pdu: &[u8],
) -> Result<(), FrameError> {
    if out.len() != frame_len(node, pdu.len()) {
        return Err(FrameError::Malformed);
    }
    let (head, rest) = out.split_at_mut(ethernet::HEADER_LEN);
    ethernet::Repr { src, dst, ethertype }.emit(&mut Frame::new_unchecked(head));
    let repr = control_repr(node, pdu.len());
    repr.emit_bytes(rest).map_err(|_| FrameError::Malformed)?;
    let h = repr.header_len();
    rest[h..h + pdu.len()].copy_from_slice(pdu);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dmsc_wire::name::Name;

    #[test]
    fn round_trip() {
        let node: Name = "/dmsc/sr1".parse().unwrap();
        let pdu = [1u8, 2, 3, 4, 5];
        let mut buf = vec![0u8; frame_len(node.as_ref(), pdu.len())];
        let (a, b) = (MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]));
        emit(&mut buf, a, b, 0x88B5, node.as_ref(), &pdu).unwrap();
        let r = parse(&buf).unwrap();
        assert_eq!((r.dst_mac, r.src_mac, r.payload), (a, b, &pdu[..]));
        let p = Packet::new_checked(&buf[14..]).unwrap();
        assert_eq!(p.hop_limit(), 1);
        assert_eq!(p.src_name().to_string(), "/dmsc/sr1");
        assert!(emit(&mut buf[1..], a, b, 0x88B5, node.as_ref(), &pdu).is_err());
    }

    #[test]
    fn rejects_garbage_and_data_packets() {
        assert_eq!(parse(&[0u8; 5]), Err(FrameError::Malformed));
        let node: Name = "/n".parse().unwrap();
        let mut buf = vec![0u8; frame_len(node.as_ref(), 0)];
        emit(&mut buf, MacAddr([2; 6]), MacAddr([4; 6]), 0x88B5, node.as_ref(), &[]).unwrap();
        buf[15] = PacketType::Request as u8;
        assert_eq!(parse(&buf), Err(FrameError::NotControl));
    }
}
