//! Every forwarding rule of `Pipeline`, on byte arrays (no DPDK).
//!
//! ```text
//!   port 0 (02:..:00:00)  ──  router /r  ──  port 1 (02:..:00:01, MTU 200)
//!   routes: /a → port 1 n1     /client → port 0 c     /ecmp → port 0 x, port 1 y (equal cost)
//! ```

use dmsc_fib::{Fib, LookupCache, NextHop};
use dmsc_forwarder::{DropReason, NackOutcome, Pipeline, PortInfo, Verdict};
use dmsc_wire::ethernet::{self, Frame, MacAddr};
use dmsc_wire::nack::{NackReason, NackRepr};
use dmsc_wire::name::Name;
use dmsc_wire::packet::{self, flags, Packet, PacketType};
use proptest::prelude::*;

const ET: u16 = 0x88B5;
const P0: MacAddr = MacAddr([2, 0, 0, 0, 0, 0]);
const P1: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
const N1: MacAddr = MacAddr([2, 0, 0, 0, 1, 1]);
const C: MacAddr = MacAddr([2, 0, 0, 0, 0xc, 1]);
const X: MacAddr = MacAddr([2, 0, 0, 0, 0xe, 0]);
const Y: MacAddr = MacAddr([2, 0, 0, 0, 0xe, 1]);

fn n(s: &str) -> Name {
    s.parse().unwrap()
}

fn setup() -> (Pipeline, Fib) {
    let pipeline =
        Pipeline::new(ET, vec![PortInfo { mac: P0, mtu: 1500 }, PortInfo { mac: P1, mtu: 200 }], n("/r"), 32);
    let fib = Fib::build(vec![
        (n("/a"), vec![NextHop { port: 1, mac: N1, cost: 1 }]),
        (n("/client"), vec![NextHop { port: 0, mac: C, cost: 1 }]),
        (n("/ecmp"), vec![NextHop { port: 0, mac: X, cost: 3 }, NextHop { port: 1, mac: Y, cost: 3 }]),
    ])
    .unwrap();
    (pipeline, fib)
}

fn frame(ty: PacketType, dst: &str, src: &str, hop_limit: u8, fl: u8, payload: usize) -> Vec<u8> {
    let (dst, src) = (n(dst), n(src));
    let repr = packet::Repr {
        packet_type: ty,
        hop_limit,
        flags: fl,
        flow_label: 0x1234_5678,
        dst: dst.as_ref(),
        src: src.as_ref(),
        fields: &[],
        payload_len: payload,
    };
    let mut b = vec![0u8; ethernet::HEADER_LEN + repr.buffer_len()];
    ethernet::Repr { src: C, dst: P0, ethertype: ET }.emit(&mut Frame::new_unchecked(&mut b[..]));
    repr.emit(&mut Packet::new_unchecked(&mut b[ethernet::HEADER_LEN..])).unwrap();
    b
}

fn req(dst: &str) -> Vec<u8> {
    frame(PacketType::Request, dst, "/client/c1", 64, 0, 10)
}

#[test]
fn forwards_by_longest_prefix_and_rewrites() {
    let (p, fib) = setup();
    let mut f = req("/a/b/c");
    let before = f.clone();
    assert_eq!(p.process(&fib, &mut f), Verdict::Forward { port: 1 });
    let e = Frame::new_checked(&f[..]).unwrap();
    assert_eq!(e.dst_addr(), N1);
    assert_eq!(e.src_addr(), P1);
    let pk = Packet::new_checked(e.payload()).unwrap();
    assert_eq!(pk.hop_limit(), 63);
    // Nothing else changed.
    assert_eq!(
        f[12..],
        {
            let mut b = before[12..].to_vec();
            b[2 + 2] = 63; // hop limit at DMSC offset 2 (frame offset 16)
            b
        }[..]
    );
}

#[test]
fn drops_with_the_right_reason_and_nack() {
    let (p, fib) = setup();
    let cases: Vec<(Vec<u8>, DropReason, Option<NackReason>)> = vec![
        (req("/nowhere"), DropReason::NoRoute, Some(NackReason::NoRoute)),
        (
            frame(PacketType::Request, "/a", "/client", 1, 0, 0),
            DropReason::HopLimit,
            Some(NackReason::HopLimitExceeded),
        ),
        (
            frame(PacketType::Request, "/a", "/client", 0, 0, 0),
            DropReason::HopLimit,
            Some(NackReason::HopLimitExceeded),
        ),
        (frame(PacketType::Request, "/a", "/client", 9, 0, 300), DropReason::TooBig, Some(NackReason::TooBig)),
        (vec![0u8; 10], DropReason::NotDmsc, None),
        (
            {
                let mut f = req("/a");
                f[12] = 0x08;
                f[13] = 0x00;
                f
            },
            DropReason::NotDmsc,
            None,
        ),
        (
            {
                let mut f = req("/a");
                f[14] = 2; // version 2
                f
            },
            DropReason::Malformed,
            None,
        ),
        (
            {
                let mut f = req("/a");
                f.truncate(20);
                f
            },
            DropReason::Malformed,
            None,
        ),
    ];
    for (i, (mut f, reason, nack)) in cases.into_iter().enumerate() {
        let orig = f.clone();
        assert_eq!(p.process(&fib, &mut f), Verdict::Drop { reason, nack }, "case {i}");
        assert_eq!(f, orig, "case {i}: a dropped frame is not modified");
    }
}

