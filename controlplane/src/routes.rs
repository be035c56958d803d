//! The route table behind the FIB: routes from several sources, merged by
//! preference into the one next-hop set per prefix that the lcores use.
//!
//! Sources, most preferred first (like administrative distance in IP routers):
//! 1. [`Source::Static`]: the configuration's `[[routes]]` (and `routes_file`);
//! 2. [`Source::Api`]: routes installed through the management API;
//! 3. [`Source::Routing`]: routes computed by SPF from the LSDB.
//!
//! A change from any source is turned into the FIB changes it causes — none if
//! a more preferred source shadows the prefix — so the FIB writer only sees
//! real differences, and withdrawing a preferred route uncovers the next one.
//!
//! Alternative rejected: one FIB per source with a lookup in each (three
//! lookups per packet); the merge is done once per change, not per packet.

use std::collections::HashMap;

use dmsc_fib::{FibChange, NextHop};
use dmsc_wire::name::Name;
use smallvec::SmallVec;

/// Where a route came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// The configuration file.
    Static = 0,
    /// The management API.
    Api = 1,
    /// The routing protocol.
    Routing = 2,
}

impl Source {
    /// Lower-case name for displays: `static`, `api`, `routing`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Static => "static",
            Source::Api => "api",
            Source::Routing => "routing",
        }
    }
}

const SOURCES: usize = 3;

/// Sources, most preferred first (the discriminants are the preference order).
const ORDER: [Source; SOURCES] = [Source::Static, Source::Api, Source::Routing];

/// Every source's next hops for one prefix, back to back in source order:
/// source `s` has `hops[start(s)..start(s) + counts[s]]`.
///
/// Up to two next hops in all are stored inline, so the common prefix (one
/// source, one or two next hops) is one 64-byte hash-table bucket with its
/// key's pointer: replacing its route allocates and frees nothing in the
/// table and touches no other line than the key's bytes. The alternative it
/// replaced, a `Vec` per source, cost a cache miss to compare the old next
/// hops and the free of a chunk allocated long before (scattered over the
/// heap: glibc then merges it with its neighbours, more misses), per
/// replaced route.
#[derive(Debug, Default)]
struct Routes {
    hops: SmallVec<[NextHop; 2]>,
    counts: [u16; SOURCES],
}

impl Routes {
    fn range(&self, source: Source) -> std::ops::Range<usize> {
        let s = source as usize;
        let start: usize = self.counts[..s].iter().map(|&c| usize::from(c)).sum();
        start..start + usize::from(self.counts[s])
    }

    /// The most preferred source with a route, and its next hops.
    fn best(&self) -> Option<(Source, &[NextHop])> {
        let s = ORDER.into_iter().find(|s| self.counts[*s as usize] > 0)?;
        Some((s, &self.hops[self.range(s)]))
    }

    /// Replaces `source`'s next hops with `hops` (at most `u16::MAX`, normalised).
    fn replace(&mut self, source: Source, hops: &[NextHop]) {
        let r = self.range(source);
        if r.len() == hops.len() {
            self.hops[r].copy_from_slice(hops);
        } else {
            self.hops.drain(r.clone());
            self.hops.insert_from_slice(r.start, hops);
            self.counts[source as usize] = hops.len() as u16;
        }
    }
}

/// Every source's routes, and the resulting FIB content.
///
/// Hashed with `ahash` (keyed per process, like std's SipHash): hashing a
/// prefix's ~50 wire bytes with SipHash-1-3 was a quarter of a replaced
/// route's table step (0.60 → 0.47 µs per route in
/// `bench/route-update-report`, docs/performance.md).
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: HashMap<Name, Routes, ahash::RandomState>,
}

impl RouteTable {
    /// An empty table.
    pub fn new() -> RouteTable {
        RouteTable::default()
    }

    /// The winning source and next hops of `prefix`, if any source has it.
    pub fn best(&self, prefix: &Name) -> Option<(Source, &[NextHop])> {
        self.routes.get(prefix)?.best()
    }

