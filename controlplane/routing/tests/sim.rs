//! Whole-network tests of the routing protocol on the simulator of
//! `tests/sim/mod.rs`: virtual time, seeded impairments, FIB models.

#[path = "sim/mod.rs"]
mod net;

use std::time::Duration;

use dmsc_routing::router::Input;
use dmsc_routing::types::{AdjState, LsaKind, Pdu, PduBody, Role, RouterId};
use dmsc_routing::wire::{self, Keychain};
use net::{chain1, key, prefixes, Builder, Impair, Sim};

const S: Duration = Duration::from_secs(1);

/// The draft's Figure 2 [draft-li-dmsc-architecture §4]: three SRs in a full
/// mesh, four SGs each dual-homed to two SRs. Every link metric 10; every
/// prefix metric 1. /payments is served in Pod 1 (SG1) and Pod 4 (SG4) (the
/// figure's A/1 and A/4).
///
/// ```text
///        /payments        /orders
///          SG1              SG2
///          |  \            /  |
///          |   +----------+   |        (SG1-SR2 and SG2-SR1 cross)
///          |  /            \  |
///          SR1 ------------ SR2
///          |  \            /  |
///          |   \          /   |
///          |    \        /    |
///          |       SR3        |
///          |     /     \      |
///          SG3 -+       +- SG4
///      /inventory        /payments
///                        /shipping
/// ```
/// Links: SG1-SR1 SG1-SR2 SG2-SR1 SG2-SR2 SG3-SR1 SG3-SR3 SG4-SR2 SG4-SR3
/// SR1-SR2 SR1-SR3 SR2-SR3.
fn figure2(b: &mut Builder) {
    let sg1 = b.router("SG1", 0x51, Role::Sg, prefixes(&[("/payments", 1)]));
    let sg2 = b.router("SG2", 0x52, Role::Sg, prefixes(&[("/orders", 1)]));
    let sg3 = b.router("SG3", 0x53, Role::Sg, prefixes(&[("/inventory", 1)]));
    let sg4 = b.router("SG4", 0x54, Role::Sg, prefixes(&[("/payments", 1), ("/shipping", 1)]));
    let sr1 = b.router("SR1", 0x11, Role::Sr, vec![]);
    let sr2 = b.router("SR2", 0x12, Role::Sr, vec![]);
    let sr3 = b.router("SR3", 0x13, Role::Sr, vec![]);
    for (x, y) in [(sg1, sr1), (sg1, sr2), (sg2, sr1), (sg2, sr2), (sg3, sr1), (sg3, sr3), (sg4, sr2), (sg4, sr3)] {
        b.link(x, y, 10);
    }
    for (x, y) in [(sr1, sr2), (sr1, sr3), (sr2, sr3)] {
        b.link(x, y, 10);
    }
}

/// Expected FIBs of Figure 2 (`prefix cost next-hops [| backup-cost
/// loop-free-alternates]`, RFC 5286). A router's own
/// prefixes are not in its routing FIB (the RIB skips them), but the same
/// prefix served elsewhere is (SG1 and SG4 both reach /payments).
const FIG2_FIBS: &[(&str, &str)] = &[
    (
        "SG1",
        "/inventory 21 SR1 | 31 SR2\n/orders 21 SR1,SR2\n/payments 21 SR2 | 31 SR1\n/shipping 21 SR2 | 31 SR1\n",
    ),
    (
        "SG2",
        "/inventory 21 SR1 | 31 SR2\n/payments 21 SR1,SR2\n/shipping 21 SR2 | 31 SR1\n",
    ),
    (
        "SG3",
        "/orders 21 SR1 | 31 SR3\n/payments 21 SR1,SR3\n/shipping 21 SR3 | 31 SR1\n",
    ),
    (
        "SG4",
        "/inventory 21 SR3 | 31 SR2\n/orders 21 SR2 | 31 SR3\n/payments 21 SR2 | 31 SR3\n",
    ),
    (
        "SR1",
        "/inventory 11 SG3 | 21 SR3\n/orders 11 SG2 | 21 SR2\n/payments 11 SG1 | 21 SR2,SR3\n/shipping 21 SR2,SR3\n",
    ),
    (
        "SR2",
        "/inventory 21 SR1,SR3\n/orders 11 SG2 | 21 SR1\n/payments 11 SG1,SG4 | 21 SR1,SR3\n/shipping 11 SG4 | 21 SR3\n",
    ),
    (
        "SR3",
        "/inventory 11 SG3 | 21 SR1\n/orders 21 SR1,SR2\n/payments 11 SG4 | 21 SR1,SR2\n/shipping 11 SG4 | 21 SR2\n",
    ),
];

