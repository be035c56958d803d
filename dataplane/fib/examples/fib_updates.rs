//! FIB update rate with `FibWriter` (left-right in-place updates over QSBR):
//! time per batch, grace period included, for batches of 1, 100 and 1000
//! route changes on a FIB of `--prefixes` routes (default 10^6) with names of
//! up to `--components` (default 8), while one reader thread acts as an lcore
//! (`--reader idle`: read + quiescent in a loop, no traffic; `--reader
//! lookup`: bursts of 32 lookups between quiescent states, and the lookup
//! rate before and during the churn is printed: the "rate dip").
//!
//! Two kinds of batch: `replace` (new next hops for existing routes) and
//! `churn` (alternately remove an existing route and add a new one; the
//! route count stays constant).
//!
//! ```sh
//! export CARGO_TARGET_DIR=/tmp/target-fibchurn
//! cargo run --release -p dmsc-fib --example fib_updates -- [--prefixes N] [--components N] [--reader idle|lookup] [--seconds S] [--until-rebuild]
//! ```
//!
//! `--until-rebuild` runs churn batches of 1000 until the first batch that
//! rebuilds or resizes the copies (the O(n) writer pause), and prints the
//! resident memory with one copy and with both (plus the prefix index).
//!
//! The route generator mirrors `bench/src/fib.rs` (`/svcNN/methodNN/tok/…`,
//! depth uniform in `2..components`, tokens from a pool of 4096).

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dmsc_fib::{Fib, FibChange, FibWriter, NextHop, UpdateStats};
use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::{Name, NameRef};

struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

struct Gen {
    rng: Rng,
    pool: Vec<Vec<u8>>,
    components: usize,
}

impl Gen {
    fn new(seed: u64, components: usize) -> Gen {
        let mut rng = Rng(seed);
        let pool = (0..4096)
            .map(|_| {
                const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
                let len = 4 + rng.below(7) as usize;
                (0..len).map(|_| A[rng.below(A.len() as u64) as usize]).collect()
            })
            .collect();
        Gen { rng, pool, components }
    }

    fn name(&mut self) -> Name {
        let depth = 2 + self.rng.below(self.components as u64 - 2) as usize;
        let mut cs: Vec<Vec<u8>> = vec![
            format!("svc{:02}", self.rng.below(64)).into_bytes(),
            format!("method{:02}", self.rng.below(32)).into_bytes(),
        ];
        for _ in 2..depth {
            cs.push(self.pool[self.rng.below(4096) as usize].clone());
        }
        Name::from_components(&cs).unwrap()
    }

    fn hops(&mut self) -> Vec<NextHop> {
        let i = self.rng.next_u64();
        (0..1 + i % 3)
            .map(|h| NextHop { port: ((i + h) % 4) as u16, mac: MacAddr([2, 0, 0, 0, h as u8 + 1, i as u8]), cost: 10 })
            .collect()
    }
}

fn arg(args: &[String], flag: &str, default: &str) -> String {
    args.iter().position(|a| a == flag).map_or(default.to_string(), |i| args[i + 1].clone())
}

