//! Shortest-path-first: Dijkstra's algorithm with equal-cost multipath (ECMP)
//! over the node LSAs of the LSDB [ISO 10589 §C.2; RFC 2328 §16.1;
//! draft-li-dmsc-architecture §6.1 step 4].
//!
//! # Shape
//!
//! [`Topology::from_lsas`] turns the LSDB's node LSAs into a compact graph:
//! routers get dense indices `0..n` in ascending [`RouterId`] order, and the
//! usable directed links are stored in CSR form (compressed sparse rows: one
//! `offsets` array and flat `targets`/`metrics` arrays), so the SPF inner loop
//! touches three contiguous arrays and no hash map. [`spf`] then runs Dijkstra
//! from one root with a binary heap (lazy deletion), carrying for every router
//! the *set of the root's neighbours* (first hops) through which a shortest
//! path leaves the root, as a bitset over the root's neighbours: on a strictly
//! shorter path the set is replaced by the predecessor's, on an equal-cost path
//! it is OR-ed in. This is the classic next-hop inheritance of
//! [RFC 2328 §16.1.1] and [ISO 10589 §C.2.5], restricted to what a DMSC router
//! needs (a first-hop *router*; the driver maps it to a port and MAC).
//!
//! # Rules applied while building the graph
//!
//! - **Two-way check.** A link A→B is used only if B's node LSA also lists A
//!   [ISO 10589 §7.2.8.1; RFC 2328 §16.1 (b)]. A half-up adjacency, or a stale
//!   LSA of a router that has since lost the link, must not attract traffic.
//! - **Purged LSAs** (body [`LsaBody::Purged`] or remaining lifetime 0)
//!   and **prefix LSAs** are ignored [ISO 10589 §7.3.16.4]. An LSA whose body
//!   does not match its kind is ignored too (it cannot come from a correct
//!   origin; the codec should already reject it).
//! - **Fragments** of one origin's node LSA are merged: the origin's links are
//!   the union over its fragments [ISO 10589 §7.3.4 "LSP number"].
//! - **Parallel links** to the same neighbour keep the lowest metric;
//!   self-links (A lists A) are dropped.
//! - **Service Gateways are not transit.** An SG's node LSA (role
//!   [`Role::Sg`]) makes the SG reachable, with its prefixes, but SPF never
//!   extends a path *through* an SG other than the root: SGs are the Pods'
//!   default gateways at the edge, and Service Routers carry traffic between
//!   them [draft-li-dmsc-architecture §4, §6.1]. This is the effect of the
//!   IS-IS overload bit [ISO 10589 §7.2.8.1; RFC 3787 §3] and of OSPF stub
//!   router advertisement [RFC 6987], derived from the role every node LSA
//!   already carries instead of a separate flag. Without it a dual-homed SG
//!   would become an equal-cost (or, after an SR–SR link failure, the only)
//!   path between two SRs, pulling transit traffic through a gateway sized
//!   for its own Pods.
//! - **Metric 0** is invalid (links carry 1..=2^24−1, see [`Link`]) but can
//!   arrive from the network; it is treated as 1 so that Dijkstra's invariant
//!   (a settled router's first-hop set is final) holds with strictly positive
//!   weights. Distances are `u64`: even 2^32 routers × 2^32 metric cannot overflow.
//!
//! # Alternatives rejected
//!
//! - *`HashMap<RouterId, Vec<Link>>` adjacency*: simplest, but every relaxation
//!   hashes and chases a pointer; the CSR arrays are contiguous, indexed by
//!   dense integers, and build with one sort.
//! - *First-hop sets as `Vec<RouterId>` per router*: one allocation per
//!   relaxation; the bitset (one `u64` word when the root has ≤ 64 neighbours,
//!   which is every realistic DMSC router) costs one OR.
//! - *Fibonacci / pairing heap*: better asymptotics for dense graphs only; DMSC
//!   topologies are sparse (degree ≈ 2–8), where a binary heap with lazy
//!   deletion is faster in practice.
//! - *Incremental SPF (iSPF, partial route computation)*: full SPF of 10,000
//!   routers of degree 4 takes about 1.6 ms on one core (docs/performance.md
//!   "SPF"), far under the [RFC 8405] back-off delays, so the complexity is not
//!   worth it yet.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashSet};

use crate::types::{Link, Lsa, LsaBody, LsaHeader, LsaId, LsaKind, NodeLsa, Role, RouterId};

