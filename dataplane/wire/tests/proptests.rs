//! Property tests: random names, fields and packets round trip through emit and parse; URI
//! display and parse are inverse; random and mutated bytes never panic the parsers.

use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::field;
use dmsc_wire::fuzzing;
use dmsc_wire::name::{Name, NameRef, MAX_NAME_LEN};
use dmsc_wire::packet::{Packet, PacketType, Repr};
use proptest::prelude::*;

fn component() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => prop::collection::vec(any::<u8>(), 1..=12),
        2 => prop::collection::vec(prop::sample::select(b"abcxyz019-._~/%: ".to_vec()), 1..=8),
        1 => prop::collection::vec(any::<u8>(), 1..=255),
    ]
}

fn components() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(component(), 0..=32).prop_map(|mut cs| {
        // Keep within the 512-byte wire limit by dropping trailing components.
        while cs.iter().map(|c| 1 + c.len()).sum::<usize>() > MAX_NAME_LEN {
            cs.pop();
        }
        cs
    })
}

fn name() -> impl Strategy<Value = Name> {
    components().prop_map(|cs| Name::from_components(&cs).expect("within limits"))
}

/// Fields that pass the check: known types, or unknown non-critical (even, >= 32) types.
fn fields() -> impl Strategy<Value = Vec<u8>> {
    let typ = prop_oneof![Just(field::NACK_REASON), Just(field::NACKED_NAME), (16u16..=0x7fff).prop_map(|t| t * 2),];
    prop::collection::vec((typ, prop::collection::vec(any::<u8>(), 0..=20)), 0..=4).prop_map(|fs| {
        let mut out = Vec::new();
        for (typ, value) in fs {
            let mut buf = vec![0u8; field::wire_len(value.len())];
            field::emit(&mut buf, typ, &value).unwrap();
            out.extend_from_slice(&buf);
        }
        out
    })
}

fn packet_type() -> impl Strategy<Value = PacketType> {
    (0u8..=4).prop_map(|b| PacketType::try_from(b).unwrap())
}

#[derive(Debug, Clone)]
struct Owned {
    packet_type: PacketType,
    hop_limit: u8,
    flags: u8,
    flow_label: u32,
    dst: Name,
    src: Name,
    fields: Vec<u8>,
    payload: Vec<u8>,
}

impl Owned {
    fn repr(&self) -> Repr<'_> {
        Repr {
            packet_type: self.packet_type,
            hop_limit: self.hop_limit,
            flags: self.flags,
            flow_label: self.flow_label,
            dst: self.dst.as_ref(),
            src: self.src.as_ref(),
            fields: &self.fields,
            payload_len: self.payload.len(),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let repr = self.repr();
        let mut buf = vec![0u8; repr.buffer_len()];
        let mut pkt = Packet::new_unchecked(&mut buf[..]);
        repr.emit(&mut pkt).unwrap();
        pkt.payload_mut().copy_from_slice(&self.payload);
        buf
    }
}

