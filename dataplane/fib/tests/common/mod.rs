//! Proptest generators shared by the FIB test files.
#![allow(dead_code)]

use std::collections::BTreeMap;

use dmsc_fib::naive::NaiveFib;
use dmsc_fib::{Fib, FibEntry, NextHop};
use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::Name;
use dmsc_wire::name::NameRef;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

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
    proptest::collection::vec(component(), 0..=max).prop_map(|cs| Name::from_components(cs).unwrap())
}

pub fn hops() -> impl Strategy<Value = Vec<NextHop>> {
    proptest::collection::vec(
        (0u16..4, 0u8..3, 0u32..3).prop_map(|(port, m, cost)| NextHop { port, mac: MacAddr([2, 0, 0, 0, 0, m]), cost }),
        1..4,
    )
}

/// Same prefix and next hops (or both absent).
pub fn same(a: Option<&FibEntry>, b: Option<&FibEntry>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.prefix() == b.prefix() && a.next_hops() == b.next_hops(),
        _ => false,
    }
}

/// The names to probe: `names`, every route prefix, and each prefix
/// extended by one component.
pub fn probes(routes: &BTreeMap<Name, Vec<NextHop>>, names: &[Name]) -> Vec<Name> {
    let mut probe: Vec<Name> = names.to_vec();
    for p in routes.keys() {
        probe.push(p.clone());
        let mut longer = p.clone();
        if longer.push(b"a").is_ok() {
            probe.push(longer);
        }
    }
    probe
}

/// Single and burst lookups of every probe agree with the linear-scan oracle.
pub fn check_lookups(fib: &Fib, naive: &NaiveFib, probe: &[Name]) -> Result<(), TestCaseError> {
    let refs: Vec<NameRef<'_>> = probe.iter().map(Name::as_ref).collect();
    let mut burst = vec![None; refs.len()];
    fib.lookup_burst(&refs, &mut burst);
    for (i, n) in refs.iter().enumerate() {
        let want = naive.lookup(*n);
        let got = fib.lookup(*n);
        prop_assert!(same(want, got), "fib {}: want {:?} got {:?}", n, want, got);
        prop_assert!(same(want, burst[i]), "burst {}: want {:?} got {:?}", n, want, burst[i]);
    }
    Ok(())
}
