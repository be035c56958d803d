//! The routing PDU codec (`dmsc_routing::wire`): golden bytes of docs/routing.md
//! §10, property tests (round trip with and without a key, no panics on any
//! bytes, every bit flip of an authenticated PDU rejected), every error
//! variant, truncation at every length, and key rollover.

use dmsc_routing::types::*;
use dmsc_routing::wire::fuzzing::{self, example_key, with_checksum};
use dmsc_routing::wire::*;
use dmsc_wire::name::Name;
use proptest::prelude::*;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn signed_chain() -> Keychain {
    Keychain::new(vec![example_key()]).unwrap()
}

// ---------------------------------------------------------------------------
// Golden bytes: the same hex is in docs/routing.md §10.

const GOLDEN: [(&str, &str); 6] = [
    ("hello", "0102010000200000 0000000000000001 0101001e00000000 0000000203736731"),
    (
        "lsu",
        "0102020000710000 0000000000000001 0002
         0100000000000000 0000000100000000 000000010e104833 0013
         0103736731000100 0000000000000200 00000a
         0200000000000000 0000000100000000 000000010e102c21 0018
         0001000000050010 087061796d656e74 7306636861726765",
    ),
    (
        "lsu_purge",
        "01020200002c0000 0000000000000001 0001
         0200000000000000 0000000100000000 0000000200000000 0000",
    ),
    (
        "csnp",
        "01020300005a0000 0000000000000002
         010000000000000000000000 0200ffffffffffffffffffff 0002
         0100000000000000 0000000100000000 000000010e104833
         0200000000000000 0000000100000000 000000010e102c21",
    ),
    (
        "psnp",
        "01020400002a0000 0000000000000002 0001
         0100000000000000 0000000100000000 000000010e104833",
    ),
    (
        "hello_auth",
        "01020101004c0000 0000000000000001 0101001e00000000 0000000203736731
         0001 0000 0000000000000001
         462a678aeaa9f771774aa4f08b75855fba91689add2cfd169cbadca322f74be2",
    ),
];

#[test]
fn golden_bytes_match_docs() {
    let examples = fuzzing::examples();
    assert_eq!(examples.len(), GOLDEN.len());
    for ((label, pdu, signed), (glabel, ghex)) in examples.into_iter().zip(GOLDEN) {
        assert_eq!(label, glabel);
        let bytes = fuzzing::encode_example(&pdu, signed);
        assert_eq!(hex(&bytes), hex(&unhex(ghex)), "{label}");
        let chain = if signed { signed_chain() } else { Keychain::none() };
        let (back, auth) = decode(&bytes, &chain).unwrap();
        assert_eq!(back, pdu, "{label}");
        assert_eq!(auth, signed.then_some(AuthInfo { key_id: 1, crypto_seq: 1 }));
    }
}

/// The `hex routing-<label>` blocks of docs/routing.md §10 are the encoder's output.
#[test]
fn docs_hex_blocks_match_golden() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/routing.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let mut found = 0;
    for (label, pdu, signed) in fuzzing::examples() {
        let fence = format!("```hex routing-{label}\n");
        let start = doc.find(&fence).unwrap_or_else(|| panic!("docs/routing.md lacks {fence}")) + fence.len();
        let len = doc[start..].find("```").unwrap();
        assert_eq!(unhex(&doc[start..start + len]), fuzzing::encode_example(&pdu, signed), "{label}");
        found += 1;
    }
    assert_eq!(found, GOLDEN.len());
}

#[test]
fn golden_checksums_and_sizes() {
    assert_eq!(fuzzing::example_node_lsa().header.checksum, 0x4833);
    assert_eq!(fuzzing::example_prefix_lsa().header.checksum, 0x2c21);
    assert_eq!(lsa_encoded_len(&fuzzing::example_node_lsa()), 26 + 19);
    assert_eq!(lsa_encoded_len(&fuzzing::example_prefix_lsa()), 26 + 24);
    assert_eq!((PDU_HEADER_BYTES, AUTH_TRAILER_BYTES, SUMMARY_BYTES), (16, 44, 24));
    assert_eq!((CSNP_FIXED_BYTES, PSNP_FIXED_BYTES, LSU_FIXED_BYTES), (42, 18, 18));
    // The checksum ignores the lifetime and the checksum field itself.
    let mut lsa = fuzzing::example_node_lsa();
    lsa.header.remaining_lifetime_s = 17;
    lsa.header.checksum = 0xdead;
    assert_eq!(lsa_checksum(&lsa), 0x4833);
    // ...and covers everything else.
    lsa.header.seq = 2;
    assert_ne!(lsa_checksum(&lsa), 0x4833);
}

