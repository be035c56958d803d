//! Fuzz checks and examples as plain functions, shared by the cargo-fuzz target
//! `routing_pdu` (`fuzz/fuzz_targets/routing_pdu.rs`), the corpus replay test
//! (`tests/fuzz_corpus.rs`) and the golden tests (`tests/wire.rs`), so that
//! every corpus file is also a regression test under `cargo test` on stable
//! Rust, as in `dmsc_wire::fuzzing`.
//!
//! [`routing_pdu`] accepts arbitrary bytes, must never panic on any input, and
//! panics (via `assert!`) only when an invariant of the codec is violated:
//! - decode never panics, with an empty keychain and with [`fuzz_keychain`];
//! - an accepted PDU re-encodes to exactly the same bytes (the encoding is
//!   canonical), with the same key and crypto sequence number if authenticated;
//! - the size constants agree with the bytes (`*_FIXED_BYTES`,
//!   [`super::SUMMARY_BYTES`], [`super::lsa_encoded_len`]);
//! - every accepted non-purge LSA carries [`super::lsa_checksum`] of itself;
//! - header errors do not depend on the keychain; a PDU without trailer is
//!   `MissingAuth` under a keychain, one with a trailer `UnexpectedAuth` without;
//! - truncating an accepted PDU gives `Error::Truncated`.
//!
//! This is test support code; it allocates freely.

use dmsc_wire::name::Name;

use super::packet::Packet;
use super::{
    decode, encode, lsa_checksum, lsa_encoded_len, Error, Key, Keychain, AUTH_TRAILER_BYTES, CSNP_FIXED_BYTES,
    LSU_FIXED_BYTES, PDU_HEADER_BYTES, PSNP_FIXED_BYTES, SUMMARY_BYTES,
};
use crate::types::{
    AdjState, Csnp, Hello, Link, Lsa, LsaBody, LsaHeader, LsaId, LsaKind, Lsu, NodeLsa, Pdu, PduBody, PrefixEntry,
    Psnp, Role, RouterId,
};

/// The key the worked examples of docs/routing.md are signed with (id 1).
pub fn example_key() -> Key {
    Key { id: 1, secret: b"dmsc-example-key".to_vec(), send: true, accept: true }
}

/// The keychain the fuzz target decodes with besides the empty one: key 1 =
/// [`example_key`] (send, accept) and key 2 (accept only, secret `"dmsc-key-2"`).
pub fn fuzz_keychain() -> Keychain {
    let k2 = Key { id: 2, secret: b"dmsc-key-2".to_vec(), send: false, accept: true };
    match Keychain::new(vec![example_key(), k2]) {
        Ok(k) => k,
        Err(e) => panic!("fuzz keychain invalid: {e}"),
    }
}

fn name(uri: &str) -> Name {
    match uri.parse() {
        Ok(n) => n,
        Err(e) => panic!("bad example name {uri}: {e}"),
    }
}

/// Sets the checksum of an LSA to [`lsa_checksum`] (what an originator does).
pub fn with_checksum(mut lsa: Lsa) -> Lsa {
    lsa.header.checksum = lsa_checksum(&lsa);
    lsa
}

/// The node LSA of the examples: router 1 ("sg1", SG) with one link to router 2, metric 10.
pub fn example_node_lsa() -> Lsa {
    with_checksum(Lsa {
        header: LsaHeader {
            id: LsaId { kind: LsaKind::Node, origin: RouterId(1), fragment: 0 },
            seq: 1,
            remaining_lifetime_s: 3600,
            checksum: 0,
        },
        body: LsaBody::Node(NodeLsa {
            hostname: "sg1".into(),
            role: Role::Sg,
            links: vec![Link { neighbor: RouterId(2), metric: 10 }],
        }),
    })
}

/// The prefix LSA of the examples: router 1 reaches `/payments/charge` at metric 5.
pub fn example_prefix_lsa() -> Lsa {
    with_checksum(Lsa {
        header: LsaHeader {
            id: LsaId { kind: LsaKind::Prefix, origin: RouterId(1), fragment: 0 },
            seq: 1,
            remaining_lifetime_s: 3600,
            checksum: 0,
        },
        body: LsaBody::Prefix(vec![PrefixEntry { prefix: name("/payments/charge"), metric: 5 }]),
    })
}

/// The worked examples of docs/routing.md §10, one per PDU type plus a purge;
/// `(label, pdu, signed)` where `signed` means encoded with [`example_key`] and
/// crypto sequence number 1.
pub fn examples() -> Vec<(&'static str, Pdu, bool)> {
    let node = example_node_lsa();
    let prefix = example_prefix_lsa();
    let hello = Pdu {
        sender: RouterId(1),
        body: PduBody::Hello(Hello {
            hostname: "sg1".into(),
            role: Role::Sg,
            hold_time_s: 30,
            state: AdjState::Init,
            neighbor: Some(RouterId(2)),
        }),
    };
    let lsu = Pdu { sender: RouterId(1), body: PduBody::Lsu(Lsu { lsas: vec![node.clone(), prefix.clone()] }) };
    let purge = Pdu {
        sender: RouterId(1),
        body: PduBody::Lsu(Lsu {
            lsas: vec![Lsa {
                header: LsaHeader { seq: 2, remaining_lifetime_s: 0, checksum: 0, ..prefix.header },
                body: LsaBody::Purged,
            }],
        }),
    };
    let csnp = Pdu {
        sender: RouterId(2),
        body: PduBody::Csnp(Csnp {
            start: LsaId { kind: LsaKind::Node, origin: RouterId(0), fragment: 0 },
            end: LsaId { kind: LsaKind::Prefix, origin: RouterId(u64::MAX), fragment: u16::MAX },
            entries: vec![node.header, prefix.header],
        }),
    };
    let psnp = Pdu { sender: RouterId(2), body: PduBody::Psnp(Psnp { entries: vec![node.header] }) };
    vec![
        ("hello", hello.clone(), false),
        ("lsu", lsu, false),
        ("lsu_purge", purge, false),
        ("csnp", csnp, false),
        ("psnp", psnp, false),
        ("hello_auth", hello, true),
    ]
}

