//! The draft's Figure 2 as seven dmscd processes linked by net_memif pairs
//! (config/examples/figure2/topology.toml): convergence, traffic along the
//! computed FIB, rerouting after a router is killed, and the network after
//! that router is restarted (`topo::restart`).
//!
//! ```text
//!        /payments        /orders
//!          SG1              SG2
//!          |  \            /  |
//!          |   +----------+   |
//!          |  /            \  |
//!          SR1 ------------ SR2
//!          |  \            /  |
//!          |       SR3        |
//!          |     /     \      |
//!          SG3 -+       +- SG4
//!      /inventory        /payments /shipping
//! ```
//! Pods are taps in namespaces dmsc-<topology>-sgN; the test's topology name
//! is unique per process, and everything is stopped by `topo::down` (also on
//! failure, by a guard). SR1 is first in the router list, so it is the memif
//! *server* of all its links: after its restart its four neighbours' memif
//! client ports must reconnect by themselves (`dmsc_controlplane::reconnect`),
//! which the test checks in their counters.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use dmsc::show::{self, What};
use dmsc::topo::{self, Topology};
use dmsc::traffic;

struct Down(Topology);

impl Drop for Down {
    fn drop(&mut self) {
        let _ = topo::down(&self.0);
    }
}

/// A control-plane counter of a router (`dmsc show counters --json`).
fn control_counter(t: &Topology, router: &str, name: &str) -> u64 {
    let text = show::show(t.socket(router), What::Counters, true, None, 0).expect("show counters");
    let v: serde_json::Value = serde_json::from_str(&text).expect("counters json");
    v["control"][name].as_u64().unwrap_or_else(|| panic!("{router}: no control counter {name}: {text}"))
}

fn fib(t: &Topology, router: &str) -> serde_json::Value {
    let text = show::show(t.socket(router), What::Fib, true, None, 0).expect("show fib");
    serde_json::from_str(&text).expect("fib json")
}

/// `prefix source ports[ | backup ports]` of a router's FIB, one sorted line
/// per route: the next hops grouped by cost, lowest (the ones used) first,
/// then the loop-free alternates [RFC 5286].
fn fib_dump(t: &Topology, router: &str) -> String {
    let f = fib(t, router);
    let mut lines: Vec<String> = f["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|r| {
            let hops = r["next_hops"].as_array().unwrap();
            let mut costs: Vec<u64> = hops.iter().map(|h| h["cost"].as_u64().unwrap()).collect();
            costs.sort_unstable();
            costs.dedup();
            let groups: Vec<String> = costs
                .iter()
                .map(|&c| {
                    let ports: Vec<&str> = hops
                        .iter()
                        .filter(|h| h["cost"].as_u64() == Some(c))
                        .map(|h| h["port_name"].as_str().unwrap())
                        .collect();
                    ports.join(",")
                })
                .collect();
            format!("{} {} {}", r["prefix"].as_str().unwrap(), r["source"].as_str().unwrap(), groups.join(" | "))
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

fn captured(p: Proc) -> usize {
    let out = p.wait(Duration::from_secs(30));
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("captured ").and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok()))
        .unwrap_or_else(|| panic!("no count in capture output: {text}"))
}

/// Sends `count` requests to `name` from SG1's pod and returns how many SG3's pod received.
fn send_to_sg3(t: &Topology, dir: &Path, name: &str, count: usize) -> usize {
    let pcap = dir.join("in.pcap");
    let spec = traffic::GenSpec {
        names: vec![name.parse().unwrap()],
        count,
        flows: 16,
        sizes: vec![(128, 1)],
        miss_share: 0.0,
        expired_share: 0.0,
        malformed_share: 0.0,
        foreign_share: 0.0,
        src: "/pod1".parse().unwrap(),
        hop_limit: 16,
        src_mac: t.pod_mac("sg1").parse().unwrap(),
        dst_mac: t.pod_port_mac("sg1").parse().unwrap(),
        ethertype: 0x88B5,
        seed: 7,
    };
    let frames = traffic::generate(&spec).unwrap();
    traffic::write_pcap(std::fs::File::create(&pcap).unwrap(), frames.iter().map(|f| &f.bytes)).unwrap();
    let cap = start_capture(&t.netns("sg3"), &t.pod_iface("sg3"), count, None);
    send_from(&t.netns("sg1"), &t.pod_iface("sg1"), &pcap);
    captured(cap)
}

