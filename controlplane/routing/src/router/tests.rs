//! Router unit tests: two routers back to back on port 0, frames delivered
//! instantly by a small pump; injected clock.

use std::time::{Duration, Instant};

use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::Name;

use super::*;
use crate::types::{Hello, LsaHeader, LsaKind, Lsu};
use crate::wire::Key;

const MAC: [MacAddr; 2] = [MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2])];
const S: Duration = Duration::from_secs(1);

fn keychain() -> Keychain {
    Keychain::new(vec![Key { id: 1, secret: b"k".to_vec(), send: true, accept: true }]).unwrap()
}

fn cfg(id: u64, prefixes: &[&str]) -> RouterConfig {
    RouterConfig {
        id: RouterId(id),
        hostname: format!("r{id}"),
        role: Role::Sg,
        ports: vec![PortConfig { index: 0, metric: 7 }],
        prefixes: prefixes.iter().map(|p| PrefixEntry { prefix: Name::from_uri(p).unwrap(), metric: 1 }).collect(),
        keychain: keychain(),
        crypto_seq_base: 100,
        timers: Timers::default(),
        loop_free_alternates: true,
    }
}

fn sends(actions: &[Action]) -> Vec<(PortIndex, MacAddr, Vec<u8>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { port, dst_mac, payload } => Some((*port, *dst_mac, payload.clone())),
            _ => None,
        })
        .collect()
}

fn decode(payload: &[u8]) -> Pdu {
    wire::decode(payload, &keychain()).unwrap().0
}

/// Delivers frames between r[0] and r[1] (port 0 each) until none is left;
/// returns every action produced.
fn pump(r: &mut [Router; 2], now: Instant, mut pending: Vec<(usize, Vec<u8>)>) -> Vec<(usize, Action)> {
    let mut all = Vec::new();
    let mut rounds = 0;
    while !pending.is_empty() {
        rounds += 1;
        assert!(rounds < 1000, "pump does not quiesce");
        let mut next = Vec::new();
        for (to, payload) in pending {
            let acts = r[to].handle(now, Input::Received { port: 0, src_mac: MAC[1 - to], payload: &payload });
            for (_, _, p) in sends(&acts) {
                next.push((1 - to, p));
            }
            all.extend(acts.into_iter().map(|a| (to, a)));
        }
        pending = next;
    }
    all
}

/// Ticks both routers at `now` and pumps the result.
fn tick(r: &mut [Router; 2], now: Instant) -> Vec<(usize, Action)> {
    let mut pending = Vec::new();
    let mut all = Vec::new();
    for (i, x) in r.iter_mut().enumerate() {
        let acts = x.handle(now, Input::Tick);
        pending.extend(sends(&acts).into_iter().map(|(_, _, p)| (1 - i, p)));
        all.extend(acts.into_iter().map(|a| (i, a)));
    }
    all.extend(pump(r, now, pending));
    all
}

/// Runs both routers through every deadline up to `to`.
fn advance(r: &mut [Router; 2], to: Instant) {
    while let Some(t) = r.iter().filter_map(Router::next_deadline).min().filter(|&t| t <= to) {
        tick(r, t);
    }
}

/// Gives `input` to r[i] at `now` and pumps what it sends.
fn input(r: &mut [Router; 2], i: usize, now: Instant, input: Input<'_>) -> Vec<(usize, Action)> {
    let acts = r[i].handle(now, input);
    let pending = sends(&acts).into_iter().map(|(_, _, p)| (1 - i, p)).collect();
    let mut all: Vec<(usize, Action)> = acts.into_iter().map(|a| (i, a)).collect();
    all.extend(pump(r, now, pending));
    all
}

fn pair(t0: Instant) -> [Router; 2] {
    [Router::new(cfg(1, &["/a"]), t0), Router::new(cfg(2, &["/b"]), t0)]
}