#[test]
fn all_routers_mac_is_multicast_locally_administered() {
    assert_eq!(ALL_ROUTERS_MAC.0[0] & 0x03, 0x03);
    assert_eq!(&ALL_ROUTERS_MAC.0[1..5], b"DMSC");
}

// ---------------------------------------------------------------------------
// Truncation and bit flips on the examples (exhaustive).

#[test]
fn truncation_at_every_length_is_truncated() {
    for (label, pdu, signed) in fuzzing::examples() {
        let bytes = fuzzing::encode_example(&pdu, signed);
        let chain = if signed { signed_chain() } else { Keychain::none() };
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut], &chain).err(), Some(Error::Truncated), "{label} cut {cut}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(decode(&long, &chain).err(), Some(Error::BadLength), "{label} trailing byte");
    }
}

#[test]
fn every_bit_flip_of_signed_examples_is_rejected() {
    let chain = fuzzing::fuzz_keychain();
    for (label, pdu, _) in fuzzing::examples() {
        let bytes = fuzzing::encode_example(&pdu, true);
        assert!(decode(&bytes, &chain).is_ok());
        for bit in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[bit / 8] ^= 1 << (bit % 8);
            assert!(decode(&b, &chain).is_err(), "{label}: flip of bit {bit} accepted");
        }
    }
}

// ---------------------------------------------------------------------------
// Every error variant.

fn example(label: &str) -> (Pdu, Vec<u8>) {
    let (_, pdu, signed) = fuzzing::examples().into_iter().find(|(l, _, _)| *l == label).unwrap();
    let bytes = fuzzing::encode_example(&pdu, signed);
    (pdu, bytes)
}

fn decode_plain(b: &[u8]) -> Result<Pdu, Error> {
    decode(b, &Keychain::none()).map(|(p, _)| p)
}

/// Replaces bytes at `at` and returns the result.
fn patched(b: &[u8], at: usize, with: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    v[at..at + with.len()].copy_from_slice(with);
    v
}

#[test]
fn header_errors() {
    let (_, hello) = example("hello");
    assert_eq!(decode_plain(&[]), Err(Error::Truncated));
    assert_eq!(decode_plain(&patched(&hello, 0, &[2])), Err(Error::BadVersion(2)));
    assert_eq!(decode_plain(&patched(&hello, 1, &[1])), Err(Error::BadSignalingType(1)));
    assert_eq!(decode_plain(&patched(&hello, 2, &[0])), Err(Error::BadPduType(0)));
    assert_eq!(decode_plain(&patched(&hello, 2, &[5])), Err(Error::BadPduType(5)));
    assert_eq!(decode_plain(&patched(&hello, 3, &[0x02])), Err(Error::BadFlags(0x02)));
    assert_eq!(decode_plain(&patched(&hello, 4, &[0, 15])), Err(Error::BadLength));
    assert_eq!(decode_plain(&patched(&hello, 4, &[0, 31])), Err(Error::BadLength)); // trailing byte
    assert_eq!(decode_plain(&patched(&hello, 4, &[0, 33])), Err(Error::Truncated));
    // Auth flag set but too short for a trailer.
    assert_eq!(decode_plain(&patched(&hello, 3, &[0x01])), Err(Error::BadLength));
    assert_eq!(decode_plain(&patched(&hello, 6, &[0, 1])), Err(Error::Invalid("pdu header reserved field not zero")));
    assert_eq!(decode_plain(&patched(&hello, 8, &[0; 8])), Err(Error::Invalid("sender router id 0")));
    // Length above the maximum, with that many bytes present.
    let mut big = hello.clone();
    big.resize(MAX_PDU_BYTES + 1, 0);
    big[4..6].copy_from_slice(&((MAX_PDU_BYTES + 1) as u16).to_be_bytes());
    assert_eq!(decode_plain(&big), Err(Error::TooLong));
}

