//! SPF and RIB on drawn topologies, the draft's Figure 2, and property tests
//! against a Floyd–Warshall oracle.
//!
//! Routers are named by labels (`A`, `SR1`, …); dumps print one router or
//! route per line so that a failing test shows the whole table.

use std::collections::BTreeMap;

use dmsc_routing::lfa;
use dmsc_routing::rib::{Rib, RibChange, RibEntry};
use dmsc_routing::spf::{spf, synthetic_lsas, SpfResult, Topology};
use dmsc_routing::types::{Link, Lsa, LsaBody, LsaHeader, LsaId, LsaKind, NodeLsa, PrefixEntry, Role, RouterId};
use dmsc_wire::name::Name;
use proptest::prelude::*;

const LABELS: [&str; 12] = ["A", "B", "C", "D", "E", "SR1", "SR2", "SR3", "SG1", "SG2", "SG3", "SG4"];

fn id(label: &str) -> RouterId {
    let i = LABELS.iter().position(|l| *l == label).expect("known label");
    RouterId(i as u64 + 1)
}

fn label(r: RouterId) -> String {
    LABELS.get((r.0 as usize).wrapping_sub(1)).map_or_else(|| format!("#{}", r.0), |s| s.to_string())
}

fn header(kind: LsaKind, origin: RouterId, fragment: u16) -> LsaHeader {
    LsaHeader { id: LsaId { kind, origin, fragment }, seq: 1, remaining_lifetime_s: 1200, checksum: 0 }
}

/// Node LSA `fragment` of `origin` listing `(neighbour, metric)`.
fn node_frag(origin: &str, fragment: u16, links: &[(&str, u32)]) -> Lsa {
    let mut links: Vec<Link> = links.iter().map(|&(n, m)| Link { neighbor: id(n), metric: m }).collect();
    links.sort();
    let role = if origin.starts_with("SG") { Role::Sg } else { Role::Sr };
    Lsa {
        header: header(LsaKind::Node, id(origin), fragment),
        body: LsaBody::Node(NodeLsa { hostname: origin.to_lowercase(), role, links }),
    }
}

fn node(origin: &str, links: &[(&str, u32)]) -> Lsa {
    node_frag(origin, 0, links)
}

/// Both directions of each undirected link `(a, b, metric)` as node LSAs.
fn graph(links: &[(&str, &str, u32)]) -> Vec<Lsa> {
    let mut adj: BTreeMap<&str, Vec<(&str, u32)>> = BTreeMap::new();
    for &(a, b, m) in links {
        adj.entry(a).or_default().push((b, m));
        adj.entry(b).or_default().push((a, m));
    }
    adj.iter().map(|(o, l)| node(o, l)).collect()
}

fn prefixes(origin: &str, entries: &[(&str, u32)]) -> Lsa {
    let mut entries: Vec<PrefixEntry> = entries
        .iter()
        .map(|&(p, m)| PrefixEntry { prefix: Name::from_uri(p).expect("valid name"), metric: m })
        .collect();
    entries.sort();
    Lsa { header: header(LsaKind::Prefix, id(origin), 0), body: LsaBody::Prefix(entries) }
}

fn purged(kind: LsaKind, origin: &str) -> Lsa {
    let mut h = header(kind, id(origin), 0);
    h.remaining_lifetime_s = 0;
    Lsa { header: h, body: LsaBody::Purged }
}

fn labels(ids: &[RouterId]) -> String {
    ids.iter().map(|&r| label(r)).collect::<Vec<_>>().join(",")
}

/// `X d=<distance> via <first hops>` per reachable router, ascending id.
fn dump_spf(r: &SpfResult) -> String {
    r.nodes.iter().map(|(&n, s)| format!("{} d={} via {}\n", label(n), s.distance, labels(&s.first_hops))).collect()
}

/// `<prefix> m=<metric> via <next hops> from <origins>` per route.
fn dump_rib(rib: &Rib) -> String {
    rib.routes
        .iter()
        .map(|(p, e)| format!("{p} m={} via {} from {}\n", e.metric, labels(&e.next_hops), labels(&e.origins)))
        .collect()
}

fn spf_dump(lsas: &[Lsa], root: &str) -> String {
    dump_spf(&spf(&Topology::from_lsas(lsas), id(root)))
}

fn rib_at(lsas: &[Lsa], root: &str) -> Rib {
    let r = spf(&Topology::from_lsas(lsas), id(root));
    Rib::compute(&r, lsas)
}