fn fig2_sim(seed: u64, impair: Impair) -> Sim {
    let mut b = Builder::new();
    b.seed = seed;
    b.impair = impair;
    figure2(&mut b);
    b.build()
}

fn assert_fibs(sim: &Sim, expected: &[(&str, &str)]) {
    for (name, want) in expected {
        let got = sim.fib_dump(sim.node(name));
        assert_eq!(&got, want, "FIB of {name}");
    }
    assert!(sim.fib_models_consistent());
}

fn fig2_converged(seed: u64) -> Sim {
    let mut sim = fig2_sim(seed, Impair::default());
    let Some(t) = sim.converge(20 * S) else { panic!("no convergence:\n{}", sim.status()) };
    assert!(t < 5 * S, "took {t:?}");
    // Let SPF back-off fire everywhere.
    sim.run_for(2 * S);
    sim
}

/// With loop-free alternates off, the FIBs are the primaries alone, and a cut
/// link's routes disappear until SPF runs (the back-off's delay), where with
/// them on the alternate takes over at once.
#[test]
fn without_loop_free_alternates_a_cut_waits_for_spf() {
    let mut b = Builder::new();
    b.lfa = false;
    figure2(&mut b);
    let mut sim = b.build();
    sim.converge(20 * S).expect("converges");
    sim.run_for(2 * S);
    let primaries: Vec<(&str, String)> = FIG2_FIBS
        .iter()
        .map(|(n, f)| (*n, f.lines().map(|l| format!("{}\n", l.split(" | ").next().unwrap())).collect()))
        .collect();
    for (name, want) in &primaries {
        assert_eq!(&sim.fib_dump(sim.node(name)), want, "FIB of {name}");
    }
    let li = sim.link_between("SG1", "SR1");
    sim.set_link(li, false);
    assert!(!sim.fib_dump(sim.node("SG1")).contains("/inventory"), "{}", sim.fib_dump(sim.node("SG1")));
    sim.run_for(6 * S);
    assert!(sim.fib_dump(sim.node("SG1")).contains("/inventory 31 SR2\n"), "{}", sim.fib_dump(sim.node("SG1")));

    // The same cut with alternates: SR2 carries /inventory immediately.
    let mut sim = fig2_converged(1);
    let li = sim.link_between("SG1", "SR1");
    sim.set_link(li, false);
    assert!(sim.fib_dump(sim.node("SG1")).contains("/inventory 31 SR2\n"), "{}", sim.fib_dump(sim.node("SG1")));
}

#[test]
fn figure2_converges_with_expected_fibs() {
    let sim = fig2_converged(1);
    assert!(sim.all_adjacencies_up());
    assert!(sim.digests_equal());
    // 7 routers × (node + prefix LSA).
    for n in &sim.nodes {
        assert_eq!(n.router.lsdb(sim.now).len(), 14, "{}", n.name);
        assert_eq!(n.router.counters().rx_errors_total(), 0, "{}: {:?}", n.name, n.router.counters());
        assert_eq!(n.router.counters().rx_replay, 0);
    }
    // 11 links, 22 adjacencies.
    assert_eq!(sim.sum(|r| r.counters().adjacency_up), 22);
    assert_eq!(sim.sum(|r| r.counters().adjacency_down), 0);
    assert_fibs(&sim, FIG2_FIBS);
}

fn err(sim: &Sim, node: &str, name: &str) -> u64 {
    sim.nodes[sim.node(node)].router.counters().rx_errors.get(name).copied().unwrap_or(0)
}

