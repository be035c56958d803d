//! net_ring loopback (a `--vdev=net_ring0` port's tx queue i feeds its rx queue i):
//! mbufs written here are transmitted, received back and compared byte for byte. Also
//! exercises the mbuf editing calls, `MbufArray` ownership moves and pool accounting,
//! and the queue-claim rules of `Port`.
mod common;

use dpdk::libc_errno::{EBUSY, EINVAL, ENETDOWN};
use dpdk::{
    Eal, Mbuf, MbufArray, Mempool, Port, PortConfig, DEFAULT_DATA_ROOM_BYTES, PKTMBUF_HEADROOM_BYTES, SOCKET_ID_ANY,
};

fn payload(i: usize) -> Vec<u8> {
    (0..(60 + i * 13) % 1500).map(|b| (b as u8) ^ (i as u8).wrapping_mul(97)).collect()
}

fn filled(pool: &Mempool, bytes: &[u8]) -> Mbuf {
    let mut m = pool.alloc().expect("pool not exhausted");
    m.append(bytes.len()).expect("tailroom").copy_from_slice(bytes);
    m
}

#[test]
fn net_ring_loopback_and_mbuf_api() {
    let eal = Eal::init(&common::eal_args(&["-l", "0", "--vdev=net_ring0"])).unwrap();
    let pool = Mempool::pktmbuf("lb_pool", 1023, 32, DEFAULT_DATA_ROOM_BYTES, SOCKET_ID_ANY).unwrap();
    assert_eq!(pool.capacity(), 1023);
    assert_eq!(pool.in_use(), 0);
    assert_eq!(pool.data_room_bytes(), DEFAULT_DATA_ROOM_BYTES);
    assert_eq!(pool.name(), "lb_pool");
    let dup = Mempool::pktmbuf("lb_pool", 63, 0, DEFAULT_DATA_ROOM_BYTES, SOCKET_ID_ANY).unwrap_err();
    assert_eq!(dup.errno, 17, "duplicate name: EEXIST, got {dup}");

    mbuf_editing(&pool);
    array_moves(&pool);
    assert_eq!(pool.in_use(), 0, "every mbuf freed");

    let port = Port::by_name("net_ring0").unwrap();
    let conf = PortConfig { rx_queues: 2, tx_queues: 2, rx_descriptors: 128, tx_descriptors: 128, mtu: 1500 };
    assert_eq!(port.rx_queue(0).unwrap_err().errno, ENETDOWN, "not started yet");
    port.configure(&conf, &pool).unwrap();
    port.start().unwrap();
    port.set_promiscuous(true).unwrap();

    let mut rx = port.rx_queue(1).unwrap();
    let mut tx = port.tx_queue(1).unwrap();
    assert_eq!(port.rx_queue(1).unwrap_err().errno, EBUSY, "one handle per queue");
    assert_eq!(port.rx_queue(2).unwrap_err().errno, EINVAL, "queue not configured");
    assert_eq!(port.stop().unwrap_err().errno, EBUSY, "cannot stop under a live queue handle");
    assert_eq!(port.configure(&conf, &pool).unwrap_err().errno, EBUSY);

    // 3 bursts of 20 frames of different sizes.
    let mut sent = 0;
    for round in 0..3 {
        let mut out: MbufArray<32> = MbufArray::new();
        for i in 0..20 {
            out.push(filled(&pool, &payload(round * 20 + i))).unwrap();
        }
        assert_eq!(tx.tx_burst(&mut out), 20);
        assert!(out.is_empty());
        sent += 20;
        assert_eq!(pool.in_use(), sent as u32, "mbufs sit in the ring");

        let mut got: MbufArray<32> = MbufArray::new();
        got.push(filled(&pool, b"already here")).unwrap();
        assert_eq!(rx.rx_burst(&mut got), 20, "appended after the existing mbuf");
        assert_eq!(got.len(), 21);
        assert_eq!(got[0].data(), b"already here");
        for (i, m) in got.iter().skip(1).enumerate() {
            assert_eq!(m.data(), payload(round * 20 + i).as_slice());
            assert_eq!(m.nb_segs(), 1);
            assert!(m.is_contiguous());
            assert_eq!(m.pkt_len(), m.len());
        }
        drop(got);
        sent -= 20;
        assert_eq!(pool.in_use(), 0);
    }
    // rx fills only the free space; the rest waits in the queue.
    let mut out: MbufArray<32> = MbufArray::new();
    for i in 0..10 {
        out.push(filled(&pool, &payload(i))).unwrap();
    }
    assert_eq!(tx.tx_burst(&mut out), 10);
    let mut small: MbufArray<4> = MbufArray::new();
    assert_eq!(rx.rx_burst(&mut small), 4);
    assert_eq!(rx.rx_burst(&mut small), 0, "full array receives nothing");
    assert_eq!(small[3].data(), payload(3).as_slice());
    small.clear();
    assert_eq!(rx.rx_burst(&mut small), 4);
    assert_eq!(small[0].data(), payload(4).as_slice());
    drop(small);
    let mut rest: MbufArray<8> = MbufArray::new();
    assert_eq!(rx.rx_burst(&mut rest), 2);
    drop(rest);

    let stats = port.stats().unwrap();
    assert_eq!(stats.opackets, 70);
    assert_eq!(stats.ipackets, 70);
    assert_eq!(pool.in_use(), 0);

    drop(rx);
    drop(tx);
    port.stop().unwrap();
    port.close().unwrap();
    assert!(Port::by_name("net_ring0").is_err());
    assert_eq!(port.mac_addr(), [0; 6], "closed port: zeros");
    drop(pool);
    drop(eal);
    assert!(!dpdk::eal::is_running());
    common::remove_runtime_dir();
}