#[test]
fn new_router_originates_and_says_hello() {
    let t0 = Instant::now();
    let mut r = Router::new(cfg(1, &["/a", "/a2"]), t0);
    let db = r.lsdb(t0);
    assert_eq!(db.len(), 2);
    assert_eq!(db[0].header.id.kind, LsaKind::Node);
    assert_eq!(db[1].header.id.kind, LsaKind::Prefix);
    assert!(db.iter().all(|l| l.header.seq == 1 && l.header.remaining_lifetime_s == 1200));
    assert!(db.iter().all(|l| l.header.checksum == wire::lsa_checksum(l)));
    assert_eq!(r.next_deadline(), Some(t0));
    let acts = r.handle(t0, Input::Tick);
    let s = sends(&acts);
    assert_eq!(s.len(), 1);
    assert_eq!((s[0].0, s[0].1), (0, wire::ALL_ROUTERS_MAC));
    let pdu = decode(&s[0].2);
    assert_eq!(pdu.sender, RouterId(1));
    let PduBody::Hello(h) = pdu.body else { panic!("not a hello") };
    assert_eq!((h.state, h.neighbor, h.hold_time_s), (AdjState::Down, None, 3));
    // Next: SPF (back-off initial delay), then the hello one interval later.
    assert_eq!(r.next_deadline(), Some(t0 + Duration::from_millis(50)));
    r.handle(t0 + Duration::from_millis(50), Input::Tick);
    assert_eq!(r.counters().spf_runs, 1);
    assert!(r.next_deadline().is_some_and(|t| t <= t0 + S));
    assert_eq!(r.counters().tx_pdus, 1);
}

#[test]
fn pair_comes_up_syncs_and_routes() {
    let t0 = Instant::now();
    let mut r = pair(t0);
    let acts = tick(&mut r, t0);
    // Both Up within one exchange.
    for x in &r {
        let n = x.neighbors();
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].state, AdjState::Up);
    }
    assert_eq!(r[0].neighbors()[0].mac, MAC[1]);
    assert!(acts.iter().any(|(i, a)| *i == 0 && matches!(a, Action::Adjacency(n) if n.state == AdjState::Up)));
    assert_eq!(r[0].lsdb_digest(), r[1].lsdb_digest());
    assert_eq!(r[0].lsdb(t0).len(), 4);
    assert_eq!(r[0].retransmit_pending() + r[1].retransmit_pending(), 0);
    // Node LSA lists the Up neighbour.
    let node = r[0]
        .lsdb(t0)
        .into_iter()
        .find(|l| l.header.id == LsaId { kind: LsaKind::Node, origin: RouterId(1), fragment: 0 });
    let Some(Lsa { body: LsaBody::Node(n), .. }) = node else { panic!("no node LSA") };
    assert_eq!(n.links, vec![crate::types::Link { neighbor: RouterId(2), metric: 7 }]);
    // SPF after the back-off; FIB: /b via port 0 to r2's MAC, cost 7 + 1.
    let t1 = t0 + S;
    let acts = tick(&mut r, t1);
    let fib: Vec<&FibChange> = acts
        .iter()
        .filter(|(i, _)| *i == 0)
        .filter_map(|(_, a)| if let Action::Fib(c) = a { Some(c) } else { None })
        .flatten()
        .collect();
    let b = Name::from_uri("/b").unwrap();
    assert_eq!(fib, vec![&FibChange::Upsert(b.clone(), vec![NextHop { port: 0, mac: MAC[1], cost: 8 }])]);
    assert_eq!(r[0].rib().routes.get(&b).map(|e| e.metric), Some(8));
    assert!(r[0].counters().spf_runs >= 1);
}

#[test]
fn hold_expiry_withdraws_link_and_route() {
    let t0 = Instant::now();
    let mut r = pair(t0);
    tick(&mut r, t0);
    tick(&mut r, t0 + S);
    assert_eq!(r[0].fib().len(), 1);
    // r2 falls silent; r1 keeps ticking alone.
    let mut t = t0 + S;
    let mut down = None;
    while t < t0 + 10 * S {
        t = r[0].next_deadline().unwrap().max(t);
        let acts = r[0].handle(t, Input::Tick);
        for a in acts {
            match a {
                Action::Adjacency(n) if n.state == AdjState::Down => down = Some(t),
                Action::Fib(c) => {
                    assert_eq!(c, vec![FibChange::Remove(Name::from_uri("/b").unwrap())])
                }
                _ => {}
            }
        }
    }
    // Last hello from r2 at t0 + 1 s, hold 3 s.
    assert_eq!(down, Some(t0 + 4 * S));
    assert!(r[0].fib().is_empty());
    assert!(r[0].neighbors().is_empty());
    assert_eq!(r[0].counters().adjacency_down, 1);
}