/// The graph of node LSAs. A link A→B is used only if B's node LSA also lists A
/// (two-way check, [ISO 10589 §7.2.8.1] / [RFC 2328 §16.1 (b)]).
/// Purged LSAs ([`LsaBody::Purged`], or remaining lifetime 0) and prefix LSAs
/// are ignored. Multiple fragments of one origin's node LSA are merged.
/// Routers whose node LSA says [`Role::Sg`] are leaves for every root but
/// themselves (no transit, see the [module docs](self)).
///
/// The routers are the origins of live node LSAs (a router only listed as a
/// neighbour cannot pass the two-way check, so it is not a vertex).
/// Internally: dense indices in ascending `RouterId` order and CSR adjacency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Topology {
    /// Router id of each dense index, ascending.
    ids: Vec<RouterId>,
    /// `offsets[i]..offsets[i + 1]` is router `i`'s slice of `targets`/`metrics`; len `n + 1`.
    offsets: Vec<u32>,
    /// Dense index of each usable link's far end, ascending within a router's slice.
    targets: Vec<u32>,
    /// Metric of each usable link (≥ 1).
    metrics: Vec<u32>,
    /// Per dense index: may paths continue through this router (false for SGs).
    transit: Vec<bool>,
}

impl Topology {
    /// Builds the graph from LSAs (typically every LSA of the LSDB; other kinds
    /// are skipped). Never fails: malformed content is ignored as described in
    /// the [module docs](self). O(L log L) for L links.
    pub fn from_lsas<'a>(lsas: impl IntoIterator<Item = &'a Lsa>) -> Topology {
        // (origin, neighbour, metric) of every link of every live node LSA.
        let mut raw: Vec<(RouterId, RouterId, u32)> = Vec::new();
        let mut ids: Vec<RouterId> = Vec::new();
        // Origins whose node LSA (any fragment) says SG: not transit.
        let mut gateways: Vec<RouterId> = Vec::new();
        for lsa in lsas {
            if lsa.header.id.kind != LsaKind::Node || lsa.header.remaining_lifetime_s == 0 {
                continue;
            }
            let LsaBody::Node(node) = &lsa.body else {
                continue;
            };
            let origin = lsa.header.id.origin;
            ids.push(origin);
            if node.role == Role::Sg {
                gateways.push(origin);
            }
            raw.extend(
                node.links.iter().filter(|l| l.neighbor != origin).map(|l| (origin, l.neighbor, l.metric.max(1))),
            );
        }
        ids.sort_unstable();
        ids.dedup();
        if ids.len() >= u32::MAX as usize {
            // Cannot happen with real memory sizes; keeps the u32 indices honest.
            return Topology::default();
        }
        let index = |id: RouterId| ids.binary_search(&id).ok().map(|i| i as u32);

        // Dense edges; links to routers without a node LSA cannot be two-way.
        let mut edges: Vec<(u32, u32, u32)> =
            raw.into_iter().filter_map(|(a, b, m)| Some((index(a)?, index(b)?, m))).collect();
        // Sort by (src, dst, metric) so that dedup keeps the lowest metric.
        edges.sort_unstable();
        edges.dedup_by(|later, kept| later.0 == kept.0 && later.1 == kept.1);

        // One-way CSR of all listed links, then keep those listed back.
        let n = ids.len();
        let listed = Csr::build(n, &edges);
        let two_way: Vec<(u32, u32, u32)> = edges.iter().copied().filter(|&(a, b, _)| listed.has_edge(b, a)).collect();
        let csr = Csr::build(n, &two_way);
        gateways.sort_unstable();
        let transit = ids.iter().map(|id| gateways.binary_search(id).is_err()).collect();
        Topology { ids, offsets: csr.offsets, targets: csr.targets, metrics: csr.metrics, transit }
    }

    /// Number of routers (origins of live node LSAs).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there is no router.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Whether paths may continue through `id` (false for an SG, or when `id`
    /// is not in the topology).
    pub fn is_transit(&self, id: RouterId) -> bool {
        self.index_of(id).is_some_and(|i| self.transit.get(i as usize).copied().unwrap_or(false))
    }

    /// Number of usable (two-way) directed links.
    pub fn link_count(&self) -> usize {
        self.targets.len()
    }

    /// The usable links of `id` as (neighbour, metric), ascending by neighbour;
    /// empty when `id` is not in the topology. For `dmsc show` and tests.
    pub fn links(&self, id: RouterId) -> Vec<Link> {
        let Some(i) = self.index_of(id) else {
            return Vec::new();
        };
        let (lo, hi) = self.range(i);
        (lo..hi)
            .filter_map(|e| {
                let t = *self.targets.get(e)?;
                Some(Link { neighbor: *self.ids.get(t as usize)?, metric: *self.metrics.get(e)? })
            })
            .collect()
    }

    /// Dense index of `id` (ascending router-id order), for the vectors
    /// [`distances`] returns.
    pub(crate) fn dense(&self, id: RouterId) -> Option<usize> {
        self.index_of(id).map(|i| i as usize)
    }

    fn index_of(&self, id: RouterId) -> Option<u32> {
        self.ids.binary_search(&id).ok().map(|i| i as u32)
    }

    /// Edge index range of router `i` (empty when out of range).
    #[inline]
    fn range(&self, i: u32) -> (usize, usize) {
        let i = i as usize;
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&lo), Some(&hi)) => (lo as usize, hi as usize),
            _ => (0, 0),
        }
    }
}

