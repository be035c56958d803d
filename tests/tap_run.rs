//! The data plane on `net_tap` ports whose kernel ends live in two network
//! namespaces that this test creates (and deletes, by name, whatever happens).
//!
//! ```text
//!   netns dmsct-<pid>-a            root netns: dmscd /test/tap          netns dmsct-<pid>-b
//!   +------------------+         +----------------------------+        +------------------+
//!   | dta<pid>         |◀─tap──▶ | p0 (net_tap0)  (net_tap1) p1| ◀─tap─▶| dtb<pid>         |
//!   | 02:00:00:00:0a:01|         | /svc → p1 nb                |        | 02:00:00:00:0b:01|
//!   | dmsc send        |         | /client → p0 na             |        | dmsc capture     |
//!   +------------------+         +----------------------------+        +------------------+
//! ```
//!
//! The sender writes DMSC frames with an AF_PACKET socket; the router forwards
//! them by its FIB; the capture in the other namespace must see every routable
//! frame exactly once, rewritten (hop limit − 1, MACs), and the misses must
//! come back to the sender's namespace as nacks.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use dmsc::traffic::{self, GenSpec, Kind};
use dmsc_wire::ethernet::{Frame, MacAddr};
use dmsc_wire::packet::{Packet, PacketType};

const A_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0x0a, 0x01]);
const B_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0x0b, 0x01]);

/// `file` (`status`, `stat`) of the thread named `name` of process `pid`.
fn thread_file(pid: u32, name: &str, file: &str) -> Option<String> {
    std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten().find_map(|t| {
        let comm = std::fs::read_to_string(t.path().join("comm")).ok()?;
        (comm.trim() == name).then_some(())?;
        std::fs::read_to_string(t.path().join(file)).ok()
    })
}

/// `Cpus_allowed_list` of the thread named `name` of process `pid`.
fn thread_cpus(pid: u32, name: &str) -> Option<String> {
    let status = thread_file(pid, name, "status")?;
    status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).map(|s| s.trim().to_owned())
}

/// Nice value (field 19) of a `/proc/…/stat` text.
fn nice_of(stat: &str) -> Option<i32> {
    stat[stat.rfind(')')? + 1..].split_whitespace().nth(16)?.parse().ok()
}

/// Nice value of the thread named `name` of process `pid`.
fn thread_nice(pid: u32, name: &str) -> Option<i32> {
    nice_of(&thread_file(pid, name, "stat")?)
}

