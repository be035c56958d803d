//! FIB lookup workload: hierarchical service names, deterministic.
//!
//! Routes look like `/svcNN/methodNN/tok/tok/...`: the first component comes
//! from 64 services, the second from 32 methods per service, deeper ones are
//! random tokens (4–10 bytes) drawn from a per-level pool, so upper levels are
//! shared by many routes and lower ones vary. A route's depth is uniform in
//! `2..=components-1`. Lookup names (of exactly `components` components) are
//! 90 % an existing route extended by random tokens (a hit whose deepest
//! matching node is the route itself or, sometimes, a deeper route) and 10 %
//! names under an unknown service (a miss: no default route).

use std::ops::Range;
use std::time::Instant;

use dmsc_fib::NextHop;
use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::{Name, NameRef};

/// SplitMix64: a tiny deterministic generator (no `rand` dependency).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// Generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

fn token(rng: &mut Rng) -> Vec<u8> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let len = 4 + rng.below(7) as usize;
    (0..len).map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize]).collect()
}

/// A FIB workload: routes and lookup names.
pub struct Workload {
    /// `(prefix, next hops)` routes, distinct prefixes.
    pub routes: Vec<(Name, Vec<NextHop>)>,
    /// Lookup names' wire bytes, back to back (see [`Workload::names`]).
    names_wire: Vec<u8>,
    names_ends: Vec<usize>,
    /// Components per lookup name.
    pub components: usize,
}

impl Workload {
    /// `prefixes` routes and `lookups` names of `components` components.
    ///
    /// # Panics
    /// If `components < 3`, or if `prefixes` exceeds half the distinct
    /// prefixes the generator can produce (1024 for 3 components, ~4 × 10^6
    /// for 4).
    pub fn new(prefixes: usize, components: usize, lookups: usize, seed: u64) -> Workload {
        assert!(components >= 3, "lookup names need at least 3 components");
        // Distinct prefixes available at depths 2..components: 2048 × 4096^(d-2).
        let available: f64 = (2..components).map(|d| 2048.0 * 4096f64.powi(d as i32 - 2)).sum();
        assert!(
            (prefixes as f64) <= available / 2.0,
            "{prefixes} distinct prefixes of < {components} components are too many for this generator"
        );
        let mut rng = Rng::new(seed ^ (prefixes as u64) << 8 ^ components as u64);
        // Token pool per level: wide enough that 10^6 routes are distinct,
        // narrow enough that deeper levels still share some tokens.
        let pool: Vec<Vec<u8>> = (0..4096).map(|_| token(&mut rng)).collect();
        let mut seen = std::collections::HashSet::with_capacity(prefixes);
        let mut routes = Vec::with_capacity(prefixes);
        while routes.len() < prefixes {
            let depth = 2 + rng.below(components as u64 - 2) as usize;
            let mut cs: Vec<Vec<u8>> = Vec::with_capacity(depth);
            cs.push(format!("svc{:02}", rng.below(64)).into_bytes());
            cs.push(format!("method{:02}", rng.below(32)).into_bytes());
            for _ in 2..depth {
                cs.push(pool[rng.below(pool.len() as u64) as usize].clone());
            }
            let name = Name::from_components(&cs).unwrap();
            if seen.insert(name.clone()) {
                let i = routes.len() as u64;
                let hops = (0..1 + (i % 3))
                    .map(|h| NextHop {
                        port: ((i + h) % 4) as u16,
                        mac: MacAddr([2, 0, 0, 0, (h as u8) + 1, i as u8]),
                        cost: 10,
                    })
                    .collect();
                routes.push((name, hops));
            }
        }
        let mut names_wire = Vec::new();
        let mut names_ends = Vec::with_capacity(lookups);
        for _ in 0..lookups {
            let mut name = if rng.below(10) == 0 {
                Name::from_components([format!("nosvc{:02}", rng.below(64))]).unwrap()
            } else {
                routes[rng.below(routes.len() as u64) as usize].0.clone()
            };
            while name.len() < components {
                name.push(&token(&mut rng)).unwrap();
            }
            names_wire.extend_from_slice(name.wire());
            names_ends.push(names_wire.len());
        }
        Workload { routes, names_wire, names_ends, components }
    }

    /// The lookup names, borrowed from one contiguous buffer (as in mbufs).
    pub fn names(&self) -> Vec<NameRef<'_>> {
        let mut start = 0;
        self.names_ends
            .iter()
            .map(|&end| {
                let n = NameRef::parse(&self.names_wire[start..end]).unwrap();
                start = end;
                n
            })
            .collect()
    }
}

/// Lookups timed together in one sample of [`median_ns_per_lookup`].
pub const SAMPLE_LOOKUPS: usize = 2048;

/// Times `lookups(range)` over consecutive ranges of [`SAMPLE_LOOKUPS`] names,
/// `runs` times over all `total` names (after one untimed warm-up run), and
/// returns the median nanoseconds per lookup over all samples. Short samples
/// make the median robust on a shared machine: a sample during which the
/// thread was preempted is an outlier, not a bias.
pub fn median_ns_per_lookup(runs: usize, total: usize, mut lookups: impl FnMut(Range<usize>)) -> f64 {
    let ranges: Vec<Range<usize>> =
        (0..total).step_by(SAMPLE_LOOKUPS).map(|s| s..(s + SAMPLE_LOOKUPS).min(total)).collect();
    for r in &ranges {
        lookups(r.clone());
    }
    let mut samples: Vec<f64> = Vec::with_capacity(runs * ranges.len());
    for _ in 0..runs.max(1) {
        for r in &ranges {
            let t = Instant::now();
            lookups(r.clone());
            samples.push(t.elapsed().as_nanos() as f64 / r.len() as f64);
        }
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Command-line options shared by `cache-report` and `pipeline-report`: the
/// workload, the cache and how long to measure (`#[command(flatten)]`).
#[derive(clap::Args, Debug)]
pub struct CacheBenchArgs {
    /// Prefixes in the FIB.
    #[arg(long, default_value_t = 1_000_000)]
    pub prefixes: usize,
    /// Components of every looked-up name.
    #[arg(long, default_value_t = 8)]
    pub components: usize,
    /// Names the cache holds (dmscd's default).
    #[arg(long, default_value_t = 65_536)]
    pub cache: usize,
    /// Flow counts (distinct names cycled through).
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 10_000, 100_000])]
    pub flows: Vec<usize>,
    /// Passes per measurement.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Interleaved measurements per cell (median taken).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
}
