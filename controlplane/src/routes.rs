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

/// Every source's routes, and the resulting FIB content.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: HashMap<Name, [Option<Vec<NextHop>>; SOURCES]>,
}

impl RouteTable {
    /// An empty table.
    pub fn new() -> RouteTable {
        RouteTable::default()
    }

    /// The winning source and next hops of `prefix`, if any source has it.
    pub fn best(&self, prefix: &Name) -> Option<(Source, &[NextHop])> {
        best_of(self.routes.get(prefix)?)
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
        self.routes.iter().filter_map(|(n, s)| best_of(s).map(|(src, h)| (n, src, h)))
    }

    /// Sets (`Some`, non-empty) or withdraws (`None` or empty) `source`'s route for
    /// `prefix`, and appends to `out` the FIB change this causes, if any.
    pub fn set(&mut self, source: Source, prefix: Name, hops: Option<Vec<NextHop>>, out: &mut Vec<FibChange>) {
        let hops = hops.filter(|h| !h.is_empty()).map(normalise);
        // One hash-table lookup for a known prefix (the common case under API
        // churn: with 10^6 prefixes each lookup misses the CPU caches on the
        // key's bytes), a second only to insert a new prefix or remove the
        // last source of one.
        let Some(slots) = self.routes.get_mut(&prefix) else {
            if let Some(h) = hops {
                out.push(FibChange::Upsert(prefix.clone(), h.clone()));
                let mut slots: [Option<Vec<NextHop>>; SOURCES] = Default::default();
                slots[source as usize] = Some(h);
                self.routes.insert(prefix, slots);
            }
            return;
        };
        // The winner before is read with this source's old route in place,
        // without copying any next hops.
        let old = std::mem::replace(&mut slots[source as usize], hops);
        let before =
            ORDER.iter().find_map(|&s| if s == source { old.as_deref() } else { slots[s as usize].as_deref() });
        let change = match (before, best_of(slots).map(|(_, h)| h)) {
            (b, Some(a)) if b != Some(a) => Some(Some(a.to_vec())),
            (Some(_), None) => Some(None),
            _ => None,
        };
        let empty = slots.iter().all(Option::is_none);
        if empty {
            self.routes.remove(&prefix);
        }
        match change {
            Some(Some(a)) => out.push(FibChange::Upsert(prefix, a)),
            Some(None) => out.push(FibChange::Remove(prefix)),
            None => {}
        }
    }
}

/// Sources, most preferred first.
const ORDER: [Source; SOURCES] = [Source::Static, Source::Api, Source::Routing];

fn best_of(slots: &[Option<Vec<NextHop>>; SOURCES]) -> Option<(Source, &[NextHop])> {
    ORDER.iter().find_map(|s| slots[*s as usize].as_deref().map(|h| (*s, h)))
}

/// The order `FibEntry` keeps next hops in, so equal sets compare equal.
fn normalise(mut hops: Vec<NextHop>) -> Vec<NextHop> {
    hops.sort();
    hops.dedup();
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
        /// naive model of every source's routes), and the table holds exactly
        /// the prefixes some source has.
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
                        FibChange::Upsert(p, h) => { fib.insert(p, h); }
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
