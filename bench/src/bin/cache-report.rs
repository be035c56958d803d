//! Lookup cache (`dmsc_fib::LookupCache`) against plain burst lookups
//! (`Fib::lookup_burst`), on the FIB benchmark's workload, as a Markdown
//! table: the cost of a lookup when traffic repeats a set of destination
//! names (flows), and when it does not (every name distinct, more than the
//! cache holds).
//!
//! Usage: `cache-report [--prefixes N] [--components K] [--cache N]
//! [--flows 1,10000,100000] [--runs N] [--repeat N]`. The lookup sequence
//! cycles through the first `F` workload names in order (like a replayed
//! pcap); the "distinct" row uses all 2^19 names once per pass. Each cell is
//! the median of `--repeat` interleaved measurements, each the median of
//! 2048-lookup samples over `--runs` passes; the cache is warm (one untimed
//! pass first).

use std::hint::black_box;

use clap::Parser;
use dmsc_bench::fib::{median_ns_per_lookup, CacheBenchArgs, Workload};
use dmsc_fib::{Fib, FibEntry, LookupCache, BURST};
use dmsc_wire::name::NameRef;

#[derive(Parser)]
#[command(about = "LookupCache vs Fib::lookup_burst")]
struct Args {
    #[command(flatten)]
    bench: CacheBenchArgs,
}

const LOOKUPS: usize = 1 << 19;

fn pass(fib: &Fib, cache: Option<&mut LookupCache>, names: &[NameRef<'_>]) {
    let mut out: [Option<&FibEntry>; BURST] = [None; BURST];
    match cache {
        Some(cache) => {
            for chunk in names.chunks(BURST) {
                cache.lookup_burst(fib, chunk, &mut out[..chunk.len()]);
                black_box(&out);
            }
        }
        None => {
            for chunk in names.chunks(BURST) {
                fib.lookup_burst(chunk, &mut out[..chunk.len()]);
                black_box(&out);
            }
        }
    }
}

fn main() {
    let a = Args::parse().bench;
    let w = Workload::new(a.prefixes, a.components, LOOKUPS, 42);
    let all = w.names();
    let fib = Fib::build(w.routes.iter().cloned()).unwrap();
    println!(
        "{} prefixes, {} components, cache of {} names; M lookups/s (ns per lookup), median of {}",
        a.prefixes, a.components, a.cache, a.repeat
    );
    println!("| traffic | Fib::lookup_burst | LookupCache | cache / plain | hits % |");
    println!("|---|---:|---:|---:|---:|");
    let mut rows: Vec<(String, Vec<NameRef<'_>>)> = a
        .flows
        .iter()
        .map(|&f| {
            let f = f.clamp(1, all.len());
            (format!("{f} flows"), (0..LOOKUPS).map(|i| all[i % f]).collect())
        })
        .collect();
    rows.push((format!("{} distinct names", all.len()), all.clone()));
    for (label, names) in &rows {
        let mut plain = Vec::new();
        let mut cached = Vec::new();
        let mut cache = LookupCache::new(a.cache);
        for _ in 0..a.repeat.max(1) {
            plain.push(median_ns_per_lookup(a.runs, names.len(), |r| pass(&fib, None, &names[r])));
            cached.push(median_ns_per_lookup(a.runs, names.len(), |r| pass(&fib, Some(&mut cache), &names[r])));
        }
        plain.sort_by(f64::total_cmp);
        cached.sort_by(f64::total_cmp);
        let (p, c) = (plain[plain.len() / 2], cached[cached.len() / 2]);
        let s = cache.stats();
        println!(
            "| {label} | {:.2} ({:.0}) | {:.2} ({:.0}) | {:.2}× | {:.1} |",
            1e3 / p,
            p,
            1e3 / c,
            c,
            p / c,
            100.0 * s.hits as f64 / (s.hits + s.misses + s.bypassed).max(1) as f64
        );
    }
}
