//! `FibWriter` (left-right in-place updates): property tests against
//! `NaiveFib` over random sequences of batches (adds, next-hop replacements,
//! removals, with descendants and the root), checking the live copy after
//! every batch and that both copies converge; error atomicity; and a race
//! test with lcore-like readers while the writer applies thousands of
//! batches.

mod common;
use common::{check_lookups, hops, name, probes, same};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use dmsc_fib::naive::NaiveFib;
use dmsc_fib::{Fib, FibChange, FibEntry, FibError, FibWriter, LookupCache, NextHop};
use dmsc_rcu::Reader;
use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::{Name, NameRef};
use proptest::prelude::*;

type Routes = BTreeMap<Name, Vec<NextHop>>;

#[derive(Clone, Debug)]
enum Op {
    Upsert(Name, Vec<NextHop>),
    Remove(Name),
    /// Remove the `i % len`-th current route (so removals hit often).
    RemoveExisting(usize),
    /// Replace the next hops of the `i % len`-th current route.
    ReplaceExisting(usize, Vec<NextHop>),
}

fn op() -> impl Strategy<Value = Op> {
    let prefix = prop_oneof![4 => name(5), 1 => name(11)];
    prop_oneof![
        3 => (prefix, hops()).prop_map(|(n, h)| Op::Upsert(n, h)),
        1 => name(5).prop_map(Op::Remove),
        2 => any::<usize>().prop_map(Op::RemoveExisting),
        1 => (any::<usize>(), hops()).prop_map(|(i, h)| Op::ReplaceExisting(i, h)),
    ]
}

/// Filler routes under `/filler` (so that the table has room for in-place
/// insertions before a grow-rebuild) plus `extra`.
fn initial(extra: &Routes, filler: usize) -> Routes {
    let mut r = extra.clone();
    for i in 0..filler {
        let hop = NextHop { port: 9, mac: MacAddr([2, 0, 0, 0, 9, 9]), cost: 1 };
        r.insert(format!("/filler/{i}").parse().unwrap(), vec![hop]);
    }
    r
}

/// Checks `fib` against the model: lookups (single and burst) of `names`,
/// of every route prefix and of each extended by one component; `len`,
/// `get`, sorted `entries`.
fn check(fib: &Fib, routes: &Routes, names: &[Name]) -> Result<(), TestCaseError> {
    let naive = NaiveFib::build(routes.clone()).unwrap();
    prop_assert_eq!(fib.len(), routes.len());
    let probe = probes(routes, names);
    check_lookups(fib, &naive, &probe)?;
    for n in &probe {
        let want = routes.get(n).map(|h| FibEntry::new(n.clone(), h.clone()).unwrap());
        prop_assert!(same(want.as_ref(), fib.get(n.as_ref())), "get {}", n);
    }
    let sorted: Vec<&[u8]> = fib.entries().map(|e| e.prefix().wire()).collect();
    let expect: Vec<&[u8]> = routes.keys().map(Name::wire).collect();
    prop_assert_eq!(sorted, expect);
    Ok(())
}

/// Looks the probe names up twice through each of `caches` (kept across
/// batches, so they hold answers from earlier versions): every answer must be
/// the model's.
fn check_cached(caches: &mut [LookupCache], fib: &Fib, routes: &Routes, names: &[Name]) -> Result<(), TestCaseError> {
    let naive = NaiveFib::build(routes.clone()).unwrap();
    let probe = probes(routes, names);
    let refs: Vec<NameRef<'_>> = probe.iter().map(Name::as_ref).collect();
    for cache in caches.iter_mut() {
        for round in 0..2 {
            let mut out = vec![None; refs.len()];
            cache.lookup_burst(fib, &refs, &mut out);
            for (n, got) in refs.iter().zip(&out) {
                let want = naive.lookup(*n);
                prop_assert!(
                    same(want, *got),
                    "cache of {} round {round}, {}: want {:?} got {:?}",
                    cache.capacity(),
                    n,
                    want,
                    got
                );
            }
        }
    }
    Ok(())
}

