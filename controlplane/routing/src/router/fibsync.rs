//! SPF, RIB, and the FIB changes the driver applies.
//!
//! SPF runs when the RFC 8405 back-off says so, over the live LSAs; the RIB
//! maps each prefix to first-hop *router ids*. The FIB needs ports and MACs:
//! each first hop becomes one [`NextHop`] per Up adjacency to that router
//! whose metric is the lowest among the Up adjacencies to it (parallel links
//! of equal metric share the traffic; a costlier parallel link is not on a
//! shortest path). The wanted FIB is diffed against the FIB last emitted, so
//! adjacency changes (a link going down removes its next hops at once, before
//! SPF confirms) and RIB changes are covered by the same code; routes whose
//! first hops have no Up adjacency left are removed.
//!
//! Each route also carries its loop-free alternates ([`crate::lfa`]) as next
//! hops of the higher backup cost: the forwarder ignores them while a primary
//! is up, and they take over as soon as the primaries' adjacencies go down.

use std::collections::BTreeMap;

use dmsc_fib::{FibChange, NextHop};
use dmsc_wire::name::Name;

use super::{Action, Router};
use crate::lfa;
use crate::rib::Rib;
use crate::spf::{self, Topology};
use crate::types::RouterId;

impl Router {
    /// Runs SPF over the live LSAs and replaces the RIB.
    pub(super) fn run_spf(&mut self) {
        self.counters.spf_runs += 1;
        let topo = Topology::from_lsas(self.lsdb.live());
        let tree = spf::spf(&topo, self.cfg.id);
        self.rib = Rib::compute(&tree, self.lsdb.live());
        if self.cfg.loop_free_alternates {
            lfa::add_backups(&topo, self.cfg.id, &mut self.rib, self.lsdb.live());
        }
    }

    /// Next hops towards first-hop router `r` over Up adjacencies of minimal metric.
    fn next_hops_to(&self, r: RouterId, cost: u32, out: &mut Vec<NextHop>) {
        let ups = || self.ports.iter().filter(move |(_, p)| p.adj.up_neighbor() == Some(r));
        let Some(min) = ups().map(|(_, p)| p.metric).min() else {
            return;
        };
        for (idx, p) in ups() {
            if p.metric == min {
                out.push(NextHop { port: *idx, mac: p.adj.mac(), cost });
            }
        }
    }

    /// The FIB the current RIB and adjacencies call for.
    fn wanted_fib(&self) -> BTreeMap<Name, Vec<NextHop>> {
        let mut fib = BTreeMap::new();
        for (name, entry) in &self.rib.routes {
            let cost = u32::try_from(entry.metric).unwrap_or(u32::MAX);
            let mut hops = Vec::new();
            for r in &entry.next_hops {
                self.next_hops_to(*r, cost, &mut hops);
            }
            let backup_cost = u32::try_from(entry.backup_metric).unwrap_or(u32::MAX);
            for r in &entry.backups {
                self.next_hops_to(*r, backup_cost, &mut hops);
            }
            if !hops.is_empty() {
                hops.sort();
                hops.dedup();
                fib.insert(name.clone(), hops);
            }
        }
        fib
    }

    /// Emits the difference between the wanted FIB and the last emitted one.
    pub(super) fn sync_fib(&mut self, out: &mut Vec<Action>) {
        let wanted = self.wanted_fib();
        let mut changes = Vec::new();
        for (name, hops) in &wanted {
            if self.fib.get(name) != Some(hops) {
                changes.push(FibChange::Upsert(name.clone(), hops.clone()));
            }
        }
        for name in self.fib.keys() {
            if !wanted.contains_key(name) {
                changes.push(FibChange::Remove(name.clone()));
            }
        }
        if !changes.is_empty() {
            self.counters.fib_changes += changes.len() as u64;
            out.push(Action::Fib(changes));
            self.fib = wanted;
        }
    }
}
