//! `Eal::launch` on a worker lcore (`-l 0-1`): return values, lcore identity, caught
//! panics, busy workers, and a two-lcore pipeline where the worker owns an `RxQueue`.
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dpdk::libc_errno::{EBUSY, EINVAL};
use dpdk::{Eal, MbufArray, Mempool, Port, PortConfig, DEFAULT_DATA_ROOM_BYTES, LCORE_PANICKED, SOCKET_ID_ANY};

#[test]
fn launch_on_worker_lcore() {
    let eal = Eal::init(&common::eal_args(&["-l", "0-1", "--vdev=net_ring0"])).unwrap();
    assert_eq!(eal.main_lcore(), 0);
    assert_eq!(eal.lcores(), [0, 1]);
    assert_eq!(eal.workers(), [1]);
    assert_eq!(dpdk::lcore_id(), 0, "init thread is the main lcore");
    assert_eq!(eal.lcore_socket(1), Some(0));
    assert!(dpdk::tsc_hz() > 1_000_000, "TSC calibrated by init");
    let t0 = dpdk::tsc();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let elapsed_ms = (dpdk::tsc() - t0) * 1000 / dpdk::tsc_hz();
    assert!((15..2000).contains(&elapsed_ms), "tsc/tsc_hz measure time: {elapsed_ms} ms");
    assert_eq!(std::thread::spawn(dpdk::lcore_id).join().unwrap(), dpdk::LCORE_ID_ANY);
    // `-l 0-1`: lcore n runs on CPU n; the main thread is pinned to CPU 0.
    assert_eq!(dpdk::lcore_cpus(0), [0]);
    assert_eq!(dpdk::lcore_cpus(1), [1]);
    assert_eq!(dpdk::thread_cpus(), [0]);
    assert!(dpdk::lcore_cpus(100_000).is_empty());
    // Any thread can narrow its own affinity; bad sets are refused.
    let (before, after, empty, huge) = std::thread::spawn(|| {
        let before = dpdk::thread_cpus();
        let after = dpdk::set_thread_cpus(&[1]).map(|()| dpdk::thread_cpus());
        (before, after, dpdk::set_thread_cpus(&[]), dpdk::set_thread_cpus(&[1 << 20]))
    })
    .join()
    .unwrap();
    assert_eq!(before, [0], "threads inherit the main lcore's affinity");
    assert_eq!(after.unwrap(), [1]);
    assert_eq!(empty.unwrap_err().errno, EINVAL);
    assert_eq!(huge.unwrap_err().errno, EINVAL);

    // Return value and identity.
    eal.launch(1, || 100 + dpdk::lcore_id() as i32).unwrap();
    assert_eq!(eal.wait(1), 101);
    // A panic is caught on the worker and reported.
    eal.launch(1, || panic!("deliberate panic on a worker lcore")).unwrap();
    assert_eq!(eal.wait(1), LCORE_PANICKED);
    // Not on the main lcore, not on a disabled one.
    assert_eq!(eal.launch(0, || 0).unwrap_err().errno, EINVAL);
    assert_eq!(eal.launch(7, || 0).unwrap_err().errno, EINVAL);
    // Busy worker.
    let release = Arc::new(AtomicBool::new(false));
    let r = release.clone();
    eal.launch(1, move || {
        while !r.load(Ordering::Acquire) {
            dpdk::pause();
        }
        7
    })
    .unwrap();
    assert_eq!(eal.launch(1, || 0).unwrap_err().errno, EBUSY);
    release.store(true, Ordering::Release);
    assert_eq!(eal.wait(1), 7);

    // Pipeline: the main lcore transmits, the worker owns the rx queue and checks.
    let pool = Mempool::pktmbuf("launch_pool", 1023, 32, DEFAULT_DATA_ROOM_BYTES, SOCKET_ID_ANY).unwrap();
    let port = Port::by_name("net_ring0").unwrap();
    port.configure(&PortConfig::default(), &pool).unwrap();
    port.start().unwrap();
    let mut rx = port.rx_queue(0).unwrap();
    let mut tx = port.tx_queue(0).unwrap();
    const N: u32 = 1000;
    eal.launch(1, move || {
        let mut seen = 0u32;
        let mut burst: MbufArray<32> = MbufArray::new();
        let deadline = dpdk::tsc() + 10 * dpdk::tsc_hz();
        while seen < N && dpdk::tsc() < deadline {
            rx.rx_burst(&mut burst);
            for m in burst.drain() {
                dpdk::prefetch0(m.data().as_ptr());
                if m.data() != seen.to_le_bytes() {
                    return -1;
                }
                seen += 1;
            }
        }
        seen as i32
    })
    .unwrap();
    let mut burst: MbufArray<32> = MbufArray::new();
    let mut sent = 0u32;
    while sent < N || !burst.is_empty() {
        while sent < N && !burst.is_full() {
            let Some(mut m) = pool.alloc() else { break };
            m.append(4).unwrap().copy_from_slice(&sent.to_le_bytes());
            burst.push(m).unwrap();
            sent += 1;
        }
        tx.tx_burst(&mut burst);
    }
    assert_eq!(eal.wait(1), N as i32, "worker received all packets in order");
    // The worker's closure (and the RxQueue it owned) is gone once it returned.
    drop(tx);
    port.stop().unwrap();
    port.close().unwrap();
    assert_eq!(pool.in_use(), 0);
    drop(pool);
    drop(eal);
    assert!(!dpdk::eal::is_running());
    common::remove_runtime_dir();
}