#[test]
fn replayed_and_unadjacent_pdus_are_dropped() {
    let t0 = Instant::now();
    let mut r = Router::new(cfg(1, &["/a"]), t0);
    let hello = Pdu {
        sender: RouterId(2),
        body: PduBody::Hello(Hello {
            hostname: "r2".into(),
            role: Role::Sr,
            hold_time_s: 3,
            state: AdjState::Down,
            neighbor: None,
        }),
    };
    let bytes = wire::encode(&hello, keychain().send_key(), 500).unwrap();
    r.handle(t0, Input::Received { port: 0, src_mac: MAC[1], payload: &bytes });
    assert_eq!(r.neighbors()[0].state, AdjState::Init);
    r.handle(t0, Input::Received { port: 0, src_mac: MAC[1], payload: &bytes });
    assert_eq!(r.counters().rx_replay, 1);
    // An older sequence number too.
    let old = wire::encode(&hello, keychain().send_key(), 499).unwrap();
    r.handle(t0, Input::Received { port: 0, src_mac: MAC[1], payload: &old });
    assert_eq!(r.counters().rx_replay, 2);
    // An LSU from r2 while only Init: dropped.
    let lsu = Pdu { sender: RouterId(2), body: PduBody::Lsu(Lsu { lsas: vec![] }) };
    let bytes = wire::encode(&lsu, keychain().send_key(), 501).unwrap();
    r.handle(t0, Input::Received { port: 0, src_mac: MAC[1], payload: &bytes });
    assert_eq!(r.counters().rx_errors.get("not_adjacent"), Some(&1));
    // Unknown port, garbage.
    r.handle(t0, Input::Received { port: 9, src_mac: MAC[1], payload: &bytes });
    r.handle(t0, Input::Received { port: 0, src_mac: MAC[1], payload: &[1, 2, 3] });
    assert_eq!(r.counters().rx_errors.get("unknown_port"), Some(&1));
    assert_eq!(r.counters().rx_errors_total(), 3);
    assert_eq!(r.counters().rx_pdus, 6);
}

/// Router `r` (the first of a [`pair`]) receives an authenticated LSU carrying
/// `lsa` from r2 on port 0, with crypto sequence number `crypto`.
fn lsu_from_r2(r: &mut Router, now: Instant, lsa: Lsa, crypto: u64) -> Vec<Action> {
    let pdu = Pdu { sender: RouterId(2), body: PduBody::Lsu(Lsu { lsas: vec![lsa] }) };
    let bytes = wire::encode(&pdu, keychain().send_key(), crypto).unwrap();
    r.handle(now, Input::Received { port: 0, src_mac: MAC[1], payload: &bytes })
}

#[test]
fn stale_own_lsa_is_superseded() {
    let t0 = Instant::now();
    let mut r = pair(t0);
    tick(&mut r, t0);
    // r2 hands r1 an instance of r1's prefix LSA with seq 40 (as if from
    // before a restart): r1 re-originates at 41.
    let id = LsaId { kind: LsaKind::Prefix, origin: RouterId(1), fragment: 0 };
    let mut stale = Lsa {
        header: LsaHeader { id, seq: 40, remaining_lifetime_s: 1000, checksum: 0 },
        body: LsaBody::Prefix(vec![PrefixEntry { prefix: Name::from_uri("/old").unwrap(), metric: 1 }]),
    };
    stale.header.checksum = wire::lsa_checksum(&stale);
    let acts = lsu_from_r2(&mut r[0], t0, stale, 1_000_000);
    let mine = r[0].lsdb(t0).into_iter().find(|l| l.header.id == id).unwrap();
    assert_eq!(mine.header.seq, 41);
    assert_eq!(mine.body, LsaBody::Prefix(vec![PrefixEntry { prefix: Name::from_uri("/a").unwrap(), metric: 1 }]));
    // It is flooded back to r2 and acknowledged.
    let pdus: Vec<Pdu> = sends(&acts).iter().map(|(_, _, p)| decode(p)).collect();
    assert!(pdus.iter().any(|p| matches!(&p.body, PduBody::Lsu(l) if l.lsas.iter().any(|l| l.header.seq == 41))));
    assert!(pdus.iter().any(|p| matches!(&p.body, PduBody::Psnp(ps) if ps.entries.iter().any(|e| e.seq == 40))));
}

