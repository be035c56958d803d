//! `MbufRing`: a producer thread streams sequence-numbered mbufs through a small ring to
//! the consumer (this thread) in bursts; order, completeness, back-pressure (partial
//! enqueue leaves the rest at the front, in order) and freeing on drop are checked.
mod common;

use dpdk::{Eal, MbufArray, MbufRing, Mempool, DEFAULT_DATA_ROOM_BYTES, SOCKET_ID_ANY};

const TOTAL: u32 = 50_000;

#[test]
fn spsc_burst_across_threads() {
    let eal = Eal::init(&common::eal_args(&["-l", "0"])).unwrap();
    let pool = Mempool::pktmbuf("spsc_pool", 1023, 0, DEFAULT_DATA_ROOM_BYTES, SOCKET_ID_ANY).unwrap();

    // Exact capacity and partial enqueue.
    let (p, c) = MbufRing::new("spsc_small", 10)
        .map(|r| {
            assert_eq!(r.capacity(), 10);
            r.split()
        })
        .unwrap();
    let mut burst: MbufArray<16> = MbufArray::new();
    for i in 0..16u8 {
        let mut m = pool.alloc().unwrap();
        m.append(1).unwrap()[0] = i;
        burst.push(m).unwrap();
    }
    assert_eq!(p.enqueue_burst(&mut burst), 10);
    assert_eq!(p.free_space(), 0);
    assert_eq!(burst.iter().map(|m| m.data()[0]).collect::<Vec<_>>(), (10..16).collect::<Vec<_>>());
    assert_eq!(c.len(), 10);
    let mut out: MbufArray<4> = MbufArray::new();
    assert_eq!(c.dequeue_burst(&mut out), 4);
    assert_eq!(out.iter().map(|m| m.data()[0]).collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert_eq!(c.dequeue_burst(&mut out), 0, "no free space in `out`");
    drop(out);
    // `burst` holds 10..16 after a partial consume from its front; dequeuing appends
    // behind them (the array compacts its window first).
    assert_eq!(c.dequeue_burst(&mut burst), 6);
    assert_eq!(burst.iter().map(|m| m.data()[0]).collect::<Vec<_>>(), [10, 11, 12, 13, 14, 15, 4, 5, 6, 7, 8, 9]);
    assert_eq!(p.enqueue_burst(&mut burst), 10);
    assert_eq!(burst.len(), 2);
    assert_eq!(burst.pop_front().unwrap().data(), [8]);
    drop(burst);
    assert_eq!(pool.in_use(), 10, "ten still in the ring");
    drop(p);
    assert_eq!(pool.in_use(), 10, "consumer keeps the ring alive");
    drop(c);
    assert_eq!(pool.in_use(), 0, "mbufs left in a dropped ring are freed");
    assert!(MbufRing::new("spsc_small", 10).is_ok(), "name reusable after free");

    // Streaming across threads.
    let (prod, cons) = MbufRing::new("spsc_stream", 64).unwrap().split();
    let producer_pool = pool.clone();
    let producer = std::thread::spawn(move || {
        let mut next = 0u32;
        let mut stage: MbufArray<32> = MbufArray::new();
        while next < TOTAL || !stage.is_empty() {
            while next < TOTAL && !stage.is_full() {
                let Some(mut m) = producer_pool.alloc() else {
                    break;
                };
                m.append(4).unwrap().copy_from_slice(&next.to_be_bytes());
                stage.push(m).unwrap();
                next += 1;
            }
            if prod.enqueue_burst(&mut stage) == 0 {
                // Threads spawned after rte_eal_init inherit the main lcore's affinity:
                // both ends share one CPU here, so yield rather than spin.
                std::thread::yield_now();
            }
        }
    });

    let mut expect = 0u32;
    let mut got: MbufArray<32> = MbufArray::new();
    while expect < TOTAL {
        if cons.dequeue_burst(&mut got) == 0 {
            std::thread::yield_now();
            continue;
        }
        for m in got.drain() {
            assert_eq!(m.data(), &expect.to_be_bytes(), "in order, nothing lost or duplicated");
            expect += 1;
        }
    }
    producer.join().unwrap();
    assert_eq!(cons.dequeue_burst(&mut got), 0);
    assert!(cons.is_empty());
    drop((cons, got)); // the producer dropped its end when its thread finished
    assert_eq!(pool.in_use(), 0);
    drop(pool);
    drop(eal);
    assert!(!dpdk::eal::is_running());
    common::remove_runtime_dir();
}
