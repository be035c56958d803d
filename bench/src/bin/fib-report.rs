//! Prints a Markdown table of FIB lookup rates and memory for the whole
//! benchmark matrix (10^4, 10^5, 10^6 prefixes × 4, 8, 16 components), using
//! `std::time::Instant` medians — quick; `cargo bench --bench fib` gives the
//! criterion details.
//!
//! Usage: `fib-report [--runs N] [--repeat N] [--lookups N] [--sizes 10000,100000]
//! [--components 4,8] [--only single|burst|nh|hash|naive]`. Each cell is the median of
//! `--repeat` (default 3) interleaved measurements of all variants, each itself the
//! median over `--runs` passes of 2048-lookup samples. `--only` measures one variant,
//! for profiling (the others print as 0).

use std::hint::black_box;
use std::time::Instant;

use dmsc_bench::fib::{median_ns_per_lookup, Workload};
use dmsc_fib::hashmap::HashFib;
use dmsc_fib::naive::NaiveFib;
use dmsc_fib::{Fib, FibChange, FibEntry, BURST};
use dmsc_wire::name::NameRef;

fn list(args: &[String], flag: &str, default: &[usize]) -> Vec<usize> {
    match args.iter().position(|a| a == flag) {
        Some(i) => args[i + 1].split(',').map(|s| s.parse().expect("number")).collect(),
        None => default.to_vec(),
    }
}

/// Million lookups per second from nanoseconds per lookup.
fn rate(ns: f64) -> f64 {
    1e3 / ns
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = list(&args, "--runs", &[5])[0];
    let repeat = list(&args, "--repeat", &[3])[0].max(1);
    let lookups = list(&args, "--lookups", &[1 << 19])[0];
    let sizes = list(&args, "--sizes", &[10_000, 100_000, 1_000_000]);
    let comps = list(&args, "--components", &[4, 8, 16]);
    let only = args.iter().position(|a| a == "--only").map(|i| args[i + 1].clone());
    let on = |v: &str| only.as_deref().map_or(true, |o| o == v);
    // Median over `repeat` calls of `f` (or infinity when the variant is off).
    let measure = |v: &str, f: &mut dyn FnMut() -> f64| {
        if !on(v) {
            return f64::INFINITY;
        }
        let mut m: Vec<f64> = (0..repeat).map(|_| f()).collect();
        m.sort_by(f64::total_cmp);
        m[m.len() / 2]
    };
    println!(
        "| prefixes | comps | nodes | hit % | Fib single M/s (ns) | Fib burst M/s (ns) | Fib burst+next hop M/s | HashFib M/s (ns) | burst / Hash | single / Hash | Naive M/s | Fib B/entry | HashFib B/entry | Fib build s | update s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &size in &sizes {
        for &k in &comps {
            let w = Workload::new(size, k, lookups, 42);
            let names = w.names();
            let t = Instant::now();
            let fib = Fib::build(w.routes.iter().cloned()).unwrap();
            let build = t.elapsed();
            // Control-plane update: 100 changed routes applied to the snapshot.
            let t = Instant::now();
            let changes = w.routes.iter().take(100).map(|(p, h)| {
                let mut h = h.clone();
                h[0].cost += 1;
                FibChange::Upsert(p.clone(), h)
            });
            drop(fib.with_changes(changes).unwrap());
            let update = t.elapsed();
            let hash = HashFib::build(w.routes.iter().cloned()).unwrap();
            let hits = names.iter().filter(|n| fib.lookup(**n).is_some()).count();
            let single = measure("single", &mut || {
                median_ns_per_lookup(runs, names.len(), |r| {
                    for n in &names[r] {
                        black_box(fib.lookup(*n));
                    }
                })
            });
            let burst = measure("burst", &mut || {
                median_ns_per_lookup(runs, names.len(), |r| burst_pass(&fib, &names[r], false))
            });
            let burst_nh =
                measure("nh", &mut || median_ns_per_lookup(runs, names.len(), |r| burst_pass(&fib, &names[r], true)));
            let hashed = measure("hash", &mut || {
                median_ns_per_lookup(runs, names.len(), |r| {
                    for n in &names[r] {
                        black_box(hash.lookup(*n));
                    }
                })
            });
            let naive = if size <= 10_000 && on("naive") {
                let naive = NaiveFib::build(w.routes.iter().cloned()).unwrap();
                let few = &names[..names.len().min(512)];
                let d = median_ns_per_lookup(runs.min(3), few.len(), |r| {
                    for n in &few[r] {
                        black_box(naive.lookup(*n));
                    }
                });
                format!("{:.3}", rate(d))
            } else {
                "–".into()
            };
            println!(
                "| {size} | {k} | {} | {:.0} | {:.2} ({:.0}) | {:.2} ({:.0}) | {:.2} | {:.2} ({:.0}) | {:.2} | {:.2} | {naive} | {} | {} | {:.2} | {:.2} |",
                fib.nodes(),
                100.0 * hits as f64 / names.len() as f64,
                rate(single),
                single,
                rate(burst),
                burst,
                rate(burst_nh),
                rate(hashed),
                hashed,
                hashed / burst,
                hashed / single,
                fib.memory_bytes() / fib.len(),
                hash.memory_bytes() / hash.len(),
                build.as_secs_f64(),
                update.as_secs_f64(),
            );
        }
    }
}

/// One pass of burst lookups (32 names per call, as an RX burst); with
/// `next_hop`, also resolves the ECMP next hop of each result.
fn burst_pass(fib: &Fib, names: &[NameRef<'_>], next_hop: bool) {
    let mut out: [Option<&FibEntry>; BURST] = [None; BURST];
    for (b, chunk) in names.chunks(BURST).enumerate() {
        let out = &mut out[..chunk.len()];
        fib.lookup_burst(chunk, out);
        if next_hop {
            for (i, e) in out.iter().enumerate() {
                if let Some(e) = e {
                    black_box(e.next_hop_for_flow((b * BURST + i) as u32).port);
                }
            }
        } else {
            black_box(&*out);
        }
    }
}