#[test]
fn tap_run_forwards_between_namespaces() {
    assert!(is_root(), "this test creates network namespaces and needs root");
    let tag = "tap";
    let pid = std::process::id();
    let (ns_a, ns_b) = (format!("dmsct-{pid}-a"), format!("dmsct-{pid}-b"));
    let (if_a, if_b) = (format!("dta{pid}"), format!("dtb{pid}"));
    let (_guard, dir) = tmpdir();
    let _ = Command::new("ip").args(["netns", "del", &ns_a]).status();
    let _ = Command::new("ip").args(["netns", "del", &ns_b]).status();
    // Declared before the router so that it is dropped after it.
    let netns = Netns(vec![ns_a.clone(), ns_b.clone()]);
    ip(&["netns", "add", &ns_a]);
    ip(&["netns", "add", &ns_b]);

    let cfg = format!(
        r#"
[node]
name = "/test/tap"
role = "sr"

[management]
socket = "{mgmt}"
[eal]
args = {eal}
[dataplane]
lcores = [0]
stats_interval_s = 0
control_nice = 5
[[ports]]
name = "p0"
device = "net_tap0,iface={if_a}"
  [[ports.neighbors]]
  name = "na"
  mac = "{A_MAC}"
[[ports]]
name = "p1"
device = "net_tap1,iface={if_b}"
  [[ports.neighbors]]
  name = "nb"
  mac = "{B_MAC}"
[[routes]]
prefix = "/svc"
next_hops = [{{ port = "p1", neighbor = "nb" }}]
[[routes]]
prefix = "/client"
next_hops = [{{ port = "p0", neighbor = "na" }}]
"#,
        mgmt = dir.join("mgmt.sock").display(),
        eal = test_eal_args(tag)
    );
    std::fs::write(dir.join("tap.toml"), cfg).unwrap();
    let stats_path = dir.join("stats.json");
    let router = start_router(&dir.join("tap.toml"), &stats_path);
    wait_for_started_tap(&if_a, Duration::from_secs(30));
    wait_for_started_tap(&if_b, Duration::from_secs(10));
    move_tap_into(&if_a, &ns_a, &A_MAC.to_string());
    move_tap_into(&if_b, &ns_b, &B_MAC.to_string());

    // Traffic: 400 routable requests and 40 misses, hop limit 16.
    let spec = GenSpec {
        names: vec!["/svc/orders".parse().unwrap(), "/svc/payments/charge".parse().unwrap()],
        count: 440,
        flows: 8,
        sizes: traffic::parse_sizes("64:3,300:1").unwrap(),
        miss_share: 0.1,
        src_mac: A_MAC,
        hop_limit: 16,
        seed: 11,
        ..GenSpec::default()
    };
    let frames = traffic::generate(&spec).unwrap();
    let routable = frames.iter().filter(|f| f.kind == Kind::Routable).count();
    let misses = frames.iter().filter(|f| f.kind == Kind::Miss).count();
    traffic::write_pcap(std::fs::File::create(dir.join("in.pcap")).unwrap(), frames.iter().map(|f| &f.bytes)).unwrap();

    let cap_b = start_capture(&ns_b, &if_b, routable, Some(&dir.join("b.pcap")));
    let cap_a = start_capture(&ns_a, &if_a, misses, Some(&dir.join("a.pcap")));
    send_from(&ns_a, &if_a, &dir.join("in.pcap"));
    assert_success("capture b", &cap_b.wait(Duration::from_secs(30)));
    assert_success("capture a", &cap_a.wait(Duration::from_secs(30)));

    // The control and statistics threads left the forwarding lcore's CPU (0),
    // since this machine has another one.
    if std::thread::available_parallelism().map_or(1, |n| n.get()) > 1 {
        for thread in ["dmsc-control", "dmsc-stats"] {
            let cpus = thread_cpus(router.pid(), thread).unwrap_or_else(|| panic!("no thread {thread}"));
            assert!(
                !cpus.split(',').any(|r| r == "0" || r.starts_with("0-")),
                "{thread} runs on CPUs {cpus}, including the lcore's CPU 0"
            );
        }
    }
    // `dataplane.control_nice` reached the control thread only.
    assert_eq!(thread_nice(router.pid(), "dmsc-control"), Some(5), "control thread's nice value");
    let own = nice_of(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default());
    assert_eq!(thread_nice(router.pid(), "dmsc-stats"), own, "statistics thread's nice value (inherited)");
    // dmscd re-executed itself for its heap pages (src/heap.rs) under its own
    // name, so `ps` and `pidof dmscd` find it.
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", router.pid())).unwrap_or_default();
    assert_eq!(comm.trim(), "dmscd", "process name after the re-execution");
    let kernel_b = Command::new("ip")
        .args(["-n", &ns_b, "-s", "-s", "link", "show", "dev", &if_b])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    router.interrupt();
    let out = router.wait(Duration::from_secs(30));
    remove_eal_runtime_dir(tag);
    assert_success("dmscd", &out);
    drop(netns);

    let stats = read_json(&stats_path);
    let p1_mac: MacAddr = stats["ports"][1]["mac"].as_str().unwrap().parse().unwrap();
    let got_b = traffic::read_pcap(std::fs::File::open(dir.join("b.pcap")).unwrap()).unwrap();
    // Where a frame went missing matters: first the router's own counts.
    let total = &stats["total"];
    assert_eq!(total["forwarded"].as_u64().unwrap(), routable as u64, "forwarded; stats: {stats:#}");
    assert_eq!(stats["ports"][1]["tx_packets"].as_u64().unwrap(), routable as u64, "sent on p1; stats: {stats:#}");
    let seq = |b: &Vec<u8>| {
        let p = Packet::new_checked(&b[14..]).unwrap();
        u64::from_be_bytes(p.payload()[..8].try_into().unwrap())
    };
    let got_seqs: std::collections::BTreeSet<u64> = got_b.iter().map(seq).collect();
    let missing: Vec<u64> = frames
        .iter()
        .filter(|f| f.kind == Kind::Routable)
        .map(|f| seq(&f.bytes))
        .filter(|s| !got_seqs.contains(s))
        .collect();
    assert_eq!(
        got_b.len(),
        routable,
        "every routable frame arrives in {ns_b}; missing seqs {missing:?}; ports {:#}; kernel side: {kernel_b}",
        stats["ports"]
    );
    let mut want: Vec<Vec<u8>> = frames
        .iter()
        .filter(|f| f.kind == Kind::Routable)
        .map(|f| {
            let mut b = f.bytes.clone();
            b[14 + 2] = 15;
            let mut e = Frame::new_unchecked(&mut b[..]);
            e.set_dst_addr(B_MAC);
            e.set_src_addr(p1_mac);
            b
        })
        .collect();
    let mut got_sorted = got_b.clone();
    // The kernel keeps order on one tap queue, but compare as multisets so the
    // check is about forwarding, not about queueing.
    want.sort();
    got_sorted.sort();
    assert!(want == got_sorted, "forwarded frames differ from the prediction");

    let got_a = traffic::read_pcap(std::fs::File::open(dir.join("a.pcap")).unwrap()).unwrap();
    assert_eq!(got_a.len(), misses, "one nack per miss");
    for b in &got_a {
        let p = Packet::new_checked(&b[14..]).unwrap();
        assert_eq!(p.packet_type(), PacketType::Nack);
        assert_eq!(p.dst_name().to_string(), "/client");
    }
    assert_eq!(total["drops"]["no_route"].as_u64().unwrap(), misses as u64);
    assert_eq!(total["nacks_sent"].as_u64().unwrap(), misses as u64);
}