/// Applies `ops` to the model and returns the batch.
fn batch(model: &mut Routes, ops: &[Op]) -> Vec<FibChange> {
    let mut out = Vec::new();
    for op in ops {
        let pick = |i: usize| model.keys().nth(i % model.len().max(1)).cloned();
        match op.clone() {
            Op::Upsert(n, h) => {
                model.insert(n.clone(), h.clone());
                out.push(FibChange::Upsert(n, h));
            }
            Op::Remove(n) => {
                model.remove(&n);
                out.push(FibChange::Remove(n));
            }
            Op::RemoveExisting(i) => {
                if let Some(n) = pick(i) {
                    model.remove(&n);
                    out.push(FibChange::Remove(n));
                }
            }
            Op::ReplaceExisting(i, h) => {
                if let Some(n) = pick(i) {
                    model.insert(n.clone(), h.clone());
                    out.push(FibChange::Upsert(n, h));
                }
            }
        }
    }
    out
}

/// Runs `f` on the live FIB through an lcore reader, kept offline while the
/// writer works (this thread is the writer too).
fn with_live<R>(reader: &mut Reader<Fib>, f: impl FnOnce(&Fib) -> R) -> R {
    reader.online();
    let r = f(&reader.read());
    reader.offline();
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn batches_match_naive_and_copies_converge(
        start in proptest::collection::btree_map(name(5), hops(), 0..20),
        filler in prop_oneof![Just(0usize), Just(150)],
        batches in proptest::collection::vec(prop_oneof![
            3 => proptest::collection::vec(op(), 0..14),
            // Next-hop changes only: the shape, and so the caches, survive.
            1 => proptest::collection::vec(
                (any::<usize>(), hops()).prop_map(|(i, h)| Op::ReplaceExisting(i, h)),
                1..6,
            ),
        ], 1..8),
        names in proptest::collection::vec(name(8), 0..30),
    ) {
        let mut model = initial(&start, filler);
        let (mut writer, rcu) = FibWriter::new(Fib::build(model.clone()).unwrap());
        let mut reader = rcu.register();
        reader.offline();
        with_live(&mut reader, |f| check(f, &model, &names))?;
        let mut versions = vec![writer.version()];
        let mut shapes = vec![writer.standby().shape()];
        // A tiny cache (evictions every burst) and a roomy one.
        let mut caches = [LookupCache::new(4), LookupCache::new(1024)];
        with_live(&mut reader, |f| check_cached(&mut caches, f, &model, &names))?;
        for ops in &batches {
            let before = model.len();
            let changes = batch(&mut model, ops);
            let stats = writer.apply(changes).unwrap();
            prop_assert_eq!(before + stats.added - stats.removed, model.len());
            prop_assert_eq!(writer.len(), model.len());
            with_live(&mut reader, |live| {
                prop_assert!(!versions.contains(&live.version()), "a new version");
                versions.push(live.version());
                // Adding or removing a prefix gives a new shape; replacing
                // next hops keeps it (the caches' results stay valid).
                let last = *shapes.last().unwrap();
                if stats.added + stats.removed > 0 {
                    prop_assert!(!shapes.contains(&live.shape()), "a new shape");
                } else {
                    prop_assert_eq!(live.shape(), last, "a replacement changed the shape");
                }
                shapes.push(live.shape());
                prop_assert!(writer.standby().identical_layout(live), "copies diverged");
                check(live, &model, &names)?;
                check_cached(&mut caches, live, &model, &names)
            })?;
        }
        // A rebuild from scratch agrees too (same lookups as the in-place copies).
        check(&Fib::build(model.clone()).unwrap(), &model, &names)?;
    }
}

fn hop(port: u16) -> NextHop {
    NextHop { port, mac: MacAddr([2, 0, 0, 0, 0, port as u8]), cost: 1 }
}

fn n(uri: &str) -> Name {
    uri.parse().unwrap()
}

fn port(fib: &Fib, name: &str) -> Option<u16> {
    fib.lookup(n(name).as_ref()).map(|e| e.next_hops()[0].port)
}