/// Resident set size of this process, in MB (Linux), or 0.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1e3)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let prefixes: usize = arg(&args, "--prefixes", "1000000").parse().unwrap();
    let components: usize = arg(&args, "--components", "8").parse().unwrap();
    let seconds: f64 = arg(&args, "--seconds", "3").parse().unwrap();
    let lookup_reader = arg(&args, "--reader", "idle") == "lookup";
    let until_rebuild = args.iter().any(|a| a == "--until-rebuild");

    let mut gen = Gen::new(0x5eed ^ prefixes as u64, components);
    let mut seen = HashSet::with_capacity(prefixes * 2);
    let mut live: Vec<Name> = Vec::with_capacity(prefixes);
    let mut routes = Vec::with_capacity(prefixes);
    while routes.len() < prefixes {
        let n = gen.name();
        if seen.insert(n.clone()) {
            live.push(n.clone());
            routes.push((n, gen.hops()));
        }
    }
    // Lookup names for the busy reader: routes extended to `components`.
    let mut wire = Vec::new();
    let mut ends = Vec::new();
    for _ in 0..(1 << 19) {
        let mut n = live[gen.rng.below(live.len() as u64) as usize].clone();
        while n.len() < components {
            n.push(&gen.pool[gen.rng.below(4096) as usize].clone()).unwrap();
        }
        wire.extend_from_slice(n.wire());
        ends.push(wire.len());
    }
    let t = Instant::now();
    let fib = Fib::build(routes).unwrap();
    let build = t.elapsed();
    let (nodes, memory) = (fib.nodes(), fib.memory_bytes());
    let rss_one = rss_mb();
    let t = Instant::now();
    let (mut writer, rcu) = FibWriter::new(fib);
    let rss_two = rss_mb();
    println!(
        "FIB: {prefixes} prefixes, {components} components max, {nodes} nodes, {:.0} MB per copy; build {:.2} s, FibWriter::new {:.2} s; reader: {}",
        memory as f64 / 1e6,
        build.as_secs_f64(),
        t.elapsed().as_secs_f64(),
        if lookup_reader { "lookup bursts" } else { "idle" }
    );
    println!(
        "RSS: {rss_one:.0} MB with the FIB built (plus the generator's data), {rss_two:.0} MB with the FibWriter (second copy + prefix index)"
    );

    let stop = Arc::new(AtomicBool::new(false));
    let lookups = Arc::new(AtomicU64::new(0));
    let ready = Arc::new(AtomicBool::new(false));
    let reader = {
        let mut reader = rcu.register();
        let (stop, lookups, ready) = (stop.clone(), lookups.clone(), ready.clone());
        std::thread::spawn(move || {
            // Setup (parsing the names) is not a quiescent period: stay
            // offline meanwhile, like an lcore before its loop starts.
            reader.offline();
            let mut starts = vec![0];
            starts.extend_from_slice(&ends[..ends.len() - 1]);
            let names: Vec<NameRef<'_>> =
                starts.iter().zip(&ends).map(|(&s, &e)| NameRef::parse(&wire[s..e]).unwrap()).collect();
            let mut i = 0;
            reader.online();
            ready.store(true, Ordering::Release);
            while !stop.load(Ordering::Relaxed) {
                {
                    let mut out = [None; 32];
                    let fib = reader.read();
                    if lookup_reader {
                        fib.lookup_burst(&names[i..i + 32], &mut out);
                        black_box(&out);
                        i = (i + 32) % (names.len() - 32);
                        lookups.fetch_add(32, Ordering::Relaxed);
                    } else {
                        black_box(fib.len());
                    }
                }
                reader.quiescent();
                if !lookup_reader {
                    std::hint::spin_loop();
                }
            }
        })
    };
    while !ready.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let rate = |d: Duration| {
        let a = lookups.load(Ordering::Relaxed);
        std::thread::sleep(d);
        (lookups.load(Ordering::Relaxed) - a) as f64 / d.as_secs_f64() / 1e6
    };
    let before = if lookup_reader { rate(Duration::from_secs(1)) } else { 0.0 };

    println!();
    println!("| batch | kind | batches | median per batch (µs) | routes/s | max (µs) | rebuilds | plan | apply | grace period | replay | reader M lookups/s |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut fresh = 0u64;
    let sizes: &[usize] = if until_rebuild { &[1000] } else { &[1, 100, 1000] };
    let kinds: &[&str] = if until_rebuild { &["churn"] } else { &["replace", "churn"] };
    for &size in sizes {
        for &kind in kinds {
            let mut stats: Vec<UpdateStats> = Vec::new();
            let t0 = Instant::now();
            let l0 = lookups.load(Ordering::Relaxed);
            let mut routes_done = 0usize;
            while if until_rebuild {
                !stats.last().is_some_and(|s| s.rebuilt)
            } else {
                t0.elapsed().as_secs_f64() < seconds
            } {
                let mut batch = Vec::with_capacity(size);
                for j in 0..size {
                    if kind == "replace" {
                        let n = live[gen.rng.below(live.len() as u64) as usize].clone();
                        batch.push(FibChange::Upsert(n, gen.hops()));
                    } else if (routes_done + j) % 2 == 0 {
                        let k = gen.rng.below(live.len() as u64) as usize;
                        let n = live.swap_remove(k);
                        seen.remove(&n);
                        batch.push(FibChange::Remove(n));
                    } else {
                        let n = loop {
                            let mut n = gen.name();
                            fresh += 1;
                            if fresh % 4 == 0 {
                                n.push(format!("n{fresh}").as_bytes()).unwrap();
                            }
                            if seen.insert(n.clone()) {
                                break n;
                            }
                        };
                        live.push(n.clone());
                        batch.push(FibChange::Upsert(n, gen.hops()));
                    }
                }
                stats.push(writer.apply(batch).unwrap());
                routes_done += size;
            }
            let elapsed = t0.elapsed();
            let during = (lookups.load(Ordering::Relaxed) - l0) as f64 / elapsed.as_secs_f64() / 1e6;
            let rebuilds = stats.iter().filter(|s| s.rebuilt).count();
            let mut total: Vec<Duration> = stats.iter().map(UpdateStats::total).collect();
            let max = *total.iter().max().unwrap();
            let part = |f: fn(&UpdateStats) -> Duration| {
                let mut v: Vec<Duration> = stats.iter().map(f).collect();
                us(median(&mut v))
            };
            let (p, a, g, r) = (part(|s| s.plan), part(|s| s.apply), part(|s| s.grace_period), part(|s| s.replay));
            println!(
                "| {size} | {kind} | {} | {:.1} | {:.0} | {:.0} | {rebuilds} | {p:.1} | {a:.1} | {g:.1} | {r:.1} | {} |",
                stats.len(),
                us(median(&mut total)),
                routes_done as f64 / elapsed.as_secs_f64(),
                us(max),
                if lookup_reader { format!("{during:.2}") } else { "–".into() },
            );
        }
    }
    if until_rebuild {
        println!(
            "\n(--until-rebuild: churn until the first batch that rebuilt or resized the copies; its time is the max column)"
        );
    }
    if lookup_reader {
        println!(
            "\nreader before churn: {before:.2} M lookups/s; after: {:.2} M lookups/s",
            rate(Duration::from_secs(1))
        );
    }
    stop.store(true, Ordering::Relaxed);
    reader.join().unwrap();
    println!("entries at the end: {} (version {})", writer.len(), writer.version());
}