/// Figure 2 with 10% loss, 10% duplication and 10% reordering (up to 20 ms
/// extra delay) on every link, both directions. Duplicates and overtaken
/// frames are also dropped by the replay check, so the effective loss is
/// higher. All routers still reach identical LSDBs and nothing stays
/// unacknowledged, in bounded virtual time; then a prefix change propagates
/// under the same conditions.
#[test]
fn lossy_links_converge_and_drain() {
    for seed in [7, 8, 9] {
        let bad = Impair { loss: 0.10, dup: 0.10, reorder: 0.10, ..Impair::default() };
        let mut sim = fig2_sim(seed, bad);
        let Some(t) = sim.converge(60 * S) else { panic!("seed {seed}: no convergence:\n{}", sim.status()) };
        assert!(sim.sum(|r| r.counters().retransmits) > 0, "loss must have caused retransmissions");
        assert!(sim.sum(|r| r.counters().rx_replay) > 0, "duplicates must have been dropped");
        let sg2 = sim.node("SG2");
        sim.input(sg2, Input::SetPrefixes(prefixes(&[("/orders", 1), ("/catalog", 5)])));
        let Some(t2) = sim.converge(60 * S) else { panic!("seed {seed}: no reconvergence:\n{}", sim.status()) };
        sim.run_for(6 * S); // SPF back-off may be in LONG_WAIT
        let sr3 = sim.fib_dump(sim.node("SR3"));
        assert!(sr3.contains("/catalog 25 SR1,SR2\n"), "seed {seed}: {sr3}");
        assert!(sim.digests_equal());
        eprintln!("seed {seed}: converged in {t:?}, change in {t2:?}, dropped {}", sim.dropped);
    }
}

/// Figure 2; cut SG3–SR1 (LinkDown on both ends): SG3 is reached through SR3
/// only, and SG3 reaches everything through SR3.
///
/// ```text
///   SR1 --X-- SG3 ---- SR3
/// ```
#[test]
fn link_cut_reroutes_and_restores() {
    let mut sim = fig2_converged(2);
    let li = sim.link_between("SG3", "SR1");
    sim.set_link(li, false);
    // Next hops over the cut link go at once; SPF may be in the RFC 8405
    // LONG_WAIT (5 s) after the bring-up storm.
    let sg3 = sim.node("SG3");
    assert!(!sim.fib_dump(sg3).contains("SR1"), "{}", sim.fib_dump(sg3));
    sim.run_for(6 * S);
    assert!(sim.digests_equal(), "{}", sim.status());
    assert_eq!(sim.sum(|r| r.counters().adjacency_down), 2);
    let cut: &[(&str, &str)] = &[
        (
            "SG1",
            "/inventory 31 SR1,SR2\n/orders 21 SR1,SR2\n/payments 21 SR2 | 31 SR1\n/shipping 21 SR2 | 31 SR1\n",
        ),
        (
            "SG2",
            "/inventory 31 SR1,SR2\n/payments 21 SR1,SR2\n/shipping 21 SR2 | 31 SR1\n",
        ),
        (
            "SG3",
            "/orders 31 SR3\n/payments 21 SR3\n/shipping 21 SR3\n",
        ),
        (
            "SG4",
            "/inventory 21 SR3 | 31 SR2\n/orders 21 SR2 | 31 SR3\n/payments 21 SR2 | 31 SR3\n",
        ),
        (
            "SR1",
            "/inventory 21 SR3 | 31 SR2\n/orders 11 SG2 | 21 SR2\n/payments 11 SG1 | 21 SR2,SR3\n/shipping 21 SR2,SR3\n",
        ),
        (
            "SR2",
            "/inventory 21 SR3 | 31 SR1\n/orders 11 SG2 | 21 SR1\n/payments 11 SG1,SG4 | 21 SR1,SR3\n/shipping 11 SG4 | 21 SR3\n",
        ),
        (
            "SR3",
            "/inventory 11 SG3\n/orders 21 SR1,SR2\n/payments 11 SG4 | 21 SR1,SR2\n/shipping 11 SG4 | 21 SR2\n",
        ),
    ];
    assert_fibs(&sim, cut);
    sim.set_link(li, true);
    let Some(_) = sim.converge(10 * S) else { panic!("no reconvergence:\n{}", sim.status()) };
    sim.run_for(6 * S);
    assert_fibs(&sim, FIG2_FIBS);
}

fn own_seqs(sim: &Sim, observer: &str, origin: u64) -> Vec<(LsaKind, u16, u64)> {
    sim.nodes[sim.node(observer)]
        .router
        .lsdb(sim.now)
        .iter()
        .filter(|l| l.header.id.origin == RouterId(origin) && l.header.remaining_lifetime_s > 0)
        .map(|l| (l.header.id.kind, l.header.id.fragment, l.header.seq))
        .collect()
}