#[test]
fn auth_errors() {
    let (pdu, hello) = example("hello");
    let (_, hello_auth) = example("hello_auth");
    assert_eq!(decode(&hello, &signed_chain()).err(), Some(Error::MissingAuth));
    assert_eq!(decode(&hello_auth, &Keychain::none()).err(), Some(Error::UnexpectedAuth));
    let k9 = Key { id: 9, secret: b"x".to_vec(), send: true, accept: true };
    let signed9 = encode(&pdu, Some(&k9), 5).unwrap();
    assert_eq!(decode(&signed9, &signed_chain()).err(), Some(Error::UnknownKey(9)));
    // Same id, other secret.
    let other = Key { id: 1, secret: b"other".to_vec(), send: true, accept: true };
    assert_eq!(decode(&hello_auth, &Keychain::new(vec![other]).unwrap()).err(), Some(Error::BadMac));
    // A send-only key (accept = false) does not verify.
    let send_only = Key { accept: false, ..example_key() };
    assert_eq!(decode(&hello_auth, &Keychain::new(vec![send_only]).unwrap()).err(), Some(Error::UnknownKey(1)));
    // Trailer reserved non-zero with a valid MAC is Invalid (checked after the MAC).
    let mut b = hello_auth.clone();
    b[32 + 2..32 + 4].copy_from_slice(&[0, 1]);
    let n = b.len();
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(b"dmsc-example-key").unwrap();
    hmac::Mac::update(&mut mac, &b[..n - 32]);
    let tag = hmac::Mac::finalize(mac).into_bytes();
    b[n - 32..].copy_from_slice(&tag);
    assert_eq!(decode(&b, &signed_chain()).err(), Some(Error::Invalid("auth trailer reserved field not zero")));
    // Changing the crypto seq without re-signing is caught.
    let mut replayed = hello_auth.clone();
    replayed[32 + 11] = 2;
    assert_eq!(decode(&replayed, &signed_chain()).err(), Some(Error::BadMac));
    let (_, auth) = decode(&hello_auth, &signed_chain()).unwrap();
    assert_eq!(auth, Some(AuthInfo { key_id: 1, crypto_seq: 1 }));
}

#[test]
fn body_errors() {
    let (_, hello) = example("hello");
    let (_, lsu) = example("lsu");
    let (_, purge) = example("lsu_purge");
    let (_, csnp) = example("csnp");
    let (_, psnp) = example("psnp");
    // Hello: role, state, hostname.
    assert_eq!(decode_plain(&patched(&hello, 16, &[3])), Err(Error::Invalid("role not 1 (SG) or 2 (SR)")));
    assert_eq!(decode_plain(&patched(&hello, 17, &[3])), Err(Error::Invalid("adjacency state not 0..=2")));
    assert_eq!(decode_plain(&patched(&hello, 30, &[0xff])), Err(Error::BadHostname));
    assert_eq!(decode_plain(&patched(&hello, 28, &[4])), Err(Error::BadLength)); // hostname overruns
    assert_eq!(decode_plain(&patched(&hello, 28, &[2])), Err(Error::BadLength)); // trailing body byte
                                                                                 // LSU (offsets: count at 16, first LSA at 18, its body at 44, second LSA at 63).
    assert_eq!(decode_plain(&patched(&lsu, 16, &[0, 3])), Err(Error::BadLength));
    assert_eq!(decode_plain(&patched(&lsu, 16, &[0, 1])), Err(Error::BadLength));
    assert_eq!(decode_plain(&patched(&lsu, 18, &[3])), Err(Error::Invalid("lsa kind not 1 (node) or 2 (prefix)")));
    assert_eq!(decode_plain(&patched(&lsu, 19, &[1])), Err(Error::Invalid("lsa id reserved byte not zero")));
    assert_eq!(decode_plain(&patched(&lsu, 22, &[0; 8])), Err(Error::Invalid("lsa origin router id 0")));
    assert_eq!(decode_plain(&patched(&lsu, 30, &[0; 8])), Err(Error::Invalid("lsa sequence number 0")));
    assert_eq!(decode_plain(&patched(&lsu, 38, &[0, 0])), Err(Error::Invalid("lsa with lifetime 0 has a body")));
    assert_eq!(decode_plain(&patched(&lsu, 62, &[11])), Err(Error::BadLsaChecksum)); // metric 10 -> 11
    assert_eq!(decode_plain(&patched(&lsu, 51, &[0; 8])), Err(Error::Invalid("link neighbor router id 0")));
    assert_eq!(decode_plain(&patched(&lsu, 59, &[0, 0, 0, 0])), Err(Error::BadMetric)); // metric 0
    assert_eq!(decode_plain(&patched(&lsu, 59, &[1])), Err(Error::BadMetric)); // metric 0x0100000a
    assert_eq!(decode_plain(&patched(&lsu, 18, &[2])), Err(Error::BadLength)); // node body parsed as prefix
    assert_eq!(decode_plain(&patched(&lsu, 97, &[0])), Err(Error::BadName)); // empty first component
                                                                             // Purge: lifetime > 0 without body.
    assert_eq!(decode_plain(&patched(&purge, 38, &[0, 1])), Err(Error::Invalid("lsa with lifetime > 0 has no body")));
    // Purge checksum is not verified.
    assert!(decode_plain(&patched(&purge, 40, &[0x12, 0x34])).is_ok());
    // CSNP: reversed range, entry outside the range.
    let rev = patched(&patched(&csnp, 16, &[2]), 28, &[1]);
    assert_eq!(decode_plain(&rev), Err(Error::Invalid("csnp range start after end")));
    assert_eq!(decode_plain(&patched(&csnp, 28, &[1])), Err(Error::Invalid("csnp entry outside its range")));
    assert_eq!(decode_plain(&patched(&csnp, 40, &[0, 3])), Err(Error::BadLength));
    // PSNP: count disagrees.
    assert_eq!(decode_plain(&patched(&psnp, 16, &[0, 0])), Err(Error::BadLength));
    assert_eq!(decode_plain(&patched(&psnp, 16, &[0xff, 0xff])), Err(Error::BadLength));
}

