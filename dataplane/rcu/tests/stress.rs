//! Stress test: reader threads read + report quiescent states in a loop while a
//! writer publishes thousands of versions. Every value carries a canary and a
//! per-version "freed" flag set by its `Drop`; readers check, while holding the
//! guard, that the value they see is intact and not yet freed. A drop counter
//! per version proves each retired value is dropped exactly once.

use dmsc_rcu::Rcu;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

const VERSIONS: usize = 4000;
/// Blocking publishes wait for every reader to be scheduled: fewer of them
/// keep the test short on a loaded 2-core machine.
const BLOCKING_VERSIONS: usize = 2000;

fn canary(version: u64) -> u64 {
    version.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xDEAD_BEEF_CAFE_F00D
}

/// Drop bookkeeping shared by all versions (outlives every value).
struct Book {
    drops: Vec<AtomicU32>,
}

struct Value {
    version: u64,
    canary: u64,
    payload: Vec<u64>,
    book: Arc<Book>,
}

impl Value {
    fn new(version: u64, book: &Arc<Book>) -> Value {
        Value { version, canary: canary(version), payload: vec![version; 8], book: Arc::clone(book) }
    }
}

impl Drop for Value {
    fn drop(&mut self) {
        // Poison the memory before it is freed, and count the drop.
        self.canary = 0;
        self.payload.iter_mut().for_each(|w| *w = u64::MAX);
        self.book.drops[self.version as usize].fetch_add(1, Ordering::SeqCst);
    }
}

fn run(readers: usize, mode: &str) {
    let versions = if mode == "blocking" { BLOCKING_VERSIONS } else { VERSIONS };
    let book = Arc::new(Book { drops: (0..=versions).map(|_| AtomicU32::new(0)).collect() });
    let rcu = Rcu::new(Value::new(0, &book));
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for id in 0..readers {
        let mut reader = rcu.register();
        let stop = stop.clone();
        let book = book.clone();
        let reads = reads.clone();
        handles.push(thread::spawn(move || {
            let mut last = 0u64;
            let mut n = 0u64;
            let mut iter = 0u64;
            while !stop.load(Ordering::Relaxed) {
                iter += 1;
                // Reader 0 goes offline now and then, like an idle lcore.
                if id == 0 && iter % 5000 == 0 {
                    reader.offline();
                    thread::sleep(Duration::from_micros(50));
                    reader.online();
                }
                for _ in 0..4 {
                    let g = reader.read();
                    let v = g.version;
                    assert_eq!(g.canary, canary(v), "canary broken: use after free");
                    assert!(g.payload.iter().all(|&w| w == v), "payload broken");
                    assert_eq!(
                        book.drops[v as usize].load(Ordering::SeqCst),
                        0,
                        "version {v} freed while a reader holds it"
                    );
                    assert!(v >= last, "versions went backwards: {v} < {last}");
                    last = v;
                    n += 1;
                }
                reader.quiescent();
            }
            reads.fetch_add(n, Ordering::Relaxed);
        }));
    }
    for v in 1..=versions as u64 {
        let value = Value::new(v, &book);
        match mode {
            "blocking" => rcu.publish(value),
            "deferred" => {
                rcu.publish_deferred(value);
                if v % 16 == 0 {
                    rcu.try_reclaim();
                }
                if v % 512 == 0 {
                    rcu.synchronize();
                }
            }
            _ => unreachable!(),
        }
    }
    rcu.synchronize();
    // Every version but the current one was dropped exactly once.
    for v in 0..versions {
        assert_eq!(book.drops[v].load(Ordering::SeqCst), 1, "version {v}");
    }
    assert_eq!(book.drops[versions].load(Ordering::SeqCst), 0);
    assert_eq!(rcu.pending(), 0);
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    assert!(reads.load(Ordering::Relaxed) > 0);
    assert_eq!(rcu.readers(), 0);
    drop(rcu);
    assert_eq!(book.drops[versions].load(Ordering::SeqCst), 1);
}

#[test]
fn stress_blocking_publish_three_readers() {
    run(3, "blocking");
}

#[test]
fn stress_deferred_publish_two_readers() {
    run(2, "deferred");
}

#[test]
fn readers_register_and_unregister_during_publishes() {
    let rcu = Rcu::new(0u64);
    let stop = Arc::new(AtomicBool::new(false));
    let churn = {
        let rcu = Arc::clone(&rcu);
        let stop = stop.clone();
        thread::spawn(move || {
            let mut max_seen = 0;
            while !stop.load(Ordering::Relaxed) {
                let mut r = rcu.register();
                for _ in 0..10 {
                    let v = *r.read();
                    assert!(v >= max_seen);
                    max_seen = v;
                    r.quiescent();
                }
            }
        })
    };
    for v in 1..=2000u64 {
        rcu.publish(v);
    }
    stop.store(true, Ordering::Relaxed);
    churn.join().unwrap();
    assert_eq!(rcu.readers(), 0);
}