/// Figure 2; SG2 changes its prefixes a few times (prefix LSA seq 4) and
/// flaps a link (node LSA seq > 1), then restarts: a new Router with the
/// same id starts again at seq 1, learns its old instances from its
/// neighbours' CSNPs and re-originates above them [RFC 2328 §13.4].
#[test]
fn restarted_router_supersedes_its_old_lsas() {
    let mut sim = fig2_converged(3);
    let sg2 = sim.node("SG2");
    for p in [&[("/orders", 1), ("/x", 1)][..], &[("/orders", 1)], &[("/orders", 1), ("/y", 1)], &[("/orders", 1)]] {
        sim.input(sg2, Input::SetPrefixes(prefixes(p)));
        sim.run_for(S);
    }
    let li = sim.link_between("SG2", "SR1");
    sim.set_link(li, false);
    sim.run_for(S);
    sim.set_link(li, true);
    sim.converge(10 * S).expect("converges before restart");
    let before = own_seqs(&sim, "SR1", 0x52);
    assert_eq!(before.len(), 2);
    assert!(before.iter().all(|&(_, _, seq)| seq >= 3), "{before:?}");

    sim.restart(sg2, 1_000_000_000_000);
    // Its first LSAs are at seq 1.
    assert!(own_seqs(&sim, "SG2", 0x52).iter().all(|&(_, _, s)| s == 1));
    let Some(_) = sim.converge(15 * S) else { panic!("no resync:\n{}", sim.status()) };
    sim.run_for(6 * S);
    let after = own_seqs(&sim, "SR1", 0x52);
    assert_eq!(after.len(), 2);
    for ((k0, f0, s0), (k1, f1, s1)) in before.iter().zip(&after) {
        assert_eq!((k0, f0), (k1, f1));
        assert!(s1 > s0, "{k0:?}/{f0}: {s0} -> {s1}");
    }
    assert_eq!(own_seqs(&sim, "SG2", 0x52), after);
    assert!(sim.digests_equal());
    assert_fibs(&sim, FIG2_FIBS);
}

/// Figure 2 (authenticated with key 1); on the SR1–SR2 link, SR2 receives
/// frames claiming to come from SR1: a fake LSA signed with the wrong secret,
/// one with an unknown key id, one without authentication, and a captured
/// genuine PDU replayed. None is installed or flooded; each moves its counter.
#[test]
fn forged_and_replayed_pdus_are_dropped() {
    let mut b = Builder::new();
    figure2(&mut b);
    let mut sim = b.build();
    sim.capture = true;
    sim.converge(10 * S).expect("converges");
    sim.run_for(2 * S);
    sim.capture = false;
    let digest = sim.nodes[0].router.lsdb_digest();
    let li = sim.link_between("SR1", "SR2");
    let sr1 = sim.node("SR1");
    let to_sr2 = if sim.links[li].ends[1].node == sr1 { 0 } else { 1 };

    // A fake SG advertising /evil.
    let mut fake = dmsc_routing::types::Lsa {
        header: dmsc_routing::types::LsaHeader {
            id: dmsc_routing::types::LsaId { kind: LsaKind::Prefix, origin: RouterId(0x99), fragment: 0 },
            seq: 1,
            remaining_lifetime_s: 1200,
            checksum: 0,
        },
        body: dmsc_routing::types::LsaBody::Prefix(prefixes(&[("/evil", 0)])),
    };
    fake.header.checksum = wire::lsa_checksum(&fake);
    let pdu = Pdu { sender: RouterId(0x11), body: PduBody::Lsu(dmsc_routing::types::Lsu { lsas: vec![fake] }) };
    let wrong = key(1, "not the domain secret", true, true);
    let unknown = key(9, "domain secret one", true, true);
    sim.inject(li, to_sr2, wire::encode(&pdu, Some(&wrong), u64::MAX - 1).unwrap());
    sim.inject(li, to_sr2, wire::encode(&pdu, Some(&unknown), u64::MAX - 1).unwrap());
    sim.inject(li, to_sr2, wire::encode(&pdu, None, 0).unwrap());
    // Replay the last genuine PDU SR1 sent to SR2.
    let genuine = sim
        .captured
        .iter()
        .rev()
        .find(|c| c.link == li && c.from.node == sr1)
        .expect("captured a PDU from SR1")
        .payload
        .clone();
    sim.inject(li, to_sr2, genuine);
    sim.run_for(3 * S);

    assert_eq!(err(&sim, "SR2", "bad_mac"), 1);
    assert_eq!(err(&sim, "SR2", "unknown_key"), 1);
    assert_eq!(err(&sim, "SR2", "missing_auth"), 1);
    assert_eq!(sim.nodes[sim.node("SR2")].router.counters().rx_replay, 1);
    for n in &sim.nodes {
        assert!(n.router.lsdb(sim.now).iter().all(|l| l.header.id.origin != RouterId(0x99)), "{}", n.name);
        assert_eq!(n.router.lsdb_digest(), digest, "{}", n.name);
        assert!(!sim.fib_dump(sim.node(&n.name)).contains("/evil"));
    }
    assert_eq!(sim.sum(|r| r.counters().adjacency_down), 0);
    assert_fibs(&sim, FIG2_FIBS);
}