#[test]
fn square_with_ecmp() {
    //   A ---1--- B
    //   |         |
    //   1         1
    //   |         |
    //   C ---1--- D
    let lsas = graph(&[("A", "B", 1), ("A", "C", 1), ("B", "D", 1), ("C", "D", 1)]);
    assert_eq!(spf_dump(&lsas, "A"), "A d=0 via \nB d=1 via B\nC d=1 via C\nD d=2 via B,C\n");
    assert_eq!(spf_dump(&lsas, "D"), "A d=2 via B,C\nB d=1 via B\nC d=1 via C\nD d=0 via \n");
    let topo = Topology::from_lsas(&lsas);
    assert_eq!((topo.len(), topo.link_count()), (4, 8));
}

#[test]
fn line() {
    //   A --1-- B --2-- C --3-- D
    let lsas = graph(&[("A", "B", 1), ("B", "C", 2), ("C", "D", 3)]);
    assert_eq!(spf_dump(&lsas, "A"), "A d=0 via \nB d=1 via B\nC d=3 via B\nD d=6 via B\n");
    assert_eq!(spf_dump(&lsas, "C"), "A d=3 via B\nB d=2 via B\nC d=0 via \nD d=3 via D\n");
}

#[test]
fn triangle_with_unequal_costs() {
    //        A
    //      1/ \5          A→C direct costs 5, via B costs 2: C is reached via B,
    //      B---C          and B's own shortest path is its direct link.
    //        1
    let lsas = graph(&[("A", "B", 1), ("B", "C", 1), ("A", "C", 5)]);
    assert_eq!(spf_dump(&lsas, "A"), "A d=0 via \nB d=1 via B\nC d=2 via B\n");
    // Make the direct link cost exactly the detour: both first hops.
    let lsas = graph(&[("A", "B", 1), ("B", "C", 1), ("A", "C", 2)]);
    assert_eq!(spf_dump(&lsas, "A"), "A d=0 via \nB d=1 via B\nC d=2 via B,C\n");
    // Asymmetric metrics: each end's own metric counts in its direction.
    //   A lists C at 5, C lists A at 1.
    let lsas =
        vec![node("A", &[("B", 1), ("C", 5)]), node("B", &[("A", 1), ("C", 1)]), node("C", &[("A", 1), ("B", 1)])];
    assert_eq!(spf_dump(&lsas, "A"), "A d=0 via \nB d=1 via B\nC d=2 via B\n");
    assert_eq!(spf_dump(&lsas, "C"), "A d=1 via A\nB d=1 via B\nC d=0 via \n");
}

#[test]
fn one_way_link_is_not_used() {
    //   A ----1---> B        A lists B, B does not list A: unusable both ways.
    //    \          |
    //     10        1
    //      \        |
    //       +------ C
    let lsas = vec![node("A", &[("B", 1), ("C", 10)]), node("B", &[("C", 1)]), node("C", &[("A", 10), ("B", 1)])];
    assert_eq!(spf_dump(&lsas, "A"), "A d=0 via \nB d=11 via C\nC d=10 via C\n");
    assert_eq!(spf_dump(&lsas, "B"), "A d=11 via C\nB d=0 via \nC d=1 via C\n");
    let topo = Topology::from_lsas(&lsas);
    assert_eq!(topo.links(id("A")), vec![Link { neighbor: id("C"), metric: 10 }]);
    // A neighbour without any node LSA is not a vertex at all.
    let lsas = vec![node("A", &[("B", 1), ("E", 1)]), node("B", &[("A", 1)])];
    assert_eq!(spf_dump(&lsas, "A"), "A d=0 via \nB d=1 via B\n");
    assert_eq!(Topology::from_lsas(&lsas).len(), 2);
}

#[test]
fn parallel_links_self_links_and_zero_metric() {
    // A lists B twice (metrics 7 and 3) and itself; B lists A at metric 0 (invalid, taken as 1).
    let lsas = vec![node("A", &[("B", 7), ("B", 3), ("A", 1)]), node("B", &[("A", 0)])];
    assert_eq!(spf_dump(&lsas, "A"), "A d=0 via \nB d=3 via B\n");
    assert_eq!(spf_dump(&lsas, "B"), "A d=1 via A\nB d=0 via \n");
}

#[test]
fn root_absent_or_isolated() {
    let lsas = graph(&[("A", "B", 1)]);
    let r = spf(&Topology::from_lsas(&lsas), id("E"));
    assert_eq!(dump_spf(&r), "E d=0 via \n");
    assert_eq!(r.root, id("E"));
    let r = spf(&Topology::from_lsas([]), id("A"));
    assert_eq!(dump_spf(&r), "A d=0 via \n");
    assert!(Topology::from_lsas([]).is_empty());
}