/// Compressed sparse rows built from edges sorted by (src, dst).
struct Csr {
    offsets: Vec<u32>,
    targets: Vec<u32>,
    metrics: Vec<u32>,
}

impl Csr {
    fn build(n: usize, sorted_edges: &[(u32, u32, u32)]) -> Csr {
        let mut offsets = vec![0u32; n + 1];
        for &(a, _, _) in sorted_edges {
            if let Some(o) = offsets.get_mut(a as usize + 1) {
                *o += 1;
            }
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        Csr {
            offsets,
            targets: sorted_edges.iter().map(|e| e.1).collect(),
            metrics: sorted_edges.iter().map(|e| e.2).collect(),
        }
    }

    fn has_edge(&self, a: u32, b: u32) -> bool {
        let a = a as usize;
        match (self.offsets.get(a), self.offsets.get(a + 1)) {
            (Some(&lo), Some(&hi)) => {
                self.targets.get(lo as usize..hi as usize).is_some_and(|s| s.binary_search(&b).is_ok())
            }
            _ => false,
        }
    }
}

/// One reachable router in an [`SpfResult`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpfNode {
    /// Sum of link metrics along a shortest path from the root (0 for the root).
    pub distance: u64,
    /// The root's neighbours on shortest paths, sorted, deduplicated; empty for the root.
    pub first_hops: Vec<RouterId>,
}

/// The shortest paths (with ECMP) from one root.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SpfResult {
    /// The router SPF was computed from.
    pub root: RouterId,
    /// Reachable routers including the root (distance 0).
    pub nodes: BTreeMap<RouterId, SpfNode>,
}

/// Shortest distances from `root` to every router by dense index
/// ([`Topology::dense`]; `u64::MAX` = unreachable), with the same rules as
/// [`spf`] (paths never continue through an SG other than the root) but no
/// first hops: the extra SPFs of [`crate::lfa`]. `None` if `root` is not in
/// the topology. O((n + L) log n).
pub(crate) fn distances(topo: &Topology, root: RouterId) -> Option<Vec<u64>> {
    let r = topo.index_of(root)?;
    let mut dist = vec![u64::MAX; topo.len()];
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::with_capacity(topo.len());
    *dist.get_mut(r as usize)? = 0;
    heap.push(Reverse((0, r)));
    while let Some(Reverse((d, u))) = heap.pop() {
        let ui = u as usize;
        if dist.get(ui).is_some_and(|&du| d > du) {
            continue; // stale heap entry (lazy deletion)
        }
        if u != r && !topo.transit.get(ui).copied().unwrap_or(true) {
            continue;
        }
        let (lo, hi) = topo.range(u);
        for e in lo..hi {
            let (Some(&v), Some(&w)) = (topo.targets.get(e), topo.metrics.get(e)) else {
                break;
            };
            let nd = d + u64::from(w);
            if let Some(dv) = dist.get_mut(v as usize) {
                if nd < *dv {
                    *dv = nd;
                    heap.push(Reverse((nd, v)));
                }
            }
        }
    }
    Some(dist)
}

