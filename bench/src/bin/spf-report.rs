//! Prints a Markdown table of the routing computation costs of `dmsc-routing`
//! on synthetic topologies (`spf::synthetic_lsas`: a ring plus random chords,
//! metrics 1..=100): `Topology::from_lsas` (graph build from the LSDB's node
//! LSAs), `spf()` (Dijkstra with ECMP from one root), `Rib::compute` (best
//! routes with `--prefixes` prefixes per router, about half of them anycast)
//! and `Rib::diff` of two equal RIBs (the steady-state cost of a run that
//! changes nothing). One core, `std::time::Instant`; each cell is
//! median / min / max over `--runs` runs; SPF roots rotate over the routers.
//!
//! Usage: `spf-report [--runs N] [--sizes 1000,10000] [--degree 4] [--prefixes 10]`
//! (`cargo run --release -p dmsc-bench --bin spf-report`).

use std::hint::black_box;
use std::time::Instant;

use dmsc_routing::rib::{synthetic_prefix_lsas, Rib};
use dmsc_routing::spf::{spf, synthetic_lsas, Topology};
use dmsc_routing::types::RouterId;

fn list(args: &[String], flag: &str, default: &[usize]) -> Vec<usize> {
    match args.iter().position(|a| a == flag) {
        Some(i) => args
            .get(i + 1)
            .map(|v| v.split(',').map(|s| s.parse().expect("number")).collect())
            .unwrap_or_else(|| default.to_vec()),
        None => default.to_vec(),
    }
}

/// (median, min, max) in milliseconds of `runs` calls of `f(i)`.
fn time_ms(runs: usize, mut f: impl FnMut(usize)) -> (f64, f64, f64) {
    let mut t: Vec<f64> = (0..runs.max(1))
        .map(|i| {
            let s = Instant::now();
            f(i);
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    (t[t.len() / 2], t[0], t[t.len() - 1])
}

fn cell((med, min, max): (f64, f64, f64)) -> String {
    format!("{med:.3} ({min:.3}–{max:.3})")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = list(&args, "--runs", &[21])[0];
    let sizes = list(&args, "--sizes", &[1_000, 10_000]);
    let degree = list(&args, "--degree", &[4])[0];
    let per_node = list(&args, "--prefixes", &[10])[0];

    println!(
        "| routers | links (directed) | routes | Topology::from_lsas ms | spf() ms | Rib::compute ms | Rib::diff (equal) ms |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &sizes {
        let nodes = synthetic_lsas(n, degree, 42);
        let prefixes = synthetic_prefix_lsas(n, per_node, 42);
        let lsdb: Vec<_> = nodes.iter().chain(&prefixes).cloned().collect();
        let root = |i: usize| RouterId(1 + (i * 7919 % n) as u64);

        let build = time_ms(runs, |_| {
            black_box(Topology::from_lsas(black_box(&lsdb)));
        });
        let topo = Topology::from_lsas(&lsdb);
        // Warm-up, then the measured runs.
        black_box(spf(&topo, root(0)));
        let spf_t = time_ms(runs, |i| {
            black_box(spf(black_box(&topo), root(i)));
        });
        let tree = spf(&topo, root(0));
        assert_eq!(tree.nodes.len(), n, "synthetic topology is connected");
        let rib_t = time_ms(runs, |_| {
            black_box(Rib::compute(black_box(&tree), &lsdb));
        });
        let rib = Rib::compute(&tree, &lsdb);
        let copy = rib.clone();
        let diff_t = time_ms(runs, |_| {
            assert!(black_box(&rib).diff(black_box(&copy)).is_empty());
        });
        println!(
            "| {n} | {} | {} | {} | {} | {} | {} |",
            topo.link_count(),
            rib.len(),
            cell(build),
            cell(spf_t),
            cell(rib_t),
            cell(diff_t)
        );
    }
    println!("\nruns per cell: {runs}; degree {degree}; {per_node} prefixes per router; cell = median (min–max)");
}
