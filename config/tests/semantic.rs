//! Semantic errors — names, MACs, devices, ranges, duplicates, references — with exact
//! positions and field paths, and the collection of many errors in one pass.

mod common;

use common::*;
use dmsc_config::ErrorKind::*;
use dmsc_config::{limits, parse, Dispatch};

// ---------------------------------------------------------------------------------- node

#[test]
fn node_name_must_be_a_uri() {
    let e = one(
        "[node]\nname = \"dmsc/sr1\"\nrole = \"sr\"\n[[ports]]\nname = \"p0\"\ndevice = \"net_ring0\"\n",
        2,
        8,
        "node.name",
        InvalidValue,
        "invalid name \"dmsc/sr1\": malformed name URI",
    );
    assert!(e.message.contains("e.g. \"/payments/charge\""), "{e}");
    one(
        "[node]\nname = \"/a//b\"\nrole = \"sr\"\n[[ports]]\nname = \"p0\"\ndevice = \"net_ring0\"\n",
        2,
        8,
        "node.name",
        InvalidValue,
        "invalid name \"/a//b\"",
    );
    one(
        "[node]\nname = \"/a/%zz\"\nrole = \"sr\"\n[[ports]]\nname = \"p0\"\ndevice = \"net_ring0\"\n",
        2,
        8,
        "node.name",
        InvalidValue,
        "invalid name",
    );
}

#[test]
fn node_name_limits_come_from_the_wire_format() {
    let long = format!("/{}", "a".repeat(256));
    let text = NODE_PORT.replace("/dmsc/sr1", &long);
    one(&text, 2, 8, "node.name", InvalidValue, "longer than 255");
    let many = "/a".repeat(33);
    let text = NODE_PORT.replace("/dmsc/sr1", &many);
    one(&text, 2, 8, "node.name", InvalidValue, "more than 32");
}

#[test]
fn node_name_must_not_be_root() {
    one(&NODE_PORT.replace("/dmsc/sr1", "/"), 2, 8, "node.name", InvalidValue, "root");
}

#[test]
fn node_role() {
    one(&NODE_PORT.replace("\"sr\"", "\"router\""), 3, 8, "node.role", InvalidValue, "unknown role \"router\"");
    one(&NODE_PORT.replace("\"sr\"", "\"SR\""), 3, 8, "node.role", InvalidValue, "expected \"sr\"");
    assert_eq!(ok(&NODE_PORT.replace("\"sr\"", "\"sg\"")).node.role, dmsc_config::Role::Sg);
}

// ----------------------------------------------------------------------------------- eal

#[test]
fn eal_args_must_not_select_lcores() {
    let text = format!("{NODE_PORT}[eal]\nargs = [\"-l\", \"0-1\", \"--lcores=1\", \"-c3\", \"--main-lcore\", \"0\", \"--log-level=8\", \"--master-lcore\"]\n");
    let errs = errors(&text);
    assert_eq!(errs.len(), 5, "{}", render(&errs));
    check(&errs[0], 8, 9, "eal.args[0]", Conflict, "\"-l\" selects lcores; set `dataplane.lcores`");
    check(&errs[1], 8, 22, "eal.args[2]", Conflict, "--lcores=1");
    check(&errs[2], 8, 36, "eal.args[3]", Conflict, "-c3");
    check(&errs[3], 8, 43, "eal.args[4]", Conflict, "--main-lcore");
    check(&errs[4], 8, 81, "eal.args[7]", Conflict, "--master-lcore");
}

#[test]
fn eal_args_must_not_be_empty_strings() {
    one(
        &format!("{NODE_PORT}[eal]\nargs = [\"--no-pci\", \"\"]\n"),
        8,
        21,
        "eal.args[1]",
        InvalidValue,
        "empty EAL argument",
    );
}