#[test]
fn anycast_prefix_equal_and_unequal_cost() {
    //   A ---1--- B  (/svc 0)
    //   |         |
    //   1         1
    //   |         |
    //   C ---1--- D
    //  (/svc m)
    let mut lsas = graph(&[("A", "B", 1), ("A", "C", 1), ("B", "D", 1), ("C", "D", 1)]);
    lsas.push(prefixes("B", &[("/svc", 0), ("/b", 2)]));
    lsas.push(prefixes("C", &[("/svc", 0)]));
    assert_eq!(dump_rib(&rib_at(&lsas, "A")), "/b m=3 via B from B\n/svc m=1 via B,C from B,C\n");
    // From D both are one hop away too.
    assert_eq!(dump_rib(&rib_at(&lsas, "D")), "/b m=3 via B from B\n/svc m=1 via B,C from B,C\n");

    // Unequal: C announces at metric 5, B wins alone.
    lsas.pop();
    lsas.push(prefixes("C", &[("/svc", 5)]));
    assert_eq!(dump_rib(&rib_at(&lsas, "A")), "/b m=3 via B from B\n/svc m=1 via B from B\n");
    // From C itself, its own announcement is local (skipped): the remote one is used.
    assert_eq!(dump_rib(&rib_at(&lsas, "C")), "/b m=4 via A,D from B\n/svc m=2 via A,D from B\n");

    // Equal total cost at different distances: B (1 + 1) and D (2 + 0).
    let mut lsas = graph(&[("A", "B", 1), ("A", "C", 1), ("B", "D", 1), ("C", "D", 1)]);
    lsas.push(prefixes("B", &[("/svc", 1)]));
    lsas.push(prefixes("D", &[("/svc", 0)]));
    assert_eq!(dump_rib(&rib_at(&lsas, "A")), "/svc m=2 via B,C from B,D\n");
}

#[test]
fn long_names_sharing_their_first_16_bytes() {
    // The RIB's sort key holds 16 wire bytes; longer names fall back to a
    // full comparison. B and C announce the same long names (anycast) and
    // names that differ only after byte 16.
    //   B --1-- A --2-- C --1-- D
    let mut lsas = graph(&[("A", "B", 1), ("A", "C", 2), ("C", "D", 1)]);
    lsas.push(prefixes("B", &[("/abcdefghijklmnop/x", 1), ("/abcdefghijklmnop/y", 0), ("/abcdefghijklmn", 0)]));
    lsas.push(prefixes("C", &[("/abcdefghijklmnop/x", 0), ("/abcdefghijklmnop/y", 1), ("/abcdefghijklmnop/z", 0)]));
    lsas.push(prefixes("D", &[("/abcdefghijklmnop/w", 0)]));
    assert_eq!(
        dump_rib(&rib_at(&lsas, "A")),
        "/abcdefghijklmn m=1 via B from B\n\
         /abcdefghijklmnop/w m=3 via C from D\n\
         /abcdefghijklmnop/x m=2 via B,C from B,C\n\
         /abcdefghijklmnop/y m=1 via B from B\n\
         /abcdefghijklmnop/z m=2 via C from C\n"
    );
}

#[test]
fn unreachable_origin_and_purged_lsas() {
    //   A ---1--- B        E: prefix LSA but no node LSA (unreachable).
    //   |                  C: node LSA purged, so A–C fails the two-way check.
    //   C
    let mut lsas = graph(&[("A", "B", 1)]);
    lsas.push(node("A", &[("B", 1), ("C", 1)]));
    lsas.remove(0); // replace A's LSA by the one listing C
    lsas.push(purged(LsaKind::Node, "C"));
    lsas.push(prefixes("B", &[("/b", 0)]));
    lsas.push(prefixes("C", &[("/c", 0)]));
    lsas.push(prefixes("E", &[("/e", 0)]));
    assert_eq!(spf_dump(&lsas, "A"), "A d=0 via \nB d=1 via B\n");
    assert_eq!(dump_rib(&rib_at(&lsas, "A")), "/b m=1 via B from B\n");

    // A purged prefix LSA withdraws its prefixes; lifetime 0 counts as purged
    // even with a body; a body that does not match the kind is ignored.
    let mut lsas = graph(&[("A", "B", 1)]);
    lsas.push(purged(LsaKind::Prefix, "B"));
    assert!(rib_at(&lsas, "A").is_empty());
    let mut dead = prefixes("B", &[("/b", 0)]);
    dead.header.remaining_lifetime_s = 0;
    lsas.push(dead);
    let mut wrong = prefixes("B", &[("/w", 0)]);
    wrong.header.id.kind = LsaKind::Node;
    lsas.push(wrong.clone());
    assert!(rib_at(&lsas, "A").is_empty());
    assert_eq!(Topology::from_lsas(&lsas).link_count(), 2, "a node-kind LSA with a prefix body adds nothing");
}

