//! Unit tests: LPM edge cases, errors, incremental changes, the collision
//! slow path, bursts.

use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::{Name, NameRef};

use crate::naive::NaiveFib;
use crate::{Fib, FibChange, FibEntry, FibError, NextHop};

fn n(uri: &str) -> Name {
    uri.parse().unwrap()
}

fn hop(port: u16) -> NextHop {
    NextHop { port, mac: MacAddr([2, 0, 0, 0, 0, port as u8]), cost: 10 }
}

fn fib(routes: &[(&str, u16)]) -> Fib {
    Fib::build(routes.iter().map(|&(p, port)| (n(p), vec![hop(port)]))).unwrap()
}

fn port(f: &Fib, name: &str) -> Option<u16> {
    let name = n(name);
    let single = f.lookup(name.as_ref()).map(|e| e.next_hops()[0].port);
    let mut out = [None];
    f.lookup_burst(&[name.as_ref()], &mut out);
    assert_eq!(single, out[0].map(|e| e.next_hops()[0].port), "burst == single");
    single
}

#[test]
fn empty_fib_misses() {
    let f = Fib::empty();
    assert!(f.is_empty());
    assert_eq!(port(&f, "/"), None);
    assert_eq!(port(&f, "/a/b"), None);
    assert!(f.memory_bytes() > 0);
}

#[test]
fn root_default_route() {
    let f = fib(&[("/", 1), ("/a/b", 2)]);
    assert_eq!(port(&f, "/"), Some(1));
    assert_eq!(port(&f, "/x"), Some(1));
    assert_eq!(port(&f, "/a"), Some(1));
    assert_eq!(port(&f, "/a/b"), Some(2));
    assert_eq!(port(&f, "/a/b/c/d/e"), Some(2));
    assert_eq!(port(&f, "/a/c"), Some(1));
}

#[test]
fn exact_deeper_and_sibling() {
    let f = fib(&[("/a", 1), ("/a/b/c", 3), ("/a/b/c/d/e", 5)]);
    assert_eq!(f.nodes(), 5);
    assert_eq!(f.max_depth(), 5);
    assert_eq!(port(&f, "/"), None);
    assert_eq!(port(&f, "/a"), Some(1));
    assert_eq!(port(&f, "/a/b"), Some(1), "interior node inherits /a");
    assert_eq!(port(&f, "/a/b/c"), Some(3));
    assert_eq!(port(&f, "/a/b/c/d"), Some(3));
    assert_eq!(port(&f, "/a/b/c/d/e"), Some(5));
    assert_eq!(port(&f, "/a/b/c/d/e/f/g/h/i/j/k"), Some(5));
    assert_eq!(port(&f, "/a/b/d"), Some(1), "sibling of a deeper route");
    assert_eq!(port(&f, "/b"), None);
}

#[test]
fn component_boundaries_not_bytes() {
    // /ab and /a/b differ; /a is not a prefix of /ab.
    let f = fib(&[("/a", 1), ("/ab", 2), ("/a/b", 3), ("/abc/d", 4)]);
    assert_eq!(port(&f, "/ab"), Some(2));
    assert_eq!(port(&f, "/ab/x"), Some(2));
    assert_eq!(port(&f, "/a/b"), Some(3));
    assert_eq!(port(&f, "/a/bc"), Some(1));
    assert_eq!(port(&f, "/abc"), None);
    assert_eq!(port(&f, "/abc/d/e"), Some(4));
    assert_eq!(port(&f, "/abcd"), None);
    let g = fib(&[("/ab", 2)]);
    assert_eq!(port(&g, "/a/b"), None);
    assert_eq!(port(&g, "/a"), None);
}

#[test]
fn long_components_and_deep_names() {
    let big = "x".repeat(255);
    let deep: Vec<String> = (0..32).map(|i| format!("c{i}")).collect();
    let deep_uri = format!("/{}", deep.join("/"));
    let half_uri = format!("/{}", deep[..16].join("/"));
    let f = fib(&[(&format!("/{big}/y"), 1), (&deep_uri, 2), (&half_uri, 3)]);
    assert_eq!(port(&f, &format!("/{big}/y/z")), Some(1));
    assert_eq!(port(&f, &format!("/{big}")), None);
    assert_eq!(port(&f, &deep_uri), Some(2));
    assert_eq!(port(&f, &format!("/{}/zz", deep[..20].join("/"))), Some(3));
    // Every component length class of the hash (1..=255 bytes).
    let routes: Vec<(Name, Vec<NextHop>)> = (1..=255usize)
        .map(|l| (Name::from_components([vec![b'k'; l], b"v".to_vec()]).unwrap(), vec![hop(l as u16)]))
        .collect();
    let f = Fib::build(routes).unwrap();
    for l in 1..=255usize {
        let name = Name::from_components([vec![b'k'; l], b"v".to_vec(), b"w".to_vec()]).unwrap();
        assert_eq!(f.lookup(name.as_ref()).unwrap().next_hops()[0].port, l as u16);
        let miss = Name::from_components([vec![b'k'; l]]).unwrap();
        assert!(f.lookup(miss.as_ref()).is_none());
    }
}

#[test]
fn build_errors() {
    let e = Fib::build([(n("/a"), vec![hop(1)]), (n("/b"), vec![])]).unwrap_err();
    assert_eq!(e, FibError::NoNextHop { route: 1 });
    let e = Fib::build([(n("/a"), vec![hop(1)]), (n("/b"), vec![hop(1)]), (n("/a"), vec![hop(2)])]).unwrap_err();
    assert_eq!(e, FibError::DuplicatePrefix { route: 2 });
    assert_eq!(e.to_string(), "route 2 repeats the prefix of an earlier route");
    assert_eq!(
        NaiveFib::build([(n("/a"), vec![hop(1)]), (n("/a"), vec![hop(2)])]).unwrap_err(),
        FibError::DuplicatePrefix { route: 1 }
    );
}

