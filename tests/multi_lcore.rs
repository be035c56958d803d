//! Several forwarding lcores.
//!
//! 1. Software flow-label dispatch (for NICs whose RSS cannot hash the DMSC
//!    EtherType): one rx queue, polled by lcore 0, which hands each frame to
//!    the lcore its flow label selects; each lcore sends on its own tx queue.
//!
//! ```text
//!                        lcore 0 ──(own share)──────────────▶ p1 tx q0 → out1-q0.pcap
//!   in.pcap → p0 rx q0 ─▶   │ flow-label dispatch (SPSC ring)
//!                           └──────▶ lcore 1 ───────────────▶ p1 tx q1 → out1-q1.pcap
//! ```
//!    Checked: every frame forwarded once; each flow on exactly one lcore (one
//!    output file) and in its original order; both lcores did work.
//!
//! 2. Multi-queue `net_tap` ports polled by two lcores (queues dealt
//!    round-robin), traffic from a network namespace. The kernel's tun driver
//!    picks the queue by a flow hash that is the same for every non-IP frame,
//!    so all DMSC frames arrive on one queue: the port uses flow-label
//!    dispatch, and each lcore polls one queue and hands work to the other.
//!    Checked: every frame forwarded, by both lcores.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::process::Command;
use std::time::Duration;

use common::*;
use dmsc::traffic::{self, GenSpec, Kind};
use dmsc_wire::packet::Packet;

fn seq_and_flow(frame: &[u8]) -> (u64, u32) {
    let p = Packet::new_checked(&frame[14..]).expect("DMSC frame");
    (u64::from_be_bytes(p.payload()[..8].try_into().unwrap()), p.flow_label())
}

#[test]
fn flow_label_dispatch_spreads_flows_and_keeps_their_order() {
    let tag = "disp";
    let (_g, dir) = tmpdir();
    let p = |f: &str| path_str(&dir.join(f));
    let spec = GenSpec {
        names: vec!["/svc/a".parse().unwrap(), "/svc/b/c".parse().unwrap()],
        count: 4000,
        flows: 200,
        sizes: traffic::parse_sizes("64:3,512:1").unwrap(),
        seed: 5,
        ..GenSpec::default()
    };
    let input = traffic::generate(&spec).unwrap();
    assert!(input.iter().all(|f| f.kind == Kind::Routable));
    traffic::write_pcap(std::fs::File::create(dir.join("in.pcap")).unwrap(), input.iter().map(|f| &f.bytes)).unwrap();
    traffic::write_pcap(std::fs::File::create(dir.join("empty.pcap")).unwrap(), Vec::<Vec<u8>>::new()).unwrap();
    let cfg = format!(
        r#"
[node]
name = "/test/disp"
role = "sr"

[management]
socket = "{mgmt}"
[eal]
args = {eal}
[dataplane]
lcores = [0, 1]
stats_interval_s = 0
[[ports]]
name = "p0"
device = "net_pcap0,rx_pcap={input},tx_pcap={o0a},tx_pcap={o0b}"
dispatch = "flow-label"
  [[ports.neighbors]]
  name = "gen"
  mac = "02:00:00:00:0c:01"
[[ports]]
name = "p1"
device = "net_pcap1,rx_pcap={empty},tx_pcap={o1a},tx_pcap={o1b}"
  [[ports.neighbors]]
  name = "n1"
  mac = "02:00:00:00:01:01"
[[routes]]
prefix = "/svc"
next_hops = [{{ port = "p1", neighbor = "n1" }}]
"#,
        mgmt = dir.join("mgmt.sock").display(),
        eal = test_eal_args(tag),
        input = p("in.pcap"),
        empty = p("empty.pcap"),
        o0a = p("out0-q0.pcap"),
        o0b = p("out0-q1.pcap"),
        o1a = p("out1-q0.pcap"),
        o1b = p("out1-q1.pcap"),
    );
    std::fs::write(dir.join("disp.toml"), cfg).unwrap();
    let out = run_until_idle(&dir.join("disp.toml"), &dir.join("stats.json"));
    remove_eal_runtime_dir(tag);
    assert_success("dmscd run", &out);
    let stats = read_json(&dir.join("stats.json"));

    let q: Vec<Vec<Vec<u8>>> = ["out1-q0.pcap", "out1-q1.pcap"]
        .iter()
        .map(|f| traffic::read_pcap(std::fs::File::open(dir.join(f)).unwrap()).unwrap())
        .collect();
    assert_eq!(q[0].len() + q[1].len(), input.len(), "every frame forwarded once; stats {stats:#}");
    assert!(!q[0].is_empty() && !q[1].is_empty(), "both lcores forwarded: {} and {}", q[0].len(), q[1].len());
    let mut flow_lcore: HashMap<u32, usize> = HashMap::new();
    let mut last_seq: BTreeMap<u32, u64> = BTreeMap::new();
    for (lcore, frames) in q.iter().enumerate() {
        for f in frames {
            let (seq, flow) = seq_and_flow(f);
            assert_eq!(*flow_lcore.entry(flow).or_insert(lcore), lcore, "flow {flow:#x} on two lcores");
            if let Some(prev) = last_seq.insert(flow, seq) {
                assert!(prev < seq, "flow {flow:#x} reordered: {prev} then {seq}");
            }
        }
    }
    let lc = &stats["lcores"];
    assert!(lc[0]["dispatched"].as_u64().unwrap() > 0, "lcore 0 dispatched nothing: {stats:#}");
    assert_eq!(
        lc[0]["dispatched"].as_u64().unwrap(),
        lc[1]["forwarded"].as_u64().unwrap(),
        "what lcore 0 handed over is what lcore 1 forwarded"
    );
    assert_eq!(stats["total"]["drops"]["dispatch_full"].as_u64().unwrap(), 0);
}