fn mbuf_editing(pool: &Mempool) {
    let mut m = pool.alloc().unwrap();
    assert!(m.is_empty());
    assert_eq!(m.headroom(), usize::from(PKTMBUF_HEADROOM_BYTES));
    let room = usize::from(DEFAULT_DATA_ROOM_BYTES - PKTMBUF_HEADROOM_BYTES);
    assert_eq!(m.tailroom(), room);

    // The Rust-side data pointer matches DPDK's rte_pktmbuf_mtod (C shim).
    // SAFETY: `m` is a valid mbuf owned by this test; the shim only reads its fields.
    let mtod = unsafe { dpdk::sys::dmsc_pktmbuf_mtod(m.as_ptr()) };
    assert_eq!(mtod.cast::<u8>().cast_const(), m.data().as_ptr());

    m.append(10).unwrap().copy_from_slice(b"0123456789");
    assert_eq!(m.data(), b"0123456789");
    m.prepend(3).unwrap().copy_from_slice(b"abc");
    assert_eq!(m.data(), b"abc0123456789");
    assert_eq!(m.headroom(), usize::from(PKTMBUF_HEADROOM_BYTES) - 3);
    assert!(m.adj(2));
    assert!(m.trim(4));
    assert_eq!(m.data(), b"c012345");
    assert!(!m.trim(8), "cannot trim more than the data");
    assert!(!m.adj(8));
    m.data_mut()[0] = b'C';
    assert_eq!(m.data(), b"C012345");
    assert!(m.append(m.tailroom() + 1).is_none());
    assert!(m.prepend(m.headroom() + 1).is_none());
    assert!(m.append(70_000).is_none());
    assert!(m.set_len(3));
    assert_eq!(m.data(), b"C01");
    assert!(!m.set_len(3 + m.tailroom() + 1));
    assert_eq!(m.pkt_len(), 3);
    assert_eq!(m.rss_hash(), None);

    // into_raw / from_raw round trip keeps ownership exactly once.
    let raw = m.into_raw();
    assert_eq!(pool.in_use(), 1);
    // SAFETY: `raw` came from into_raw just above and is not used again.
    let m = unsafe { Mbuf::from_raw(raw) };
    assert_eq!(m.data(), b"C01");
    drop(m);
    assert_eq!(pool.in_use(), 0);

    // Exhaustion: exactly capacity mbufs can be allocated, then None.
    let mut all = Vec::new();
    while let Some(m) = pool.alloc() {
        all.push(m);
    }
    assert_eq!(all.len() as u32, pool.capacity());
    assert_eq!(pool.available(), 0);
    drop(all);
    assert_eq!(pool.in_use(), 0);
}

