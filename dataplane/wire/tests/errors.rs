//! One test per error variant (through the public API), and truncation of valid packets at
//! every length.

use dmsc_wire::ethernet::{self, Frame, MacAddr};
use dmsc_wire::field;
use dmsc_wire::nack::{self, NackReason, NackRepr};
use dmsc_wire::name::{Name, NameRef};
use dmsc_wire::packet::{flags, Packet, PacketType, Repr};
use dmsc_wire::Error;

fn name(uri: &str) -> Name {
    uri.parse().unwrap()
}

/// A valid request with a non-critical field and a payload, built through the API.
fn valid_packet(fields: &[u8], payload: &[u8]) -> Vec<u8> {
    let (dst, src) = (name("/svc/a/b"), name("/client/7"));
    let repr = Repr {
        packet_type: PacketType::Request,
        hop_limit: 9,
        flags: 0,
        flow_label: 99,
        dst: dst.as_ref(),
        src: src.as_ref(),
        fields,
        payload_len: payload.len(),
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    let mut pkt = Packet::new_unchecked(&mut buf[..]);
    repr.emit(&mut pkt).unwrap();
    pkt.payload_mut().copy_from_slice(payload);
    buf
}

fn check(bytes: &[u8]) -> Result<(), Error> {
    let a = Packet::new_checked(bytes).map(|_| ());
    let b = Repr::parse_bytes(bytes).map(|_| ());
    assert_eq!(a, b, "Packet::check and Repr::parse disagree");
    a
}

fn set16(buf: &mut [u8], at: usize, v: u16) {
    buf[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

#[test]
fn truncated_at_every_length() {
    let fields = [0x00, 0x20, 0x00, 0x02, 0xaa, 0xbb];
    let pkt = valid_packet(&fields, b"payload");
    assert_eq!(check(&pkt), Ok(()));
    for cut in 0..pkt.len() {
        assert_eq!(check(&pkt[..cut]), Err(Error::Truncated), "cut at {cut}");
        dmsc_wire::fuzzing::header(&pkt[..cut]);
    }
    // Trailing bytes (Ethernet padding) are ignored.
    let mut padded = pkt.clone();
    padded.extend_from_slice(&[0xff; 20]);
    assert_eq!(check(&padded), Ok(()));
    assert_eq!(Packet::new_checked(&padded[..]).unwrap().payload(), b"payload");
}

#[test]
fn truncated_frame() {
    for cut in 0..ethernet::HEADER_LEN {
        assert_eq!(Frame::new_checked(&[0u8; 14][..cut]).unwrap_err(), Error::Truncated);
    }
}

#[test]
fn bad_version() {
    let mut pkt = valid_packet(&[], b"");
    for v in [0u8, 2, 255] {
        pkt[0] = v;
        assert_eq!(check(&pkt), Err(Error::BadVersion(v)));
    }
}

#[test]
fn bad_packet_type() {
    let mut pkt = valid_packet(&[], b"");
    for t in 0..=4u8 {
        pkt[1] = t;
        assert_eq!(check(&pkt), Ok(()));
    }
    for t in [5u8, 0x80, 255] {
        pkt[1] = t;
        assert_eq!(check(&pkt), Err(Error::BadPacketType(t)));
    }
}

#[test]
fn bad_header_length() {
    let mut pkt = valid_packet(&[], b"xyz");
    let names_end = 16 + 8 + 9;
    set16(&mut pkt, 4, (names_end - 1) as u16);
    assert_eq!(check(&pkt), Err(Error::BadHeaderLength));
    set16(&mut pkt, 4, 0);
    assert_eq!(check(&pkt), Err(Error::BadHeaderLength));
    // Emitting a header longer than 65535 bytes.
    let big = vec![0u8; 65_530];
    let mut fields = big.clone();
    field::emit(&mut fields, 0x20, &big[..65_526]).unwrap();
    let a = name("/a");
    let repr = Repr {
        packet_type: PacketType::Request,
        hop_limit: 1,
        flags: 0,
        flow_label: 0,
        dst: a.as_ref(),
        src: a.as_ref(),
        fields: &fields,
        payload_len: 0,
    };
    assert_eq!(repr.emit_bytes(&mut vec![0u8; 70_000]), Err(Error::BadHeaderLength));
}

#[test]
fn bad_total_length() {
    let mut pkt = valid_packet(&[], b"xyz");
    let header_len = u16::from_be_bytes([pkt[4], pkt[5]]);
    set16(&mut pkt, 6, header_len - 1);
    assert_eq!(check(&pkt), Err(Error::BadTotalLength));
    // Total length equal to the header length: valid, empty payload.
    set16(&mut pkt, 6, header_len);
    assert_eq!(check(&pkt), Ok(()));
    assert!(Packet::new_checked(&pkt[..]).unwrap().payload().is_empty());
    let a = name("/a");
    let repr = Repr {
        packet_type: PacketType::Response,
        hop_limit: 1,
        flags: 0,
        flow_label: 0,
        dst: a.as_ref(),
        src: a.as_ref(),
        fields: &[],
        payload_len: 65_535,
    };
    assert_eq!(repr.emit_bytes(&mut vec![0u8; 70_000]), Err(Error::BadTotalLength));
}

#[test]
fn bad_name_length() {
    // Destination /svc/a/b: make its last component claim 5 bytes instead of 1.
    let mut pkt = valid_packet(&[], b"");
    assert_eq!(&pkt[16..24], &[3, b's', b'v', b'c', 1, b'a', 1, b'b']);
    pkt[22] = 5;
    assert_eq!(check(&pkt), Err(Error::BadNameLength));
    assert_eq!(NameRef::parse(&[4, b'a', b'b']), Err(Error::BadNameLength));
}

#[test]
fn empty_component() {
    let mut pkt = valid_packet(&[], b"");
    pkt[16] = 0;
    assert_eq!(check(&pkt), Err(Error::EmptyComponent));
    assert_eq!(Name::from_components([b"a".as_slice(), b""]), Err(Error::EmptyComponent));
    assert_eq!(Name::root().push(b""), Err(Error::EmptyComponent));
}

#[test]
fn component_too_long() {
    assert_eq!(Name::from_components([vec![b'x'; 256]]), Err(Error::ComponentTooLong));
    assert_eq!(format!("/{}", "%41".repeat(256)).parse::<Name>(), Err(Error::ComponentTooLong));
    assert!(Name::from_components([vec![b'x'; 255]]).is_ok());
}

#[test]
fn too_many_components() {
    let wire = [1u8, b'z'].repeat(33);
    assert_eq!(NameRef::parse(&wire), Err(Error::TooManyComponents));
    assert_eq!(Name::from_components(vec!["c"; 33]), Err(Error::TooManyComponents));
    // Inside a packet: a 33-component source name.
    let mut pkt = vec![1u8, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 66];
    let len = (16 + wire.len()) as u16;
    set16(&mut pkt, 4, len);
    set16(&mut pkt, 6, len);
    pkt.extend_from_slice(&wire);
    assert_eq!(check(&pkt), Err(Error::TooManyComponents));
}

#[test]
fn name_too_long() {
    assert_eq!(NameRef::parse(&[1u8; 513]), Err(Error::NameTooLong));
    let mut n = Name::from_components(vec![vec![b'x'; 254]; 2]).unwrap();
    assert_eq!(n.wire().len(), 510);
    assert_eq!(n.push(b"yy"), Err(Error::NameTooLong));
    assert!(n.push(b"y").is_ok());
    // Inside a packet: a destination name length of 513 is rejected before the name is read.
    let mut pkt = vec![0u8; 16 + 513];
    pkt[0] = 1;
    set16(&mut pkt, 4, (16 + 513) as u16);
    set16(&mut pkt, 6, (16 + 513) as u16);
    set16(&mut pkt, 12, 513);
    assert_eq!(check(&pkt), Err(Error::NameTooLong));
}

#[test]
fn bad_field() {
    // A field head cut by the header length.
    let pkt = valid_packet(&[0x00, 0x20, 0x00, 0x00], b"");
    let mut cut = pkt.clone();
    let hl = u16::from_be_bytes([cut[4], cut[5]]) - 1;
    set16(&mut cut, 4, hl);
    assert_eq!(check(&cut), Err(Error::BadField));
    // A field value running past the header length into the payload.
    let mut long = valid_packet(&[0x00, 0x20, 0x00, 0x01, 0x00], b"abc");
    let at = long.len() - 3 - 5 + 3; // low byte of the field's length
    long[at] = 3;
    assert_eq!(check(&long), Err(Error::BadField));
    // Wrong NACK_REASON length in a nack.
    assert_eq!(NackRepr::from_repr(&nack_repr_with(&[0, 1, 0, 0, 0, 3, 0, 0])), Err(Error::BadField));
}

#[test]
fn unknown_critical_field() {
    for typ in [0u16, 2, 5, 31, 33, 0x0101, 0xffff] {
        let mut f = [0u8; 4];
        f[..2].copy_from_slice(&typ.to_be_bytes());
        let pkt = valid_packet_raw_fields(&f);
        assert_eq!(check(&pkt), Err(Error::UnknownCriticalField(typ)), "type {typ:#x}");
    }
    for typ in [32u16, 34, 0x0100, 0xfffe] {
        let mut f = [0u8; 4];
        f[..2].copy_from_slice(&typ.to_be_bytes());
        assert_eq!(check(&valid_packet_raw_fields(&f)), Ok(()), "type {typ:#x}");
    }
    // Known critical fields are accepted in any packet type.
    assert_eq!(check(&valid_packet(&[0, 1, 0, 1, 1, 0, 3, 0, 0], b"")), Ok(()));
}

/// Like `valid_packet` but writes the fields bytes without validating them.
fn valid_packet_raw_fields(fields: &[u8]) -> Vec<u8> {
    let mut pkt = valid_packet(&[], b"");
    let len = (pkt.len() + fields.len()) as u16;
    pkt.extend_from_slice(fields);
    set16(&mut pkt, 4, len);
    set16(&mut pkt, 6, len);
    pkt
}

#[test]
fn bad_uri() {
    for bad in ["", "x", "/a//b", "//", "/%", "/%1", "/%G0", "/ ", "/a?b", "/a#b", "/ü"] {
        assert_eq!(bad.parse::<Name>(), Err(Error::BadUri), "{bad:?}");
    }
}

#[test]
fn bad_mac_addr() {
    for bad in ["", "02:00:00:00:00", "02:00:00:00:00:0g", "0200.0000.0001", "02:00:00:00:00:01:02"] {
        assert_eq!(bad.parse::<MacAddr>(), Err(Error::BadMacAddr), "{bad:?}");
    }
}

#[test]
fn buffer_too_small() {
    let pkt = valid_packet(&[], b"abc");
    let repr = Repr::parse_bytes(&pkt).unwrap();
    assert_eq!(repr.emit_bytes(&mut vec![0u8; pkt.len() - 1]), Err(Error::BufferTooSmall));
    let router = name("/r");
    let need = nack::nack_len(&repr, router.as_ref());
    assert_eq!(
        nack::emit_nack(&repr, NackReason::TooBig, router.as_ref(), 64, &mut vec![0u8; need - 1]),
        Err(Error::BufferTooSmall)
    );
    assert_eq!(field::emit(&mut [0u8; 5], 0x20, b"ab"), Err(Error::BufferTooSmall));
}

fn nack_repr_with(fields: &'static [u8]) -> Repr<'static> {
    Repr {
        packet_type: PacketType::Nack,
        hop_limit: 1,
        flags: flags::NO_NACK,
        flow_label: 0,
        dst: NameRef::ROOT,
        src: NameRef::ROOT,
        fields,
        payload_len: 0,
    }
}

#[test]
fn not_nack_missing_field_bad_reason() {
    let pkt = valid_packet(&[0, 1, 0, 1, 1, 0, 3, 0, 0], b"");
    let pkt = Packet::new_checked(&pkt[..]).unwrap();
    assert_eq!(NackRepr::parse(&pkt), Err(Error::NotNack));
    assert_eq!(NackRepr::from_repr(&nack_repr_with(&[0, 3, 0, 0])), Err(Error::MissingField(field::NACK_REASON)));
    assert_eq!(NackRepr::from_repr(&nack_repr_with(&[0, 1, 0, 1, 2])), Err(Error::MissingField(field::NACKED_NAME)));
    for bad in [0u8, 5, 255] {
        let fields: &'static [u8] = Box::leak(vec![0, 1, 0, 1, bad, 0, 3, 0, 0].into_boxed_slice());
        assert_eq!(NackRepr::from_repr(&nack_repr_with(fields)), Err(Error::BadNackReason(bad)));
    }
    // A malformed NACKED_NAME value reports the name error.
    assert_eq!(NackRepr::from_repr(&nack_repr_with(&[0, 1, 0, 1, 1, 0, 3, 0, 1, 7])), Err(Error::BadNameLength));
}

#[test]
fn nack_forbidden() {
    let pkt = valid_packet(&[], b"");
    let base = Repr::parse_bytes(&pkt).unwrap();
    let router = name("/r");
    let mut out = [0u8; 256];
    for forbidden in [
        Repr { packet_type: PacketType::Nack, ..base },
        Repr { packet_type: PacketType::Control, ..base },
        Repr { flags: flags::NO_NACK, ..base },
        Repr { src: NameRef::ROOT, ..base },
    ] {
        assert!(!nack::may_nack(&forbidden));
        assert_eq!(
            nack::emit_nack(&forbidden, NackReason::NoRoute, router.as_ref(), 64, &mut out),
            Err(Error::NackForbidden)
        );
    }
    assert!(nack::emit_nack(&base, NackReason::NoRoute, router.as_ref(), 64, &mut out).is_ok());
}

#[test]
fn every_variant_is_covered_by_a_test_above() {
    // Guard: if a variant is added, Error::COUNT changes and this test forces a new test.
    assert_eq!(Error::COUNT, 19);
}
