//! The lookup cache under FIB churn: lookups through one lcore's
//! `LookupCache` between `FibWriter` publications, as a Markdown table.
//!
//! Three rows, interleaved in one run: no publication; publications that
//! only replace next hops (the churn of `bench/throughput --churn`: the FIB
//! keeps its shape, so the cache keeps its results); and the same batches
//! plus one prefix added or removed outside the traffic, which changes the
//! shape and so empties the cache at every publication — what every
//! publication did before the cache was keyed on `Fib::shape`.
//!
//! Usage: `cache-churn-report [--prefixes N] [--components K] [--cache N]
//! [--flows F] [--batch B] [--lookups-per-publication L] [--publications P]
//! [--repeat R]`. The lookups cycle through F workload names (each hits a
//! route); every publication replaces B routes, cycling through a churn set
//! of every 10th route plus every route the names hit, each alternating
//! between two next hops. The defaults model the throughput harness: ~9 Mpps
//! and 100 publications of 1,000 routes a second (L = 90,000). Only the
//! lookups are timed; the writer runs on the same thread between them (its
//! grace period with the reader offline), so it also evicts the reader's
//! caches, which an lcore on its own core would not suffer from the writer
//! (only from the shared L3). Each cell: the median of `--repeat` runs of
//! P publications.

use std::hint::black_box;
use std::time::{Duration, Instant};

use clap::Parser;
use dmsc_bench::fib::Workload;
use dmsc_fib::{Fib, FibChange, FibEntry, FibWriter, LookupCache, NextHop, BURST};
use dmsc_wire::name::{Name, NameRef};

#[derive(Parser)]
#[command(about = "LookupCache hit rate and lookup cost under FIB publications")]
struct Args {
    /// Prefixes in the FIB.
    #[arg(long, default_value_t = 1_000_000)]
    prefixes: usize,
    /// Components of every looked-up name.
    #[arg(long, default_value_t = 8)]
    components: usize,
    /// Names the cache holds (dmscd's default).
    #[arg(long, default_value_t = 65_536)]
    cache: usize,
    /// Distinct destination names cycled through.
    #[arg(long, default_value_t = 10_000)]
    flows: usize,
    /// Routes replaced per publication.
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// Lookups between two publications.
    #[arg(long, default_value_t = 90_000)]
    lookups_per_publication: usize,
    /// Publications per measurement.
    #[arg(long, default_value_t = 40)]
    publications: usize,
    /// Interleaved measurements per row (median taken).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Quiet,
    Replace,
    Reshape,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Mode::Quiet => "no publication",
            Mode::Replace => "next hops replaced (shape kept)",
            Mode::Reshape => "same + 1 prefix added or removed (shape changes)",
        }
    }
}

/// One measurement: ns per lookup, hit share, publications' mean time.
struct Cell {
    ns: f64,
    hits: f64,
    publish: Duration,
}