/// Encodes one example as [`examples`] describes.
pub fn encode_example(pdu: &Pdu, signed: bool) -> Vec<u8> {
    let key = example_key();
    match encode(pdu, signed.then_some(&key), 1) {
        Ok(b) => b,
        Err(e) => panic!("example does not encode: {e}"),
    }
}

/// The seed corpus of the `routing_pdu` target: `(file stem, bytes)`. Every
/// example, each also signed with key 2 of [`fuzz_keychain`] where it was not,
/// and a few near misses (bad LSA checksum, bad MAC, truncated).
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let k2 = Key { id: 2, secret: b"dmsc-key-2".to_vec(), send: false, accept: true };
    let mut out = Vec::new();
    for (label, pdu, signed) in examples() {
        out.push((format!("seed-{label}"), encode_example(&pdu, signed)));
        if !signed {
            if let Ok(b) = encode(&pdu, Some(&k2), 7) {
                out.push((format!("seed-{label}_key2"), b));
            }
        }
    }
    let lsu = encode_example(&examples()[1].1, false);
    let mut bad_checksum = lsu.clone();
    // Last byte of the first LSA's checksum (header 16 + count 2 + offset 23).
    if let Some(b) = bad_checksum.get_mut(PDU_HEADER_BYTES + 2 + 23) {
        *b ^= 0x01;
    }
    out.push(("seed-lsu_bad_checksum".into(), bad_checksum));
    let mut bad_mac = encode_example(&examples()[0].1, true);
    if let Some(b) = bad_mac.last_mut() {
        *b ^= 0x80;
    }
    out.push(("seed-hello_bad_mac".into(), bad_mac));
    out.push(("seed-lsu_truncated".into(), lsu[..lsu.len() - 3].to_vec()));
    out
}

/// The fuzz check: see the module docs.
pub fn routing_pdu(data: &[u8]) {
    let none = Keychain::none();
    let keyed = fuzz_keychain();
    let header = Packet::new_checked(data);
    let plain = decode(data, &none);
    let authed = decode(data, &keyed);
    if let Err(e) = header {
        assert_eq!(plain.as_ref().err(), Some(&e), "header error depends on decode path");
        assert_eq!(authed.as_ref().err(), Some(&e), "header error depends on keychain");
        return;
    }
    let has_auth = Packet::new_unchecked(data).has_auth();
    if has_auth {
        assert_eq!(plain.as_ref().err(), Some(&Error::UnexpectedAuth));
    } else {
        assert_eq!(authed.as_ref().err(), Some(&Error::MissingAuth));
    }
    let (result, chain) = if has_auth { (authed, &keyed) } else { (plain, &none) };
    let (pdu, auth) = match result {
        Ok(ok) => ok,
        Err(e) => {
            assert!(!e.counter_name().is_empty());
            return;
        }
    };
    assert_eq!(auth.is_some(), has_auth);
    assert_ne!(pdu.sender.0, 0);

    // Canonical: re-encoding gives the same bytes.
    let key = auth.and_then(|a| chain.accept_key(a.key_id));
    let again = encode(&pdu, key, auth.map_or(0, |a| a.crypto_seq)).expect("accepted PDU re-encodes");
    assert_eq!(again, data, "encoding is not canonical");

    // Size constants.
    let trailer = if has_auth { AUTH_TRAILER_BYTES } else { 0 };
    match &pdu.body {
        PduBody::Hello(_) => {}
        PduBody::Lsu(l) => {
            let sum: usize = l.lsas.iter().map(lsa_encoded_len).sum();
            assert_eq!(LSU_FIXED_BYTES + sum + trailer, data.len());
            for lsa in &l.lsas {
                if lsa.body != LsaBody::Purged {
                    assert_eq!(lsa_checksum(lsa), lsa.header.checksum);
                }
            }
        }
        PduBody::Csnp(c) => assert_eq!(CSNP_FIXED_BYTES + c.entries.len() * SUMMARY_BYTES + trailer, data.len()),
        PduBody::Psnp(p) => assert_eq!(PSNP_FIXED_BYTES + p.entries.len() * SUMMARY_BYTES + trailer, data.len()),
    }

    // Truncation.
    for cut in [0, PDU_HEADER_BYTES - 1, PDU_HEADER_BYTES, data.len() - 1] {
        if cut < data.len() {
            assert_eq!(decode(&data[..cut], chain).err(), Some(Error::Truncated), "cut at {cut}");
        }
    }
}