#[test]
fn root_interior_and_subtree_changes() {
    let routes: Vec<(Name, Vec<NextHop>)> =
        (0..500).map(|i| (n(&format!("/s/{}/m/{i}", i % 7)), vec![hop(1)])).collect();
    let (mut w, rcu) = FibWriter::new(Fib::build(routes).unwrap());
    let mut r = rcu.register();
    r.offline();
    let live = |r: &mut Reader<Fib>, name: &str| with_live(r, |f| port(f, name));
    assert_eq!(live(&mut r, "/x"), None);
    // Default route: O(1), every miss now takes it.
    let s = w.apply([FibChange::Upsert(Name::root(), vec![hop(2)])]).unwrap();
    assert_eq!((s.added, s.rebuilt), (1, false));
    assert_eq!(live(&mut r, "/x"), Some(2));
    assert_eq!(live(&mut r, "/s/3/m"), Some(2));
    // An interior prefix above 71 routes: its subtree's nodes take it.
    w.apply([FibChange::Upsert(n("/s/3"), vec![hop(3)])]).unwrap();
    assert_eq!(live(&mut r, "/s/3/m"), Some(3));
    assert_eq!(live(&mut r, "/s/3/m/nope"), Some(3));
    assert_eq!(live(&mut r, "/s/3/m/3"), Some(1));
    assert_eq!(live(&mut r, "/s/4/m/nope"), Some(2));
    // Remove the leaves under /s/3: their nodes go, /s/3 stays.
    let leaves: Vec<FibChange> =
        (0..500).filter(|i| i % 7 == 3).map(|i| FibChange::Remove(n(&format!("/s/3/m/{i}")))).collect();
    let s = w.apply(leaves).unwrap();
    assert_eq!(s.removed, 71);
    assert_eq!(live(&mut r, "/s/3/m/3"), Some(3));
    // Remove an interior prefix with descendants, and the root, in one batch.
    w.apply([
        FibChange::Remove(n("/s/3")),
        FibChange::Remove(Name::root()),
        FibChange::Upsert(n("/s/4/m"), vec![hop(4)]),
    ])
    .unwrap();
    assert_eq!(live(&mut r, "/s/3/m/3"), None);
    assert_eq!(live(&mut r, "/x"), None);
    assert_eq!(live(&mut r, "/s/4/m/4"), Some(1));
    assert_eq!(live(&mut r, "/s/4/m/x"), Some(4));
    // Remove the aggregate above live leaves: they keep their own routes.
    w.apply([FibChange::Remove(n("/s/4/m"))]).unwrap();
    assert_eq!(live(&mut r, "/s/4/m/x"), None);
    assert_eq!(live(&mut r, "/s/4/m/4"), Some(1));
    with_live(&mut r, |f| assert!(w.standby().identical_layout(f)));
}

#[test]
fn failed_batch_changes_nothing() {
    let (mut w, rcu) = FibWriter::new(Fib::build([(n("/a"), vec![hop(1)])]).unwrap());
    let mut r = rcu.register();
    r.offline();
    let v = w.version();
    assert_eq!(w.generation(), 0);
    let err = w
        .apply([
            FibChange::Remove(n("/a")),
            FibChange::Upsert(n("/b"), vec![hop(2)]),
            FibChange::Upsert(n("/c"), vec![]),
        ])
        .unwrap_err();
    assert_eq!(err, FibError::NoNextHop { route: 2 });
    assert_eq!(w.version(), v);
    assert_eq!(w.generation(), 0, "a failed batch publishes nothing");
    assert_eq!(w.len(), 1);
    with_live(&mut r, |f| {
        assert_eq!(f.version(), v);
        assert_eq!(port(f, "/a/x"), Some(1));
        assert_eq!(port(f, "/b"), None);
    });
    // The writer still works afterwards.
    w.apply([FibChange::Upsert(n("/b"), vec![hop(2)])]).unwrap();
    assert_eq!(w.generation(), 1);
    with_live(&mut r, |f| assert_eq!(port(f, "/b"), Some(2)));
}

#[test]
fn churn_grows_and_compacts_in_place() {
    // Many add/remove rounds on fresh prefixes: the table grows and the key
    // arena fills with garbage, forcing rebuilds between in-place batches.
    let (mut w, rcu) = FibWriter::new(Fib::empty());
    let mut r = rcu.register();
    r.offline();
    let (mut rebuilt, mut in_place) = (0, 0);
    for round in 0..60u32 {
        let adds = (0..200).map(|i| FibChange::Upsert(n(&format!("/r{round}/x/{i}")), vec![hop((i % 5) as u16)]));
        let removes = (0..200).map(|i| FibChange::Remove(n(&format!("/r{}/x/{i}", round.wrapping_sub(2)))));
        let s = w.apply(adds.chain(removes)).unwrap();
        if s.rebuilt {
            rebuilt += 1;
        } else {
            in_place += 1;
        }
        assert_eq!(w.len(), 200 * (round.min(1) as usize + 1));
        with_live(&mut r, |f| {
            assert!(w.standby().identical_layout(f));
            assert_eq!(port(f, &format!("/r{round}/x/7/y")), Some(2));
            assert_eq!(port(f, &format!("/r{}/x/7", round.wrapping_sub(2))), None);
        });
    }
    assert!(rebuilt > 0 && in_place > rebuilt, "{rebuilt} rebuilt, {in_place} in place");
}