#[test]
fn multi_fragment_node_lsa() {
    //       B
    //     1/ \1           A's links are split over fragments 0 (B) and 1 (C).
    //     A   D
    //     1\ /1
    //       C
    let lsas = vec![
        node_frag("A", 0, &[("B", 1)]),
        node_frag("A", 1, &[("C", 1)]),
        node("B", &[("A", 1), ("D", 1)]),
        node("C", &[("A", 1), ("D", 1)]),
        node("D", &[("B", 1), ("C", 1)]),
    ];
    assert_eq!(spf_dump(&lsas, "A"), "A d=0 via \nB d=1 via B\nC d=1 via C\nD d=2 via B,C\n");
    assert_eq!(spf_dump(&lsas, "D"), "A d=2 via B,C\nB d=1 via B\nC d=1 via C\nD d=0 via \n");
    // Purging fragment 1 alone removes A–C.
    let mut lsas = lsas;
    lsas[1] = Lsa { header: LsaHeader { remaining_lifetime_s: 0, ..lsas[1].header }, body: LsaBody::Purged };
    assert_eq!(spf_dump(&lsas, "A"), "A d=0 via \nB d=1 via B\nC d=3 via B\nD d=2 via B\n");
}

/// The draft's Figure 2 [draft-li-dmsc-architecture §4], read as:
///
/// ```text
///        SG1            SG2          SG1 and SG2 are each attached to SR1 and SR2
///         | \          / |           (the crossing lines under them); SG3 to SR1
///         |  +--------+  |           and SR3; SG4 to SR2 and SR3; the three SRs
///         | /          \ |           form a full mesh. Every link has metric 1.
///        SR1 ---------- SR2          Pods: A/1, B/1 behind SG1 and A/4, B/4 behind
///         |  \        /  |           SG4 (two instances of services A and B:
///         |    SR3       |           anycast); we add /c behind SG2, /d behind SG3.
///         |   /    \     |
///        SG3          SG4
/// ```
fn figure2() -> Vec<Lsa> {
    let mut lsas = graph(&[
        ("SR1", "SR2", 1),
        ("SR1", "SR3", 1),
        ("SR2", "SR3", 1),
        ("SG1", "SR1", 1),
        ("SG1", "SR2", 1),
        ("SG2", "SR1", 1),
        ("SG2", "SR2", 1),
        ("SG3", "SR1", 1),
        ("SG3", "SR3", 1),
        ("SG4", "SR2", 1),
        ("SG4", "SR3", 1),
    ]);
    lsas.push(prefixes("SG1", &[("/A", 0), ("/B", 0)]));
    lsas.push(prefixes("SG2", &[("/c", 0)]));
    lsas.push(prefixes("SG3", &[("/d", 0)]));
    lsas.push(prefixes("SG4", &[("/A", 0), ("/B", 0)]));
    lsas
}

#[test]
fn draft_figure_2() {
    let lsas = figure2();
    assert_eq!(
        spf_dump(&lsas, "SG3"),
        "SR1 d=1 via SR1\nSR2 d=2 via SR1,SR3\nSR3 d=1 via SR3\n\
         SG1 d=2 via SR1\nSG2 d=2 via SR1\nSG3 d=0 via \nSG4 d=2 via SR3\n"
    );
    // At SG3: A and B are anycast over SG1 (via SR1) and SG4 (via SR3).
    assert_eq!(
        dump_rib(&rib_at(&lsas, "SG3")),
        "/A m=2 via SR1,SR3 from SG1,SG4\n/B m=2 via SR1,SR3 from SG1,SG4\n/c m=2 via SR1 from SG2\n"
    );
    // At SG2: SG1 is reachable via both SRs, SG4 via SR2 only; /d via SR1.
    assert_eq!(
        dump_rib(&rib_at(&lsas, "SG2")),
        "/A m=2 via SR1,SR2 from SG1,SG4\n/B m=2 via SR1,SR2 from SG1,SG4\n/d m=2 via SR1 from SG3\n"
    );
    // At SR3 (transit): SG1 is two hops away, SG4 one; A goes to SG4 only.
    assert_eq!(
        dump_rib(&rib_at(&lsas, "SR3")),
        "/A m=1 via SG4 from SG4\n/B m=1 via SG4 from SG4\n/c m=2 via SR1,SR2 from SG2\n/d m=1 via SG3 from SG3\n"
    );
}

