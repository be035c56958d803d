//! Our own LSAs: what we should be advertising, and (re)origination.
//!
//! The desired set is recomputed from scratch (node LSA fragment 0 from the Up
//! adjacencies; prefix LSA fragments 0.. from the configured prefixes, packed
//! greedily in name order so each fits one LSU) and compared with what we
//! originated: changed or missing fragments are originated with seq + 1,
//! fragments no longer wanted are purged [ISO 10589 §7.3.16.4]. A sequence
//! number is always above every instance of that id the LSDB has seen, which
//! is what lets a restarted router supersede its previous incarnation
//! [RFC 2328 §13.4].
//!
//! Alternative rejected: stable fragment assignment (hashing prefixes to
//! fragments): fewer fragments change when one prefix is added, but fragments
//! fill unevenly and can overflow; prefix sets change rarely and a change
//! costs one LSU per touched fragment, so plain packing wins on simplicity.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::{OwnLsa, Router};
use crate::flooding;
use crate::types::{Link, Lsa, LsaBody, LsaHeader, LsaId, LsaKind, NodeLsa, PrefixEntry};
use crate::wire;

impl Router {
    /// The node LSA body we should advertise now.
    fn node_body(&self) -> LsaBody {
        let mut links: Vec<Link> = self
            .ports
            .values()
            .filter_map(|p| p.adj.up_neighbor().map(|n| Link { neighbor: n, metric: p.metric }))
            .collect();
        links.sort();
        LsaBody::Node(NodeLsa { hostname: self.cfg.hostname.clone(), role: self.cfg.role, links })
    }

    /// The prefix LSA fragments we should advertise (at least one, maybe empty).
    fn prefix_fragments(&self) -> Vec<Vec<PrefixEntry>> {
        let probe = |entries: Vec<PrefixEntry>| {
            wire::lsa_encoded_len(&Lsa {
                header: LsaHeader {
                    id: LsaId { kind: LsaKind::Prefix, origin: self.cfg.id, fragment: 0 },
                    seq: 1,
                    remaining_lifetime_s: 1,
                    checksum: 0,
                },
                body: LsaBody::Prefix(entries),
            })
        };
        let base = probe(Vec::new());
        let mut frags: Vec<Vec<PrefixEntry>> = vec![Vec::new()];
        let mut used = base;
        for e in &self.cfg.prefixes {
            let len = probe(vec![e.clone()]).saturating_sub(base);
            let cur_nonempty = frags.last().is_some_and(|f| !f.is_empty());
            if cur_nonempty && used + len > flooding::LSU_BUDGET_BYTES && frags.len() < usize::from(u16::MAX) {
                frags.push(Vec::new());
                used = base;
            }
            used += len;
            if let Some(f) = frags.last_mut() {
                f.push(e.clone());
            }
        }
        frags
    }

    fn desired_own(&self) -> BTreeMap<LsaId, LsaBody> {
        let mut m = BTreeMap::new();
        m.insert(LsaId { kind: LsaKind::Node, origin: self.cfg.id, fragment: 0 }, self.node_body());
        for (i, f) in self.prefix_fragments().into_iter().enumerate() {
            let fragment = u16::try_from(i).unwrap_or(u16::MAX);
            m.insert(LsaId { kind: LsaKind::Prefix, origin: self.cfg.id, fragment }, LsaBody::Prefix(f));
        }
        m
    }

    /// Brings our own LSAs in line with the configuration and adjacencies:
    /// originates what changed, purges what is no longer wanted.
    pub(super) fn update_own(&mut self, now: Instant) {
        let desired = self.desired_own();
        let gone: Vec<LsaId> = self.own.keys().filter(|id| !desired.contains_key(id)).copied().collect();
        for id in gone {
            self.own.remove(&id);
            if self.lsdb.purge(&id, now).is_some() {
                self.counters.lsa_purged += 1;
                self.flood_all(id, None, now);
                self.backoff.event(now);
            }
        }
        for (id, body) in desired {
            let live = self.lsdb.get(&id).is_some_and(|e| !e.is_purged());
            let same = live && self.own.get(&id).is_some_and(|o| o.body == body);
            if !same {
                self.originate(now, id, body, None);
            }
        }
    }

    /// Originates `id` again with its current body (refresh, or to supersede
    /// a copy with sequence number `above`).
    pub(super) fn reoriginate(&mut self, now: Instant, id: LsaId, above: Option<u64>) {
        if let Some(o) = self.own.get(&id) {
            let body = o.body.clone();
            self.originate(now, id, body, above);
        }
    }

    /// Installs and floods a new instance of our LSA `id` with `body`, its
    /// sequence number above the LSDB's copy and above `above`.
    fn originate(&mut self, now: Instant, id: LsaId, body: LsaBody, above: Option<u64>) {
        let timers = &self.cfg.timers;
        let lifetime_s = u16::try_from(timers.lsa_lifetime.as_secs()).unwrap_or(u16::MAX).max(1);
        let old = self.lsdb.get(&id);
        let old_seq = old.map_or(0, |e| e.lsa.header.seq);
        let content_changed = old.map_or(true, |e| e.lsa.body != body);
        let seq = old_seq.max(above.unwrap_or(0)).saturating_add(1);
        let mut lsa = Lsa { header: LsaHeader { id, seq, remaining_lifetime_s: lifetime_s, checksum: 0 }, body };
        lsa.header.checksum = wire::lsa_checksum(&lsa);
        let refresh = timers.lsa_refresh.min(timers.lsa_lifetime.saturating_sub(Duration::from_secs(1)));
        let refresh = refresh.max(Duration::from_secs(1));
        self.own.insert(id, OwnLsa { body: lsa.body.clone(), refresh_at: now + refresh });
        self.lsdb.install(lsa, now);
        self.counters.lsa_originated += 1;
        self.flood_all(id, None, now);
        if content_changed {
            self.backoff.event(now);
        }
    }
}
