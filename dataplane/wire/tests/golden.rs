//! Golden bytes: hand-written encodings that also appear, byte for byte, as the worked
//! examples of `docs/protocol.md` (§11). If one of these changes, the protocol changed.

use dmsc_wire::ethernet::{self, Frame, MacAddr};
use dmsc_wire::field::{self, Field};
use dmsc_wire::nack::{self, NackReason, NackRepr};
use dmsc_wire::name::{Name, NameRef};
use dmsc_wire::packet::{flags, Packet, PacketType, Repr};

/// Example 1: a Request from `/A/1` to `/B/4/echo`, flow label 0x12345678, payload "hello".
#[rustfmt::skip]
const REQUEST: [u8; 34] = [
    // version, type=Request, hop limit=64, flags=0
    0x01, 0x00, 0x40, 0x00,
    // header length=29, total length=34
    0x00, 0x1d, 0x00, 0x22,
    // flow label
    0x12, 0x34, 0x56, 0x78,
    // destination name length=9, source name length=4
    0x00, 0x09, 0x00, 0x04,
    // destination /B/4/echo
    0x01, b'B', 0x01, b'4', 0x04, b'e', b'c', b'h', b'o',
    // source /A/1
    0x01, b'A', 0x01, b'1',
    // payload "hello"
    b'h', b'e', b'l', b'l', b'o',
];

/// Example 2: router `/sr/1` nacks Example 1 with NoRoute.
#[rustfmt::skip]
const NACK: [u8; 43] = [
    // version, type=Nack, hop limit=64, flags=NO_NACK
    0x01, 0x02, 0x40, 0x01,
    // header length=43, total length=43
    0x00, 0x2b, 0x00, 0x2b,
    // flow label copied from the request
    0x12, 0x34, 0x56, 0x78,
    // destination name length=4, source name length=5
    0x00, 0x04, 0x00, 0x05,
    // destination /A/1 (the request's source)
    0x01, b'A', 0x01, b'1',
    // source /sr/1 (the router)
    0x02, b's', b'r', 0x01, b'1',
    // NACK_REASON, length 1, NoRoute
    0x00, 0x01, 0x00, 0x01, 0x01,
    // NACKED_NAME, length 9, /B/4/echo
    0x00, 0x03, 0x00, 0x09, 0x01, b'B', 0x01, b'4', 0x04, b'e', b'c', b'h', b'o',
];

/// Example 3: a Probe to `/payments/charge` with the root source (no return address),
/// NO_NACK, hop limit 32, flow label 0, one unknown non-critical field 0x0100 = 0xAB,
/// empty payload.
#[rustfmt::skip]
const PROBE: [u8; 37] = [
    0x01, 0x03, 0x20, 0x01,
    0x00, 0x25, 0x00, 0x25,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x10, 0x00, 0x00,
    0x08, b'p', b'a', b'y', b'm', b'e', b'n', b't', b's',
    0x06, b'c', b'h', b'a', b'r', b'g', b'e',
    0x01, 0x00, 0x00, 0x01, 0xab,
];

/// Example 4: Example 1 in an Ethernet II frame from 02:00:00:00:00:01 to
/// 02:00:00:00:00:02, EtherType 0x88B5, padded with zeros to the 60-byte minimum.
#[rustfmt::skip]
fn frame_bytes() -> Vec<u8> {
    let mut f = vec![
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x88, 0xb5,
    ];
    f.extend_from_slice(&REQUEST);
    f.resize(60, 0);
    f
}

fn name(uri: &str) -> Name {
    uri.parse().unwrap()
}

#[test]
fn request_parses_to_expected_repr() {
    let (dst, src) = (name("/B/4/echo"), name("/A/1"));
    let pkt = Packet::new_checked(&REQUEST[..]).unwrap();
    let repr = Repr::parse(&pkt).unwrap();
    assert_eq!(
        repr,
        Repr {
            packet_type: PacketType::Request,
            hop_limit: 64,
            flags: 0,
            flow_label: 0x1234_5678,
            dst: dst.as_ref(),
            src: src.as_ref(),
            fields: &[],
            payload_len: 5,
        }
    );
    assert_eq!(pkt.payload(), b"hello");
    assert_eq!(pkt.header_len(), 29);
    assert_eq!(pkt.total_len(), 34);
    assert_eq!(pkt.dst_name_range(), 16..25);
    assert_eq!(pkt.src_name_range(), 25..29);
    assert_eq!(pkt.fields_range(), 29..29);
    assert_eq!(pkt.payload_range(), 29..34);
    assert_eq!(pkt.dst_name().component_ends().collect::<Vec<_>>(), vec![2, 4, 9]);
}

#[test]
fn request_emits_golden_bytes() {
    let (dst, src) = (name("/B/4/echo"), name("/A/1"));
    let repr = Repr {
        packet_type: PacketType::Request,
        hop_limit: 64,
        flags: 0,
        flow_label: 0x1234_5678,
        dst: dst.as_ref(),
        src: src.as_ref(),
        fields: &[],
        payload_len: 5,
    };
    assert_eq!(repr.header_len(), 29);
    assert_eq!(repr.buffer_len(), REQUEST.len());
    let mut buf = [0u8; 34];
    let mut pkt = Packet::new_unchecked(&mut buf[..]);
    repr.emit(&mut pkt).unwrap();
    pkt.payload_mut().copy_from_slice(b"hello");
    assert_eq!(buf, REQUEST);
}