#[test]
fn eal_args_are_kept_verbatim() {
    let cfg =
        ok(&format!("{NODE_PORT}[eal]\nargs = [\"--no-huge\", \"-m\", \"256\", \"--log-level=lib.eal:debug\"]\n"));
    assert_eq!(cfg.eal.args, ["--no-huge", "-m", "256", "--log-level=lib.eal:debug"]);
    assert!(ok(NODE_PORT).eal.args.is_empty());
    assert!(ok(&format!("{NODE_PORT}[eal]\n")).eal.args.is_empty());
}

// ----------------------------------------------------------------------------- dataplane

fn dataplane(key_value: &str) -> String {
    format!("{NODE_PORT}[dataplane]\n{key_value}\n")
}

#[test]
fn numeric_dataplane_ranges_are_enforced_at_both_ends() {
    let cases: [(&str, i64, i64); 9] = [
        ("burst_size", 1, 64),
        ("mbuf_cache", 0, 512),
        ("idle_polls_before_sleep", 0, u32::MAX as i64),
        ("idle_sleep_us", 0, 100_000),
        ("nack_rate_per_s", 0, 10_000_000),
        ("nack_burst", 1, 1_000_000),
        ("nack_hop_limit", 1, 255),
        ("stats_interval_s", 0, 86_400),
        ("control_nice", -20, 19),
    ];
    for (key, lo, hi) in cases {
        ok(&dataplane(&format!("{key} = {lo}")));
        ok(&dataplane(&format!("{key} = {hi}")));
        for bad in [lo - 1, hi + 1] {
            one(
                &dataplane(&format!("{key} = {bad}")),
                8,
                key.len() + 4,
                &format!("dataplane.{key}"),
                OutOfRange,
                &format!("{bad} is out of range (allowed: {lo}..={hi})"),
            );
        }
    }
}

#[test]
fn dataplane_values_are_stored_in_their_units() {
    let cfg = ok(&format!(
        "{NODE_PORT}[dataplane]\nlcores = [1, 0]\nethertype = 0x88B6\nburst_size = 16\nmbufs = 16383\n\
         mbuf_cache = 128\nrx_descriptors = 512\ntx_descriptors = 2048\nidle_polls_before_sleep = 7\n\
         idle_sleep_us = 250\nnack_rate_per_s = 0\nnack_burst = 3\nnack_hop_limit = 9\nstats_interval_s = 0\n\
         control_nice = -5\n"
    ));
    let d = &cfg.dataplane;
    assert_eq!(d.lcores, [1, 0]);
    assert_eq!(d.ethertype, 0x88B6);
    assert_eq!(d.burst_size, 16);
    assert_eq!((d.mbufs, d.mbuf_cache), (16383, 128));
    assert_eq!((d.rx_descriptors, d.tx_descriptors), (512, 2048));
    assert_eq!(d.idle_polls_before_sleep, 7);
    assert_eq!(d.idle_sleep, std::time::Duration::from_micros(250));
    assert_eq!((d.nack_rate_per_s, d.nack_burst, d.nack_hop_limit), (0, 3, 9));
    assert_eq!(d.stats_interval, None);
    assert_eq!(d.control_nice, -5);
    assert_eq!(ok(&dataplane("")).dataplane.control_nice, 0, "default");
    let cfg = ok(&dataplane("stats_interval_s = 60"));
    assert_eq!(cfg.dataplane.stats_interval, Some(std::time::Duration::from_secs(60)));
}

#[test]
fn lcores_must_be_non_empty() {
    one(&dataplane("lcores = []"), 8, 10, "dataplane.lcores", Empty, "at least one lcore");
}

#[test]
fn lcores_must_be_unique_and_in_range() {
    let errs = errors(&dataplane("lcores = [0, 128, 3, 0, -1, 3]"));
    assert_eq!(errs.len(), 4, "{}", render(&errs));
    check(&errs[0], 8, 14, "dataplane.lcores[1]", OutOfRange, "128 is out of range (allowed: 0..=127)");
    check(&errs[1], 8, 22, "dataplane.lcores[3]", Duplicate, "duplicate lcore 0 (first listed at line 8, column 11)");
    check(&errs[2], 8, 25, "dataplane.lcores[4]", OutOfRange, "-1");
    check(&errs[3], 8, 29, "dataplane.lcores[5]", Duplicate, "duplicate lcore 3");
    ok(&dataplane("lcores = [0, 127]"));
}

