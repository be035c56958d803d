//! Property tests: `Fib` (single and burst lookups, full builds and
//! incremental changes) and `HashFib` against the linear-scan `NaiveFib`.
//! Small alphabets so that prefixes collide a lot; 0–10 components.

mod common;
use common::{check_lookups, hops, name, probes, same};
use std::collections::BTreeMap;

use dmsc_fib::hashmap::HashFib;
use dmsc_fib::naive::NaiveFib;
use dmsc_fib::{Fib, FibChange, NextHop};
use dmsc_wire::name::Name;
use proptest::prelude::*;

/// Route prefixes of 0..=6 components, plus a few of up to 12 (so that the
/// burst path's 17-key variant, FIB depth 9..=16, is exercised too).
fn routes(max: usize) -> impl Strategy<Value = BTreeMap<Name, Vec<NextHop>>> {
    let prefix = prop_oneof![4 => name(6), 1 => name(12)];
    proptest::collection::btree_map(prefix, hops(), 0..max)
}

fn check_all(fib: &Fib, routes: &BTreeMap<Name, Vec<NextHop>>, names: &[Name]) -> Result<(), TestCaseError> {
    let naive = NaiveFib::build(routes.clone()).unwrap();
    let hash = HashFib::build(routes.clone()).unwrap();
    prop_assert_eq!(fib.len(), routes.len());
    // The random names and every route prefix, also extended by one component.
    let probe = probes(routes, names);
    check_lookups(fib, &naive, &probe)?;
    for n in probe.iter().map(Name::as_ref) {
        let got = fib.lookup(n);
        prop_assert!(same(naive.lookup(n), hash.lookup(n)), "hashfib {}", n);
        if let Some(e) = got {
            prop_assert!(n.starts_with(e.prefix()));
            prop_assert_eq!(e.next_hop_for_flow(7), e.next_hop_for_flow(7));
            prop_assert!(e.best_next_hops().contains(e.next_hop_for_flow(12345)));
        }
    }
    let sorted: Vec<&[u8]> = fib.entries().map(|e| e.prefix().wire()).collect();
    let expect: Vec<&[u8]> = routes.keys().map(Name::wire).collect();
    prop_assert_eq!(sorted, expect);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, .. ProptestConfig::default() })]

    #[test]
    fn lookup_matches_naive(routes in routes(40), names in proptest::collection::vec(name(14), 0..60)) {
        let fib = Fib::build(routes.clone()).unwrap();
        check_all(&fib, &routes, &names)?;
    }

    #[test]
    fn changes_match_rebuild(
        routes in routes(30),
        changes in proptest::collection::vec((name(6), proptest::option::of(hops())), 0..30),
        names in proptest::collection::vec(name(10), 0..40),
    ) {
        let fib = Fib::build(routes.clone()).unwrap();
        let mut expect = routes.clone();
        let mut list = Vec::new();
        for (prefix, hops) in changes {
            match hops {
                Some(h) => {
                    expect.insert(prefix.clone(), h.clone());
                    list.push(FibChange::Upsert(prefix, h));
                }
                None => {
                    expect.remove(&prefix);
                    list.push(FibChange::Remove(prefix));
                }
            }
        }
        let next = fib.with_changes(list).unwrap();
        check_all(&next, &expect, &names)?;
        // The old snapshot is untouched.
        check_all(&fib, &routes, &names)?;
    }
}