/// (sequence number, checksum) of `origin`'s node LSA in `router`'s LSDB
/// (the highest-numbered fragment's).
fn node_lsa(t: &Topology, router: &str, origin: u64) -> (u64, u64) {
    let text = show::show(t.socket(router), What::Lsdb, true, None, 0).expect("show lsdb");
    let l: serde_json::Value = serde_json::from_str(&text).expect("lsdb json");
    l["lsas"]
        .as_array()
        .expect("lsas")
        .iter()
        .filter(|x| x["kind"] == "node" && x["origin"] == origin)
        .filter_map(|x| Some((x["seq"].as_u64()?, x["checksum"].as_u64()?)))
        .max()
        .unwrap_or_else(|| panic!("no node LSA of {origin} at {router}: {text}"))
}

/// Waits (30 s at most) until the SPF back-off of every router but `except`
/// is QUIET [RFC 8405 §5]: HOLDDOWN_INTERVAL without an LSDB change, so that
/// the next change is handled with INITIAL_SPF_DELAY everywhere.
fn wait_quiet(t: &Topology, except: Option<&str>) {
    let t0 = Instant::now();
    loop {
        let states: Vec<(String, String)> = t
            .routers
            .iter()
            .filter(|r| Some(r.name.as_str()) != except)
            .map(|r| {
                let text = show::show(t.socket(&r.name), What::Lsdb, true, None, 0).expect("show lsdb");
                let l: serde_json::Value = serde_json::from_str(&text).expect("lsdb json");
                (r.name.clone(), l["spf_state"].as_str().unwrap_or("?").to_owned())
            })
            .collect();
        if states.iter().all(|(_, s)| s == "quiet") {
            return;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "not all quiet: {states:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn figure2_converges_forwards_and_reroutes() {
    if !is_root() {
        panic!("this test needs root (namespaces, taps)");
    }
    let (_g, dir) = tmpdir();
    let mut t =
        Topology::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/examples/figure2/topology.toml"))
            .expect("figure2 topology");
    t.name = format!("t{}", std::process::id() % 10_000_000);
    t.run_dir = Some(dir.join("run"));
    assert_eq!(t.routers[0].name, "sr1", "sr1 serves all its memif links");
    // A short RFC 8405 HOLDDOWN_INTERVAL, so that the routers are soon QUIET
    // again and handle the kill below with INITIAL_SPF_DELAY.
    t.spf_holddown_ms = Some(1000);
    let guard = Down(t.clone());

    let text = topo::up(&t, Path::new(env!("CARGO_BIN_EXE_dmscd")), Duration::from_secs(60)).expect("topo up");
    assert!(text.contains("converged"), "{text}");
    let sr1_cfg = std::fs::read_to_string(t.run_dir().join("sr1.toml")).unwrap();
    assert!(sr1_cfg.contains("\nspf_holddown_ms = 1000\n") && !sr1_cfg.contains("spf_long"), "{sr1_cfg}");
    let (ok, table) = topo::converged(&t).unwrap();
    assert!(ok, "{table}");

    // SG1's FIB: its own service is static (to its pod); the others are learned,
    // with ECMP where two SRs are equally close, and a loop-free alternate
    // (after " | ") where only one is.
    assert_eq!(
        fib_dump(&t, "sg1"),
        "/inventory routing to-sr1 | to-sr2\n/orders routing to-sr1,to-sr2\n/payments static pod\n/shipping routing to-sr2 | to-sr1"
    );
    // SR3 reaches /payments at SG1 (via SR1 or SR2) and SG4 (direct): the direct
    // one wins, and SR1 and SR2 (each one hop from SG1) are its alternates.
    assert_eq!(
        fib_dump(&t, "sr3"),
        "/inventory routing to-sg3 | to-sr1\n/orders routing to-sr1,to-sr2\n/payments routing to-sg4 | to-sr1,to-sr2\n/shipping routing to-sg4 | to-sr2"
    );

    assert_eq!(send_to_sg3(&t, &dir, "/inventory/stock", 300), 300, "traffic SG1 -> SR1 -> SG3");
    let states = topo::spf_states(&t).unwrap();
    assert_eq!(states.len(), 7, "{states:?}");
    assert!(states.values().all(|s| ["quiet", "short_wait", "long_wait"].contains(&s.as_str())), "{states:?}");
    wait_quiet(&t, None);
    let sr1_lsa_before = node_lsa(&t, "sr2", 1);

    // Kill SR1: SG1 and SG3 see their memif links go down at once and
    // route /inventory over SR2 and SR3 (SG1: its alternate SR2 takes over
    // before SPF runs).
    let state: topo::State =
        serde_json::from_str(&std::fs::read_to_string(t.run_dir().join("state.json")).unwrap()).unwrap();
    let sr1 = state.pids["sr1"];
    assert!(std::process::Command::new("kill").args(["-KILL", &sr1.to_string()]).status().unwrap().success());
    let t0 = Instant::now();
    loop {
        let d = fib_dump(&t, "sg1");
        if d.contains("/inventory routing to-sr2") {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(15), "no reroute after killing sr1:\n{d}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let rerouted = t0.elapsed();
    assert_eq!(
        fib_dump(&t, "sg1"),
        "/inventory routing to-sr2\n/orders routing to-sr2\n/payments static pod\n/shipping routing to-sr2"
    );
    assert_eq!(send_to_sg3(&t, &dir, "/inventory/stock", 300), 300, "traffic SG1 -> SR2 -> SR3 -> SG3");
    eprintln!("rerouted {rerouted:?} after SR1 was killed");

    // Restart SR1. It comes back with no LSDB and originates its node LSA
    // from sequence 1 again, while its neighbours still hold the one it had
    // before the kill: it must end above that [RFC 2328 §13.4] or, if its own
    // link changes brought it to the same number first, with the identical
    // LSA (same sequence number and checksum: the same instance, nothing to
    // supersede [RFC 2328 §13.1]). Never a different LSA under an old number.
    let sr1_lsa_before = sr1_lsa_before.max(node_lsa(&t, "sr2", 1)).max(node_lsa(&t, "sg3", 1));
    wait_quiet(&t, Some("sr1"));
    let t1 = Instant::now();
    let text = topo::restart(&t, "sr1", Path::new(env!("CARGO_BIN_EXE_dmscd")), false, Duration::from_secs(60))
        .expect("topo restart sr1");
    let restarted = t1.elapsed();
    assert!(text.contains("sr1 was not running"), "{text}");
    let (ok, table) = topo::converged(&t).unwrap();
    assert!(ok, "{table}");
    let state: topo::State =
        serde_json::from_str(&std::fs::read_to_string(t.run_dir().join("state.json")).unwrap()).unwrap();
    assert_ne!(state.pids["sr1"], sr1, "the new pid is recorded for `down`");
    let sr1_lsa_after = node_lsa(&t, "sr1", 1);
    assert!(
        sr1_lsa_after.0 > sr1_lsa_before.0 || sr1_lsa_after == sr1_lsa_before,
        "sr1 node LSA (seq, checksum) {sr1_lsa_after:?} after the restart, {sr1_lsa_before:?} before"
    );
    for r in ["sr2", "sr3", "sg1", "sg2", "sg3", "sg4"] {
        assert_eq!(node_lsa(&t, r, 1), sr1_lsa_after, "{r} holds sr1's current node LSA");
    }
    // SR1's neighbours are the memif clients of their links to it: each
    // stopped and started its port until the new SR1 answered; SG4, not
    // linked to SR1, never had to.
    let mut attempts = Vec::new();
    for r in ["sr2", "sr3", "sg1", "sg2", "sg3"] {
        let n = control_counter(&t, r, "reconnects");
        assert!(n >= 1, "{r} reconnected its port to sr1 ({n} attempts)");
        attempts.push(format!("{r} {n} ({} failed)", control_counter(&t, r, "reconnect_failures")));
    }
    assert_eq!(control_counter(&t, "sg4", "reconnects"), 0, "sg4 has no link to sr1");
    eprintln!("reconnection attempts: {}", attempts.join(", "));
    assert_eq!(
        fib_dump(&t, "sg1"),
        "/inventory routing to-sr1 | to-sr2\n/orders routing to-sr1,to-sr2\n/payments static pod\n/shipping routing to-sr2 | to-sr1"
    );
    assert_eq!(send_to_sg3(&t, &dir, "/inventory/stock", 300), 300, "traffic SG1 -> SR1 -> SG3 after the restart");
    eprintln!(
        "restart of SR1 converged after {restarted:?}; its node LSA (seq, checksum) {sr1_lsa_before:?} -> {sr1_lsa_after:?}\n{text}"
    );

    drop(guard);
    assert!(!t.run_dir().exists(), "run directory left behind");
    let ns =
        String::from_utf8(std::process::Command::new("ip").args(["netns", "list"]).output().unwrap().stdout).unwrap();
    assert!(!ns.contains(&format!("dmsc-{}-", t.name)), "namespaces left behind: {ns}");
}