    /// Number of prefixes with at least one route (= FIB entries).
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// True when no source has a route.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Every prefix with its winning source and next hops (unordered).
    pub fn iter(&self) -> impl Iterator<Item = (&Name, Source, &[NextHop])> + '_ {
        self.routes.iter().filter_map(|(n, r)| r.best().map(|(src, h)| (n, src, h)))
    }

    /// Sets (`Some`, non-empty) or withdraws (`None` or empty) `source`'s route for
    /// `prefix`, and appends to `out` the FIB change this causes, if any.
    ///
    /// A route of more than 65,535 next hops keeps its first 65,535 (after
    /// sorting and removing duplicates).
    pub fn set(&mut self, source: Source, prefix: Name, hops: Option<Vec<NextHop>>, out: &mut Vec<FibChange>) {
        let hops = hops.filter(|h| !h.is_empty()).map(normalise);
        // One hash-table lookup for a known prefix (the common case under API
        // churn: with 10^6 prefixes each lookup misses the CPU caches on the
        // bucket and the key's bytes), a second only to insert a new prefix or
        // remove the last source of one.
        let Some(routes) = self.routes.get_mut(&prefix) else {
            if let Some(h) = hops {
                let mut routes = Routes::default();
                routes.replace(source, &h);
                self.routes.insert(prefix.clone(), routes);
                out.push(FibChange::Upsert(prefix, h));
            }
            return;
        };
        let (winner, before) = routes.best().expect("a stored prefix has a route");
        match hops {
            // A less preferred source changes nothing the FIB sees.
            Some(h) if source > winner => routes.replace(source, &h),
            Some(h) => {
                // This source wins (again, or now): the FIB changes if the
                // winning next hops do.
                let changed = before != h.as_slice();
                routes.replace(source, &h);
                if changed {
                    out.push(FibChange::Upsert(prefix, h));
                }
            }
            None if source != winner => routes.replace(source, &[]),
            None => {
                // The winner withdraws: the next source's route, if any, is
                // uncovered (a FIB change only if its next hops differ).
                let before: SmallVec<[NextHop; 2]> = SmallVec::from_slice(before);
                routes.replace(source, &[]);
                match routes.best() {
                    Some((_, next)) => {
                        if next != before.as_slice() {
                            out.push(FibChange::Upsert(prefix, next.to_vec()));
                        }
                    }
                    None => {
                        self.routes.remove(&prefix);
                        out.push(FibChange::Remove(prefix));
                    }
                }
            }
        }
    }
}

/// The order `FibEntry` keeps next hops in, so equal sets compare equal; at most
/// `u16::MAX` of them (what [`Routes`] counts).
fn normalise(mut hops: Vec<NextHop>) -> Vec<NextHop> {
    hops.sort();
    hops.dedup();
    hops.truncate(usize::from(u16::MAX));
    hops
}

#[cfg(test)]
mod tests {
    use super::*;
    use dmsc_wire::ethernet::MacAddr;

    fn hop(port: u16) -> NextHop {
        NextHop { port, mac: MacAddr([2, 0, 0, 0, 0, port as u8]), cost: 1 }
    }
    fn n(s: &str) -> Name {
        s.parse().unwrap()
    }

