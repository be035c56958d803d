//! The RIB (routing information base): the best route to every service prefix,
//! derived from the SPF result and the prefix LSAs, and its difference against
//! the previous RIB, which is what the driver downloads into the FIB
//! [draft-li-dmsc-architecture §6.1 steps 4–5].
//!
//! A prefix's cost through origin O is `distance(root → O) + prefix metric`
//! (IS-IS "internal metric" semantics [ISO 10589 §7.2.6; RFC 5305 §4]).
//! The same prefix announced by several SGs is **anycast**: the RIB keeps every
//! origin at minimum cost and the union of their first hops, so traffic is
//! spread (ECMP) over all closest instances of the service
//! [draft-li-dmsc-architecture §6.1: "the nearest instance"]. Prefixes
//! originated by the computing router itself are local (the driver installs
//! them towards its Pods) and are skipped.
//!
//! [`Rib::compute`] collects (prefix, cost, origin) candidates borrowing the
//! names from the LSAs, sorts them once and builds the map from the sorted run
//! (one `Name` copy per route, bulk `BTreeMap` construction). The sort key
//! starts with the name's first 16 wire bytes as two integers, so most
//! comparisons never dereference the name (28 ms for ~10^5 announcements of
//! 10,000 routers, docs/performance.md "SPF"). [`Rib::diff`] is
//! a merge walk over two sorted maps: O(n + m), output sorted by name.
//!
//! Alternatives rejected: a `HashMap<Name, _>` RIB (the FIB download and
//! `dmsc show routes` want a stable order, and the diff of two hash maps needs
//! two passes with lookups); storing next hops as ports/MACs here (that mapping
//! belongs to the adjacency table the driver owns; keeping router ids makes the
//! RIB a pure function of the LSDB and testable without ports).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use dmsc_wire::name::Name;

use crate::spf::{SpfNode, SpfResult, SplitMix64};
use crate::types::{Lsa, LsaBody, LsaHeader, LsaId, LsaKind, PrefixEntry, RouterId};

/// The best route to one prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RibEntry {
    /// Path cost + prefix metric (the minimum over all origins).
    pub metric: u64,
    /// First hops (the root's neighbours) over all minimum-cost paths to all
    /// minimum-cost origins; sorted, deduplicated, never empty.
    pub next_hops: Vec<RouterId>,
    /// The SGs announcing the prefix at minimum cost (anycast: the same prefix
    /// from several SGs = ECMP over them); sorted, deduplicated, never empty.
    pub origins: Vec<RouterId>,
    /// Loop-free alternates [RFC 5286]: neighbours (not among `next_hops`)
    /// that reach the prefix without coming back through us, of lowest backup
    /// cost; sorted, deduplicated; empty when there is none or before
    /// [`crate::lfa::add_backups`] ran.
    pub backups: Vec<RouterId>,
    /// Cost through `backups` (link metric + the neighbour's cost to the
    /// prefix); 0 when there are no backups.
    pub backup_metric: u64,
}

/// The best routes, by prefix.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Rib {
    /// Routes by prefix, ascending by the name's wire bytes.
    pub routes: BTreeMap<Name, RibEntry>,
}

/// A route candidate in [`Rib::compute`].
struct Cand<'a, 's> {
    /// The name's first 16 wire bytes, big-endian, zero-padded: consistent
    /// with the lexicographic order of the wire bytes (equal keys fall back to
    /// comparing `name`). Most names of ≤ 2 short components fit entirely.
    /// Two words (high, low) rather than a `u128` to keep the struct 8-aligned.
    key: (u64, u64),
    /// The name's wire bytes (borrowed from the LSA; not the `&Name`, to save
    /// one dependent load per comparison and per route, which are cache misses
    /// once the candidates are sorted).
    wire: &'a [u8],
    cost: u64,
    origin: RouterId,
    node: &'s SpfNode,
}

impl Cand<'_, '_> {
    /// The order of the names' wire bytes, mostly without reading them.
    fn name_cmp(&self, other: &Cand<'_, '_>) -> Ordering {
        let (la, lb) = (self.wire.len(), other.wire.len());
        match self.key.cmp(&other.key) {
            // Equal keys and both names within the key: equal up to the
            // shorter length, and the longer one continues with zero bytes.
            Ordering::Equal if la <= 16 && lb <= 16 => la.cmp(&lb),
            Ordering::Equal => self.wire.cmp(other.wire),
            unequal => unequal,
        }
    }
}

fn sort_key(name: &Name) -> (u64, u64) {
    let mut k = [0u8; 16];
    let w = name.wire();
    let n = w.len().min(16);
    if let (Some(dst), Some(src)) = (k.get_mut(..n), w.get(..n)) {
        dst.copy_from_slice(src);
    }
    let v = u128::from_be_bytes(k);
    ((v >> 64) as u64, v as u64)
}

/// One change between two RIBs, as downloaded into the FIB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RibChange {
    /// Add the route, or replace the existing route to this prefix.
    Upsert(Name, RibEntry),
    /// Remove the route to this prefix.
    Remove(Name),
}

impl RibChange {
    /// The prefix the change is about.
    pub fn name(&self) -> &Name {
        match self {
            RibChange::Upsert(n, _) | RibChange::Remove(n) => n,
        }
    }
}