#[test]
fn multi_queue_tap_port_with_two_lcores() {
    assert!(is_root(), "this test creates network namespaces and needs root");
    let tag = "mq";
    let pid = std::process::id();
    let (ns_a, ns_b) = (format!("dmsct-{pid}-mqa"), format!("dmsct-{pid}-mqb"));
    let (if_a, if_b) = (format!("dqa{pid}"), format!("dqb{pid}"));
    let (_g, dir) = tmpdir();
    let netns = Netns(vec![ns_a.clone(), ns_b.clone()]);
    for ns in &netns.0 {
        let _ = Command::new("ip").args(["netns", "del", ns]).status();
        ip(&["netns", "add", ns]);
    }
    let cfg = format!(
        r#"
[node]
name = "/test/mq"
role = "sr"

[management]
socket = "{mgmt}"
[eal]
args = {eal}
[dataplane]
lcores = [0, 1]
stats_interval_s = 0
[[ports]]
name = "a"
device = "net_tap0,iface={if_a}"
rx_queues = 2
dispatch = "flow-label"
  [[ports.neighbors]]
  name = "ha"
  mac = "02:00:00:00:0a:02"
[[ports]]
name = "b"
device = "net_tap1,iface={if_b}"
rx_queues = 2
  [[ports.neighbors]]
  name = "hb"
  mac = "02:00:00:00:0b:02"
[[routes]]
prefix = "/svc"
next_hops = [{{ port = "b", neighbor = "hb" }}]
"#,
        mgmt = dir.join("mgmt.sock").display(),
        eal = test_eal_args(tag)
    );
    std::fs::write(dir.join("mq.toml"), cfg).unwrap();
    let router = start_router(&dir.join("mq.toml"), &dir.join("stats.json"));
    wait_for_started_tap(&if_a, Duration::from_secs(30));
    wait_for_started_tap(&if_b, Duration::from_secs(10));
    move_tap_into(&if_a, &ns_a, "02:00:00:00:0a:02");
    move_tap_into(&if_b, &ns_b, "02:00:00:00:0b:02");

    let spec = GenSpec { names: vec!["/svc/x".parse().unwrap()], count: 600, flows: 32, seed: 9, ..GenSpec::default() };
    let frames = traffic::generate(&spec).unwrap();
    traffic::write_pcap(std::fs::File::create(dir.join("in.pcap")).unwrap(), frames.iter().map(|f| &f.bytes)).unwrap();
    let cap = start_capture(&ns_b, &if_b, 600, None);
    send_from(&ns_a, &if_a, &dir.join("in.pcap"));
    let cap_out = cap.wait(Duration::from_secs(30));
    assert_success("capture", &cap_out);
    router.interrupt();
    let out = router.wait(Duration::from_secs(30));
    remove_eal_runtime_dir(tag);
    drop(netns);
    assert_success("dmscd", &out);
    let stats = read_json(&dir.join("stats.json"));
    assert!(String::from_utf8_lossy(&cap_out.stdout).contains("captured 600 frames"), "{stats:#}");
    assert_eq!(stats["total"]["forwarded"].as_u64().unwrap(), 600);
    assert_eq!(stats["lcores"].as_array().unwrap().len(), 2);
    let per_lcore: Vec<u64> = (0..2).map(|i| stats["lcores"][i]["forwarded"].as_u64().unwrap()).collect();
    assert!(per_lcore.iter().all(|n| *n > 0), "both lcores forward: {per_lcore:?}");
}