#[test]
fn ethertype_rules() {
    one(
        &dataplane("ethertype = 0x05FF"),
        8,
        13,
        "dataplane.ethertype",
        OutOfRange,
        "0x05FF is not an EtherType (allowed: 0x0600..=0xFFFF)",
    );
    one(&dataplane("ethertype = 0x10000"), 8, 13, "dataplane.ethertype", OutOfRange, "0x10000");
    one(&dataplane("ethertype = -2"), 8, 13, "dataplane.ethertype", OutOfRange, "-2 is not an EtherType");
    for vlan in ["0x8100", "0x88A8", "0x9100"] {
        one(&dataplane(&format!("ethertype = {vlan}")), 8, 13, "dataplane.ethertype", OutOfRange, "VLAN tag");
    }
    assert_eq!(ok(&dataplane("ethertype = 0x0600")).dataplane.ethertype, 0x0600);
    assert_eq!(ok(&dataplane("ethertype = 0xFFFF")).dataplane.ethertype, 0xFFFF);
    assert_eq!(ok(&dataplane("ethertype = 34998")).dataplane.ethertype, 0x88B6);
}

#[test]
fn descriptors_are_powers_of_two_in_range() {
    let big_pool = "mbufs = 16777215";
    for key in ["rx_descriptors", "tx_descriptors"] {
        let col = key.len() + 4;
        let path = format!("dataplane.{key}");
        one(&dataplane(&format!("{key} = 1000")), 8, col, &path, OutOfRange, "1000 is not a power of two");
        one(&dataplane(&format!("{key} = 16")), 8, col, &path, OutOfRange, "allowed: 32..=32768");
        one(&dataplane(&format!("{key} = 65536")), 8, col, &path, OutOfRange, "allowed: 32..=32768");
        ok(&dataplane(&format!("{key} = 32\n{big_pool}")));
        ok(&dataplane(&format!("{key} = 32768\n{big_pool}")));
    }
}

#[test]
fn mbufs_range() {
    one(&dataplane("mbufs = 63"), 8, 9, "dataplane.mbufs", OutOfRange, "allowed: 64..=16777215");
    one(&dataplane("mbufs = 16777216"), 8, 9, "dataplane.mbufs", OutOfRange, "16777216");
}

#[test]
fn mbuf_cache_must_fit_the_pool() {
    // 512 * 1.5 = 768 > 700.
    let text = dataplane("mbufs = 700\nmbuf_cache = 512");
    one(&text, 9, 14, "dataplane.mbuf_cache", Conflict, "mbuf_cache * 1.5 <= mbufs");
    // Both boundaries at once: 130 * 1.5 = 195 mbufs, and the rings need exactly
    // 32 rx + 32 tx + (130 cache + 1 burst) = 195.
    let tight = "mbufs = 195\nmbuf_cache = 130\nrx_descriptors = 32\ntx_descriptors = 32\nburst_size = 1";
    assert_eq!(ok(&dataplane(tight)).min_mbufs(), 195);
    one(
        &dataplane(&tight.replace("130", "131")),
        9,
        14,
        "dataplane.mbuf_cache",
        Conflict,
        "mbuf_cache 131 is too large for 195 mbufs",
    );
    one(
        &dataplane(&tight.replace("burst_size = 1", "burst_size = 2")),
        8,
        9,
        "dataplane.mbufs",
        Conflict,
        "at least 196",
    );
    // 1000 mbufs are enough for the default cache but not for the default rings.
    let text = dataplane("mbufs = 1000");
    let e = one(&text, 8, 9, "dataplane.mbufs", Conflict, "cannot fill every ring");
    assert!(e.message.contains("at least 2336"), "{e}"); // 1024 + 1024 + 256 + 32
}