/// Dijkstra with ECMP (all equal-cost first hops kept). Root absent from the
/// topology → result with just the root (distance 0, no first hops). Paths
/// never continue through an SG other than the root ([`Topology`]).
///
/// O((n + L) log n) time, n routers and L links; allocates
/// n × ⌈k/64⌉ words for the first-hop bitsets (k = the root's neighbour count).
pub fn spf(topo: &Topology, root: RouterId) -> SpfResult {
    let root_node = SpfNode { distance: 0, first_hops: Vec::new() };
    let Some(r) = topo.index_of(root) else {
        return SpfResult { root, nodes: BTreeMap::from([(root, root_node)]) };
    };
    let n = topo.len();
    let (rlo, rhi) = topo.range(r);
    // Bit b of a first-hop set = the root's b-th neighbour (ascending id).
    let k = rhi - rlo;
    let words = k.div_ceil(64).max(1);
    let mut fh = vec![0u64; n * words];
    let mut dist = vec![u64::MAX; n];
    let mut done = vec![false; n];
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::with_capacity(n);

    if let Some(d) = dist.get_mut(r as usize) {
        *d = 0;
    }
    heap.push(Reverse((0, r)));
    while let Some(Reverse((d, u))) = heap.pop() {
        let ui = u as usize;
        match done.get_mut(ui) {
            Some(seen) if !*seen => *seen = true,
            _ => continue, // stale heap entry (lazy deletion)
        }
        if u != r && !topo.transit.get(ui).copied().unwrap_or(true) {
            continue; // an SG: reached, but no path continues through it
        }
        let (lo, hi) = topo.range(u);
        for e in lo..hi {
            let (Some(&v), Some(&w)) = (topo.targets.get(e), topo.metrics.get(e)) else {
                break;
            };
            let vi = v as usize;
            let nd = d + u64::from(w);
            let Some(dv) = dist.get_mut(vi) else { continue };
            if nd > *dv {
                continue;
            }
            let strictly_better = nd < *dv;
            if strictly_better {
                *dv = nd;
                heap.push(Reverse((nd, v)));
            }
            if u == r {
                // Edge from the root: the first hop is the neighbour itself.
                let bit = e - rlo;
                let Some(set) = fh.get_mut(vi * words..(vi + 1) * words) else {
                    continue;
                };
                if strictly_better {
                    set.fill(0);
                }
                if let Some(word) = set.get_mut(bit / 64) {
                    *word |= 1u64 << (bit % 64);
                }
            } else if words == 1 {
                let src = fh.get(ui).copied().unwrap_or(0);
                if let Some(dst) = fh.get_mut(vi) {
                    *dst = if strictly_better { src } else { *dst | src };
                }
            } else {
                for wi in 0..words {
                    let src = fh.get(ui * words + wi).copied().unwrap_or(0);
                    if let Some(dst) = fh.get_mut(vi * words + wi) {
                        *dst = if strictly_better { src } else { *dst | src };
                    }
                }
            }
        }
    }

    // Root neighbours in bit order (ascending id, since CSR slices are sorted).
    let neighbours: Vec<RouterId> =
        topo.targets.get(rlo..rhi).unwrap_or(&[]).iter().filter_map(|&t| topo.ids.get(t as usize).copied()).collect();
    let nodes = topo
        .ids
        .iter()
        .enumerate()
        .filter_map(|(i, &id)| {
            let distance = *dist.get(i)?;
            if distance == u64::MAX {
                return None;
            }
            let set = fh.get(i * words..(i + 1) * words)?;
            let mut first_hops = Vec::with_capacity(set.iter().map(|w| w.count_ones() as usize).sum());
            for (wi, &word) in set.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let b = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if let Some(&nb) = neighbours.get(wi * 64 + b) {
                        first_hops.push(nb);
                    }
                }
            }
            Some((id, SpfNode { distance, first_hops }))
        })
        .collect();
    SpfResult { root, nodes }
}