fn owned_packet() -> impl Strategy<Value = Owned> {
    (
        packet_type(),
        any::<u8>(),
        any::<u8>(),
        any::<u32>(),
        name(),
        name(),
        fields(),
        prop::collection::vec(any::<u8>(), 0..=64),
    )
        .prop_map(|(packet_type, hop_limit, flags, flow_label, dst, src, fields, payload)| Owned {
            packet_type,
            hop_limit,
            flags,
            flow_label,
            dst,
            src,
            fields,
            payload,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn name_wire_round_trip(cs in components()) {
        let name = Name::from_components(&cs).unwrap();
        let view = NameRef::parse(name.wire()).unwrap();
        prop_assert_eq!(view.len(), cs.len());
        prop_assert_eq!(view.components().collect::<Vec<_>>(), cs.iter().map(|c| c.as_slice()).collect::<Vec<_>>());
        prop_assert_eq!(name.wire().len(), cs.iter().map(|c| 1 + c.len()).sum::<usize>());
        fuzzing::name(name.wire());
    }

    #[test]
    fn name_uri_round_trip(name in name()) {
        let uri = name.to_string();
        prop_assert!(uri.starts_with('/'));
        let back: Name = uri.parse().unwrap();
        prop_assert_eq!(&back, &name);
        // One trailing slash is accepted, except on the root (where "//" is an empty component).
        if !name.is_root() {
            prop_assert_eq!(format!("{uri}/").parse::<Name>().unwrap(), name);
        }
        // Lower-case escapes parse to the same name.
        prop_assert_eq!(lowercase_escapes(&uri).parse::<Name>().unwrap(), back);
    }

    /// Parsing a URI checks what [`Name::push`] checks, in the same order:
    /// near each limit (32 components, 255-byte components, 512 wire bytes)
    /// it gives the same name or the same error as building the name
    /// component by component.
    #[test]
    fn uri_limits_match_push(
        cs in prop_oneof![
            // Around 32 short components.
            proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..4), 28..38),
            // Components around 255 bytes.
            proptest::collection::vec(proptest::collection::vec(any::<u8>(), 250..258), 1..3),
            // Around 512 wire bytes: two long components and a few short ones.
            (
                proptest::collection::vec(proptest::collection::vec(any::<u8>(), 250..256), 2),
                proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..3), 0..3),
            )
                .prop_map(|(mut long, short)| {
                    long.extend(short);
                    long
                }),
        ],
    ) {
        let mut uri = String::new();
        for c in &cs {
            uri.push('/');
            for &b in c {
                if b.is_ascii_alphanumeric() {
                    uri.push(b as char);
                } else {
                    uri.push_str(&format!("%{b:02X}"));
                }
            }
        }
        prop_assert_eq!(uri.parse::<Name>(), Name::from_components(&cs));
    }

    #[test]
    fn starts_with_is_component_prefix(a in name(), b in name()) {
        let ca: Vec<_> = a.components().collect();
        let cb: Vec<_> = b.components().collect();
        let expected = cb.len() <= ca.len() && ca[..cb.len()] == cb[..];
        prop_assert_eq!(a.as_ref().starts_with(b.as_ref()), expected);
        let common = a.as_ref().prefix(cb.len());
        prop_assert_eq!(common.len(), cb.len().min(ca.len()));
    }

    #[test]
    fn packet_round_trip(p in owned_packet(), padding in prop::collection::vec(any::<u8>(), 0..=16)) {
        let mut bytes = p.bytes();
        let total = bytes.len();
        bytes.extend_from_slice(&padding);
        let pkt = Packet::new_checked(&bytes[..]).unwrap();
        let repr = Repr::parse(&pkt).unwrap();
        prop_assert_eq!(repr, p.repr());
        prop_assert_eq!(pkt.payload(), &p.payload[..]);
        prop_assert_eq!(pkt.total_len() as usize, total);
        fuzzing::header(&bytes);
        fuzzing::frame(&[&[2u8, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5][..], &bytes[..]].concat());
    }

    #[test]
    fn mutated_packets_never_panic(p in owned_packet(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..=4), cut in any::<prop::sample::Index>()) {
        let mut bytes = p.bytes();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        fuzzing::header(&bytes);
        let cut = cut.index(bytes.len() + 1);
        fuzzing::header(&bytes[..cut]);
    }

    #[test]
    fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..=128)) {
        fuzzing::header(&data);
        fuzzing::name(&data);
        fuzzing::uri(&data);
        fuzzing::frame(&data);
    }

    #[test]
    fn uri_like_strings_never_panic(s in "[/%a-fA-F0-9:@!~. _-]{0,40}") {
        fuzzing::uri(s.as_bytes());
    }

    #[test]
    fn mac_text_round_trip(bytes in any::<[u8; 6]>()) {
        let mac = MacAddr(bytes);
        prop_assert_eq!(mac.to_string().parse::<MacAddr>(), Ok(mac));
        prop_assert_eq!(mac.to_string().to_uppercase().replace(':', "-").parse::<MacAddr>(), Ok(mac));
    }
}

fn lowercase_escapes(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    let mut chars = uri.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for _ in 0..2 {
                out.push(chars.next().unwrap().to_ascii_lowercase());
            }
        }
    }
    out
}