    #[test]
    fn preference_and_uncovering() {
        let mut t = RouteTable::new();
        let mut out = Vec::new();
        t.set(Source::Routing, n("/a"), Some(vec![hop(1)]), &mut out);
        assert_eq!(out, vec![FibChange::Upsert(n("/a"), vec![hop(1)])]);
        out.clear();
        // A static route shadows the routing one...
        t.set(Source::Static, n("/a"), Some(vec![hop(2)]), &mut out);
        assert_eq!(out, vec![FibChange::Upsert(n("/a"), vec![hop(2)])]);
        out.clear();
        // ...so routing changes underneath cause no FIB change...
        t.set(Source::Routing, n("/a"), Some(vec![hop(3)]), &mut out);
        t.set(Source::Api, n("/a"), Some(vec![hop(4)]), &mut out);
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(t.best(&n("/a")), Some((Source::Static, &[hop(2)][..])));
        // ...and withdrawing the static route uncovers the API one, then routing's.
        t.set(Source::Static, n("/a"), None, &mut out);
        assert_eq!(out, vec![FibChange::Upsert(n("/a"), vec![hop(4)])]);
        out.clear();
        t.set(Source::Api, n("/a"), Some(vec![]), &mut out);
        assert_eq!(out, vec![FibChange::Upsert(n("/a"), vec![hop(3)])]);
        out.clear();
        t.set(Source::Routing, n("/a"), None, &mut out);
        assert_eq!(out, vec![FibChange::Remove(n("/a"))]);
        assert!(t.is_empty());
    }

    proptest::proptest! {
        /// Any sequence of sets and withdrawals: the FIB changes, applied to a
        /// map, always give exactly each prefix's most preferred route (by a
        /// naive model of every source's routes), every change is a real one,
        /// and the table holds exactly the prefixes some source has.
        #[test]
        fn fib_changes_track_the_preferred_routes(
            ops in proptest::collection::vec((0u8..3, 0u8..4, proptest::option::of(proptest::collection::vec(1u16..4, 0..3))), 0..60)
        ) {
            let mut t = RouteTable::new();
            let mut fib: HashMap<Name, Vec<NextHop>> = HashMap::new();
            let mut model: HashMap<(Name, u8), Vec<NextHop>> = HashMap::new();
            for (src, p, hops) in ops {
                let source = [Source::Static, Source::Api, Source::Routing][usize::from(src)];
                let prefix = n(&format!("/p{p}"));
                let hops: Option<Vec<NextHop>> = hops.map(|h| h.into_iter().map(hop).collect());
                match hops.clone().filter(|h| !h.is_empty()) {
                    Some(h) => model.insert((prefix.clone(), src), normalise(h)),
                    None => model.remove(&(prefix.clone(), src)),
                };
                let mut out = Vec::new();
                t.set(source, prefix, hops, &mut out);
                for c in out {
                    match c {
                        // Only real changes: never the next hops the FIB already has.
                        FibChange::Upsert(p, h) => { proptest::prop_assert_ne!(fib.insert(p, h.clone()), Some(h)); }
                        FibChange::Remove(p) => { proptest::prop_assert!(fib.remove(&p).is_some()); }
                    }
                }
                for p in 0..4 {
                    let prefix = n(&format!("/p{p}"));
                    let want = (0u8..3).find_map(|s| model.get(&(prefix.clone(), s)).cloned());
                    proptest::prop_assert_eq!(fib.get(&prefix).cloned(), want.clone());
                    proptest::prop_assert_eq!(t.best(&prefix).map(|(_, h)| h.to_vec()), want);
                }
                proptest::prop_assert_eq!(t.len(), fib.len());
            }
        }
    }

    /// What the table's documentation promises: a prefix's bucket is one cache line.
    #[test]
    fn a_bucket_is_64_bytes() {
        assert!(std::mem::size_of::<(Name, Routes)>() <= 64, "{}", std::mem::size_of::<(Name, Routes)>());
    }

    #[test]
    fn unchanged_sets_cause_no_change() {
        let mut t = RouteTable::new();
        let mut out = Vec::new();
        t.set(Source::Routing, n("/a"), Some(vec![hop(2), hop(1)]), &mut out);
        out.clear();
        t.set(Source::Routing, n("/a"), Some(vec![hop(1), hop(2), hop(1)]), &mut out);
        assert!(out.is_empty());
        t.set(Source::Api, n("/b"), None, &mut out);
        assert!(out.is_empty());
        assert_eq!(t.len(), 1);
        assert_eq!(t.iter().count(), 1);
    }
}
