//! The public API: defaults, `load`, round trips through `to_toml_string`, EAL argv.

mod common;

use std::time::Duration;

use common::*;
use dmsc_config::{
    defaults, load, parse, Config, Dataplane, Device, Dispatch, Eal, ErrorKind, Location, MacAddr, Management, Name,
    Neighbor, Node, Port, Role, Route, RouteNextHop, Routing, RoutingKey, RoutingPrefix,
};

#[test]
fn minimal_file_gets_every_default() {
    let cfg = ok(NODE_PORT);
    assert_eq!(cfg.dataplane, Dataplane::default());
    let d = &cfg.dataplane;
    assert_eq!(d.lcores, [0]);
    assert_eq!(d.ethertype, 0x88B5);
    assert_eq!(d.burst_size, 32);
    assert_eq!((d.mbufs, d.mbuf_cache), (8191, 256));
    assert_eq!((d.rx_descriptors, d.tx_descriptors), (1024, 1024));
    assert_eq!(d.idle_polls_before_sleep, 100);
    assert_eq!(d.idle_sleep, Duration::from_micros(50));
    assert_eq!((d.nack_rate_per_s, d.nack_burst, d.nack_hop_limit), (1000, 100, 64));
    assert_eq!(d.stats_interval, Some(Duration::from_secs(5)));
    let p = &cfg.ports[0];
    assert_eq!((p.rx_queues, p.mtu, p.dispatch), (1, 1500, Dispatch::Queues));
    assert!(p.neighbors.is_empty());
    assert_eq!(p.max_frame_len(), 1514);
    assert!(cfg.routes.is_empty());
    assert_eq!(cfg.eal, Eal::default());
    assert_eq!(defaults::COST, 1);
}

#[test]
fn empty_dataplane_table_is_all_defaults() {
    assert_eq!(ok(&format!("{NODE_PORT}[dataplane]\n")).dataplane, Dataplane::default());
}