#[test]
fn mbuf_cache_conflict_reported_at_dataplane_header_when_key_absent() {
    let text = dataplane("mbufs = 300\nrx_descriptors = 32\ntx_descriptors = 32");
    // 256 default cache * 1.5 = 384 > 300: the problem is mbuf_cache's default, reported at
    // the table header.
    one(&text, 7, 1, "dataplane.mbuf_cache", Conflict, "mbuf_cache 256 is too large for 300 mbufs");
}

#[test]
fn mbuf_pool_must_fill_all_rings() {
    // 2 ports x (2 queues x 1024 rx + 2 lcores x 1024 tx) + 2 lcores x (256 + 32) = 8768.
    let text = format!(
        "{NODE}[dataplane]\nlcores = [0, 1]\n[[ports]]\nname = \"a\"\ndevice = \"net_ring0\"\nrx_queues = 2\n\
         [[ports]]\nname = \"b\"\ndevice = \"net_ring1\"\nrx_queues = 2\n"
    );
    // Unset: the pool is sized for the layout (the next 2^n - 1).
    let auto = ok(&text);
    assert_eq!(auto.dataplane.mbufs, 16383);
    // Explicit and too small: rejected at the value.
    let e = one(
        &text.replace("lcores = [0, 1]", "lcores = [0, 1]\nmbufs = 8191"),
        6,
        9,
        "dataplane.mbufs",
        Conflict,
        "this layout needs at least 8768",
    );
    assert!(e.message.contains("8191 mbufs"), "{e}");
    let cfg = ok(&text.replace("lcores = [0, 1]", "lcores = [0, 1]\nmbufs = 8768"));
    assert_eq!(cfg.min_mbufs(), 8768);
    one(&text.replace("lcores = [0, 1]", "lcores = [0, 1]\nmbufs = 8767"), 6, 9, "dataplane.mbufs", Conflict, "8768");
}

#[test]
fn default_pool_without_dataplane_table_is_sized_for_the_ports() {
    let ports: String = (0..4).map(|i| format!("[[ports]]\nname = \"p{i}\"\ndevice = \"net_ring{i}\"\n")).collect();
    // 4 x (1024 + 1024) + 288 = 8480 > 8191 (the default pool): sized to 16383.
    let cfg = ok(&format!("{NODE}{ports}"));
    assert_eq!(cfg.min_mbufs(), 8480);
    assert_eq!(cfg.dataplane.mbufs, 16383);
}

// --------------------------------------------------------------------------------- ports

#[test]
fn at_least_one_port() {
    one(NODE, 1, 1, "ports", Empty, "at least one [[ports]] entry");
    one(&format!("ports = []\n{NODE}"), 1, 9, "ports", Empty, "at least one");
}

#[test]
fn at_most_32_ports() {
    let ports: String = (0..33).map(|i| format!("[[ports]]\nname = \"p{i}\"\ndevice = \"net_null{i}\"\n")).collect();
    let text = format!("{NODE}[dataplane]\nmbufs = 16777215\n{ports}");
    // Port 32 starts at line 6 + 32 * 3 = 102.
    one(&text, 102, 1, "ports[32]", OutOfRange, "at most 32");
    let ok32: String = ports.lines().take(32 * 3).map(|l| format!("{l}\n")).collect();
    assert_eq!(ok(&format!("{NODE}[dataplane]\nmbufs = 16777215\n{ok32}")).ports.len(), limits::MAX_PORTS);
}

#[test]
fn port_names() {
    for bad in ["p 0", "", "p.0", "ä", &"x".repeat(33)] {
        let text = NODE_PORT.replace("\"p0\"", &format!("{bad:?}"));
        one(&text, 5, 8, "ports[0].name", InvalidValue, "invalid port name");
    }
    ok(&NODE_PORT.replace("\"p0\"", &format!("{:?}", "Ab_9-".repeat(6) + "xy")));
}

#[test]
fn duplicate_port_names() {
    let text = format!("{NODE_PORT}[[ports]]\nname = \"p0\"\ndevice = \"net_ring1\"\n");
    one(&text, 8, 8, "ports[1].name", Duplicate, "duplicate port name \"p0\" (first defined at line 5)");
}