fn hello_pdu(hostname: &str) -> Pdu {
    Pdu {
        sender: RouterId(1),
        body: PduBody::Hello(Hello {
            hostname: hostname.into(),
            role: Role::Sr,
            hold_time_s: 3,
            state: AdjState::Down,
            neighbor: None,
        }),
    }
}

fn node_lsa(links: Vec<Link>) -> Lsa {
    with_checksum(Lsa {
        header: LsaHeader {
            id: LsaId { kind: LsaKind::Node, origin: RouterId(5), fragment: 0 },
            seq: 1,
            remaining_lifetime_s: 10,
            checksum: 0,
        },
        body: LsaBody::Node(NodeLsa { hostname: "n".into(), role: Role::Sr, links }),
    })
}

fn lsu_of(lsas: Vec<Lsa>) -> Pdu {
    Pdu { sender: RouterId(1), body: PduBody::Lsu(Lsu { lsas }) }
}

#[test]
fn encode_errors() {
    assert!(encode(&hello_pdu(&"h".repeat(255)), None, 0).is_ok());
    assert_eq!(encode(&hello_pdu(&"h".repeat(256)), None, 0), Err(Error::BadHostname));
    let mut p = hello_pdu("a");
    p.sender = RouterId(0);
    assert_eq!(encode(&p, None, 0), Err(Error::Invalid("sender router id 0")));
    if let PduBody::Hello(h) = &mut p.body {
        h.neighbor = Some(RouterId(0));
    }
    p.sender = RouterId(1);
    assert_eq!(encode(&p, None, 0), Err(Error::Invalid("hello neighbor router id 0")));
    for bad in [0, 0x0100_0000, u32::MAX] {
        let lsu = lsu_of(vec![node_lsa(vec![Link { neighbor: RouterId(2), metric: bad }])]);
        assert_eq!(encode(&lsu, None, 0), Err(Error::BadMetric), "metric {bad}");
    }
    assert!(encode(&lsu_of(vec![node_lsa(vec![Link { neighbor: RouterId(2), metric: 0xFF_FFFF }])]), None, 0).is_ok());
    // Kind mismatch, purge shape.
    let mut lsa = fuzzing::example_prefix_lsa();
    lsa.header.id.kind = LsaKind::Node;
    assert_eq!(encode(&lsu_of(vec![lsa]), None, 0), Err(Error::Invalid("lsa body kind differs from header kind")));
    let mut lsa = fuzzing::example_prefix_lsa();
    lsa.header.remaining_lifetime_s = 0;
    assert_eq!(encode(&lsu_of(vec![lsa]), None, 0), Err(Error::Invalid("lsa with lifetime 0 has a body")));
    let mut lsa = fuzzing::example_prefix_lsa();
    lsa.body = LsaBody::Purged;
    assert_eq!(encode(&lsu_of(vec![lsa]), None, 0), Err(Error::Invalid("lsa with lifetime > 0 has no body")));
    // Too long: as many links as fit, then one more.
    let fits = (MAX_PDU_BYTES - LSU_FIXED_BYTES - 26 - 1 - 2 - 2) / 12;
    let links = |n: usize| (0..n).map(|i| Link { neighbor: RouterId(i as u64 + 1), metric: 1 }).collect::<Vec<_>>();
    let ok = encode(&lsu_of(vec![node_lsa(links(fits))]), None, 0).unwrap();
    assert!(ok.len() <= MAX_PDU_BYTES && ok.len() + 12 > MAX_PDU_BYTES);
    assert_eq!(decode_plain(&ok).unwrap(), lsu_of(vec![node_lsa(links(fits))]));
    assert_eq!(encode(&lsu_of(vec![node_lsa(links(fits + 1))]), None, 0), Err(Error::TooLong));
    // The trailer counts: the largest unsigned PDU does not fit signed.
    assert_eq!(encode(&lsu_of(vec![node_lsa(links(fits))]), Some(&example_key()), 1), Err(Error::TooLong));
    // CSNP range rules.
    let (csnp, _) = example("csnp");
    let PduBody::Csnp(mut c) = csnp.body else { unreachable!() };
    std::mem::swap(&mut c.start, &mut c.end);
    assert_eq!(
        encode(&Pdu { sender: RouterId(2), body: PduBody::Csnp(c) }, None, 0),
        Err(Error::Invalid("csnp range start after end"))
    );
}

