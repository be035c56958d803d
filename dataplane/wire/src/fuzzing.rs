//! Fuzz checks as plain functions, shared by the cargo-fuzz targets in `fuzz/` and by the
//! corpus replay test (`tests/fuzz_corpus.rs`), so that every corpus file is also a
//! regression test under `cargo test` on stable Rust.
//!
//! Each function accepts arbitrary bytes, must never panic on any input, and panics (via
//! `assert!`) only when an invariant of this crate is violated. The invariants checked:
//! - checked parsing agrees with itself (`Packet::new_checked` vs `Repr::parse_bytes`) and
//!   with the accessors;
//! - parse → emit reproduces the original bytes exactly (the encoding is canonical), and
//!   emit → parse gives the same `Repr`;
//! - truncating a valid packet gives `Error::Truncated`;
//! - a nack built for any nackable packet parses back to the right reason and name;
//! - names: wire → URI → wire is the identity, component offsets agree with prefixes;
//! - Ethernet: parse → emit reproduces the header; MAC text round trips.
//!
//! These functions allocate (test-only code); the parsers they exercise do not.

use crate::ethernet::{self, Frame, MacAddr};
use crate::field::FieldIter;
use crate::nack::{self, NackReason, NackRepr};
use crate::name::{Name, NameRef};
use crate::packet::{self, Packet, PacketType, Repr};
use crate::Error;

/// The router name used when the checks build nacks.
const ROUTER_NAME: &[u8] = &[2, b's', b'r', 1, b'1'];

/// Checks the DMSC header parser and emitter on `data` (a DMSC packet without Ethernet).
pub fn header(data: &[u8]) {
    let checked = Packet::new_checked(data);
    // PendingDst + finish is Packet::check with the destination name's check deferred.
    match packet::PendingDst::check(data) {
        Ok(pending) => {
            let pkt = checked.map(|p| p.as_bytes().as_ptr());
            assert_eq!(pending.finish().map(|p| p.as_bytes().as_ptr()), pkt, "PendingDst::finish disagrees");
            if let Ok(pkt) = checked {
                assert_eq!(pending.dst_name_wire(), pkt.dst_name().wire());
                assert_eq!(pending.packet_type(), pkt.packet_type());
                assert_eq!(pending.hop_limit(), pkt.hop_limit());
                assert_eq!(pending.flow_label(), pkt.flow_label());
                assert_eq!(pending.total_len(), pkt.total_len());
            }
        }
        Err(e) => assert!(checked.is_err(), "PendingDst failed ({e:?}) on a valid packet"),
    }
    let parsed = Repr::parse_bytes(data);
    let pkt = match (checked, parsed) {
        (Err(e1), Err(e2)) => {
            assert_eq!(e1, e2, "check and parse disagree");
            // Salvage succeeds exactly when only the fields are bad.
            let fields_error = matches!(e1, Error::BadField | Error::UnknownCriticalField(_));
            match packet::salvage(data) {
                Some(salvaged) => {
                    assert!(fields_error, "salvaged a packet that failed with {e1:?}");
                    assert!(salvaged.fields.is_empty());
                    names(salvaged.dst);
                    names(salvaged.src);
                }
                None => assert!(!fields_error, "could not salvage a packet with {e1:?}"),
            }
            return;
        }
        (Ok(pkt), Ok(_)) => pkt,
        (a, b) => panic!("check and parse disagree: {:?} vs {:?}", a.err(), b.err()),
    };
    let repr = Repr::parse(&pkt).expect("a checked packet parses");
    assert_eq!(packet::salvage(data), Some(repr));

    // Accessors agree with the Repr.
    assert_eq!(pkt.version(), packet::VERSION);
    assert_eq!(pkt.packet_type(), repr.packet_type);
    assert_eq!(pkt.hop_limit(), repr.hop_limit);
    assert_eq!(pkt.flags(), repr.flags);
    assert_eq!(pkt.flow_label(), repr.flow_label);
    assert_eq!(pkt.dst_name(), repr.dst);
    assert_eq!(pkt.src_name(), repr.src);
    assert_eq!(pkt.fields_bytes(), repr.fields);
    assert_eq!(pkt.header_len() as usize, repr.header_len());
    assert_eq!(pkt.total_len() as usize, repr.total_len());
    assert_eq!(pkt.payload().len(), repr.payload_len);
    assert_eq!(pkt.dst_name_range().end, pkt.src_name_range().start);
    assert_eq!(pkt.src_name_range().end, pkt.fields_range().start);
    assert_eq!(pkt.fields_range().end, pkt.payload_range().start);
    assert_eq!(&data[pkt.dst_name_range()], repr.dst.wire());
    assert_eq!(&data[pkt.src_name_range()], repr.src.wire());

    // Fields iterate over the whole area.
    let iterated: usize = FieldIter::new(repr.fields).map(|f| f.wire_len()).sum();
    assert_eq!(iterated, repr.fields.len());

    // parse -> emit is byte-exact, emit -> parse is the identity.
    let mut out = vec![0u8; repr.buffer_len()];
    repr.emit_bytes(&mut out).expect("a parsed Repr emits");
    out[repr.header_len()..].copy_from_slice(pkt.payload());
    assert_eq!(&out[..], pkt.packet_bytes(), "emit is not canonical");
    assert_eq!(Repr::parse_bytes(&out).expect("emitted packet parses"), repr);

    // Any truncation fails with Truncated (a few cut points keep this linear).
    let total = repr.total_len();
    for cut in [0, packet::FIXED_HEADER_LEN - 1, repr.header_len().saturating_sub(1), total - 1] {
        if cut < total {
            assert_eq!(Packet::new_checked(&out[..cut]).err(), Some(Error::Truncated), "cut at {cut}");
        }
    }

    // Forwarding: decrementing the hop limit keeps the packet valid.
    if let Some(hop_limit) = packet::next_hop_limit(repr.hop_limit) {
        let mut fwd = Packet::new_unchecked(&mut out[..]);
        fwd.set_hop_limit(hop_limit);
        let fwd = Packet::new_checked(&out[..]).expect("forwarded packet stays valid");
        assert_eq!(fwd.hop_limit(), hop_limit);
    }

    names(repr.dst);
    names(repr.src);

    // Nacks.
    let router = NameRef::parse(ROUTER_NAME).expect("valid router name");
    let mut nack_buf = vec![0u8; nack::nack_len(&repr, router)];
    match nack::emit_nack(&repr, NackReason::NoRoute, router, nack::DEFAULT_HOP_LIMIT, &mut nack_buf) {
        Ok(n) => {
            assert!(nack::may_nack(&repr));
            assert_eq!(n, nack_buf.len());
            let nack_pkt = Packet::new_checked(&nack_buf[..]).expect("nack is valid");
            let nack_repr = Repr::parse(&nack_pkt).expect("nack parses");
            assert_eq!(nack_repr.packet_type, PacketType::Nack);
            assert_eq!(nack_repr.dst, repr.src);
            assert_eq!(nack_repr.src, router);
            assert_eq!(nack_repr.flow_label, repr.flow_label);
            assert!(!nack::may_nack(&nack_repr));
            let parsed = NackRepr::parse(&nack_pkt).expect("nack fields parse");
            assert_eq!(parsed, NackRepr { reason: NackReason::NoRoute, nacked_name: repr.dst });
        }
        Err(e) => {
            assert_eq!(e, Error::NackForbidden);
            assert!(!nack::may_nack(&repr));
        }
    }
    if repr.packet_type == PacketType::Nack {
        // Must not panic; the value may legitimately be invalid.
        let _ = NackRepr::from_repr(&repr);
    } else {
        assert_eq!(NackRepr::from_repr(&repr), Err(Error::NotNack));
    }
}