#[test]
fn invalid_devices() {
    let cases = [
        ("tap0", "expected a virtual device"),
        ("net_tap", "instance number"),
        ("net_TAP0", "lower-case"),
        ("net_tap0,,iface=x", "stray comma"),
        ("net_tap0,iface", ""),
        ("0000:01:00", "bad PCI address"),
        ("0000:01:00.0,txq_inline=1", "not supported"),
        (" net_tap0", "white space"),
        ("", "empty device"),
    ];
    for (dev, fragment) in cases {
        let text = NODE_PORT.replace("net_ring0", dev);
        if dev == "net_tap0,iface" {
            // A bare key is valid kvargs syntax.
            ok(&text);
            continue;
        }
        let e = one(&text, 6, 10, "ports[0].device", InvalidValue, fragment);
        assert!(e.message.starts_with(&format!("invalid device {dev:?}: ")), "{e}");
    }
}

#[test]
fn duplicate_vdev_names_even_with_different_args() {
    let text = format!(
        "{NODE}[[ports]]\nname = \"a\"\ndevice = \"net_tap0,iface=x\"\n[[ports]]\nname = \"b\"\ndevice = \"net_tap0,iface=y\"\n"
    );
    one(&text, 9, 10, "ports[1].device", Duplicate, "duplicate device \"net_tap0\" (first used at line 6)");
    // Different instance numbers are different devices.
    ok(&text.replace("net_tap0,iface=y", "net_tap1,iface=y"));
}

#[test]
fn duplicate_pci_addresses_after_normalisation() {
    let text = format!(
        "{NODE}[[ports]]\nname = \"a\"\ndevice = \"0000:01:00.0\"\n[[ports]]\nname = \"b\"\ndevice = \"01:00.0\"\n"
    );
    one(&text, 9, 10, "ports[1].device", Duplicate, "duplicate device \"0000:01:00.0\"");
}

#[test]
fn pci_device_conflicts_with_no_pci() {
    let text = format!("{NODE}[eal]\nargs = [\"--no-pci\"]\n[[ports]]\nname = \"a\"\ndevice = \"0000:01:00.0\"\n");
    one(&text, 8, 10, "ports[0].device", Conflict, "\"--no-pci\"");
    ok(&text.replace("[\"--no-pci\"]", "[]"));
}

#[test]
fn port_device_must_not_be_repeated_in_eal_args() {
    let text = format!(
        "{NODE}[eal]\nargs = [\"--vdev\", \"net_ring0,x=1\"]\n[[ports]]\nname = \"a\"\ndevice = \"net_ring0\"\n"
    );
    one(&text, 8, 10, "ports[0].device", Conflict, "device \"net_ring0\" is also given in eal.args[1]");
    let text = format!("{NODE}[eal]\nargs = [\"-a01:00.0\"]\n[[ports]]\nname = \"a\"\ndevice = \"0000:01:00.0\"\n");
    one(&text, 8, 10, "ports[0].device", Conflict, "also given in eal.args[0]");
    let text =
        format!("{NODE}[eal]\nargs = [\"--allow=0000:01:00.0,x=y\"]\n[[ports]]\nname = \"a\"\ndevice = \"01:00.0\"\n");
    one(&text, 8, 10, "ports[0].device", Conflict, "also given in eal.args[0]");
    // Other devices in eal.args are fine (e.g. a vdev that is not a port).
    ok(&format!("{NODE}[eal]\nargs = [\"--vdev=net_null9\", \"-a\", \"0000:02:00.0\"]\n[[ports]]\nname = \"a\"\ndevice = \"net_ring0\"\n"));
}

#[test]
fn port_numbers() {
    for (key, lo, hi) in [("rx_queues", 1, 16), ("mtu", 68, 9600)] {
        ok(&format!("{NODE_PORT}{key} = {lo}\n[dataplane]\nmbufs = 65535\n"));
        ok(&format!("{NODE_PORT}{key} = {hi}\n[dataplane]\nmbufs = 65535\n"));
        for bad in [lo - 1, hi + 1] {
            one(
                &format!("{NODE_PORT}{key} = {bad}\n"),
                7,
                key.len() + 4,
                &format!("ports[0].{key}"),
                OutOfRange,
                &format!("{lo}..={hi}"),
            );
        }
    }
}