/// **Test and benchmark generator**, not used by the protocol: a connected
/// random topology of `nodes` routers (ids `1..=nodes`, all [`Role::Sr`]) with
/// average degree close to `avg_degree` (at least 2: a ring, plus random
/// chords; capped by the complete graph), random metrics 1..=100, the same in
/// both directions. Returns one node LSA per router (fragment 0, sequence 1,
/// lifetime 1200 s, checksum 0), links sorted by neighbour, so every link
/// passes the two-way check. Deterministic in `seed` (SplitMix64).
pub fn synthetic_lsas(nodes: usize, avg_degree: usize, seed: u64) -> Vec<Lsa> {
    let mut rng = SplitMix64(seed);
    let mut adj: Vec<Vec<Link>> = vec![Vec::new(); nodes];
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut add = |adj: &mut Vec<Vec<Link>>, a: usize, b: usize, metric: u32| -> bool {
        let key = (a.min(b), a.max(b));
        if a == b || !seen.insert(key) {
            return false;
        }
        let id = |i: usize| RouterId(i as u64 + 1);
        if let Some(l) = adj.get_mut(a) {
            l.push(Link { neighbor: id(b), metric });
        }
        if let Some(l) = adj.get_mut(b) {
            l.push(Link { neighbor: id(a), metric });
        }
        true
    };
    // Ring (a line for two routers).
    if nodes >= 2 {
        for i in 0..nodes {
            let j = (i + 1) % nodes;
            let m = rng.metric();
            add(&mut adj, i, j, m);
        }
    }
    // Chords up to nodes × avg_degree / 2 undirected links.
    let max_links = nodes.saturating_mul(nodes.saturating_sub(1)) / 2;
    let target = (nodes.saturating_mul(avg_degree) / 2).min(max_links);
    let mut links = seen_len(nodes);
    let mut attempts = 0usize;
    while links < target && attempts < target.saturating_mul(20) {
        attempts += 1;
        let a = rng.below(nodes);
        let b = rng.below(nodes);
        let m = rng.metric();
        if add(&mut adj, a, b, m) {
            links += 1;
        }
    }
    adj.into_iter()
        .enumerate()
        .map(|(i, mut links)| {
            links.sort_unstable();
            Lsa {
                header: LsaHeader {
                    id: LsaId { kind: LsaKind::Node, origin: RouterId(i as u64 + 1), fragment: 0 },
                    seq: 1,
                    remaining_lifetime_s: 1200,
                    checksum: 0,
                },
                body: LsaBody::Node(NodeLsa { hostname: format!("r{}", i + 1), role: Role::Sr, links }),
            }
        })
        .collect()
}

/// Links the ring of [`synthetic_lsas`] creates for `nodes` routers.
fn seen_len(nodes: usize) -> usize {
    match nodes {
        0 | 1 => 0,
        2 => 1,
        n => n,
    }
}

/// SplitMix64: a tiny deterministic generator for [`synthetic_lsas`] (no
/// `rand` dependency in the protocol crate).
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-ish in `0..n` (`n > 0`; returns 0 for `n == 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    fn metric(&mut self) -> u32 {
        1 + self.below(100) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_is_connected_with_expected_degree() {
        let lsas = synthetic_lsas(1000, 4, 7);
        let topo = Topology::from_lsas(&lsas);
        assert_eq!(topo.len(), 1000);
        assert_eq!(topo.link_count(), 4000);
        let r = spf(&topo, RouterId(1));
        assert_eq!(r.nodes.len(), 1000);
        assert_eq!(synthetic_lsas(1000, 4, 7), lsas, "deterministic");
    }

    #[test]
    fn synthetic_small_sizes() {
        assert!(synthetic_lsas(0, 4, 1).is_empty());
        assert_eq!(Topology::from_lsas(&synthetic_lsas(1, 4, 1)).link_count(), 0);
        assert_eq!(Topology::from_lsas(&synthetic_lsas(2, 4, 1)).link_count(), 2);
        // Degree capped by the complete graph K4 (6 links, 12 directed).
        assert_eq!(Topology::from_lsas(&synthetic_lsas(4, 10, 1)).link_count(), 12);
    }

    #[test]
    fn many_root_neighbours_use_multiword_bitsets() {
        // A star of 130 leaves around the root, each leaf also linked to a hub:
        // the hub is reached at equal cost through all 130 leaves.
        let hub = 1000u64;
        let mut lsas = Vec::new();
        let mk = |origin: u64, links: Vec<(u64, u32)>| Lsa {
            header: LsaHeader {
                id: LsaId { kind: LsaKind::Node, origin: RouterId(origin), fragment: 0 },
                seq: 1,
                remaining_lifetime_s: 100,
                checksum: 0,
            },
            body: LsaBody::Node(NodeLsa {
                hostname: String::new(),
                role: Role::Sr,
                links: links.into_iter().map(|(n, m)| Link { neighbor: RouterId(n), metric: m }).collect(),
            }),
        };
        lsas.push(mk(1, (2..132).map(|l| (l, 1)).collect()));
        lsas.push(mk(hub, (2..132).map(|l| (l, 1)).collect()));
        for l in 2..132 {
            lsas.push(mk(l, vec![(1, 1), (hub, 1)]));
        }
        let r = spf(&Topology::from_lsas(&lsas), RouterId(1));
        let h = &r.nodes[&RouterId(hub)];
        assert_eq!(h.distance, 2);
        assert_eq!(h.first_hops, (2..132).map(RouterId).collect::<Vec<_>>());
        assert_eq!(r.nodes[&RouterId(77)].first_hops, vec![RouterId(77)]);
    }
}