/// Figure 2; the domain key rolls from key 1 to key 2 in the three steps of
/// docs/routing.md (add 2 as accept-only; send with 2; remove 1), router by
/// router, 200 ms apart: no adjacency is lost and no PDU rejected. Then a
/// router left on key 1 alone loses its adjacencies.
#[test]
fn key_rollover_keeps_adjacencies() {
    let mut sim = fig2_converged(4);
    let k1 = |send| key(1, "domain secret one", send, true);
    let k2 = |send| key(2, "domain secret two", send, true);
    let phases = [
        Keychain::new(vec![k1(true), k2(false)]).unwrap(),
        Keychain::new(vec![k1(false), k2(true)]).unwrap(),
        chain1(2, "domain secret two"),
    ];
    for chain in phases {
        for i in 0..sim.nodes.len() {
            sim.input(i, Input::SetKeychain(chain.clone()));
            sim.run_for(Duration::from_millis(200));
        }
        sim.run_for(3 * S);
    }
    let sg2 = sim.node("SG2");
    sim.input(sg2, Input::SetPrefixes(prefixes(&[("/orders", 1), ("/catalog", 1)])));
    sim.converge(10 * S).expect("converges");
    sim.run_for(2 * S);
    assert_eq!(sim.sum(|r| r.counters().adjacency_down), 0);
    assert_eq!(sim.sum(|r| r.counters().rx_errors_total()), 0);
    assert!(sim.fib_dump(sim.node("SR1")).contains("/catalog 11 SG2 | 21 SR2\n"));

    // Negative check: SG1 goes back to key 1 only.
    let sg1 = sim.node("SG1");
    sim.input(sg1, Input::SetKeychain(chain1(1, "domain secret one")));
    sim.run_for(5 * S);
    assert_eq!(sim.sum(|r| r.counters().adjacency_down), 4, "{}", sim.status());
    assert!(err(&sim, "SR1", "unknown_key") > 0);
    assert!(!sim.fib_dump(sim.node("SR1")).contains("/payments 11 SG1"));
}

/// Figure 2 plus a cheap (metric 1) SG1–SG2 link on which SG2's frames never
/// reach SG1. SG2 hears SG1 (Init) but SG1 never lists SG2, so the link never
/// comes Up and never carries a route: the FIBs are those of Figure 2.
///
/// ```text
///   SG1 <--X-- SG2      (SG1 --> SG2 works)
/// ```
#[test]
fn one_way_link_is_never_used() {
    let mut b = Builder::new();
    figure2(&mut b);
    let (sg1, sg2) = (0, 1);
    let li = b.link(sg1, sg2, 1);
    let mut sim = b.build();
    sim.links[li].impair[1].blackhole = true; // from SG2 (end 1) to SG1
    sim.converge(10 * S).expect("converges");
    sim.run_for(10 * S);
    let p1 = sim.links[li].ends[0].port;
    let p2 = sim.links[li].ends[1].port;
    assert!(sim.nodes[sg1].router.neighbors().iter().all(|n| n.port != p1));
    let heard: Vec<_> = sim.nodes[sg2].router.neighbors().into_iter().filter(|n| n.port == p2).collect();
    assert_eq!(heard.len(), 1);
    assert_eq!((heard[0].hostname.as_str(), heard[0].state), ("SG1", AdjState::Init));
    for n in &sim.nodes {
        assert!(n
            .fib
            .values()
            .flatten()
            .all(|h| !(n.name == "SG1" && h.port == p1 || n.name == "SG2" && h.port == p2)));
    }
    assert_fibs(&sim, FIG2_FIBS);
}