#[test]
fn dispatch_modes() {
    let cfg = ok(&format!("{NODE_PORT}dispatch = \"flow-label\"\n"));
    assert_eq!(cfg.ports[0].dispatch, Dispatch::FlowLabel);
    assert_eq!(ok(NODE_PORT).ports[0].dispatch, Dispatch::Queues);
    one(
        &format!("{NODE_PORT}dispatch = \"rss\"\n"),
        7,
        12,
        "ports[0].dispatch",
        InvalidValue,
        "unknown dispatch mode \"rss\": expected \"queues\" or \"flow-label\"",
    );
    one(&format!("{NODE_PORT}dispatch = \"flow_label\"\n"), 7, 12, "ports[0].dispatch", InvalidValue, "flow-label");
}

// ----------------------------------------------------------------------------- neighbors

fn neighbors(entries: &[(&str, &str)]) -> String {
    let mut t = NODE_PORT.to_owned();
    for (name, mac) in entries {
        t.push_str(&format!("  [[ports.neighbors]]\n  name = \"{name}\"\n  mac = \"{mac}\"\n"));
    }
    t
}

#[test]
fn neighbor_macs() {
    let cases = [
        ("zz:00:00:00:00:01", "malformed MAC address"),
        ("02:00:00:00:00", "malformed MAC address"),
        ("02:00:00:00:00:01:02", "malformed"),
        ("02:00-00:00:00:01", "malformed"),
        ("01:00:5e:00:00:01", "must be unicast, this is a multicast address"),
        ("33:33:00:00:00:01", "multicast"),
        ("ff:ff:ff:ff:ff:ff", "broadcast"),
        ("00:00:00:00:00:00", "all-zero"),
    ];
    for (mac, fragment) in cases {
        let e = one(&neighbors(&[("n1", mac)]), 9, 9, "ports[0].neighbors[0].mac", InvalidValue, fragment);
        assert_eq!(e.to_string(), format!("test.toml:9:9: `ports[0].neighbors[0].mac`: {}", e.message));
        assert!(e.message.starts_with(&format!("invalid MAC address {mac:?}: ")), "{e}");
    }
    let cfg = ok(&neighbors(&[("n1", "02-00-00-00-00-0A"), ("n2", "00:1b:21:3a:4f:90")]));
    assert_eq!(cfg.ports[0].neighbors[0].mac.to_string(), "02:00:00:00:00:0a");
    assert_eq!(cfg.ports[0].neighbors[1].mac.0, [0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x90]);
}

#[test]
fn neighbor_names() {
    one(
        &neighbors(&[("n 1", "02:00:00:00:00:01")]),
        8,
        10,
        "ports[0].neighbors[0].name",
        InvalidValue,
        "invalid neighbor name \"n 1\"",
    );
}

#[test]
fn duplicate_neighbors_within_a_port() {
    let text = neighbors(&[("a", "02:00:00:00:00:01"), ("b", "02:00:00:00:00:02"), ("a", "02:00:00:00:00:03")]);
    one(
        &text,
        14,
        10,
        "ports[0].neighbors[2].name",
        Duplicate,
        "duplicate neighbor name \"a\" on this port (first defined at line 8)",
    );
    let text = neighbors(&[("a", "02:00:00:00:00:01"), ("b", "02-00-00-00-00-01")]);
    one(
        &text,
        12,
        9,
        "ports[0].neighbors[1].mac",
        Duplicate,
        "duplicate MAC address 02:00:00:00:00:01 on this port (first used at line 9)",
    );
}