#[test]
fn entries_sorted_and_get() {
    let f = fib(&[("/b", 1), ("/a/z", 2), ("/", 0), ("/a", 3)]);
    let prefixes: Vec<String> = f.entries().map(|e| e.prefix().to_string()).collect();
    assert_eq!(prefixes, ["/", "/a", "/a/z", "/b"]);
    assert_eq!(f.get(n("/a/z").as_ref()).unwrap().next_hops()[0].port, 2);
    assert!(f.get(n("/a/y").as_ref()).is_none());
    assert_eq!(f.len(), 4);
}

#[test]
fn with_changes_upsert_and_remove() {
    let f = fib(&[("/a", 1), ("/a/b", 2), ("/c", 3)]);
    let g = f
        .with_changes([
            FibChange::Remove(n("/a/b")),
            FibChange::Upsert(n("/c"), vec![hop(30)]),
            FibChange::Upsert(n("/0"), vec![hop(7)]),
            FibChange::Upsert(n("/d/e"), vec![hop(8)]),
            FibChange::Remove(n("/nope")),
            FibChange::Upsert(n("/z"), vec![hop(9)]),
            FibChange::Remove(n("/z")),
        ])
        .unwrap();
    assert_eq!(port(&f, "/a/b/x"), Some(2), "old snapshot unchanged");
    assert_eq!(port(&g, "/a/b/x"), Some(1));
    assert_eq!(port(&g, "/c"), Some(30));
    assert_eq!(port(&g, "/0/1"), Some(7));
    assert_eq!(port(&g, "/d/e/f"), Some(8));
    assert_eq!(port(&g, "/d"), None);
    assert_eq!(port(&g, "/z"), None);
    assert_eq!(g.len(), 4);
    let sorted: Vec<&[u8]> = g.entries().map(|e| e.prefix().wire()).collect();
    assert!(sorted.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(f.with_changes([FibChange::Upsert(n("/q"), vec![])]).unwrap_err(), FibError::NoNextHop { route: 0 });
}

#[test]
fn hash_collision_never_misroutes() {
    let f = fib(&[("/a", 1), ("/a/b", 2), ("/a/b/c", 3), ("/q/r", 4)]);
    // A node with /a/x's key but /a/b's bytes (same wire length) sits first
    // in /a/x's probe chain: the fast path takes it, verification rejects it.
    let c = f.with_collision(n("/a/x").as_ref(), n("/a/b").as_ref());
    assert_eq!(port(&c, "/a/x"), Some(1));
    assert_eq!(port(&c, "/a/x/y/z"), Some(1));
    assert_eq!(port(&c, "/a/b/c/d"), Some(3));
    assert_eq!(port(&c, "/a/b"), Some(2));
    // A collision with an existing key: /q/r's bytes under /a/b's key, placed
    // before the real /a/b in the chain.
    let c = f.with_collision(n("/a/b").as_ref(), n("/q/r").as_ref());
    assert_eq!(port(&c, "/a/b"), Some(2));
    assert_eq!(port(&c, "/a/b/zz"), Some(2));
    assert_eq!(port(&c, "/a/b/c"), Some(3));
    assert_eq!(port(&c, "/q/r/s"), Some(4));
}

#[test]
fn burst_matches_single_across_chunks() {
    let routes: Vec<(Name, Vec<NextHop>)> =
        (0..300u16).map(|i| (n(&format!("/s{}/m{}/{}", i % 7, i % 13, i)), vec![hop(i)])).collect();
    let f = Fib::build(routes).unwrap();
    let names: Vec<Name> =
        (0..100u16).map(|i| i * 5).map(|j| n(&format!("/s{}/m{}/{}/x/y", j % 7, j % 13, j))).collect();
    let refs: Vec<NameRef<'_>> = names.iter().map(Name::as_ref).collect();
    let mut out = vec![None; refs.len()];
    f.lookup_burst(&refs, &mut out);
    let mut hits = 0;
    for (name, got) in refs.iter().zip(&out) {
        let want = f.lookup(*name);
        assert_eq!(want.map(FibEntry::prefix), got.map(FibEntry::prefix));
        hits += want.is_some() as usize;
    }
    assert!(hits > 10 && hits < 100, "{hits}");
}

#[test]
#[should_panic(expected = "differ in length")]
fn burst_length_mismatch_panics() {
    let f = Fib::empty();
    let name = n("/a");
    f.lookup_burst(&[name.as_ref()], &mut []);
}

#[test]
fn malformed_unchecked_wire_does_not_panic() {
    // `NameRef` cannot hold invalid bytes in safe code outside dmsc-wire, but
    // a name read from an unchecked packet could; the hot path must cope.
    let f = fib(&[("/a", 1), ("/a/b", 2), ("/a/b/c/d", 4)]);
    let mut bad = n("/a/b").wire().to_vec();
    bad.extend_from_slice(&[9, b'z']); // component runs past the end
    assert_eq!(f.lookup_wire(&bad).unwrap().next_hops()[0].port, 2);
    assert_eq!(f.lookup_wire(&[0, 0, 0]), None, "empty components");
    assert_eq!(f.lookup_wire(&[200]), None);
    let mut zero = n("/a").wire().to_vec();
    zero.extend_from_slice(&[0, 1, b'b']);
    assert_eq!(f.lookup_wire(&zero).unwrap().next_hops()[0].port, 1);
}

#[test]
fn fib_is_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<Fib>();
    check::<FibEntry>();
}