#[test]
fn load_reads_a_file_and_names_it_in_errors() {
    let dir = std::env::temp_dir().join(format!("dmsc-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, NODE_PORT).unwrap();
    assert_eq!(load(&good).unwrap(), ok(NODE_PORT));

    let bad = dir.join("bad.toml");
    std::fs::write(&bad, format!("{NODE_PORT}mtu = 1\n")).unwrap();
    let err = load(&bad).unwrap_err();
    let e = &err.errors()[0];
    assert_eq!(e.origin, bad.display().to_string());
    assert_eq!(e.to_string(), format!("{}:7:7: `ports[0].mtu`: 1 is out of range (allowed: 68..=9600)", bad.display()));

    let missing = dir.join("missing.toml");
    let err = load(&missing).unwrap_err();
    assert_eq!(err.len(), 1);
    let e = &err.errors()[0];
    assert_eq!((e.kind, e.location, e.path.as_str()), (ErrorKind::Io, None, ""));
    assert!(e.to_string().starts_with(&format!("{}: cannot read configuration: ", missing.display())), "{e}");

    let binary = dir.join("binary.toml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
    assert_eq!(load(&binary).unwrap_err().errors()[0].kind, ErrorKind::Io);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_accessors() {
    let err = parse(&format!("{NODE_PORT}mtu = 1\nrx_queues = 0\n"), "f.toml").unwrap_err();
    assert_eq!(err.len(), 2);
    assert!(!err.is_empty());
    let e = &err.errors()[1];
    assert_eq!(e.location, Some(Location { line: 8, column: 13 }));
    assert_eq!((e.line(), e.column()), (Some(8), Some(13)));
    assert_eq!(err.iter().count(), 2);
    assert_eq!((&err).into_iter().count(), 2);
    // The set is a std error usable with `?` in binaries.
    let boxed: Box<dyn std::error::Error> = Box::new(err.clone());
    assert_eq!(boxed.to_string(), err.to_string());
}

/// A configuration built in code with every field away from its default and strings that
/// need quoting and escaping.
fn odd_config() -> Config {
    Config {
        node: Node { name: "/dmsc/sr%201/%22q%22".parse().unwrap(), role: Role::Sg },
        eal: Eal { args: vec!["--file-prefix".into(), "a \"quoted\" \\ path".into(), "--log-level=lib.eal:8".into()] },
        dataplane: Dataplane {
            lcores: vec![3, 1],
            ethertype: 0x0600,
            burst_size: 64,
            mbufs: 262_143,
            mbuf_cache: 0,
            rx_descriptors: 32,
            tx_descriptors: 32768,
            idle_polls_before_sleep: u32::MAX,
            idle_sleep: Duration::ZERO,
            name_cache: 0,
            nack_rate_per_s: 0,
            nack_burst: 1,
            nack_hop_limit: 255,
            stats_interval: None,
            control_nice: -20,
        },
        ports: vec![
            Port {
                name: "west-1".into(),
                device: "net_pcap0,rx_pcap=in/a b.pcap,infinite_rx=1".parse().unwrap(),
                rx_queues: 16,
                mtu: 9600,
                dispatch: Dispatch::FlowLabel,
                neighbors: vec![
                    Neighbor { name: "n_1".into(), mac: "02:00:00:00:00:01".parse().unwrap() },
                    Neighbor { name: "N-2".into(), mac: MacAddr([0x3c, 0xfd, 0xfe, 0, 0, 0xff]) },
                ],
                routing: true,
                metric: 0xFF_FFFF,
            },
            Port {
                name: "east".into(),
                device: Device::Pci("0000:af:00.1".into()),
                rx_queues: 1,
                mtu: 68,
                dispatch: Dispatch::Queues,
                neighbors: vec![Neighbor { name: "n_1".into(), mac: "02:00:00:00:00:01".parse().unwrap() }],
                routing: false,
                metric: 10,
            },
        ],
        routes: vec![
            Route {
                prefix: Name::root(),
                next_hops: vec![
                    RouteNextHop { port: "west-1".into(), neighbor: "N-2".into(), cost: 65535 },
                    RouteNextHop { port: "east".into(), neighbor: "n_1".into(), cost: 1 },
                ],
            },
            Route {
                prefix: Name::from_components([&b"\x00\xff"[..], b"x"]).unwrap(),
                next_hops: vec![RouteNextHop { port: "west-1".into(), neighbor: "n_1".into(), cost: 7 }],
            },
        ],
        routing: Some(Routing {
            router_id: u64::MAX >> 1,
            prefixes: vec![
                RoutingPrefix { prefix: "/payments/charge".parse().unwrap(), metric: 0 },
                RoutingPrefix { prefix: Name::root(), metric: 0xFF_FFFF },
            ],
            keys: vec![
                RoutingKey { id: 1, secret: vec![0xab; 16], send: false, accept: true },
                RoutingKey { id: 65535, secret: (0..32).collect(), send: true, accept: false },
            ],
            hello_interval: Duration::from_millis(10),
            hold_multiplier: 100,
            retransmit_interval: Duration::from_millis(60_000),
            csnp_interval: Duration::from_secs(1),
            lsa_lifetime: Duration::from_secs(65_535),
            lsa_refresh: Duration::from_secs(30),
            spf_initial_delay: Duration::from_millis(0),
            spf_short_delay: Duration::from_millis(60_000),
            spf_long_delay: Duration::from_millis(600_000),
            spf_time_to_learn: Duration::from_millis(0),
            spf_holddown: Duration::from_millis(3_600_000),
            loop_free_alternates: false,
        }),
        management: Management { socket: "/tmp/a b/mgmt.sock".into() },
    }
}

#[test]
fn to_toml_string_round_trips() {
    let cfg = odd_config();
    let text = cfg.to_toml_string();
    let back = parse(&text, "emitted.toml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, cfg, "{text}");
    assert!(text.contains("ethertype = 0x0600"), "{text}");
    assert!(text.contains("stats_interval_s = 0"), "{text}");
    // And the defaults-only file.
    let min = ok(NODE_PORT);
    assert_eq!(parse(&min.to_toml_string(), "x").unwrap(), min);
}

#[test]
fn eal_argv_order() {
    let argv = odd_config().eal_argv("dmscd");
    assert_eq!(
        argv,
        [
            "dmscd",
            "-l",
            "3,1",
            "--main-lcore",
            "3",
            "--file-prefix",
            "a \"quoted\" \\ path",
            "--log-level=lib.eal:8",
            "--vdev",
            "net_pcap0,rx_pcap=in/a b.pcap,infinite_rx=1",
            "-a",
            "0000:af:00.1",
        ]
    );
}

#[test]
fn lookups() {
    let cfg = odd_config();
    assert_eq!(cfg.port_index("east"), Some(1));
    assert_eq!(cfg.port("west-1").unwrap().neighbors.len(), 2);
    assert!(cfg.port("nope").is_none());
    let hop = &cfg.routes[0].next_hops[0];
    assert_eq!(cfg.resolve(hop), Some((0, MacAddr([0x3c, 0xfd, 0xfe, 0, 0, 0xff]))));
    let bogus = RouteNextHop { port: "east".into(), neighbor: "N-2".into(), cost: 1 };
    assert_eq!(cfg.resolve(&bogus), None);
    // 16 x 32 + 2 x 32768 + 1 x 32 + 2 x 32768 + 2 x (0 + 64) = 131,744.
    assert_eq!(cfg.min_mbufs(), 16 * 32 + 2 * 32768 + 32 + 2 * 32768 + 2 * 64);
}

#[test]
fn enum_spellings() {
    for r in [Role::Sr, Role::Sg] {
        assert_eq!(r.to_string().parse::<Role>(), Ok(r));
    }
    for d in [Dispatch::Queues, Dispatch::FlowLabel] {
        assert_eq!(d.as_str().parse::<Dispatch>(), Ok(d));
    }
    assert_eq!(Dispatch::FlowLabel.to_string(), "flow-label");
    assert!("Sr".parse::<Role>().is_err());
    assert!("flowlabel".parse::<Dispatch>().is_err());
}

#[test]
fn unset_mbufs_grow_with_the_layout_but_explicit_ones_are_checked() {
    let layout = |mbufs: &str| {
        format!(
            "[node]\nname='/r'\nrole='sr'\n[dataplane]\nlcores=[0,1]\n{mbufs}\n\
             [[ports]]\nname='a'\ndevice='net_null0'\nrx_queues=2\n\
             [[ports]]\nname='b'\ndevice='net_null1'\nrx_queues=2\n"
        )
    };
    let cfg = dmsc_config::parse(&layout(""), "auto.toml").unwrap();
    assert!(u64::from(cfg.dataplane.mbufs) >= cfg.min_mbufs(), "{} < {}", cfg.dataplane.mbufs, cfg.min_mbufs());
    assert_eq!((cfg.dataplane.mbufs + 1).count_ones(), 1, "2^n - 1");
    let err = dmsc_config::parse(&layout("mbufs = 8191"), "explicit.toml").unwrap_err().to_string();
    assert!(err.contains("dataplane.mbufs"), "{err}");
}
