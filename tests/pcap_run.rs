//! The data plane on `net_pcap` ports, checked name by name.
//!
//! ```text
//!                     +------------------------+
//!   in.pcap  ──rx──▶  | p0     dmscd /test/sr  |  p1 ──tx──▶ out1.pcap   (MTU 800)
//!   out0.pcap ◀──tx── |  (nacks go back here)  |  p2 ──tx──▶ out2.pcap
//!                     +------------------------+
//!   routes:  /svc/a       → p1 n1
//!            /svc/a/deep  → p2 n2          (longer prefix beats /svc/a)
//!            /svc/b       → p2 n2
//!            /svc/ecmp    → p1 n1 cost 5, p2 n2 cost 5, p1 n1b cost 9 (never used)
//!            /client      → p0 gen         (the way back for nacks)
//! ```
//!
//! The input mixes routable requests, misses, hop-limit-1 packets, malformed
//! and non-DMSC frames. An oracle written here (a linear scan over the routes,
//! independent of the FIB) predicts, frame by frame, the output port and the
//! exact output bytes; the router's counters must match the ground truth.

mod common;

use std::collections::HashMap;

use common::*;
use dmsc::traffic::{self, GenSpec, Kind};
use dmsc_wire::ethernet::{self, Frame, MacAddr};
use dmsc_wire::nack::{NackReason, NackRepr};
use dmsc_wire::name::{Name, NameRef};
use dmsc_wire::packet::{Packet, PacketType};

const GEN_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0x0c, 0x01]);
const N1: MacAddr = MacAddr([0x02, 0, 0, 0, 0x01, 0x01]);
const N1B: MacAddr = MacAddr([0x02, 0, 0, 0, 0x01, 0x02]);
const N2: MacAddr = MacAddr([0x02, 0, 0, 0, 0x02, 0x01]);
const P1_MTU: usize = 800;

/// A route: prefix, [(port, mac, cost)].
type Route = (Name, Vec<(usize, MacAddr, u32)>);

fn routes() -> Vec<Route> {
    let n = |s: &str| s.parse::<Name>().unwrap();
    vec![
        (n("/svc/a"), vec![(1, N1, 1)]),
        (n("/svc/a/deep"), vec![(2, N2, 1)]),
        (n("/svc/b"), vec![(2, N2, 1)]),
        (n("/svc/ecmp"), vec![(1, N1, 5), (2, N2, 5), (1, N1B, 9)]),
        (n("/client"), vec![(0, GEN_MAC, 1)]),
    ]
}

/// The oracle: longest prefix by linear scan; best (lowest-cost) next hops.
fn oracle(name: NameRef<'_>) -> Option<Vec<(usize, MacAddr)>> {
    let rs = routes();
    let best = rs.iter().filter(|(p, _)| name.starts_with(p.as_ref())).max_by_key(|(p, _)| p.len())?;
    let min = best.1.iter().map(|h| h.2).min()?;
    Some(best.1.iter().filter(|h| h.2 == min).map(|h| (h.0, h.1)).collect())
}

fn config(dir: &std::path::Path, tag: &str) -> String {
    let p = |f: &str| path_str(&dir.join(f));
    format!(
        r#"
[node]
name = "/test/sr"
role = "sr"

[management]
socket = "{mgmt}"

[eal]
args = {eal}

[dataplane]
lcores = [0]
nack_rate_per_s = 1000000
nack_burst = 100000
stats_interval_s = 0

[[ports]]
name = "p0"
device = "net_pcap0,rx_pcap={input},tx_pcap={out0}"
  [[ports.neighbors]]
  name = "gen"
  mac = "{GEN_MAC}"

[[ports]]
name = "p1"
device = "net_pcap1,rx_pcap={empty},tx_pcap={out1}"
mtu = {P1_MTU}
  [[ports.neighbors]]
  name = "n1"
  mac = "{N1}"
  [[ports.neighbors]]
  name = "n1b"
  mac = "{N1B}"

[[ports]]
name = "p2"
device = "net_pcap2,rx_pcap={empty},tx_pcap={out2}"
  [[ports.neighbors]]
  name = "n2"
  mac = "{N2}"

[[routes]]
prefix = "/svc/a"
next_hops = [{{ port = "p1", neighbor = "n1" }}]
[[routes]]
prefix = "/svc/a/deep"
next_hops = [{{ port = "p2", neighbor = "n2" }}]
[[routes]]
prefix = "/svc/b"
next_hops = [{{ port = "p2", neighbor = "n2" }}]
[[routes]]
prefix = "/svc/ecmp"
next_hops = [{{ port = "p1", neighbor = "n1", cost = 5 }}, {{ port = "p2", neighbor = "n2", cost = 5 }}, {{ port = "p1", neighbor = "n1b", cost = 9 }}]
[[routes]]
prefix = "/client"
next_hops = [{{ port = "p0", neighbor = "gen" }}]
"#,
        mgmt = dir.join("mgmt.sock").display(),
        eal = test_eal_args(tag),
        input = p("in.pcap"),
        empty = p("empty.pcap"),
        out0 = p("out0.pcap"),
        out1 = p("out1.pcap"),
        out2 = p("out2.pcap"),
    )
}

