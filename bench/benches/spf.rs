//! Criterion benchmarks of the routing computation (`dmsc-routing`):
//! `spf()` (Dijkstra with ECMP from one root) and `Topology::from_lsas` on
//! synthetic topologies of 1,000 and 10,000 routers of average degree 4
//! (`spf::synthetic_lsas`), and `Rib::compute` with 10 prefixes per router.
//! `cargo run --release -p dmsc-bench --bin spf-report` prints the summary
//! table quoted in docs/performance.md; this gives criterion's details.
//!
//! `cargo bench -p dmsc-bench --bench spf` (~40 s); filter with e.g. `-- spf/10000`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use dmsc_routing::rib::{synthetic_prefix_lsas, Rib};
use dmsc_routing::spf::{spf, synthetic_lsas, Topology};
use dmsc_routing::types::RouterId;

fn routing(c: &mut Criterion) {
    for n in [1_000usize, 10_000] {
        let lsdb: Vec<_> = synthetic_lsas(n, 4, 42).into_iter().chain(synthetic_prefix_lsas(n, 10, 42)).collect();
        let topo = Topology::from_lsas(&lsdb);
        let tree = spf(&topo, RouterId(1));
        c.bench_with_input(BenchmarkId::new("spf", n), &topo, |b, topo| {
            b.iter(|| black_box(spf(black_box(topo), RouterId(1))))
        });
        c.bench_with_input(BenchmarkId::new("topology", n), &lsdb, |b, lsdb| {
            b.iter(|| black_box(Topology::from_lsas(black_box(lsdb))))
        });
        c.bench_with_input(BenchmarkId::new("rib", n), &lsdb, |b, lsdb| {
            b.iter(|| black_box(Rib::compute(black_box(&tree), lsdb)))
        });
    }
}

criterion_group!(benches, routing);
criterion_main!(benches);
