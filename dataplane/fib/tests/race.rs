//! Readers (each with its own `dmsc_rcu::Reader`) look names up continuously
//! while a writer publishes new FIB versions built from two alternating route
//! sets. Every result must be consistent with one whole version: the next-hop
//! port of each route encodes the version parity, and within one guard all
//! lookups must agree on the parity.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use dmsc_fib::{Fib, NextHop};
use dmsc_rcu::Rcu;
use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::{Name, NameRef};

const PROBES: usize = 64;

fn probe_name(i: usize) -> Name {
    format!("/svc{}/m{}/item{}/leaf", i % 8, i % 5, i).parse().unwrap()
}

/// Version `v`: even versions route `/svcK` to port 1000+K and the probes'
/// exact prefixes to port 0 (parity 0); odd versions drop the `/svcK/mJ`
/// routes and use ports 1000+K+1 (parity 1) and 1.
fn version(v: u64) -> Fib {
    let parity = (v % 2) as u16;
    let mut routes = Vec::new();
    for k in 0..8u16 {
        routes.push((format!("/svc{k}").parse::<Name>().unwrap(), 2000 + 2 * k + parity));
        if parity == 0 {
            for j in 0..5u16 {
                routes.push((format!("/svc{k}/m{j}").parse().unwrap(), 4000 + 2 * (k * 5 + j)));
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
    Fib::build(
        routes
            .into_iter()
            .map(|(n, port)| (n, vec![NextHop { port, mac: MacAddr([2, 0, 0, 0, 0, 1]), cost: v as u32 }])),
    )
    .unwrap()
}

#[test]
fn readers_see_whole_versions_while_writer_publishes() {
    let rcu = Rcu::new(version(0));
    let stop = Arc::new(AtomicBool::new(false));
    let lookups = Arc::new(AtomicU64::new(0));
    let names: Arc<Vec<Name>> = Arc::new((0..PROBES).map(probe_name).collect());
    let mut readers = Vec::new();
    for _ in 0..2 {
        let mut reader = rcu.register();
        let (stop, lookups, names) = (stop.clone(), lookups.clone(), names.clone());
        readers.push(thread::spawn(move || {
            let refs: Vec<NameRef<'_>> = names.iter().map(Name::as_ref).collect();
            let mut last_cost = 0;
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                {
                    // Results borrow the guard: they must die before quiescent().
                    let mut out = [None; PROBES];
                    let fib = reader.read();
                    fib.lookup_burst(&refs, &mut out);
                    let cost = out[0].unwrap().next_hops()[0].cost;
                    assert!(cost >= last_cost, "versions went backwards");
                    last_cost = cost;
                    let parity = cost % 2;
                    for (i, (name, got)) in refs.iter().zip(&out).enumerate() {
                        let e = got.expect("every probe has a route");
                        assert_eq!(Some(e), fib.lookup(*name), "burst == single");
                        let hop = e.next_hop_for_flow(i as u32);
                        assert_eq!(hop.cost, cost, "mixed versions in one guard");
                        assert_eq!(hop.port as u32 % 2, parity, "port parity != version parity");
                        assert!(name.starts_with(e.prefix()));
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
    for v in 1..=300u64 {
        rcu.publish(version(v));
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    assert!(lookups.load(Ordering::Relaxed) > 0);
}