/// Figure 2; SG3 announces 300 prefixes (several prefix LSA fragments), then
/// withdraws all but /inventory, and SG2 withdraws /orders: the routes vanish
/// everywhere and the emptied fragments are purged.
#[test]
fn prefix_withdrawal_removes_routes_everywhere() {
    let mut sim = fig2_converged(5);
    let sg3 = sim.node("SG3");
    let many: Vec<(String, u32)> = (0..300).map(|i| (format!("/svc/service-number-{i:04}"), 1)).collect();
    let mut list: Vec<(&str, u32)> = many.iter().map(|(s, m)| (s.as_str(), *m)).collect();
    list.push(("/inventory", 1));
    sim.input(sg3, Input::SetPrefixes(prefixes(&list)));
    sim.converge(10 * S).expect("converges");
    sim.run_for(6 * S);
    let frags = own_seqs(&sim, "SR2", 0x53).iter().filter(|(k, _, _)| *k == LsaKind::Prefix).count();
    assert!(frags >= 3, "300 prefixes need several fragments, got {frags}");
    for (n, (name, fig2)) in sim.nodes.iter().zip(FIG2_FIBS) {
        assert_eq!(&n.name, name);
        let want = fig2.lines().count() + if n.name == "SG3" { 0 } else { 300 };
        assert_eq!(n.fib.len(), want, "{}", n.name);
    }

    sim.input(sg3, Input::SetPrefixes(prefixes(&[("/inventory", 1)])));
    let sg2 = sim.node("SG2");
    sim.input(sg2, Input::SetPrefixes(vec![]));
    sim.converge(10 * S).expect("converges");
    sim.run_for(6 * S);
    let frags = own_seqs(&sim, "SR2", 0x53).iter().filter(|(k, _, _)| *k == LsaKind::Prefix).count();
    assert_eq!(frags, 1);
    assert!(sim.nodes[sim.node("SR2")].router.counters().lsa_purged >= 2);
    let without_orders: Vec<(&str, String)> = FIG2_FIBS
        .iter()
        .map(|(n, f)| (*n, f.lines().filter(|l| !l.starts_with("/orders")).map(|l| format!("{l}\n")).collect()))
        .collect();
    let expect: Vec<(&str, &str)> = without_orders.iter().map(|(n, f)| (*n, f.as_str())).collect();
    assert_fibs(&sim, &expect);
}

/// Figure 2 with 30 s LSA lifetimes (refresh every 20 s); SG4 is powered off
/// (no LinkDown: its neighbours notice by hold timer). Its LSAs stay in the
/// LSDBs, unused (SPF's two-way check), until their lifetime runs out; then
/// they are purged everywhere and, after ZeroAgeLifetime, removed. The other
/// routers' LSAs, refreshed, never expire.
#[test]
fn unrefreshed_lsas_expire_and_are_purged() {
    let mut b = Builder::new();
    b.timers.lsa_lifetime = 30 * S;
    b.timers.lsa_refresh = 20 * S;
    figure2(&mut b);
    let mut sim = b.build();
    sim.converge(10 * S).expect("converges");
    let sg4 = sim.node("SG4");
    sim.nodes[sg4].alive = false;
    sim.run_for(10 * S);
    assert!(!sim.fib_dump(sim.node("SR1")).contains("/shipping"));
    assert_eq!(own_seqs(&sim, "SR1", 0x54).len(), 2, "SG4's LSAs still held");
    assert_eq!(sim.sum(|r| r.counters().lsa_expired), 0);
    sim.run_for(25 * S);
    for n in sim.nodes.iter().filter(|n| n.alive) {
        assert!(own_seqs(&sim, &n.name, 0x54).is_empty(), "{} still has live SG4 LSAs", n.name);
        let purges = n.router.lsdb(sim.now).iter().filter(|l| l.header.id.origin == RouterId(0x54)).count();
        assert_eq!(purges, 2, "{}: purges kept for ZeroAgeLifetime", n.name);
    }
    assert!(sim.sum(|r| r.counters().lsa_expired) >= 2);
    sim.run_for(70 * S);
    for n in sim.nodes.iter().filter(|n| n.alive) {
        assert!(n.router.lsdb(sim.now).iter().all(|l| l.header.id.origin != RouterId(0x54)), "{}", n.name);
        assert_eq!(n.router.lsdb(sim.now).len(), 12, "{}", n.name);
        // Refreshed many times, never expired.
        assert!(own_seqs(&sim, &n.name, 0x11).iter().all(|&(_, _, s)| s >= 5), "{}", n.name);
    }
    assert!(sim.digests_equal());
    assert_eq!(sim.pending(), 0);
}