#[test]
fn nack_emits_golden_bytes_and_parses() {
    let pkt = Packet::new_checked(&REQUEST[..]).unwrap();
    let request = Repr::parse(&pkt).unwrap();
    let router = name("/sr/1");
    assert_eq!(nack::nack_len(&request, router.as_ref()), NACK.len());
    let mut out = [0u8; 64];
    let n = nack::emit_nack(&request, NackReason::NoRoute, router.as_ref(), 64, &mut out).unwrap();
    assert_eq!(&out[..n], &NACK[..]);

    let nack_pkt = Packet::new_checked(&NACK[..]).unwrap();
    assert_eq!(nack_pkt.packet_type(), PacketType::Nack);
    assert_eq!(nack_pkt.flags(), flags::NO_NACK);
    assert_eq!(nack_pkt.dst_name(), name("/A/1").as_ref());
    let fields: Vec<Field<'_>> = nack_pkt.fields().collect();
    assert_eq!(fields[0], Field { typ: field::NACK_REASON, value: &[1] });
    assert_eq!(fields[1].typ, field::NACKED_NAME);
    let parsed = NackRepr::parse(&nack_pkt).unwrap();
    assert_eq!(parsed, NackRepr { reason: NackReason::NoRoute, nacked_name: name("/B/4/echo").as_ref() });
    assert!(!nack::may_nack(&Repr::parse(&nack_pkt).unwrap()));
}

#[test]
fn probe_with_root_source_and_unknown_noncritical_field() {
    let pkt = Packet::new_checked(&PROBE[..]).unwrap();
    let repr = Repr::parse(&pkt).unwrap();
    assert_eq!(repr.packet_type, PacketType::Probe);
    assert_eq!(repr.hop_limit, 32);
    assert!(repr.no_nack());
    assert!(repr.src.is_root());
    assert_eq!(repr.dst.to_string(), "/payments/charge");
    assert_eq!(repr.fields().collect::<Vec<_>>(), vec![Field { typ: 0x0100, value: &[0xab] }]);
    assert_eq!(repr.payload_len, 0);
    assert!(!nack::may_nack(&repr));
    let mut buf = [0u8; 37];
    repr.emit_bytes(&mut buf).unwrap();
    assert_eq!(buf, PROBE);
    // Root source alone (without NO_NACK) also forbids nacking.
    let no_flag = Repr { flags: 0, ..repr };
    assert!(!nack::may_nack(&no_flag));
    // The same packet with the field type made critical (0x0101) is malformed.
    let mut critical = PROBE;
    critical[33] = 0x01;
    assert_eq!(Packet::new_checked(&critical[..]).unwrap_err(), dmsc_wire::Error::UnknownCriticalField(0x0101));
}

#[test]
fn ethernet_frame_with_padding() {
    let bytes = frame_bytes();
    assert_eq!(bytes.len(), 60);
    let frame = Frame::new_checked(&bytes[..]).unwrap();
    let eth = ethernet::Repr::parse(&frame).unwrap();
    assert_eq!(
        eth,
        ethernet::Repr {
            dst: "02:00:00:00:00:02".parse::<MacAddr>().unwrap(),
            src: "02:00:00:00:00:01".parse::<MacAddr>().unwrap(),
            ethertype: ethernet::DEFAULT_ETHERTYPE,
        }
    );
    assert_eq!(frame.payload().len(), 46);
    let pkt = Packet::new_checked(frame.payload()).unwrap();
    assert_eq!(pkt.packet_bytes(), &REQUEST[..]);
    assert_eq!(pkt.payload(), b"hello");

    let mut out = vec![0u8; 60];
    let mut f = Frame::new_unchecked(&mut out[..]);
    eth.emit(&mut f);
    f.payload_mut()[..REQUEST.len()].copy_from_slice(&REQUEST);
    assert_eq!(out, bytes);
}

#[test]
fn golden_names() {
    assert_eq!(name("/B/4/echo").wire(), &REQUEST[16..25]);
    assert_eq!(NameRef::parse(&PROBE[16..32]).unwrap().to_string(), "/payments/charge");
    assert_eq!(name("/a%2Fb/%00%FF").wire(), &[3, b'a', b'/', b'b', 2, 0x00, 0xff]);
    assert_eq!(name("/a%2fb/%00%ff/").to_string(), "/a%2Fb/%00%FF");
}

/// The golden packets replayed through the fuzz checks (they are also corpus seeds).
#[test]
fn golden_through_fuzz_checks() {
    for p in [&REQUEST[..], &NACK[..], &PROBE[..]] {
        dmsc_wire::fuzzing::header(p);
    }
    dmsc_wire::fuzzing::frame(&frame_bytes());
}

/// The hex strings of `docs/protocol.md` §11 (blocks opened with "```hex example-NAME") are
/// exactly the golden arrays above.
#[test]
fn protocol_doc_examples_match_golden_bytes() {
    let doc_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/protocol.md");
    let doc = std::fs::read_to_string(&doc_path).expect("docs/protocol.md is readable");
    let example = |name: &str| -> Vec<u8> {
        let marker = format!("```hex example-{name}\n");
        let start = doc.find(&marker).unwrap_or_else(|| panic!("no {marker:?} block")) + marker.len();
        let end = start + doc[start..].find("```").expect("block is closed");
        let hex: String = doc[start..end].split_whitespace().collect();
        assert_eq!(hex.len() % 2, 0, "odd hex length in example-{name}");
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit")).collect()
    };
    assert_eq!(example("request"), REQUEST);
    assert_eq!(example("nack"), NACK);
    assert_eq!(example("probe"), PROBE);
    assert_eq!(example("frame"), frame_bytes());
}