const PROBES: usize = 64;

fn probe_name(i: usize) -> Name {
    n(&format!("/svc{}/m{}/item{}/leaf", i % 8, i % 5, i))
}

/// The route set of version `v` (as in `tests/race.rs`): costs carry `v`,
/// ports its parity, and even and odd versions differ in structure (the
/// `/svcK/mJ` aggregates and half of the probes' exact prefixes come and go).
fn version(v: u64) -> Routes {
    let parity = (v % 2) as u16;
    let mut routes = Vec::new();
    for k in 0..8u16 {
        routes.push((n(&format!("/svc{k}")), 2000 + 2 * k + parity));
        if parity == 0 {
            for j in 0..5u16 {
                routes.push((n(&format!("/svc{k}/m{j}")), 4000 + 2 * (k * 5 + j)));
            }
        }
    }
    for i in 0..PROBES {
        let mut p = probe_name(i);
        p.pop();
        if i % 2 == parity as usize {
            routes.push((p, 2 * i as u16 + parity));
        }
    }
    let mac = MacAddr([2, 0, 0, 0, 0, 1]);
    routes.into_iter().map(|(name, port)| (name, vec![NextHop { port, mac, cost: v as u32 }])).collect()
}

#[test]
fn readers_see_whole_versions_while_writer_applies_batches() {
    let (mut writer, rcu) = FibWriter::new(Fib::build(version(0)).unwrap());
    let base = writer.version();
    let stop = Arc::new(AtomicBool::new(false));
    let lookups = Arc::new(AtomicU64::new(0));
    let names: Arc<Vec<Name>> = Arc::new((0..PROBES).map(probe_name).collect());
    let mut readers = Vec::new();
    for _ in 0..2 {
        let mut reader = rcu.register();
        let (stop, lookups, names) = (stop.clone(), lookups.clone(), names.clone());
        readers.push(thread::spawn(move || {
            let refs: Vec<NameRef<'_>> = names.iter().map(Name::as_ref).collect();
            let mut last = 0;
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                {
                    let mut out = [None; PROBES];
                    let fib = reader.read();
                    fib.lookup_burst(&refs, &mut out);
                    let cost = out[0].unwrap().next_hops()[0].cost;
                    assert_eq!(u64::from(cost), fib.version() - base, "stamp != contents");
                    assert!(cost >= last, "versions went backwards");
                    last = cost;
                    let parity = cost % 2;
                    for (i, (name, got)) in refs.iter().zip(&out).enumerate() {
                        let e = got.expect("every probe has a route");
                        assert_eq!(Some(e), fib.lookup(*name), "burst == single");
                        let hop = e.next_hop_for_flow(i as u32);
                        assert_eq!(hop.cost, cost, "mixed versions in one guard");
                        assert_eq!(hop.port as u32 % 2, parity, "port parity != version");
                        let depth = e.prefix().len();
                        match (parity, i % 2 == parity as usize) {
                            (_, true) => {
                                assert_eq!((depth, hop.port as usize), (3, 2 * i + parity as usize))
                            }
                            (0, false) => assert_eq!(depth, 2),
                            (_, false) => assert_eq!(depth, 1),
                        }
                    }
                    n += refs.len() as u64;
                }
                reader.quiescent();
            }
            lookups.fetch_add(n, Ordering::Relaxed);
        }));
    }
    let mut prev = version(0);
    for v in 1..=3000u64 {
        let next = version(v);
        let changes: Vec<FibChange> = prev
            .keys()
            .filter(|k| !next.contains_key(*k))
            .map(|k| FibChange::Remove(k.clone()))
            .chain(next.iter().map(|(k, h)| FibChange::Upsert(k.clone(), h.clone())))
            .collect();
        writer.apply(changes).unwrap();
        prev = next;
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    assert!(lookups.load(Ordering::Relaxed) > 0);
    assert_eq!(writer.version() - base, 3000);
}