#[test]
fn figure_2_link_failure_diff() {
    // SG4–SR3 fails: SG4's and SR3's new node LSAs no longer list each other.
    let before = figure2();
    let mut after = before.clone();
    for lsa in &mut after {
        if let LsaBody::Node(n) = &mut lsa.body {
            let o = lsa.header.id.origin;
            n.links.retain(|l| {
                !((o == id("SG4") && l.neighbor == id("SR3")) || (o == id("SR3") && l.neighbor == id("SG4")))
            });
        }
    }
    let (old, new) = (rib_at(&before, "SG3"), rib_at(&after, "SG3"));
    let changes = old.diff(&new);
    // SG4 is now 3 hops away: A and B fall back to SG1 alone; /c unchanged.
    let entry = |m, nh: &[&str], o: &[&str]| RibEntry {
        metric: m,
        next_hops: nh.iter().map(|s| id(s)).collect(),
        origins: o.iter().map(|s| id(s)).collect(),
        backups: Vec::new(),
        backup_metric: 0,
    };
    assert_eq!(
        changes,
        vec![
            RibChange::Upsert(Name::from_uri("/A").unwrap(), entry(2, &["SR1"], &["SG1"])),
            RibChange::Upsert(Name::from_uri("/B").unwrap(), entry(2, &["SR1"], &["SG1"])),
        ]
    );
    // SG1 withdraws its prefixes too: /A, /B now only at SG4 (3 hops: via SR1 or SR3).
    after.retain(|l| !(l.header.id.kind == LsaKind::Prefix && l.header.id.origin == id("SG1")));
    let newer = rib_at(&after, "SG3");
    assert_eq!(dump_rib(&newer), "/A m=3 via SR1,SR3 from SG4\n/B m=3 via SR1,SR3 from SG4\n/c m=2 via SR1 from SG2\n");
    // SG2 disappears: /c removed.
    after.retain(|l| l.header.id.origin != id("SG2"));
    let last = rib_at(&after, "SG3");
    assert_eq!(newer.diff(&last), vec![RibChange::Remove(Name::from_uri("/c").unwrap())]);
    assert!(last.diff(&last).is_empty());
}

#[test]
fn service_gateways_are_not_transit() {
    // SR1–SR2 fails. SG1 and SG2 are dual-homed to both, so SR1 → SG1 → SR2
    // would tie with SR1 → SR3 → SR2; only the SR path may carry transit.
    //
    //        SG1   SG2
    //        | \  / |
    //        |  \/  |
    //        |  /\  |
    //        SR1 xx SR2      (SR1–SR2 cut)
    //          \    /
    //           SR3
    let mut lsas = figure2();
    for lsa in &mut lsas {
        if let LsaBody::Node(n) = &mut lsa.body {
            let o = lsa.header.id.origin;
            n.links.retain(|l| {
                !((o == id("SR1") && l.neighbor == id("SR2")) || (o == id("SR2") && l.neighbor == id("SR1")))
            });
        }
    }
    let topo = Topology::from_lsas(&lsas);
    assert!(topo.is_transit(id("SR1")) && !topo.is_transit(id("SG1")));
    assert_eq!(
        spf_dump(&lsas, "SR1"),
        "SR1 d=0 via \nSR2 d=2 via SR3\nSR3 d=1 via SR3\n\
         SG1 d=1 via SG1\nSG2 d=1 via SG2\nSG3 d=1 via SG3\nSG4 d=2 via SR3\n"
    );
    // An SG is still a root like any other: SG1 reaches SR3 over either SR.
    assert_eq!(
        spf_dump(&lsas, "SG1"),
        "SR1 d=1 via SR1\nSR2 d=1 via SR2\nSR3 d=2 via SR1,SR2\n\
         SG1 d=0 via \nSG2 d=2 via SR1,SR2\nSG3 d=2 via SR1\nSG4 d=2 via SR2\n"
    );
    // A network of SGs alone has no transit: A–B–C as SGs, C is unreachable from A.
    let chain = graph(&[("SG1", "SG2", 1), ("SG2", "SG3", 1)]);
    assert_eq!(spf_dump(&chain, "SG1"), "SG1 d=0 via \nSG2 d=1 via SG2\n");
}

/// `prefix: backups (cost)` of every route with a loop-free alternate.
fn dump_backups(lsas: &[Lsa], root: &str) -> String {
    let mut rib = rib_at(lsas, root);
    lfa::add_backups(&Topology::from_lsas(lsas), id(root), &mut rib, lsas);
    rib.routes
        .iter()
        .filter(|(_, e)| !e.backups.is_empty())
        .map(|(n, e)| format!("{n}: {} ({})\n", labels(&e.backups), e.backup_metric))
        .collect()
}

