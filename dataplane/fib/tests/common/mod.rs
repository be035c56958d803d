//! Proptest generators shared by the FIB test files.
#![allow(dead_code)]

use dmsc_fib::NextHop;
use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::Name;
use proptest::prelude::*;

/// Components from a tiny alphabet, including byte-prefixes of each other
/// ("a", "ab", "aba") and a long one (hash classes > 16 bytes).
pub fn component() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"a".to_vec()),
        Just(b"b".to_vec()),
        Just(b"ab".to_vec()),
        Just(b"aba".to_vec()),
        Just(vec![0u8]),
        Just(b"seventeen-bytes!!".to_vec()),
        proptest::collection::vec(any::<u8>(), 1..4),
    ]
}

pub fn name(max: usize) -> impl Strategy<Value = Name> {
    proptest::collection::vec(component(), 0..=max)
        .prop_map(|cs| Name::from_components(cs).unwrap())
}

pub fn hops() -> impl Strategy<Value = Vec<NextHop>> {
    proptest::collection::vec(
        (0u16..4, 0u8..3, 0u32..3).prop_map(|(port, m, cost)| NextHop {
            port,
            mac: MacAddr([2, 0, 0, 0, 0, m]),
            cost,
        }),
        1..4,
    )
}