#[test]
fn identical_own_lsa_about_to_expire_is_reoriginated() {
    let t0 = Instant::now();
    let mut r = pair(t0);
    tick(&mut r, t0);
    let id = LsaId { kind: LsaKind::Prefix, origin: RouterId(1), fragment: 0 };
    let mine = |r: &Router| r.lsdb(t0).into_iter().find(|l| l.header.id == id).unwrap();
    let ours = mine(&r[0]);
    let receive = |r: &mut Router, remaining_lifetime_s: u16, crypto: u64| {
        let mut copy = ours.clone();
        copy.header.remaining_lifetime_s = remaining_lifetime_s;
        lsu_from_r2(r, t0, copy, crypto)
    };
    // The same instance a few seconds older (it travelled): just a duplicate.
    let before = r[0].counters().lsa_duplicate;
    receive(&mut r[0], ours.header.remaining_lifetime_s - 5, 2_000_000);
    assert_eq!(r[0].counters().lsa_duplicate, before + 1);
    assert_eq!(mine(&r[0]).header.seq, ours.header.seq);
    assert_eq!(r[0].counters().lsa_stale_own, 0);
    // The same instance with 400 s left while ours has 1200 s and is refreshed
    // in 900 s: it would expire in the network first. Re-originated above it.
    let acts = receive(&mut r[0], 400, 3_000_000);
    assert_eq!(r[0].counters().lsa_stale_own, 1);
    let now_mine = mine(&r[0]);
    assert_eq!(now_mine.header.seq, ours.header.seq + 1);
    assert_eq!(now_mine.body, ours.body);
    let pdus: Vec<Pdu> = sends(&acts).iter().map(|(_, _, p)| decode(p)).collect();
    assert!(pdus
        .iter()
        .any(|p| matches!(&p.body, PduBody::Lsu(l) if l.lsas.iter().any(|l| l.header.seq == ours.header.seq + 1))));
}

#[test]
fn many_prefixes_fragment_and_fit() {
    let t0 = Instant::now();
    let names: Vec<String> = (0..400).map(|i| format!("/a-fairly-long-service-name/number-{i:05}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut r = [Router::new(cfg(1, &refs), t0), Router::new(cfg(2, &[]), t0)];
    let frags = r[0].lsdb(t0).iter().filter(|l| l.header.id.kind == LsaKind::Prefix).count();
    assert!(frags >= 10, "{frags} fragments");
    for l in r[0].lsdb(t0) {
        assert!(wire::lsa_encoded_len(&l) <= flooding::LSU_BUDGET_BYTES);
    }
    let acts = tick(&mut r, t0);
    for (_, a) in &acts {
        if let Action::Send { payload, .. } = a {
            assert!(payload.len() <= wire::MAX_PDU_BYTES);
        }
    }
    assert_eq!(r[0].lsdb_digest(), r[1].lsdb_digest());
    assert_eq!(r[0].counters().tx_errors + r[1].counters().tx_errors, 0);
    tick(&mut r, t0 + S);
    assert_eq!(r[1].fib().len(), 400);
    // Withdraw all but one: the other fragments are purged at r1 and r2.
    input(
        &mut r,
        0,
        t0 + S,
        Input::SetPrefixes(vec![PrefixEntry { prefix: Name::from_uri("/z").unwrap(), metric: 1 }]),
    );
    advance(&mut r, t0 + 8 * S);
    assert_eq!(r[0].counters().adjacency_down + r[1].counters().adjacency_down, 0);
    let live = |x: &Router| x.lsdb(t0 + 8 * S).iter().filter(|l| l.header.remaining_lifetime_s > 0).count();
    assert_eq!(live(&r[1]), 4);
    assert_eq!(
        r[1].fib().len(),
        1,
        "{:?} rib={} next={:?}",
        r[1].counters(),
        r[1].rib().len(),
        r[1].next_deadline().map(|d| d - t0)
    );
    assert_eq!(r[0].lsdb_digest(), r[1].lsdb_digest());
}

#[test]
fn link_down_is_immediate() {
    let t0 = Instant::now();
    let mut r = pair(t0);
    tick(&mut r, t0);
    tick(&mut r, t0 + S);
    let acts = r[0].handle(t0 + S, Input::LinkDown(0));
    assert!(acts.iter().any(|a| matches!(a, Action::Adjacency(n) if n.state == AdjState::Down)));
    assert!(acts.contains(&Action::Fib(vec![FibChange::Remove(Name::from_uri("/b").unwrap())])));
    // No hellos while down.
    let acts = r[0].handle(t0 + 5 * S, Input::Tick);
    assert!(sends(&acts).is_empty());
    let acts = r[0].handle(t0 + 5 * S, Input::LinkUp(0));
    assert_eq!(sends(&acts).len(), 1);
}