#[test]
fn counter_names_are_distinct_snake_case() {
    let all = [
        Error::Truncated,
        Error::BadVersion(0),
        Error::BadSignalingType(0),
        Error::BadPduType(0),
        Error::BadFlags(0),
        Error::BadLength,
        Error::MissingAuth,
        Error::UnexpectedAuth,
        Error::UnknownKey(0),
        Error::BadMac,
        Error::BadLsaChecksum,
        Error::BadName,
        Error::BadHostname,
        Error::BadMetric,
        Error::Invalid("x"),
        Error::TooLong,
    ];
    let mut names: Vec<&str> = all.iter().map(Error::counter_name).collect();
    assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    names.sort();
    names.dedup();
    assert_eq!(names.len(), all.len());
    assert_eq!(Error::BadMac.counter_name(), "bad_mac");
}

// ---------------------------------------------------------------------------
// Keychains and rollover.

fn key(id: u16, send: bool, accept: bool) -> Key {
    Key { id, secret: format!("secret-{id}").into_bytes(), send, accept }
}

#[test]
fn keychain_validation() {
    assert_eq!(Keychain::new(vec![key(1, true, true), key(1, false, true)]), Err(KeychainError::DuplicateId(1)));
    assert_eq!(Keychain::new(vec![key(1, true, true), key(2, true, true)]), Err(KeychainError::MultipleSendKeys));
    assert_eq!(Keychain::new(vec![key(1, false, true)]), Err(KeychainError::NoSendKey));
    assert_eq!(Keychain::new(vec![Key { secret: vec![], ..key(3, true, true) }]), Err(KeychainError::EmptySecret(3)));
    assert_eq!(Keychain::new(vec![]), Ok(Keychain::none()));
    assert!(Keychain::none().is_empty() && Keychain::none().send_key().is_none());
    let kc = Keychain::new(vec![key(1, false, true), key(2, true, false)]).unwrap();
    assert!(!kc.is_empty());
    assert_eq!(kc.send_key().map(|k| k.id), Some(2));
    assert_eq!(kc.accept_key(1).map(|k| k.id), Some(1));
    assert_eq!(kc.accept_key(2), None); // send-only
    assert_eq!(kc.accept_key(3), None);
}