#[test]
fn control_packets_are_punted_unchanged() {
    let (p, fib) = setup();
    let mut f = frame(PacketType::Control, "/a", "/r2", 1, 0, 4);
    let orig = f.clone();
    assert_eq!(p.process(&fib, &mut f), Verdict::Punt);
    assert_eq!(f, orig);
}

#[test]
fn ecmp_keeps_a_flow_on_one_next_hop_and_uses_both() {
    let (p, fib) = setup();
    let mut seen = std::collections::HashSet::new();
    for label in 0..64u32 {
        let mut ports = std::collections::HashSet::new();
        for _ in 0..3 {
            let mut f = req("/ecmp/s");
            Packet::new_unchecked(&mut f[14..]).set_flow_label(label.wrapping_mul(0x9e37_79b9));
            match p.process(&fib, &mut f) {
                Verdict::Forward { port } => {
                    ports.insert(port);
                    seen.insert(port);
                }
                v => panic!("{v:?}"),
            }
        }
        assert_eq!(ports.len(), 1, "flow {label} changed next hop");
    }
    assert_eq!(seen.len(), 2, "64 flows all on one next hop");
}

#[test]
fn nacks_go_back_by_source_name() {
    let (p, fib) = setup();
    let orig = req("/nowhere/x");
    let mut out = vec![0u8; 2048];
    let NackOutcome::Built { port, len } = p.build_nack(&fib, &orig, NackReason::NoRoute, &mut out) else {
        panic!("no nack built");
    };
    assert_eq!(port, 0);
    let e = Frame::new_checked(&out[..len]).unwrap();
    assert_eq!((e.dst_addr(), e.src_addr(), e.ethertype()), (C, P0, ET));
    let pk = Packet::new_checked(e.payload()).unwrap();
    assert_eq!(pk.packet_type(), PacketType::Nack);
    assert_eq!(pk.dst_name().to_string(), "/client/c1");
    assert_eq!(pk.src_name().to_string(), "/r");
    assert_eq!(pk.hop_limit(), 32);
    assert_eq!(pk.flow_label(), 0x1234_5678);
    assert!(pk.flags() & flags::NO_NACK != 0);
    let nr = NackRepr::parse(&pk).unwrap();
    assert_eq!(nr.reason, NackReason::NoRoute);
    assert_eq!(nr.nacked_name.to_string(), "/nowhere/x");
}

#[test]
fn nack_rules_forbid_loops_and_respect_no_nack() {
    let (p, fib) = setup();
    let mut out = vec![0u8; 2048];
    for (what, f) in [
        ("a nack", frame(PacketType::Nack, "/nowhere", "/client", 9, 0, 0)),
        ("a control packet", frame(PacketType::Control, "/nowhere", "/client", 9, 0, 0)),
        ("NO_NACK", frame(PacketType::Request, "/nowhere", "/client", 9, flags::NO_NACK, 0)),
        ("a root source", frame(PacketType::Request, "/nowhere", "/", 9, 0, 0)),
    ] {
        assert_eq!(p.build_nack(&fib, &f, NackReason::NoRoute, &mut out), NackOutcome::NotAllowed, "{what}");
    }
    let unroutable_source = frame(PacketType::Request, "/nowhere", "/elsewhere", 9, 0, 0);
    assert_eq!(p.build_nack(&fib, &unroutable_source, NackReason::NoRoute, &mut out), NackOutcome::NoRoute);
    assert_eq!(p.build_nack(&fib, &req("/x"), NackReason::NoRoute, &mut out[..20]), NackOutcome::BufferTooSmall);
}