fn main() {
    let a = Args::parse();
    let flows = a.flows.max(1);
    let w = Workload::new(a.prefixes, a.components, flows, 42);
    let names: Vec<NameRef<'_>> = w.names();
    let fib = Fib::build(w.routes.iter().cloned()).expect("workload FIB");
    // Churn set: every 10th route and every route the names hit.
    let mut churn: Vec<(Name, Vec<NextHop>)> = w.routes.iter().step_by(10).cloned().collect();
    for n in &names {
        if let Some(e) = fib.lookup(*n) {
            churn.push((e.prefix().to_owned(), e.next_hops().to_vec()));
        }
    }
    churn.sort_by(|x, y| x.0.cmp(&y.0));
    churn.dedup_by(|x, y| x.0 == y.0);
    let (mut writer, rcu) = FibWriter::new(fib);
    let mut reader = rcu.register();
    reader.offline();
    println!(
        "{} prefixes, {} components, cache of {} names, {} flows; {} routes replaced every {} lookups \
         (churn set {}); ns per lookup (M lookups/s), median of {}",
        a.prefixes,
        a.components,
        a.cache,
        flows,
        a.batch,
        a.lookups_per_publication,
        churn.len(),
        a.repeat
    );
    println!("| publications | ns per lookup (M/s) | vs none | hits % | publish ms (mean) |");
    println!("|---|---:|---:|---:|---:|");
    let modes = [Mode::Quiet, Mode::Replace, Mode::Reshape];
    let mut cells: Vec<Vec<Cell>> = modes.iter().map(|_| Vec::new()).collect();
    let (mut next, mut flip, mut extra) = (0usize, true, false);
    let shape_prefix: Name = "/dmsc-bench/shape".parse().expect("valid name");
    for _ in 0..a.repeat.max(1) {
        for (m, &mode) in modes.iter().enumerate() {
            let mut cache = LookupCache::new(a.cache);
            let (mut lookup_time, mut publish_time) = (Duration::ZERO, Duration::ZERO);
            let mut cursor = 0usize;
            let mut base = cache.stats();
            // One untimed round fills the cache.
            for round in 0..=a.publications {
                reader.online();
                let t = Instant::now();
                {
                    let snap = reader.read();
                    let mut out: [Option<&FibEntry>; BURST] = [None; BURST];
                    let mut left = a.lookups_per_publication;
                    while left > 0 {
                        let n = left.min(BURST).min(names.len() - cursor);
                        cache.lookup_burst(&snap, &names[cursor..cursor + n], &mut out[..n]);
                        black_box(&out);
                        cursor = (cursor + n) % names.len();
                        left -= n;
                    }
                }
                if round > 0 {
                    lookup_time += t.elapsed();
                }
                reader.offline();
                if round == 0 {
                    base = cache.stats();
                }
                if mode == Mode::Quiet || round == a.publications {
                    continue;
                }
                let mut batch: Vec<FibChange> = Vec::with_capacity(a.batch + 1);
                for _ in 0..a.batch.min(churn.len()) {
                    let (prefix, hops) = &churn[next];
                    batch.push(FibChange::Upsert(prefix.clone(), alternate(hops, flip)));
                    next += 1;
                    if next == churn.len() {
                        next = 0;
                        flip = !flip;
                    }
                }
                if mode == Mode::Reshape {
                    batch.push(if extra {
                        FibChange::Remove(shape_prefix.clone())
                    } else {
                        FibChange::Upsert(shape_prefix.clone(), churn[0].1.clone())
                    });
                    extra = !extra;
                }
                let t = Instant::now();
                writer.apply(batch).expect("churn batch applies");
                publish_time += t.elapsed();
            }
            let (s, b) = (cache.stats(), base);
            let (hits, all) = (s.hits - b.hits, s.hits + s.misses + s.bypassed - b.hits - b.misses - b.bypassed);
            let lookups = (a.publications * a.lookups_per_publication) as f64;
            cells[m].push(Cell {
                ns: lookup_time.as_nanos() as f64 / lookups,
                hits: 100.0 * hits as f64 / all.max(1) as f64,
                publish: publish_time / a.publications.max(1) as u32,
            });
        }
    }
    let median = |v: &mut Vec<Cell>| {
        v.sort_by(|x, y| x.ns.total_cmp(&y.ns));
        let c = &v[v.len() / 2];
        (c.ns, c.hits, c.publish)
    };
    let quiet = median(&mut cells[0]).0;
    for (m, mode) in modes.iter().enumerate() {
        let (ns, hits, publish) = median(&mut cells[m]);
        let publish =
            if *mode == Mode::Quiet { "–".to_string() } else { format!("{:.2}", publish.as_secs_f64() * 1e3) };
        println!("| {} | {:.1} ({:.2}) | {:.2}× | {:.1} | {} |", mode.label(), ns, 1e3 / ns, quiet / ns, hits, publish);
    }
}

/// The route's next hops with the last MAC byte flipped (`flip`), or as
/// built: the churn alternates, so every replacement is a real change.
fn alternate(hops: &[NextHop], flip: bool) -> Vec<NextHop> {
    hops.iter()
        .map(|h| {
            let mut h = *h;
            if flip {
                h.mac.0[5] ^= 0x80;
            }
            h
        })
        .collect()
}