#[test]
fn key_rollover() {
    let (pdu, _) = example("hello");
    // Step 0: everybody on key 1.
    let old = Keychain::new(vec![key(1, true, true)]).unwrap();
    let signed1 = encode(&pdu, old.send_key(), 10).unwrap();
    // Step 1: key 2 added accept-only: both keys accepted, still sending with 1.
    let step1 = Keychain::new(vec![key(1, true, true), key(2, false, true)]).unwrap();
    // Step 2: send key switched to 2; 1 still accepted (routers not yet switched).
    let step2 = Keychain::new(vec![key(1, false, true), key(2, true, true)]).unwrap();
    let signed2 = encode(&pdu, step2.send_key(), 11).unwrap();
    for chain in [&step1, &step2] {
        assert_eq!(decode(&signed1, chain).unwrap().1, Some(AuthInfo { key_id: 1, crypto_seq: 10 }));
        assert_eq!(decode(&signed2, chain).unwrap().1, Some(AuthInfo { key_id: 2, crypto_seq: 11 }));
    }
    // A router still at step 0 rejects key 2 (hence step 1 must be done everywhere first).
    assert_eq!(decode(&signed2, &old).err(), Some(Error::UnknownKey(2)));
    // Step 3: key 1 removed: its PDUs are rejected.
    let step3 = Keychain::new(vec![key(2, true, true)]).unwrap();
    assert_eq!(decode(&signed1, &step3).err(), Some(Error::UnknownKey(1)));
    assert!(decode(&signed2, &step3).is_ok());
}

// ---------------------------------------------------------------------------
// Property tests.

fn router_id() -> impl Strategy<Value = RouterId> {
    prop_oneof![1 => Just(RouterId(u64::MAX)), 9 => (1u64..=u64::MAX).prop_map(RouterId)]
}

fn hostname() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[a-z0-9.-]{0,16}", 1 => "\\PC{0,20}"]
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Sg), Just(Role::Sr)]
}

fn lsa_id() -> impl Strategy<Value = LsaId> {
    (prop_oneof![Just(LsaKind::Node), Just(LsaKind::Prefix)], router_id(), any::<u16>())
        .prop_map(|(kind, origin, fragment)| LsaId { kind, origin, fragment })
}

fn summary() -> impl Strategy<Value = LsaSummary> {
    (lsa_id(), any::<u64>(), any::<u16>(), any::<u16>())
        .prop_map(|(id, seq, remaining_lifetime_s, checksum)| LsaHeader { id, seq, remaining_lifetime_s, checksum })
}

fn prefix_name() -> impl Strategy<Value = Name> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 1..=10), 0..=4)
        .prop_map(|cs| Name::from_components(&cs).unwrap())
}

fn lsa() -> impl Strategy<Value = Lsa> {
    let links = prop::collection::vec(
        (router_id(), 1u32..=0xFF_FFFF).prop_map(|(neighbor, metric)| Link { neighbor, metric }),
        0..=5,
    );
    let node = (hostname(), role(), links)
        .prop_map(|(hostname, role, links)| LsaBody::Node(NodeLsa { hostname, role, links }));
    let prefixes = prop::collection::vec(
        (prefix_name(), any::<u32>()).prop_map(|(prefix, metric)| PrefixEntry { prefix, metric }),
        0..=4,
    )
    .prop_map(LsaBody::Prefix);
    (
        prop_oneof![3 => node, 3 => prefixes, 1 => Just(LsaBody::Purged)],
        router_id(),
        any::<u16>(),
        1u64..=u64::MAX,
        1u16..=u16::MAX,
        any::<KindArb>(),
    )
        .prop_map(|(body, origin, fragment, seq, lifetime, purge_kind)| {
            let (kind, remaining_lifetime_s) = match &body {
                LsaBody::Node(_) => (LsaKind::Node, lifetime),
                LsaBody::Prefix(_) => (LsaKind::Prefix, lifetime),
                LsaBody::Purged => (purge_kind.0, 0),
            };
            let lsa = Lsa {
                header: LsaHeader { id: LsaId { kind, origin, fragment }, seq, remaining_lifetime_s, checksum: 0 },
                body,
            };
            if lsa.body == LsaBody::Purged {
                lsa
            } else {
                with_checksum(lsa)
            }
        })
}