impl Rib {
    /// Best routes to every prefix in live prefix LSAs (not purged, non-zero
    /// lifetime, body matching the kind) whose origin is reachable in `spf`.
    /// Prefixes originated by `spf.root` itself are skipped (they are local,
    /// the driver installs them). Equal minimum cost over several origins:
    /// union of their first hops. Fragments of one origin are simply more
    /// entries; the same prefix twice from one origin keeps the lower metric.
    pub fn compute<'a>(spf: &SpfResult, lsas: impl IntoIterator<Item = &'a Lsa>) -> Rib {
        // (sort key, prefix, cost, origin, origin's SPF node) for every
        // announcement of a reachable origin.
        let mut cands: Vec<Cand<'a, '_>> = Vec::new();
        for lsa in lsas {
            let origin = lsa.header.id.origin;
            if lsa.header.id.kind != LsaKind::Prefix || lsa.header.remaining_lifetime_s == 0 || origin == spf.root {
                continue;
            }
            let LsaBody::Prefix(entries) = &lsa.body else {
                continue;
            };
            let Some(node) = spf.nodes.get(&origin) else {
                continue;
            };
            cands.extend(entries.iter().map(|e| Cand {
                key: sort_key(&e.prefix),
                wire: e.prefix.wire(),
                cost: node.distance + u64::from(e.metric),
                origin,
                node,
            }));
        }
        // The 16-byte key orders like the name's first bytes, so most
        // comparisons never dereference the names.
        cands.sort_unstable_by(|a, b| a.name_cmp(b).then(a.cost.cmp(&b.cost)).then(a.origin.cmp(&b.origin)));

        let mut routes: Vec<(Name, RibEntry)> = Vec::new();
        let mut rest = cands.as_slice();
        while let Some(first) = rest.first() {
            let same = rest.iter().take_while(|c| c.name_cmp(first) == Ordering::Equal).count();
            let (group, tail) = rest.split_at(same);
            rest = tail;
            // Sorted by cost then origin: the minimum-cost origins lead the group.
            let best = group.iter().take_while(|c| c.cost == first.cost);
            let mut origins: Vec<RouterId> = best.clone().map(|c| c.origin).collect();
            origins.dedup();
            let mut next_hops: Vec<RouterId> = Vec::new();
            let mut last = None;
            for c in best {
                if last != Some(c.origin) {
                    next_hops.extend_from_slice(&c.node.first_hops);
                    last = Some(c.origin);
                }
            }
            if origins.len() > 1 {
                next_hops.sort_unstable();
                next_hops.dedup();
            }
            if next_hops.is_empty() {
                // Only possible with an inconsistent `SpfResult` (a non-root
                // router without first hops); such a route cannot be forwarded.
                continue;
            }
            // Validated again (cheap, the bytes are being copied anyway): the
            // LSA held a `Name`, so this cannot fail.
            let Ok(name) = Name::from_wire(first.wire) else {
                continue;
            };
            routes.push((
                name,
                RibEntry { metric: first.cost, next_hops, origins, backups: Vec::new(), backup_metric: 0 },
            ));
        }
        Rib { routes: routes.into_iter().collect() }
    }

    /// Changes turning `self` into `new`: only prefixes whose entry changed
    /// (by value) — [`RibChange::Remove`] for prefixes gone, [`RibChange::Upsert`]
    /// for new or different ones — sorted by name. Empty when equal.
    pub fn diff(&self, new: &Rib) -> Vec<RibChange> {
        let mut out = Vec::new();
        let mut old_it = self.routes.iter().peekable();
        let mut new_it = new.routes.iter().peekable();
        loop {
            let ord = match (old_it.peek(), new_it.peek()) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some((a, _)), Some((b, _))) => a.cmp(b),
            };
            match ord {
                Ordering::Less => {
                    if let Some((name, _)) = old_it.next() {
                        out.push(RibChange::Remove(name.clone()));
                    }
                }
                Ordering::Greater => {
                    if let Some((name, e)) = new_it.next() {
                        out.push(RibChange::Upsert(name.clone(), e.clone()));
                    }
                }
                Ordering::Equal => {
                    if let (Some((_, a)), Some((name, b))) = (old_it.next(), new_it.next()) {
                        if a != b {
                            out.push(RibChange::Upsert(name.clone(), b.clone()));
                        }
                    }
                }
            }
        }
        out
    }

    /// Applies changes (as produced by [`Rib::diff`]) in order.
    pub fn apply(&mut self, changes: impl IntoIterator<Item = RibChange>) {
        for c in changes {
            match c {
                RibChange::Upsert(name, e) => {
                    self.routes.insert(name, e);
                }
                RibChange::Remove(name) => {
                    self.routes.remove(&name);
                }
            }
        }
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// True when there is no route.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

/// **Test and benchmark generator**, not used by the protocol: one prefix LSA
/// per router `1..=nodes` (fragment 0, sequence 1, lifetime 1200 s), each with
/// `per_node` prefixes `/svc<k>/m<j>` where `k` is drawn from a pool of
/// `nodes × per_node / 2` services (so about half the prefixes are anycast,
/// announced by several routers), metric 0..=9. Deterministic in `seed`.
pub fn synthetic_prefix_lsas(nodes: usize, per_node: usize, seed: u64) -> Vec<Lsa> {
    let mut rng = SplitMix64(seed ^ 0x5EED_5EED);
    let pool = (nodes.saturating_mul(per_node) / 2).max(1);
    (0..nodes)
        .map(|i| {
            let mut entries: Vec<PrefixEntry> = (0..per_node)
                .filter_map(|j| {
                    let k = rng.below(pool);
                    let prefix = Name::from_components([format!("svc{k}"), format!("m{}", j % 4)]).ok()?;
                    Some(PrefixEntry { prefix, metric: rng.below(10) as u32 })
                })
                .collect();
            entries.sort_unstable();
            entries.dedup_by(|a, b| a.prefix == b.prefix);
            Lsa {
                header: LsaHeader {
                    id: LsaId { kind: LsaKind::Prefix, origin: RouterId(i as u64 + 1), fragment: 0 },
                    seq: 1,
                    remaining_lifetime_s: 1200,
                    checksum: 0,
                },
                body: LsaBody::Prefix(entries),
            }
        })
        .collect()
}
