//! Criterion benchmarks of FIB lookups: `Fib` (single and burst-of-32
//! lookups) vs `HashFib` and, at 10^4 prefixes only (it is O(n)), `NaiveFib`;
//! 10^4, 10^5, 10^6 prefixes × lookup names of 4, 8, 16 components. One
//! iteration is one pass over the workload's lookup names; throughput is in
//! lookups ("elements"). The FIBs of a group are built once. Bytes per entry
//! are printed to stderr per group.
//!
//! `cargo bench -p dmsc-bench --bench fib` (~95 s); filter with e.g.
//! `-- 1000000/8`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use dmsc_bench::fib::Workload;
use dmsc_fib::hashmap::HashFib;
use dmsc_fib::naive::NaiveFib;
use dmsc_fib::{Fib, FibEntry, BURST};

/// Lookup names per pass: enough that the lines they touch (~5 each) far
/// exceed the 32 MiB L3, so repeated passes do not run from cache.
const LOOKUPS: usize = 1 << 19;

/// Positional command-line arguments = criterion's benchmark filters. Groups
/// whose `size/components` id matches none of them (as a substring) are not
/// even built, so that a filtered run does not build the 10^6 FIBs.
fn wanted(id: &str) -> bool {
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    filters.is_empty() || filters.iter().any(|f| id.contains(f.as_str()) || f.contains(id))
}

fn fib_lookups(c: &mut Criterion) {
    for size in [10_000usize, 100_000, 1_000_000] {
        for k in [4usize, 8, 16] {
            let id = format!("{size}/{k}");
            if !wanted(&id) {
                continue;
            }
            let w = Workload::new(size, k, LOOKUPS, 42);
            let names = w.names();
            let fib = Fib::build(w.routes.iter().cloned()).unwrap();
            let hash = HashFib::build(w.routes.iter().cloned()).unwrap();
            eprintln!(
                "fib_lookup/{id}: Fib {} B/entry ({} nodes), HashFib {} B/entry",
                fib.memory_bytes() / fib.len(),
                fib.nodes(),
                hash.memory_bytes() / hash.len()
            );
            let mut g = c.benchmark_group("fib_lookup");
            g.sample_size(10)
                .warm_up_time(Duration::from_millis(300))
                .measurement_time(Duration::from_secs(1))
                .throughput(Throughput::Elements(names.len() as u64));
            g.bench_function(BenchmarkId::new("fib_single", &id), |b| {
                b.iter(|| {
                    for n in &names {
                        black_box(fib.lookup(*n));
                    }
                })
            });
            g.bench_function(BenchmarkId::new("fib_burst32", &id), |b| {
                let mut out: [Option<&FibEntry>; BURST] = [None; BURST];
                b.iter(|| {
                    for chunk in names.chunks(BURST) {
                        fib.lookup_burst(chunk, &mut out[..chunk.len()]);
                        black_box(&out);
                    }
                })
            });
            g.bench_function(BenchmarkId::new("hashfib", &id), |b| {
                b.iter(|| {
                    for n in &names {
                        black_box(hash.lookup(*n));
                    }
                })
            });
            if size <= 10_000 {
                let naive = NaiveFib::build(w.routes.iter().cloned()).unwrap();
                let few = &names[..256];
                g.throughput(Throughput::Elements(few.len() as u64));
                g.bench_function(BenchmarkId::new("naive", &id), |b| {
                    b.iter(|| {
                        for n in few {
                            black_box(naive.lookup(*n));
                        }
                    })
                });
            }
            g.finish();
        }
    }
}

criterion_group!(benches, fib_lookups);
criterion_main!(benches);