fn read(dir: &std::path::Path, f: &str) -> Vec<Vec<u8>> {
    traffic::read_pcap(std::fs::File::open(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))).unwrap()
}

#[test]
fn pcap_run_forwards_every_frame_by_name() {
    let tag = "pcap";
    let (_guard, dir) = tmpdir();
    let spec = GenSpec {
        names: ["/svc/a", "/svc/a/deep", "/svc/b", "/svc/ecmp"].iter().map(|s| s.parse().unwrap()).collect(),
        count: 3000,
        flows: 64,
        sizes: traffic::parse_sizes("64:60,256:30,1024:10").unwrap(),
        miss_share: 0.10,
        expired_share: 0.05,
        malformed_share: 0.05,
        foreign_share: 0.05,
        src_mac: GEN_MAC,
        seed: 7,
        ..GenSpec::default()
    };
    let input = traffic::generate(&spec).unwrap();
    // Hostile tail: runts (shorter than an Ethernet header), garbage with the
    // DMSC EtherType (version byte 0xEE, so it can never be valid), and
    // oversize frames larger than an mbuf (the PMD delivers them chained).
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let runts: Vec<Vec<u8>> = (1..=13).map(|n| vec![0x5a; n]).collect();
    let garbage: Vec<Vec<u8>> = (0..50)
        .map(|i| {
            let mut b: Vec<u8> = (0..14 + 2 + i * 7).map(|_| next() as u8).collect();
            b[12..14].copy_from_slice(&[0x88, 0xB5]);
            b[14] = 0xEE;
            b
        })
        .collect();
    let oversize: Vec<Vec<u8>> = [3000usize, 9000]
        .iter()
        .map(|&len| traffic::request_frame(&spec, &"/svc/a/big".parse().unwrap(), 1, 64, len, 1_000_000).unwrap())
        .collect();
    // Control packets (link-local) must reach the control thread, unchanged.
    let control: Vec<Vec<u8>> = (0..5)
        .map(|i| {
            let mut f =
                traffic::request_frame(&spec, &"/svc/a/hello".parse().unwrap(), i, 1, 80, 2_000_000 + u64::from(i))
                    .unwrap();
            f[ethernet::HEADER_LEN + 1] = PacketType::Control as u8;
            f
        })
        .collect();
    let hostile = runts.len() + garbage.len() + oversize.len();
    let all_frames = input
        .iter()
        .map(|f| &f.bytes)
        .chain(runts.iter())
        .chain(garbage.iter())
        .chain(oversize.iter())
        .chain(control.iter());
    traffic::write_pcap(std::fs::File::create(dir.join("in.pcap")).unwrap(), all_frames).unwrap();
    traffic::write_pcap(std::fs::File::create(dir.join("empty.pcap")).unwrap(), Vec::<Vec<u8>>::new()).unwrap();
    std::fs::write(dir.join("sr.toml"), config(&dir, tag)).unwrap();

    let out = run_until_idle(&dir.join("sr.toml"), &dir.join("stats.json"));
    remove_eal_runtime_dir(tag);
    assert_success("dmscd run", &out);
    let stats = read_json(&dir.join("stats.json"));
    let port_mac = |i: usize| stats["ports"][i]["mac"].as_str().unwrap().parse::<MacAddr>().unwrap();

    // Predict every output, in order per port.
    let mut expect: [Vec<Vec<u8>>; 3] = Default::default();
    let mut ecmp_choice: Vec<(usize, Vec<u8>, Vec<u8>, String)> = Vec::new(); // (index, p1 bytes, p2 bytes, flow key)
    let mut order: Vec<(usize, Option<usize>)> = Vec::new(); // (input index, Some(port) or None = ECMP)
    let mut nacks: Vec<(NackReason, Name, u32)> = Vec::new();
    let (mut want_fwd, mut want_too_big) = (0u64, 0u64);
    for (i, f) in input.iter().enumerate() {
        match f.kind {
            Kind::Foreign => {}
            Kind::Malformed => {
                if i % 4 == 2 {
                    // Unknown critical field: names are intact, so it is nacked.
                    let p = Packet::new_unchecked(&f.bytes[ethernet::HEADER_LEN..]);
                    let dst =
                        NameRef::parse(&f.bytes[ethernet::HEADER_LEN + 16..][..usize::from(p.dst_name_len())]).unwrap();
                    nacks.push((NackReason::Malformed, dst.to_owned(), p.flow_label()));
                }
            }
            Kind::Expired | Kind::Miss | Kind::Routable => {
                let p = Packet::new_checked(&f.bytes[ethernet::HEADER_LEN..]).unwrap();
                let dst = p.dst_name().to_owned();
                if f.kind == Kind::Expired {
                    nacks.push((NackReason::HopLimitExceeded, dst, p.flow_label()));
                    continue;
                }
                let Some(hops) = oracle(p.dst_name()) else {
                    assert_eq!(f.kind, Kind::Miss);
                    nacks.push((NackReason::NoRoute, dst, p.flow_label()));
                    continue;
                };
                assert_eq!(f.kind, Kind::Routable);
                let mtu_ok = |port: usize| port != 1 || usize::from(p.total_len()) <= P1_MTU;
                let rewrite = |port: usize, mac: MacAddr| {
                    let mut b = f.bytes.clone();
                    b[ethernet::HEADER_LEN + 2] -= 1;
                    let mut e = Frame::new_unchecked(&mut b[..]);
                    e.set_dst_addr(mac);
                    e.set_src_addr(port_mac(port));
                    b
                };
                if hops.len() == 1 {
                    let (port, mac) = hops[0];
                    if mtu_ok(port) {
                        want_fwd += 1;
                        expect[port].push(rewrite(port, mac));
                        order.push((i, Some(port)));
                    } else {
                        want_too_big += 1;
                        nacks.push((NackReason::TooBig, dst, p.flow_label()));
                    }
                } else {
                    // ECMP over p1 (MTU 800) and p2: frames over 800 bytes that
                    // hash to p1 are dropped as too big; the test accepts either
                    // outcome per flow but requires one path per flow.
                    let key = format!("{}#{}", p.dst_name(), p.flow_label());
                    ecmp_choice.push((i, rewrite(1, N1), rewrite(2, N2), key));
                    order.push((i, None));
                }
            }
        }
    }

    let outs = [read(&dir, "out0.pcap"), read(&dir, "out1.pcap"), read(&dir, "out2.pcap")];
    // Walk the data outputs in input order.
    let mut at = [0usize; 3]; // position in each output file
    let mut det = [0usize; 3]; // position in each port's predicted (non-ECMP) frames
    let mut flow_port: HashMap<String, usize> = HashMap::new();
    let mut ecmp_it = ecmp_choice.iter();
    let mut ecmp_fwd = 0u64;
    let mut ecmp_too_big = 0u64;
    for (i, port) in order {
        match port {
            Some(port) => {
                let want = &expect[port][det[port]];
                assert_eq!(
                    outs[port].get(at[port]),
                    Some(want),
                    "frame {i}: expected on p{port} at position {}",
                    at[port]
                );
                at[port] += 1;
                det[port] += 1;
            }
            None => {
                let (j, b1, b2, key) = ecmp_it.next().unwrap();
                assert_eq!(*j, i);
                let on1 = outs[1].get(at[1]) == Some(b1);
                let on2 = outs[2].get(at[2]) == Some(b2);
                let chosen = if on1 {
                    at[1] += 1;
                    1
                } else if on2 {
                    at[2] += 1;
                    2
                } else {
                    // Not sent: only acceptable as "too big for p1".
                    assert!(b1.len() - ethernet::HEADER_LEN > P1_MTU, "ECMP frame {i} lost");
                    ecmp_too_big += 1;
                    let p = Packet::new_checked(&input[i].bytes[ethernet::HEADER_LEN..]).unwrap();
                    nacks.push((NackReason::TooBig, p.dst_name().to_owned(), p.flow_label()));
                    1
                };
                if on1 || on2 {
                    ecmp_fwd += 1;
                }
                let prev = *flow_port.entry(key.clone()).or_insert(chosen);
                assert_eq!(prev, chosen, "flow {key} changed path");
            }
        }
    }
    assert_eq!(at[1], outs[1].len(), "extra frames on p1");
    assert_eq!(at[2], outs[2].len(), "extra frames on p2");
    assert!(flow_port.values().any(|p| *p == 1) && flow_port.values().any(|p| *p == 2), "ECMP used one path only");

    // Nacks come back on p0, towards /client, in input order... except that
    // ECMP too-big nacks were appended late above: compare as multisets.
    let mut got_nacks: Vec<(NackReason, Name, u32)> = outs[0]
        .iter()
        .map(|b| {
            let e = Frame::new_checked(&b[..]).unwrap();
            assert_eq!(e.dst_addr(), GEN_MAC);
            assert_eq!(e.src_addr(), port_mac(0));
            let p = Packet::new_checked(e.payload()).unwrap();
            assert_eq!(p.packet_type(), PacketType::Nack);
            assert_eq!(p.dst_name().to_string(), "/client");
            assert_eq!(p.src_name().to_string(), "/test/sr");
            let n = NackRepr::parse(&p).unwrap();
            (n.reason, n.nacked_name.to_owned(), p.flow_label())
        })
        .collect();
    let key = |n: &(NackReason, Name, u32)| (n.0 as u8, n.1.wire().to_vec(), n.2);
    got_nacks.sort_by_key(key);
    nacks.sort_by_key(key);
    assert_eq!(got_nacks.len(), nacks.len(), "nack count");
    assert!(got_nacks == nacks, "nacks differ");

    // Counters agree with the ground truth.
    let kinds = |k: Kind| input.iter().filter(|f| f.kind == k).count() as u64;
    let total = &stats["total"];
    let drops = |r: &str| total["drops"][r].as_u64().unwrap();
    assert_eq!(total["rx_packets"].as_u64().unwrap(), (input.len() + hostile + control.len()) as u64);
    assert_eq!(total["punted"].as_u64().unwrap(), control.len() as u64);
    assert_eq!(stats["control_received"].as_u64().unwrap(), control.len() as u64, "control thread got every punt");
    assert_eq!(drops("not_dmsc"), kinds(Kind::Foreign) + runts.len() as u64);
    assert_eq!(drops("malformed"), kinds(Kind::Malformed) + (garbage.len() + oversize.len()) as u64);
    assert_eq!(drops("hop_limit"), kinds(Kind::Expired));
    assert_eq!(drops("no_route"), kinds(Kind::Miss));
    assert_eq!(drops("too_big"), want_too_big + ecmp_too_big);
    assert_eq!(drops("tx_full"), 0);
    assert_eq!(total["forwarded"].as_u64().unwrap(), want_fwd + ecmp_fwd);
    assert_eq!(total["nacks_sent"].as_u64().unwrap(), nacks.len() as u64);
    assert_eq!(stats["ports"][1]["tx_packets"].as_u64().unwrap(), outs[1].len() as u64);
    assert_eq!(stats["ports"][2]["tx_packets"].as_u64().unwrap(), outs[2].len() as u64);
    assert!(kinds(Kind::Routable) > 2000 && want_too_big > 0, "the mix must exercise every path");

    // The readable table was printed at shutdown.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("== /test/sr counters =="), "{stdout}");
}