#[test]
fn same_neighbor_name_and_mac_on_different_ports_is_fine() {
    let text = format!(
        "{}[[ports]]\nname = \"p1\"\ndevice = \"net_ring1\"\n  [[ports.neighbors]]\n  name = \"a\"\n  mac = \"02:00:00:00:00:01\"\n",
        neighbors(&[("a", "02:00:00:00:00:01")])
    );
    let cfg = ok(&text);
    assert_eq!(cfg.ports[1].neighbor("a").unwrap().mac, cfg.ports[0].neighbors[0].mac);
}

// -------------------------------------------------------------------------------- routes

/// Two ports: p0 with neighbour a (line 8-9), p1 with neighbour b; routes start at line 16.
fn topology() -> String {
    format!(
        "{}[[ports]]\nname = \"p1\"\ndevice = \"net_ring1\"\n  [[ports.neighbors]]\n  name = \"b\"\n  mac = \"02:00:00:00:00:02\"\n",
        neighbors(&[("a", "02:00:00:00:00:01")])
    )
}

fn route(prefix: &str, hops: &str) -> String {
    format!("[[routes]]\nprefix = \"{prefix}\"\nnext_hops = [{hops}]\n")
}

#[test]
fn routes_are_resolved() {
    let text = format!(
        "{}{}{}",
        topology(),
        route("/B/4", "{ port = \"p0\", neighbor = \"a\", cost = 10 }, { port = \"p1\", neighbor = \"b\", cost = 10 }"),
        route("/", "{ port = \"p1\", neighbor = \"b\" }")
    );
    let cfg = ok(&text);
    assert_eq!(cfg.routes.len(), 2);
    assert_eq!(cfg.routes[0].prefix.to_string(), "/B/4");
    assert_eq!(cfg.routes[0].next_hops[1].cost, 10);
    assert!(cfg.routes[1].prefix.is_root());
    assert_eq!(cfg.routes[1].next_hops[0].cost, 1, "default cost");
    let (port, mac) = cfg.resolve(&cfg.routes[0].next_hops[1]).unwrap();
    assert_eq!(port, 1);
    assert_eq!(mac.to_string(), "02:00:00:00:00:02");
    assert_eq!(cfg.port_index("p1"), Some(1));
    assert_eq!(cfg.port_index("p2"), None);
}

#[test]
fn route_prefix_must_be_a_name() {
    let text = format!("{}{}", topology(), route("B/4", "{ port = \"p0\", neighbor = \"a\" }"));
    one(&text, 17, 10, "routes[0].prefix", InvalidValue, "invalid name \"B/4\"");
}

#[test]
fn duplicate_route_prefixes_compare_as_names() {
    let hop = "{ port = \"p0\", neighbor = \"a\" }";
    let text = format!("{}{}{}", topology(), route("/x/y", hop), route("/%78/y/", hop));
    one(&text, 20, 10, "routes[1].prefix", Duplicate, "duplicate route prefix /x/y (first defined at line 17)");
}

#[test]
fn next_hops_must_not_be_empty() {
    let text = format!("{}{}", topology(), route("/a", ""));
    one(&text, 18, 13, "routes[0].next_hops", Empty, "at least one next hop");
}

#[test]
fn next_hop_unknown_port() {
    let text = format!("{}{}", topology(), route("/a", "{ port = \"p9\", neighbor = \"a\" }"));
    one(
        &text,
        18,
        23,
        "routes[0].next_hops[0].port",
        UnknownReference,
        "unknown port \"p9\" (defined ports: \"p0\", \"p1\")",
    );
}

#[test]
fn next_hop_neighbor_of_another_port() {
    // b exists, but on p1, not on p0.
    let text = format!("{}{}", topology(), route("/a", "{ port = \"p0\", neighbor = \"b\" }"));
    one(
        &text,
        18,
        40,
        "routes[0].next_hops[0].neighbor",
        UnknownReference,
        "port \"p0\" has no neighbor \"b\" (its neighbors: \"a\")",
    );
    let text = format!("{NODE_PORT}{}", route("/a", "{ port = \"p0\", neighbor = \"x\" }"));
    one(&text, 9, 40, "routes[0].next_hops[0].neighbor", UnknownReference, "(its neighbors: none)");
}

