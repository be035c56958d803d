//! net_null port: MAC, link, MTU and counters. net_null's rx fabricates packets from the
//! port's pool and its tx frees what it is given, so counters move by exactly what the
//! test does.
mod common;

use dpdk::libc_errno::{EBUSY, EINVAL};
use dpdk::{Eal, MbufArray, Mempool, Port, PortConfig, DEFAULT_DATA_ROOM_BYTES, SOCKET_ID_ANY};

#[test]
fn net_null_stats_link_mac() {
    let eal = Eal::init(&common::eal_args(&["-l", "0", "--vdev=net_null0,size=100"])).unwrap();
    let pool = Mempool::pktmbuf("null_pool", 2047, 32, DEFAULT_DATA_ROOM_BYTES, SOCKET_ID_ANY).unwrap();
    let port = Port::by_name("net_null0").unwrap();
    assert_eq!(Port::from_id(port.id()).unwrap(), port);
    assert!(Port::from_id(port.id() + 1).is_err());
    assert!(Port::by_name("net_null9").is_err());

    assert_eq!(port.start().unwrap_err().errno, EINVAL, "start before configure");
    let bad = PortConfig { rx_queues: 0, ..PortConfig::default() };
    assert_eq!(port.configure(&bad, &pool).unwrap_err().errno, EINVAL);
    port.configure(&PortConfig { mtu: 9000, ..PortConfig::default() }, &pool).unwrap();
    assert_eq!(port.mtu().unwrap(), 9000, "MTU set through rte_eth_dev_configure");
    port.configure(&PortConfig::default(), &pool).unwrap();
    assert_eq!(port.mtu().unwrap(), 1500, "reconfigure while stopped");
    port.start().unwrap();
    port.start().unwrap(); // idempotent
    assert_eq!(port.configure(&PortConfig::default(), &pool).unwrap_err().errno, EBUSY);

    let mac = port.mac_addr();
    assert_eq!(mac, port.try_mac_addr().unwrap());
    assert_ne!(mac, [0; 6], "net_null draws a random MAC");
    assert_eq!(mac[0] & 0x01, 0, "unicast");
    assert_eq!(mac[0] & 0x02, 0x02, "locally administered");

    let link = port.link();
    assert!(link.up);
    assert_eq!(link.speed_mbps, 10_000);
    assert!(link.full_duplex);

    let s0 = port.stats().unwrap();
    assert_eq!(s0, Default::default());

    let mut rx = port.rx_queue(0).unwrap();
    let mut tx = port.tx_queue(0).unwrap();
    let mut burst: MbufArray<32> = MbufArray::new();
    let mut received = 0u64;
    for _ in 0..5 {
        received += rx.rx_burst(&mut burst) as u64;
        assert!(burst.iter().all(|m| m.len() == 100), "size=100 devarg");
        burst.clear();
    }
    assert_eq!(received, 5 * 32);
    assert_eq!(pool.in_use(), 0);

    for _ in 0..7 {
        burst.push(pool.alloc().unwrap()).unwrap();
        burst.last_mut().unwrap().append(64).unwrap().fill(0xab);
    }
    assert_eq!(tx.tx_burst(&mut burst), 7);
    assert_eq!(pool.in_use(), 0, "net_null tx frees");

    let s = port.stats().unwrap();
    assert_eq!(s.ipackets, received);
    // (net_null in DPDK 22.11 counts packets only; ibytes/obytes stay 0.)
    assert_eq!(s.opackets, 7);
    assert_eq!(s.oerrors, 0);
    assert_eq!(s.rx_nombuf, 0);
    port.reset_stats().unwrap();
    assert_eq!(port.stats().unwrap().ipackets, 0);

    // Queue handles are Send: poll from another thread, then hand back.
    let rx = std::thread::spawn(move || {
        let mut b: MbufArray<8> = MbufArray::new();
        assert_eq!(rx.rx_burst(&mut b), 8);
        rx
    })
    .join()
    .unwrap();
    assert_eq!(port.stats().unwrap().ipackets, 8);

    drop((rx, tx));
    // Pools stay alive while a configured port uses them, even without our handle.
    drop(pool);
    port.stop().unwrap();
    assert!(!port.link().up, "stopped port reports link down");
    port.close().unwrap();
    drop(eal);
    assert!(!dpdk::eal::is_running());
    common::remove_runtime_dir();
}