#[test]
fn loop_free_alternates_in_figure_2() {
    // Figure 2 with the metrics of config/examples/figure2 (10 everywhere).
    //
    //          SG1     SG2            SG3 reaches /d locally; SG1 reaches
    //          | \   / |              /d via SR1 (20); its alternate SR2
    //          |  \ /  |              reaches SG3 via SR1 or SR3 (20), not
    //          |   X   |              via SG1: 20 < 10 + 20, loop-free.
    //          |  / \  |
    //          SR1---SR2
    //          | \   / |
    //          |  SR3  |
    //          | /   \ |
    //          SG3   SG4
    let mut lsas = graph(&[
        ("SR1", "SR2", 10),
        ("SR1", "SR3", 10),
        ("SR2", "SR3", 10),
        ("SG1", "SR1", 10),
        ("SG1", "SR2", 10),
        ("SG2", "SR1", 10),
        ("SG2", "SR2", 10),
        ("SG3", "SR1", 10),
        ("SG3", "SR3", 10),
        ("SG4", "SR2", 10),
        ("SG4", "SR3", 10),
    ]);
    lsas.push(prefixes("SG1", &[("/A", 0)]));
    lsas.push(prefixes("SG2", &[("/c", 0)]));
    lsas.push(prefixes("SG3", &[("/d", 0)]));
    lsas.push(prefixes("SG4", &[("/A", 0), ("/e", 0)]));
    // SG1: /d via SR1 (20), backup SR2 (10 + 20); /e via SR2, backup SR1;
    // /A (also served by SG1 itself, which the driver installs locally) is
    // SG4's instance via SR2, backup SR1; /c has both SRs as primaries (ECMP):
    // nothing left for a backup.
    assert_eq!(dump_backups(&lsas, "SG1"), "/A: SR1 (30)\n/d: SR2 (30)\n/e: SR1 (30)\n");
    // SR1: /A goes to SG1 directly (10); SR2 and SR3 are alternates of equal
    // cost (10 + 10) that reach an /A instance without SR1 (anycast, RFC 5286
    // §6.1); /e via SR2 or SR3 (ECMP, 20): no third neighbour reaches it
    // without SR1 except the SGs, which are no transit.
    assert_eq!(dump_backups(&lsas, "SR1"), "/A: SR2,SR3 (20)\n/c: SR2 (20)\n/d: SR3 (20)\n");
    // A line S - N - D: N's path to D does not come back, but a neighbour whose
    // only path to D is through S is never an alternate.
    let line = {
        let mut l = graph(&[("A", "B", 1), ("A", "C", 1), ("C", "D", 1)]);
        l.push(prefixes("D", &[("/x", 0)]));
        l
    };
    assert_eq!(dump_backups(&line, "C"), "");
    assert_eq!(dump_backups(&line, "A"), "");
}

#[test]
fn synthetic_10k_is_connected() {
    let lsas = synthetic_lsas(10_000, 4, 42);
    let topo = Topology::from_lsas(&lsas);
    assert_eq!(topo.len(), 10_000);
    assert_eq!(topo.link_count(), 40_000);
    let r = spf(&topo, RouterId(1));
    assert_eq!(r.nodes.len(), 10_000);
    assert!(r.nodes.values().skip(1).all(|n| !n.first_hops.is_empty() && n.distance > 0));
    let prefixes = dmsc_routing::rib::synthetic_prefix_lsas(10_000, 10, 42);
    let rib = Rib::compute(&r, lsas.iter().chain(&prefixes));
    assert!(rib.len() > 10_000, "{}", rib.len());
}

// ---------------------------------------------------------------------------
// Property tests against an all-pairs oracle.

const INF: u64 = u64::MAX / 4;

/// A random LSDB: `n` routers (ids 1..=n), some without a node LSA, links
/// listed per direction (so some are one-way), split over two fragments.
#[derive(Clone, Debug)]
struct RandomNet {
    n: usize,
    has_lsa: Vec<bool>,
    /// Service Gateways: reachable, never transit.
    sg: Vec<bool>,
    /// (from, to, metric) listings, 0-based.
    listed: Vec<(usize, usize, u32)>,
    /// Fragment (0/1) of each listing.
    frag: Vec<bool>,
    /// (origin, prefix index, metric).
    prefixes: Vec<(usize, usize, u32)>,
}