#[test]
fn unknown_critical_field_is_malformed_and_nacked() {
    let (p, fib) = setup();
    let (dst, src) = (n("/a"), n("/client"));
    let fields = [0x00, 0x11, 0x00, 0x01, 0xaa]; // type 0x11: odd, unknown → critical
    let repr = packet::Repr {
        packet_type: PacketType::Request,
        hop_limit: 9,
        flags: 0,
        flow_label: 7,
        dst: dst.as_ref(),
        src: src.as_ref(),
        fields: &fields,
        payload_len: 0,
    };
    let mut b = vec![0u8; 14 + 16 + dst.wire().len() + src.wire().len() + fields.len()];
    ethernet::Repr { src: C, dst: P0, ethertype: ET }.emit(&mut Frame::new_unchecked(&mut b[..]));
    // Repr::emit validates fields, so write the header by hand from a clean emit.
    let clean = packet::Repr { fields: &[], ..repr };
    clean.emit_bytes(&mut b[14..14 + clean.buffer_len()]).unwrap();
    let hdr = 16 + dst.wire().len() + src.wire().len();
    b[14 + hdr..].copy_from_slice(&fields);
    b[14 + 4..14 + 6].copy_from_slice(&((hdr + fields.len()) as u16).to_be_bytes());
    b[14 + 6..14 + 8].copy_from_slice(&((hdr + fields.len()) as u16).to_be_bytes());
    let mut f = b.clone();
    assert_eq!(
        p.process(&fib, &mut f),
        Verdict::Drop { reason: DropReason::Malformed, nack: Some(NackReason::Malformed) }
    );
    let mut out = vec![0u8; 512];
    assert!(matches!(p.build_nack(&fib, &b, NackReason::Malformed, &mut out), NackOutcome::Built { port: 0, .. }));
}

/// A frame of one of several kinds, chosen by `kind`.
fn any_frame(kind: u8, label: u32, extra: u8) -> Vec<u8> {
    let mut f = match kind % 12 {
        0 => req("/a/x"),
        1 => req("/nowhere"),
        2 => frame(PacketType::Request, "/ecmp/z", "/client", 5, 0, 3),
        3 => frame(PacketType::Request, "/a", "/client", 1, 0, 0),
        4 => frame(PacketType::Control, "/a", "/r2", 1, 0, 0),
        5 => frame(PacketType::Request, "/a/big", "/client", 9, 0, 400),
        6 => vec![extra; 7],
        // An invalid destination name (first length byte `extra`: 0 is an
        // empty component, > 1 overruns the name) in a frame that would be
        // forwarded, punted, dropped for its hop limit, or that also has a
        // bad source name: the burst path checks it late, the verdict must
        // not change.
        8..=11 => {
            let (t, hop) = match kind % 12 {
                9 => (PacketType::Control, 9),
                10 => (PacketType::Request, 1),
                _ => (PacketType::Request, 9),
            };
            let mut f = frame(t, "/a", "/client", hop, 0, 0);
            f[14 + 16] = if extra == 1 { 0 } else { extra };
            if kind % 12 == 11 {
                f[14 + 16 + 2] = 0;
            }
            f
        }
        _ => {
            let mut f = req("/a");
            f[14] = extra | 0x80;
            f
        }
    };
    if f.len() >= 26 && f[12] == 0x88 {
        Packet::new_unchecked(&mut f[14..]).set_flow_label(label);
    }
    f
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The burst path gives exactly the verdicts and bytes of the one-frame
    /// path: with the lookup cache off, with a 4-name cache (evictions within
    /// a burst) and a larger one, burst after burst (hits from the earlier
    /// ones).
    #[test]
    fn burst_equals_one_by_one(spec in proptest::collection::vec((any::<u8>(), any::<u32>(), any::<u8>()), 0..=32)) {
        let (p, fib) = setup();
        let frames: Vec<Vec<u8>> = spec.iter().map(|(k, l, e)| any_frame(*k, *l, *e)).collect();
        let mut single = frames.clone();
        let want: Vec<Verdict> = single.iter_mut().map(|f| p.process(&fib, f)).collect();
        for size in [0, 4, 64] {
            let mut cache = LookupCache::new(size);
            for round in 0..3 {
                let mut burst = frames.clone();
                let mut refs: Vec<&mut [u8]> = burst.iter_mut().map(|f| &mut f[..]).collect();
                let mut got = vec![Verdict::Punt; refs.len()];
                p.process_burst(&fib, &mut cache, &mut refs, &mut got);
                prop_assert_eq!(&got, &want, "cache {} round {}", size, round);
                prop_assert_eq!(&burst, &single);
            }
        }
    }

    /// Arbitrary bytes never panic, and anything but a forward leaves them as they were.
    #[test]
    fn arbitrary_frames_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 0..300), dmsc in any::<bool>()) {
        let (p, fib) = setup();
        if dmsc && bytes.len() >= 14 {
            bytes[12] = 0x88;
            bytes[13] = 0xB5;
            if bytes.len() > 14 { bytes[14] = 1; }
        }
        let orig = bytes.clone();
        let v = p.process(&fib, &mut bytes);
        if !matches!(v, Verdict::Forward { .. }) {
            prop_assert_eq!(&bytes, &orig);
        }
        // The burst path (late destination-name check) agrees, cache or not.
        for size in [0, 4] {
            let mut cache = LookupCache::new(size);
            let mut burst = orig.clone();
            let mut got = [Verdict::Punt];
            p.process_burst(&fib, &mut cache, &mut [&mut burst[..]], &mut got);
            prop_assert_eq!(got[0], v);
            prop_assert_eq!(&burst, &bytes);
        }
        let mut out = vec![0u8; 600];
        let _ = p.build_nack(&fib, &orig, NackReason::Malformed, &mut out);
    }
}