#[test]
fn next_hop_cost_range() {
    for bad in [0, 65_536, -3] {
        let text =
            format!("{}{}", topology(), route("/a", &format!("{{ port = \"p0\", neighbor = \"a\", cost = {bad} }}")));
        one(&text, 18, 52, "routes[0].next_hops[0].cost", OutOfRange, "allowed: 1..=65535");
    }
    let text = format!("{}{}", topology(), route("/a", "{ port = \"p0\", neighbor = \"a\", cost = 65535 }"));
    assert_eq!(ok(&text).routes[0].next_hops[0].cost, 65_535);
}

#[test]
fn duplicate_next_hop_in_a_route() {
    let hop = "{ port = \"p0\", neighbor = \"a\" }";
    let text =
        format!("{}{}", topology(), route("/a", &format!("{hop}, {{ port = \"p1\", neighbor = \"b\" }}, {hop}")));
    one(
        &text,
        18,
        80,
        "routes[0].next_hops[2]",
        Duplicate,
        "duplicate next hop (port \"p0\", neighbor \"a\") in this route (first at line 18, column 14)",
    );
}

#[test]
fn invalid_port_name_does_not_cascade_into_unknown_port_errors() {
    let text = format!(
        "{NODE}[[ports]]\nname = \"p 0\"\ndevice = \"net_ring0\"\n  [[ports.neighbors]]\n  name = \"a\"\n  mac = \"02:00:00:00:00:01\"\n{}",
        route("/a", "{ port = \"p 0\", neighbor = \"a\" }")
    );
    one(&text, 5, 8, "ports[0].name", InvalidValue, "invalid port name");
}

// ---------------------------------------------------------------------- many errors at once

#[test]
fn all_semantic_errors_are_collected_and_sorted() {
    let text = "\
[node]
name = \"nope\"
role = \"router\"
[dataplane]
lcores = [0, 0]
burst_size = 65
[[ports]]
name = \"p0\"
device = \"eth0\"
mtu = 10
  [[ports.neighbors]]
  name = \"a\"
  mac = \"01:00:00:00:00:01\"
[[ports]]
name = \"p0\"
device = \"net_ring1\"
[[routes]]
prefix = \"/x\"
next_hops = [ { port = \"p7\", neighbor = \"a\" } ]
[[routes]]
prefix = \"/x\"
next_hops = []
";
    let errs = errors(text);
    let got: Vec<(usize, &str, dmsc_config::ErrorKind)> =
        errs.iter().map(|e| (e.line().unwrap(), e.path.as_str(), e.kind)).collect();
    assert_eq!(
        got,
        [
            (2, "node.name", InvalidValue),
            (3, "node.role", InvalidValue),
            (5, "dataplane.lcores[1]", Duplicate),
            (6, "dataplane.burst_size", OutOfRange),
            (9, "ports[0].device", InvalidValue),
            (10, "ports[0].mtu", OutOfRange),
            (13, "ports[0].neighbors[0].mac", InvalidValue),
            (15, "ports[1].name", Duplicate),
            (19, "routes[0].next_hops[0].port", UnknownReference),
            (21, "routes[1].prefix", Duplicate),
            (22, "routes[1].next_hops", Empty),
        ],
        "{}",
        render(&errs)
    );
    // The Display of the whole set is one line per error, in the same order.
    let shown = parse(text, "sr1.toml").unwrap_err().to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 11);
    assert_eq!(lines[0], "sr1.toml:2:8: `node.name`: invalid name \"nope\": malformed name URI (expected \"/\" then non-empty components separated by \"/\", e.g. \"/payments/charge\"; bytes other than A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = : @ must be written %XX)");
    assert_eq!(lines[6], "sr1.toml:13:9: `ports[0].neighbors[0].mac`: invalid MAC address \"01:00:00:00:00:01\": a neighbor MAC must be unicast, this is a multicast address (least significant bit of the first octet set)");
    assert_eq!(lines[8], "sr1.toml:19:24: `routes[0].next_hops[0].port`: unknown port \"p7\" (defined ports: \"p0\")");
}