/// A kind, generated (a local wrapper so that `any` works).
#[derive(Debug, Clone, Copy)]
struct KindArb(LsaKind);
impl Arbitrary for KindArb {
    type Parameters = ();
    type Strategy = BoxedStrategy<KindArb>;
    fn arbitrary_with(_: ()) -> Self::Strategy {
        prop_oneof![Just(KindArb(LsaKind::Node)), Just(KindArb(LsaKind::Prefix))].boxed()
    }
}

fn body() -> impl Strategy<Value = PduBody> {
    let state = prop_oneof![Just(AdjState::Down), Just(AdjState::Init), Just(AdjState::Up)];
    let hello = (hostname(), role(), any::<u16>(), state, prop::option::of(router_id())).prop_map(
        |(hostname, role, hold_time_s, state, neighbor)| {
            PduBody::Hello(Hello { hostname, role, hold_time_s, state, neighbor })
        },
    );
    let lsu = prop::collection::vec(lsa(), 0..=3).prop_map(|lsas| PduBody::Lsu(Lsu { lsas }));
    let csnp = (prop::collection::vec(summary(), 0..=20), lsa_id(), lsa_id()).prop_map(|(mut entries, a, b)| {
        entries.sort_by_key(|e| e.id);
        let (mut start, mut end) = (a.min(b), a.max(b));
        if let (Some(first), Some(last)) = (entries.first(), entries.last()) {
            start = start.min(first.id);
            end = end.max(last.id);
        }
        if start.origin.0 > 1 && start.kind == LsaKind::Node {
            start.origin = RouterId(0); // exercise the "from the beginning" bound
        }
        PduBody::Csnp(Csnp { start, end, entries })
    });
    let psnp = prop::collection::vec(summary(), 0..=20).prop_map(|entries| PduBody::Psnp(Psnp { entries }));
    prop_oneof![hello, lsu, csnp, psnp]
}

fn pdu() -> impl Strategy<Value = Pdu> {
    (router_id(), body()).prop_map(|(sender, body)| Pdu { sender, body })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_plain(p in pdu()) {
        let bytes = encode(&p, None, 0).unwrap();
        prop_assert!(bytes.len() <= MAX_PDU_BYTES);
        prop_assert_eq!(decode(&bytes, &Keychain::none()).unwrap(), (p, None));
        fuzzing::routing_pdu(&bytes);
    }

    #[test]
    fn round_trip_signed(p in pdu(), seq in any::<u64>(), use_key2 in any::<bool>()) {
        let chain = fuzzing::fuzz_keychain();
        let key = if use_key2 { chain.accept_key(2).unwrap().clone() } else { example_key() };
        let bytes = encode(&p, Some(&key), seq).unwrap();
        prop_assert_eq!(bytes.len(), encode(&p, None, 0).unwrap().len() + AUTH_TRAILER_BYTES);
        prop_assert_eq!(decode(&bytes, &chain).unwrap(), (p, Some(AuthInfo { key_id: key.id, crypto_seq: seq })));
        fuzzing::routing_pdu(&bytes);
    }

    #[test]
    fn any_bit_flip_of_signed_pdu_is_rejected(p in pdu(), seq in any::<u64>(), bit in any::<prop::sample::Index>()) {
        let chain = fuzzing::fuzz_keychain();
        let mut bytes = encode(&p, Some(&example_key()), seq).unwrap();
        let bit = bit.index(bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(decode(&bytes, &chain).is_err());
        fuzzing::routing_pdu(&bytes);
    }

    #[test]
    fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..=200)) {
        fuzzing::routing_pdu(&bytes);
    }

    #[test]
    fn decode_never_panics_on_mutated_pdus(p in pdu(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..=4)) {
        let mut bytes = encode(&p, None, 0).unwrap();
        for (at, v) in edits {
            let i = at.index(bytes.len());
            bytes[i] = v;
        }
        fuzzing::routing_pdu(&bytes);
    }

    #[test]
    fn lsa_encoded_len_is_exact(l in lsa()) {
        let one = encode(&lsu_of(vec![l.clone()]), None, 0).unwrap();
        prop_assert_eq!(one.len(), LSU_FIXED_BYTES + lsa_encoded_len(&l));
    }
}
