//! Every file in `config/examples/` parses, and its key facts are what the comments say.

use std::path::{Path, PathBuf};
use std::time::Duration;

use dmsc_config::{load, Device, Dispatch, MacAddr, Name, Role};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn example(file: &str) -> dmsc_config::Config {
    let path = examples_dir().join(file);
    load(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_example_parses_and_round_trips() {
    let mut count = 0;
    for entry in std::fs::read_dir(examples_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let cfg = load(&path).unwrap_or_else(|e| panic!("{e}"));
        let again = dmsc_config::parse(&cfg.to_toml_string(), "round-trip")
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", path.display(), cfg.to_toml_string()));
        assert_eq!(again, cfg, "{}", path.display());
        count += 1;
    }
    assert!(count >= 3, "expected at least 3 example files, found {count}");
}

#[test]
fn pcap_example() {
    let cfg = example("pcap-sr.toml");
    assert_eq!(cfg.node.name, "/dmsc/sr1".parse::<Name>().unwrap());
    assert_eq!(cfg.node.role, Role::Sr);
    let names: Vec<&str> = cfg.ports.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["p0", "p1", "p2"]);
    assert_eq!(
        cfg.ports[0].device,
        Device::Vdev { driver_name: "net_pcap0".into(), args: "rx_pcap=in/p0.pcap".into() }
    );
    for (i, p) in cfg.ports.iter().enumerate() {
        assert_eq!(p.device.vdev_driver(), Some("pcap"));
        assert_eq!(p.device.dpdk_name(), format!("net_pcap{i}"));
    }
    assert!(cfg.ports[1].device.to_string().contains("tx_pcap=out/p1.pcap"));
    assert!(cfg.ports[2].device.to_string().contains("tx_pcap=out/p2.pcap"));
    assert!(cfg.eal.args.iter().any(|a| a == "--no-pci"));
    assert_eq!(cfg.dataplane.stats_interval, Some(Duration::from_secs(1)));
    // ECMP route: two next hops with equal cost.
    let ecmp = cfg.routes.iter().find(|r| r.prefix.to_string() == "/B/4").unwrap();
    assert_eq!(ecmp.next_hops.len(), 2);
    assert_eq!(ecmp.next_hops[0].cost, ecmp.next_hops[1].cost);
    // Default route.
    let default = cfg.routes.iter().find(|r| r.prefix.is_root()).unwrap();
    assert_eq!(cfg.resolve(&default.next_hops[0]), Some((2, "02:00:00:00:00:03".parse::<MacAddr>().unwrap())));
    let argv = cfg.eal_argv("dmscd");
    assert_eq!(&argv[..5], ["dmscd", "-l", "0", "--main-lcore", "0"]);
    assert_eq!(argv.iter().filter(|a| *a == "--vdev").count(), 3);
}

#[test]
fn tap_example() {
    let cfg = example("tap-sr.toml");
    assert_eq!(cfg.ports.len(), 2);
    for p in &cfg.ports {
        assert_eq!(p.device.vdev_driver(), Some("tap"));
        assert_eq!(p.neighbors.len(), 1);
    }
    assert_eq!(cfg.ports[1].device.eal_args(), ["--vdev", "net_tap1,iface=dmsc1"]);
    assert_eq!(cfg.routes.len(), 2);
}

#[test]
fn bare_metal_example() {
    let cfg = example("bare-metal-sr.toml");
    assert_eq!(cfg.dataplane.lcores, [2, 3]);
    assert_eq!(cfg.dataplane.idle_sleep, Duration::ZERO);
    assert!(!cfg.eal.args.iter().any(|a| a == "--no-huge" || a == "--no-pci"));
    for p in &cfg.ports {
        assert!(p.device.is_pci());
        assert_eq!(p.dispatch, Dispatch::FlowLabel);
    }
    // The short PCI form is normalised to DPDK's name.
    assert_eq!(cfg.ports[1].device.dpdk_name(), "0000:3b:00.1");
    assert_eq!(cfg.ports[1].device.eal_args(), ["-a", "0000:3b:00.1"]);
    // The comment's arithmetic.
    assert_eq!(cfg.min_mbufs(), 12_864);
    assert!(u64::from(cfg.dataplane.mbufs) >= cfg.min_mbufs());
    assert_eq!(cfg.eal_argv("dmscd")[..5], ["dmscd", "-l", "2,3", "--main-lcore", "2"]);
}