fn array_moves(pool: &Mempool) {
    let tag = |i: u8| filled(pool, &[i; 4]);
    let first = |m: &Mbuf| m.data()[0];

    let mut a: MbufArray<4> = MbufArray::new();
    assert!(a.is_empty());
    for i in 0..4 {
        a.push(tag(i)).unwrap();
    }
    assert!(a.is_full());
    assert_eq!(a.free_space(), 0);
    let back = a.push(tag(9)).unwrap_err();
    assert_eq!(first(&back), 9);
    drop(back);
    assert_eq!(first(&a.swap_remove(0)), 0);
    assert_eq!(a.iter().map(first).collect::<Vec<_>>(), [3, 1, 2]);
    assert_eq!(first(&a.remove(0)), 3);
    assert_eq!(a.iter().map(first).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(first(&a.pop().unwrap()), 2);
    assert_eq!(a.len(), 1);
    assert_eq!(pool.in_use(), 1);

    // pop_front advances the window; a push at the end of the storage compacts it.
    let mut w: MbufArray<4> = MbufArray::new();
    for i in 10..14 {
        w.push(tag(i)).unwrap();
    }
    assert_eq!(first(&w.pop_front().unwrap()), 10);
    assert_eq!(first(&w.pop_front().unwrap()), 11);
    assert_eq!(w.free_space(), 2);
    w.push(tag(14)).unwrap();
    w.push(tag(15)).unwrap();
    assert!(w.is_full());
    assert_eq!(w.iter().map(first).collect::<Vec<_>>(), [12, 13, 14, 15]);
    assert_eq!(first(w.get(3)), 15);
    w.get_mut(0).data_mut()[0] = 42;
    assert_eq!(first(&w.remove(0)), 42);
    assert_eq!(first(&w.remove(1)), 14);
    assert_eq!(w.iter().map(first).collect::<Vec<_>>(), [13, 15]);
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| w.get(2).len())).is_err());
    w.retain(|m| first(m) == 15);
    assert_eq!(w.iter().map(first).collect::<Vec<_>>(), [15]);
    drop(w);
    assert_eq!(pool.in_use(), 1);

    // drain: in order; the unyielded rest is freed when the iterator is dropped.
    let mut b: MbufArray<8> = MbufArray::new();
    for i in 0..6 {
        b.push(tag(i)).unwrap();
    }
    let mut evens: MbufArray<8> = MbufArray::new();
    let mut odds: MbufArray<8> = MbufArray::new();
    {
        let mut d = b.take_all();
        assert_eq!(d.len(), 6);
        for m in d.by_ref().take(4) {
            let out = if first(&m) % 2 == 0 { &mut evens } else { &mut odds };
            out.push(m).unwrap();
        }
    }
    assert!(b.is_empty());
    assert_eq!(evens.iter().map(first).collect::<Vec<_>>(), [0, 2]);
    assert_eq!(odds.iter().map(first).collect::<Vec<_>>(), [1, 3]);
    assert_eq!(pool.in_use(), 1 + 4, "the two undrained mbufs were freed");

    // retain keeps order and frees the rest.
    for m in odds.drain() {
        evens.push(m).unwrap();
    }
    evens.retain(|m| first(m) != 2);
    assert_eq!(evens.iter().map(first).collect::<Vec<_>>(), [0, 1, 3]);
    // by-value iteration, partially consumed.
    let mut it = evens.into_iter();
    assert_eq!(first(&it.next().unwrap()), 0);
    drop(it);
    assert_eq!(pool.in_use(), 1);

    // alloc_bulk: all or nothing.
    let mut c: MbufArray<16> = MbufArray::new();
    assert!(pool.alloc_bulk(&mut c, 10));
    assert_eq!(c.len(), 10);
    assert!(!pool.alloc_bulk(&mut c, 7), "only 6 slots free");
    assert_eq!(c.len(), 10);
    assert!(c.iter().all(|m| m.is_empty()));
    c.clear();
    assert!(c.is_empty());
    drop(a);
    assert_eq!(pool.in_use(), 0);
}