fn random_net() -> impl Strategy<Value = RandomNet> {
    (1usize..10).prop_flat_map(|n| {
        (
            Just(n),
            prop::collection::vec(prop::bool::weighted(0.9), n),
            prop::collection::vec(prop::bool::weighted(0.3), n),
            prop::collection::vec((0..n, 0..n, 1u32..8, prop::bool::weighted(0.85), any::<bool>()), 0..30),
            prop::collection::vec((0..n, 0usize..6, 0u32..4), 0..12),
        )
            .prop_map(|(n, has_lsa, sg, links, prefixes)| {
                let mut listed = Vec::new();
                let mut frag = Vec::new();
                for (a, b, m, both, f) in links {
                    listed.push((a, b, m));
                    frag.push(f);
                    if both {
                        // Usually the reverse too, with its own metric.
                        listed.push((b, a, m + (a as u32 % 2)));
                        frag.push(!f);
                    }
                }
                RandomNet { n, has_lsa, sg, listed, frag, prefixes }
            })
    })
}

fn rid(i: usize) -> RouterId {
    RouterId(i as u64 + 1)
}

/// Short names for even `k`, names longer than 16 wire bytes sharing their
/// first 16 bytes for odd `k` (exercises both paths of the RIB's sort key).
fn pname(k: usize) -> Name {
    if k % 2 == 0 {
        Name::from_components([format!("p{k}")]).unwrap()
    } else {
        Name::from_components(["a-long-shared-service".to_string(), format!("p{k}")]).unwrap()
    }
}

impl RandomNet {
    fn lsas(&self) -> Vec<Lsa> {
        let mut out = Vec::new();
        for o in 0..self.n {
            if !self.has_lsa[o] {
                continue;
            }
            for f in [false, true] {
                let mut links: Vec<Link> = self
                    .listed
                    .iter()
                    .zip(&self.frag)
                    .filter(|((a, _, _), fr)| *a == o && **fr == f)
                    .map(|((_, b, m), _)| Link { neighbor: rid(*b), metric: *m })
                    .collect();
                links.sort();
                out.push(Lsa {
                    header: header(LsaKind::Node, rid(o), u16::from(f)),
                    body: LsaBody::Node(NodeLsa {
                        hostname: String::new(),
                        role: if self.sg[o] { Role::Sg } else { Role::Sr },
                        links,
                    }),
                });
            }
        }
        let mut by_origin: BTreeMap<usize, Vec<PrefixEntry>> = BTreeMap::new();
        for &(o, k, m) in &self.prefixes {
            by_origin.entry(o).or_default().push(PrefixEntry { prefix: pname(k), metric: m });
        }
        for (o, mut e) in by_origin {
            e.sort();
            out.push(Lsa { header: header(LsaKind::Prefix, rid(o), 0), body: LsaBody::Prefix(e) });
        }
        out
    }

    /// Usable weight matrix: two-way, both ends with LSAs, min metric, no self loops.
    fn weights(&self) -> Vec<Vec<u64>> {
        let mut w = vec![vec![INF; self.n]; self.n];
        for &(a, b, m) in &self.listed {
            let back = self.listed.iter().any(|&(x, y, _)| x == b && y == a);
            if a != b && self.has_lsa[a] && self.has_lsa[b] && back {
                w[a][b] = w[a][b].min(u64::from(m));
            }
        }
        w
    }
}

/// All-pairs shortest distances whose *intermediate* routers are never SGs
/// (`sg[k]`): Floyd–Warshall with the SGs left out of the relaxation order.
fn floyd(w: &[Vec<u64>], sg: &[bool]) -> Vec<Vec<u64>> {
    let n = w.len();
    let mut d = w.to_vec();
    for (i, row) in d.iter_mut().enumerate() {
        row[i] = 0;
    }
    for k in (0..n).filter(|&k| !sg[k]) {
        for i in 0..n {
            for j in 0..n {
                let via = d[i][k].saturating_add(d[k][j]);
                if via < d[i][j] {
                    d[i][j] = via;
                }
            }
        }
    }
    d
}

