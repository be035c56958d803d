//! The PMDs ship as EAL plugins (Debian: `RTE_EAL_PMD_PATH`), which EAL loads at start-up
//! only when it is linked dynamically. A binary of this workspace must be able to create,
//! configure and start every virtual device the appliance uses; `--vdev` only creates a
//! port if EAL loaded the driver plugin. net_pcap is also checked end to end: packets sent
//! to a pcap file come back, byte for byte, from a second pcap port reading that file.
mod common;

use dpdk::{Eal, MbufArray, Mempool, Port, PortConfig, DEFAULT_DATA_ROOM_BYTES, SOCKET_ID_ANY};

const DEVICES: [&str; 5] = ["net_null0", "net_ring0", "net_tap0", "net_pcap0", "net_memif0"];

fn frame(i: usize) -> Vec<u8> {
    // Ethernet header (dst, src, ethertype 0x88B5) and a payload that encodes i.
    let mut f = vec![0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x88, 0xb5];
    f.extend((0..40 + i * 7).map(|b| (b as u8).wrapping_mul(31).wrapping_add(i as u8)));
    f
}

#[test]
fn all_virtual_devices_probe_configure_and_start() {
    let sock = common::scratch("memif.sock");
    let pcap_path = common::scratch("out.pcap");
    let memif = format!("--vdev=net_memif0,role=server,socket={},socket-abstract=no", sock.display());
    let pcap = format!("--vdev=net_pcap0,tx_pcap={}", pcap_path.display());
    let tap = format!("--vdev=net_tap0,iface=dpdkt{}", std::process::id() % 100_000);
    let args = common::eal_args(&["-l", "0", "--vdev=net_null0", "--vdev=net_ring0", &tap, &pcap, &memif]);
    let eal = Eal::init(&args).expect("EAL init with all vdevs");
    assert!(!dpdk::pmd_dir().is_empty());

    let pool = Mempool::pktmbuf("vdev_pool", 4095, 64, DEFAULT_DATA_ROOM_BYTES, SOCKET_ID_ANY).unwrap();
    let conf = PortConfig { rx_queues: 1, tx_queues: 1, rx_descriptors: 256, tx_descriptors: 256, mtu: 1500 };
    let mut ports = Vec::new();
    for name in DEVICES {
        let port = Port::by_name(name).unwrap_or_else(|e| panic!("{name} not created (plugin not loaded?): {e}"));
        assert_eq!(port.name(), name);
        // net_tap gets two queue pairs (one kernel tap queue each) to cover multi-queue set-up.
        let queues = if name == "net_tap0" { 2 } else { 1 };
        let port_conf = PortConfig { rx_queues: queues, tx_queues: queues, ..conf };
        port.configure(&port_conf, &pool).unwrap_or_else(|e| panic!("{name}: {e}"));
        port.start().unwrap_or_else(|e| panic!("{name}: {e}"));
        println!("{name}: port {} mac {:02x?} {:?}", port.id(), port.mac_addr(), port.link());
        ports.push(port);
    }
    assert_eq!(Port::count(), DEVICES.len() as u16);
    assert_eq!(Port::all(), {
        let mut sorted = ports.clone();
        sorted.sort();
        sorted
    });
    assert!(Port::by_name("net_null0").unwrap().link().up);
    assert!(!Port::by_name("net_memif0").unwrap().link().up, "memif server without a peer is down");

    // net_pcap: write 5 frames to the tx pcap file.
    let pcap0 = Port::by_name("net_pcap0").unwrap();
    {
        let mut tx = pcap0.tx_queue(0).unwrap();
        let mut burst: MbufArray<8> = MbufArray::new();
        for i in 0..5 {
            let mut m = pool.alloc().unwrap();
            let f = frame(i);
            m.append(f.len()).unwrap().copy_from_slice(&f);
            burst.push(m).unwrap();
        }
        assert_eq!(tx.tx_burst(&mut burst), 5);
        assert!(burst.is_empty());
    }
    assert_eq!(pcap0.stats().unwrap().opackets, 5);
    pcap0.close().unwrap(); // flushes and closes the pcap dumper
    assert!(Port::by_name("net_pcap0").is_err(), "a closed vdev port is released");

    // ... and read them back through a hot-plugged rx-only pcap port.
    eal.probe_device(&format!("net_pcap1,rx_pcap={}", pcap_path.display())).unwrap();
    let pcap1 = Port::by_name("net_pcap1").unwrap();
    pcap1.configure(&conf, &pool).unwrap();
    pcap1.start().unwrap();
    {
        let mut rx = pcap1.rx_queue(0).unwrap();
        let mut got: MbufArray<32> = MbufArray::new();
        for _ in 0..100 {
            rx.rx_burst(&mut got);
            if got.len() >= 5 {
                break;
            }
        }
        assert_eq!(got.len(), 5);
        for (i, m) in got.iter().enumerate() {
            assert_eq!(m.data(), frame(i).as_slice(), "frame {i}");
        }
    }

    for name in ["net_null0", "net_ring0", "net_tap0", "net_memif0", "net_pcap1"] {
        Port::by_name(name).unwrap().close().unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert_eq!(Port::count(), 0);
    assert_eq!(pool.in_use(), 0);
    drop(pool);
    drop(eal);
    assert!(!dpdk::eal::is_running());
    let _ = std::fs::remove_file(sock);
    let _ = std::fs::remove_file(pcap_path);
    common::remove_runtime_dir();
}