/// Checks the wire-form name parser on `data`.
pub fn name(data: &[u8]) {
    match NameRef::parse(data) {
        Ok(n) => names(n),
        Err(e) => {
            assert_eq!(Name::from_wire(data), Err(e));
            assert!(matches!(
                e,
                Error::NameTooLong | Error::EmptyComponent | Error::TooManyComponents | Error::BadNameLength
            ));
        }
    }
}

/// Checks the URI parser on `data` (taken as UTF-8, invalid sequences replaced).
pub fn uri(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match text.parse::<Name>() {
        Ok(parsed) => {
            names(parsed.as_ref());
            // The display form is canonical: parsing it again gives the same text.
            let shown = parsed.to_string();
            let again: Name = shown.parse().expect("display form parses");
            assert_eq!(again.to_string(), shown);
        }
        Err(e) => assert!(
            matches!(e, Error::BadUri | Error::ComponentTooLong | Error::TooManyComponents | Error::NameTooLong),
            "unexpected URI error {e:?}"
        ),
    }
}

/// Checks the Ethernet parser on `data` (a whole frame) and, for the DMSC EtherType, the
/// DMSC packet inside it (Ethernet padding after the DMSC total length is allowed).
pub fn frame(data: &[u8]) {
    let frame = match Frame::new_checked(data) {
        Ok(f) => f,
        Err(e) => {
            assert_eq!(e, Error::Truncated);
            assert!(data.len() < ethernet::HEADER_LEN);
            return;
        }
    };
    let repr = ethernet::Repr::parse(&frame).expect("checked frame parses");
    let mut out = data.to_vec();
    out[..ethernet::HEADER_LEN].fill(0);
    repr.emit(&mut Frame::new_unchecked(&mut out[..]));
    assert_eq!(out, data);
    for mac in [repr.src, repr.dst] {
        assert_eq!(mac.to_string().parse::<MacAddr>(), Ok(mac));
        assert_eq!(mac.to_string().replace(':', "-").parse::<MacAddr>(), Ok(mac));
    }
    assert_eq!(frame.payload(), &data[ethernet::HEADER_LEN..]);
    if repr.ethertype == ethernet::DEFAULT_ETHERTYPE {
        header(frame.payload());
    }
}

/// Invariants of a valid name.
fn names(n: NameRef<'_>) {
    assert_eq!(NameRef::parse(n.wire()), Ok(n));
    let owned = n.to_owned();
    assert_eq!(owned, n);
    let shown = owned.to_string();
    let back: Name = shown.parse().expect("a name's URI parses");
    assert_eq!(back, owned, "URI round trip of {shown}");
    assert_eq!(back.to_string(), shown);

    let components: Vec<&[u8]> = n.components().collect();
    assert_eq!(components.len(), n.len());
    assert_eq!(Name::from_components(&components), Ok(owned.clone()));
    let ends: Vec<usize> = n.component_ends().collect();
    assert_eq!(ends.len(), components.len());
    assert_eq!(ends.last().copied().unwrap_or(0), n.wire_len());
    for k in 0..=n.len() {
        let p = n.prefix(k);
        assert_eq!(p.len(), k);
        assert_eq!(p.wire_len(), n.prefix_wire_len(k));
        if k > 0 {
            assert_eq!(ends[k - 1], p.wire_len());
            assert_eq!(p.get(k - 1), Some(components[k - 1]));
        }
        assert!(n.starts_with(p));
        assert_eq!(NameRef::parse(p.wire()), Ok(p));
    }
    assert_eq!(n.prefix_wire_len(n.len() + 1), n.wire_len());
}