/// Oracle first hops from `root` to `x` (a neighbour that is an SG is a first
/// hop only towards itself).
fn oracle_first_hops(w: &[Vec<u64>], d: &[Vec<u64>], sg: &[bool], root: usize, x: usize) -> Vec<RouterId> {
    if x == root || d[root][x] >= INF {
        return Vec::new();
    }
    (0..w.len())
        .filter(|&nb| nb == x || !sg[nb])
        .filter(|&nb| w[root][nb] < INF && w[root][nb] + d[nb][x] == d[root][x])
        .map(rid)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn spf_and_rib_match_oracle(net in random_net(), root_pick in 0usize..10) {
        let root = root_pick % net.n;
        let lsas = net.lsas();
        let w = net.weights();
        let d = floyd(&w, &net.sg);
        let result = spf(&Topology::from_lsas(&lsas), rid(root));

        let mut expect = BTreeMap::new();
        if net.has_lsa[root] {
            for x in 0..net.n {
                if d[root][x] < INF && net.has_lsa[x] {
                    expect.insert(rid(x), (d[root][x], oracle_first_hops(&w, &d, &net.sg, root, x)));
                }
            }
        } else {
            expect.insert(rid(root), (0, Vec::new()));
        }
        let got: BTreeMap<_, _> = result.nodes.iter().map(|(&r, s)| (r, (s.distance, s.first_hops.clone()))).collect();
        prop_assert_eq!(&got, &expect);

        // RIB oracle: min over reachable non-root origins of d + metric.
        let mut best: BTreeMap<Name, (u64, Vec<RouterId>, Vec<RouterId>)> = BTreeMap::new();
        for &(o, k, m) in &net.prefixes {
            let Some((dist, _)) = expect.get(&rid(o)) else { continue };
            if o == root { continue; }
            let cost = dist + u64::from(m);
            let e = best.entry(pname(k)).or_insert((u64::MAX, Vec::new(), Vec::new()));
            if cost < e.0 { *e = (cost, Vec::new(), Vec::new()); }
            if cost == e.0 {
                e.2.push(rid(o));
                e.1.extend(expect[&rid(o)].1.iter().copied());
            }
        }
        let want: BTreeMap<Name, RibEntry> = best
            .into_iter()
            .map(|(p, (metric, mut nh, mut o))| {
                nh.sort(); nh.dedup(); o.sort(); o.dedup();
                (p, RibEntry { metric, next_hops: nh, origins: o, backups: Vec::new(), backup_metric: 0 })
            })
            .collect();
        let mut rib = Rib::compute(&result, &lsas);
        prop_assert_eq!(&rib.routes, &want);

        // LFA oracle [RFC 5286 §3.5]: neighbours not among the primaries with
        // D(N,P) < D(N,S) + D(S,P) (an SG only for what it serves), lowest
        // backup cost w(S,N) + D(N,P) kept.
        lfa::add_backups(&Topology::from_lsas(&lsas), rid(root), &mut rib, &lsas);
        for (name, e) in &rib.routes {
            let mut cands: Vec<(u64, RouterId)> = Vec::new();
            for nb in 0..net.n {
                if nb == root || w[root][nb] >= INF || w[nb][root] >= INF || e.next_hops.contains(&rid(nb)) {
                    continue;
                }
                let dnp = net.prefixes.iter()
                    .filter(|&&(o, k, _)| pname(k) == *name && o != root && net.has_lsa[o] && (!net.sg[nb] || o == nb))
                    .filter(|&&(o, _, _)| d[nb][o] < INF)
                    .map(|&(o, _, m)| d[nb][o] + u64::from(m))
                    .min();
                let Some(dnp) = dnp else { continue };
                if net.sg[nb] || dnp < d[nb][root] + e.metric {
                    cands.push((w[root][nb] + dnp, rid(nb)));
                }
            }
            let lowest = cands.iter().map(|c| c.0).min();
            let mut want: Vec<RouterId> = cands.iter().filter(|c| Some(c.0) == lowest).map(|c| c.1).collect();
            want.sort();
            prop_assert_eq!(&e.backups, &want, "backups of {}", name);
            prop_assert_eq!(e.backup_metric, lowest.unwrap_or(0));
        }
    }

    #[test]
    fn diff_applied_gives_target(
        a in prop::collection::btree_map(0usize..20, (0u64..4, 1u64..4), 0..15),
        b in prop::collection::btree_map(0usize..20, (0u64..4, 1u64..4), 0..15),
    ) {
        let mk = |m: &BTreeMap<usize, (u64, u64)>| Rib {
            routes: m
                .iter()
                .map(|(&k, &(metric, h))| (pname(k), RibEntry { metric, next_hops: vec![RouterId(h)], origins: vec![RouterId(9)], backups: Vec::new(), backup_metric: 0 }))
                .collect(),
        };
        let (ra, rb) = (mk(&a), mk(&b));
        let changes = ra.diff(&rb);
        // Sorted by name, one change per name, only real changes.
        prop_assert!(changes.windows(2).all(|w| w[0].name() < w[1].name()));
        for c in &changes {
            match c {
                RibChange::Upsert(n, e) => prop_assert_ne!(ra.routes.get(n), Some(e)),
                RibChange::Remove(n) => prop_assert!(!rb.routes.contains_key(n)),
            }
        }
        let mut applied = ra.clone();
        applied.apply(changes);
        prop_assert_eq!(&applied, &rb);
        prop_assert!(ra.diff(&ra).is_empty());
    }
}
