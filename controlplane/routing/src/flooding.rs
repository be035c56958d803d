//! Reliable flooding and database synchronisation over point-to-point
//! adjacencies, with the IS-IS SRM/SSN flags [ISO 10589 §7.3.15, §7.3.17].
//!
//! Per neighbour, a [`FloodQueue`] holds:
//! - the *SRM* set: LSAs to send to that neighbour, each with the instant it is
//!   next due. A flooded LSA is due at once; once sent it stays in the set and
//!   is re-sent every `retransmit_interval` until the neighbour acknowledges it
//!   (a PSNP or CSNP listing that exact instance, or the same instance coming
//!   back in an LSU) or a newer instance replaces it;
//! - the *SSN* set: headers to put in the next PSNP, acknowledging what the
//!   neighbour sent, or requesting what it has and we lack (a request lists our
//!   older header, or sequence 0 if we have nothing, see
//!   [`crate::lsdb::request_header`]).
//!
//! Database synchronisation is CSNP-based [ISO 10589 §7.3.15.3]: when an
//! adjacency comes Up, and every `csnp_interval` after, each side sends its
//! full summary as CSNPs with consecutive ranges ([`build_csnps`]); the
//! receiver compares ([`compare_csnp`]): what it lacks or holds older, it
//! requests; what the sender lacks (including LSAs in the range that the CSNP
//! does not list) or holds older, it floods. PSNPs are compared the same way
//! except that unlisted LSAs mean nothing ([`compare_psnp`]).
//!
//! Everything sent is packed several per PDU up to `wire::MAX_PDU_BYTES`
//! ([`pack_lsus`], [`pack_psnps`]).
//!
//! Alternatives rejected: OSPF's per-neighbour database description exchange
//! with master/slave (more states, same result on p2p links); sending the whole
//! database as LSUs on adjacency Up (ISO 10589's plain p2p rule: correct but
//! re-sends everything the neighbour already has); one PDU per LSA (a 1,000-LSA
//! resync would cost 1,000 frames and as many HMACs).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::lsdb::{self, Lsdb};
use crate::types::{Csnp, Lsa, LsaId, LsaSummary, Lsu, Psnp};
use crate::wire;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    /// When it is next (re)sent.
    due: Instant,
    /// Whether it was sent at least once (so the next send is a retransmission).
    sent: bool,
}

/// What a neighbour is owed: LSAs to (re)send (SRM) and headers to
/// acknowledge or request (SSN).
#[derive(Clone, Debug, Default)]
pub struct FloodQueue {
    srm: BTreeMap<LsaId, Pending>,
    ssn: BTreeMap<LsaId, LsaSummary>,
}

/// LSAs that [`FloodQueue::take_due`] says must be sent now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Due {
    /// Ids to send (the current LSDB copy of each).
    pub ids: Vec<LsaId>,
    /// How many of them are retransmissions.
    pub retransmits: usize,
}

impl FloodQueue {
    /// An empty queue.
    pub fn new() -> FloodQueue {
        FloodQueue::default()
    }

    /// Sets SRM for `id`: send it at `now` (whatever copy the LSDB has then).
    /// If it is already queued and not yet sent, nothing changes.
    pub fn flood(&mut self, id: LsaId, now: Instant) {
        self.srm.insert(id, Pending { due: now, sent: false });
    }

    /// Sets SRM for `id` unless it is already queued (a request for an LSA
    /// already in flight is answered by the retransmission timer).
    pub fn flood_if_idle(&mut self, id: LsaId, now: Instant) {
        self.srm.entry(id).or_insert(Pending { due: now, sent: false });
    }

    /// Clears SRM for `id` (acknowledged, or no longer in the LSDB).
    pub fn clear(&mut self, id: &LsaId) {
        self.srm.remove(id);
    }

    /// True when `id` is awaiting (re)transmission or acknowledgement.
    pub fn is_pending(&self, id: &LsaId) -> bool {
        self.srm.contains_key(id)
    }

    /// Queues `summary` for the next PSNP (acknowledgement or request).
    pub fn ack(&mut self, summary: LsaSummary) {
        self.ssn.insert(summary.id, summary);
    }

    /// Drops a queued acknowledgement/request for `id`.
    pub fn clear_ack(&mut self, id: &LsaId) {
        self.ssn.remove(id);
    }

    /// The LSAs due at `now`; each is rescheduled `retransmit_interval` later.
    pub fn take_due(&mut self, now: Instant, retransmit_interval: Duration) -> Due {
        let mut due = Due::default();
        for (id, p) in self.srm.iter_mut() {
            if p.due <= now {
                due.ids.push(*id);
                if p.sent {
                    due.retransmits += 1;
                }
                p.sent = true;
                p.due = now + retransmit_interval;
            }
        }
        due
    }

    /// The queued PSNP entries (emptied).
    pub fn take_acks(&mut self) -> Vec<LsaSummary> {
        std::mem::take(&mut self.ssn).into_values().collect()
    }

    /// LSAs awaiting acknowledgement (queued or sent).
    pub fn pending(&self) -> usize {
        self.srm.len()
    }

    /// When the next LSA is due (acknowledgements are sent at once, without a timer).
    pub fn next_deadline(&self) -> Option<Instant> {
        self.srm.values().map(|p| p.due).min()
    }

    /// Forgets everything (the adjacency went down).
    pub fn reset(&mut self) {
        self.srm.clear();
        self.ssn.clear();
    }
}

/// Applies one summary entry received from a neighbour (in a CSNP or PSNP)
/// to its queue, comparing with our copy as of `now`:
/// - same instance: acknowledged, SRM cleared;
/// - ours newer (or theirs is a request, seq 0): SRM set (unless in flight);
/// - theirs newer: request it (SSN with our header, or seq 0 if we have none;
///   a purge we do not hold is not requested).
fn compare_entry(e: &LsaSummary, lsdb: &Lsdb, q: &mut FloodQueue, now: Instant) {
    match lsdb.header(&e.id, now) {
        None => {
            if e.seq != 0 && e.remaining_lifetime_s != 0 {
                q.ack(lsdb::request_header(e.id));
            }
        }
        Some(ours) => match lsdb::compare(e, &ours) {
            Ordering::Equal => q.clear(&e.id),
            Ordering::Less => q.flood_if_idle(e.id, now),
            Ordering::Greater => q.ack(ours),
        },
    }
}

/// Processes a received PSNP against our database: acknowledgements clear
/// SRM, requests set it, newer entries are requested [ISO 10589 §7.3.15.2].
pub fn compare_psnp(psnp: &Psnp, lsdb: &Lsdb, q: &mut FloodQueue, now: Instant) {
    for e in &psnp.entries {
        compare_entry(e, lsdb, q, now);
    }
}

/// Processes a received CSNP: as [`compare_psnp`] for every listed entry, and
/// additionally floods our live LSAs in `start..=end` that the CSNP does not
/// list (the neighbour lacks them) [ISO 10589 §7.3.15.3]. An inverted range
/// is ignored.
pub fn compare_csnp(csnp: &Csnp, lsdb: &Lsdb, q: &mut FloodQueue, now: Instant) {
    if csnp.start > csnp.end {
        return;
    }
    let mut listed = csnp.entries.iter().map(|e| e.id).collect::<Vec<_>>();
    listed.sort_unstable();
    for (id, entry) in lsdb.range(csnp.start..=csnp.end) {
        if !entry.is_purged() && listed.binary_search(id).is_err() {
            q.flood_if_idle(*id, now);
        }
    }
    for e in &csnp.entries {
        if (csnp.start..=csnp.end).contains(&e.id) {
            compare_entry(e, lsdb, q, now);
        }
    }
}

/// Maximum summaries per CSNP so that it fits `wire::MAX_PDU_BYTES` with the
/// authentication trailer.
pub const CSNP_MAX_ENTRIES: usize =
    (wire::MAX_PDU_BYTES - wire::CSNP_FIXED_BYTES - wire::AUTH_TRAILER_BYTES) / wire::SUMMARY_BYTES;

/// Maximum summaries per PSNP.
pub const PSNP_MAX_ENTRIES: usize =
    (wire::MAX_PDU_BYTES - wire::PSNP_FIXED_BYTES - wire::AUTH_TRAILER_BYTES) / wire::SUMMARY_BYTES;

/// Bytes available for LSAs in one LSU.
pub const LSU_BUDGET_BYTES: usize = wire::MAX_PDU_BYTES - wire::LSU_FIXED_BYTES - wire::AUTH_TRAILER_BYTES;

/// The whole database summary as CSNPs of at most `max_entries` entries each,
/// with consecutive ranges covering every possible id (the first starts at
/// [`lsdb::FIRST_ID`], the last ends at [`lsdb::LAST_ID`]).
pub fn build_csnps(summaries: &[LsaSummary], max_entries: usize) -> Vec<Csnp> {
    let max_entries = max_entries.max(1);
    let mut out = Vec::new();
    let mut start = lsdb::FIRST_ID;
    let chunks: Vec<&[LsaSummary]> = summaries.chunks(max_entries).collect();
    let n = chunks.len();
    for (i, chunk) in chunks.into_iter().enumerate() {
        let last = i + 1 == n;
        let end = match (last, chunk.last()) {
            (false, Some(e)) => e.id,
            _ => lsdb::LAST_ID,
        };
        out.push(Csnp { start, end, entries: chunk.to_vec() });
        match lsdb::successor(end) {
            Some(s) => start = s,
            None => break,
        }
    }
    if out.is_empty() {
        out.push(Csnp { start: lsdb::FIRST_ID, end: lsdb::LAST_ID, entries: Vec::new() });
    }
    out
}

/// Splits PSNP entries into PSNPs of at most [`PSNP_MAX_ENTRIES`].
pub fn pack_psnps(entries: Vec<LsaSummary>) -> Vec<Psnp> {
    entries.chunks(PSNP_MAX_ENTRIES).map(|c| Psnp { entries: c.to_vec() }).collect()
}

/// Packs LSAs into LSUs whose LSAs' encoded lengths (`len`) sum to at most
/// `budget_bytes` each; an LSA larger than the budget goes alone (the encoder
/// will refuse it and the caller counts the error).
pub fn pack_lsus(lsas: Vec<Lsa>, budget_bytes: usize, len: impl Fn(&Lsa) -> usize) -> Vec<Lsu> {
    let mut out: Vec<Lsu> = Vec::new();
    let mut cur: Vec<Lsa> = Vec::new();
    let mut used = 0usize;
    for lsa in lsas {
        let l = len(&lsa);
        if !cur.is_empty() && used + l > budget_bytes {
            out.push(Lsu { lsas: std::mem::take(&mut cur) });
            used = 0;
        }
        used += l;
        cur.push(lsa);
    }
    if !cur.is_empty() {
        out.push(Lsu { lsas: cur });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{LsaBody, LsaHeader, LsaKind, NodeLsa, Role, RouterId};

    const MS: Duration = Duration::from_millis(1);

    fn id(o: u64) -> LsaId {
        LsaId { kind: LsaKind::Node, origin: RouterId(o), fragment: 0 }
    }
    fn lsa(o: u64, seq: u64) -> Lsa {
        Lsa {
            header: LsaHeader { id: id(o), seq, remaining_lifetime_s: 1200, checksum: 0x55 },
            body: LsaBody::Node(NodeLsa { hostname: format!("r{o}"), role: Role::Sr, links: vec![] }),
        }
    }
    fn hdr(o: u64, seq: u64) -> LsaSummary {
        lsa(o, seq).header
    }

    #[test]
    fn retransmit_until_acked() {
        let t0 = Instant::now();
        let mut q = FloodQueue::new();
        q.flood(id(1), t0);
        assert_eq!(q.pending(), 1);
        assert_eq!(q.take_due(t0, 500 * MS), Due { ids: vec![id(1)], retransmits: 0 });
        assert_eq!(q.take_due(t0 + 499 * MS, 500 * MS), Due::default());
        assert_eq!(q.next_deadline(), Some(t0 + 500 * MS));
        assert_eq!(q.take_due(t0 + 500 * MS, 500 * MS), Due { ids: vec![id(1)], retransmits: 1 });
        // A PSNP acknowledging the exact instance clears it.
        let mut db = Lsdb::new();
        db.install(lsa(1, 3), t0);
        compare_psnp(&Psnp { entries: vec![hdr(1, 3)] }, &db, &mut q, t0);
        assert_eq!(q.pending(), 0);
        assert_eq!(q.next_deadline(), None);
    }

    #[test]
    fn psnp_stale_ack_and_request() {
        let t0 = Instant::now();
        let mut db = Lsdb::new();
        db.install(lsa(1, 3), t0);
        db.install(lsa(2, 7), t0);
        let mut q = FloodQueue::new();
        q.flood(id(1), t0);
        q.take_due(t0, 500 * MS);
        // Ack of an older instance: not an ack; still pending, not rescheduled.
        compare_psnp(&Psnp { entries: vec![hdr(1, 2)] }, &db, &mut q, t0);
        assert!(q.is_pending(&id(1)));
        assert_eq!(q.next_deadline(), Some(t0 + 500 * MS));
        // A request (seq 0) for id 2: set SRM, due now.
        compare_psnp(&Psnp { entries: vec![lsdb::request_header(id(2))] }, &db, &mut q, t0);
        assert_eq!(q.take_due(t0, 500 * MS).ids, vec![id(2)]);
        // A newer one than ours: we request it with our header.
        compare_psnp(&Psnp { entries: vec![hdr(2, 9)] }, &db, &mut q, t0);
        let acks = q.take_acks();
        assert_eq!(acks.len(), 1);
        assert_eq!((acks[0].id, acks[0].seq), (id(2), 7));
        // One we do not have at all: request with seq 0.
        compare_psnp(&Psnp { entries: vec![hdr(5, 1)] }, &db, &mut q, t0);
        assert_eq!(q.take_acks(), vec![lsdb::request_header(id(5))]);
        assert!(q.take_acks().is_empty());
    }

    #[test]
    fn csnp_sync_both_directions() {
        let t0 = Instant::now();
        // We hold 1@3, 2@5, 4@1. The neighbour holds 1@3, 2@6, 3@1 (and not 4).
        let mut db = Lsdb::new();
        db.install(lsa(1, 3), t0);
        db.install(lsa(2, 5), t0);
        db.install(lsa(4, 1), t0);
        let theirs = vec![hdr(1, 3), hdr(2, 6), hdr(3, 1)];
        let csnps = build_csnps(&theirs, 2);
        assert_eq!(csnps.len(), 2);
        assert_eq!(csnps[0].start, lsdb::FIRST_ID);
        assert_eq!(csnps[0].end, id(2));
        assert_eq!(csnps[1].start, lsdb::successor(id(2)).unwrap());
        assert_eq!(csnps[1].end, lsdb::LAST_ID);
        let mut q = FloodQueue::new();
        q.flood(id(1), t0); // in flight to them: the CSNP acknowledges it
        for c in &csnps {
            compare_csnp(c, &db, &mut q, t0);
        }
        assert_eq!(q.take_due(t0, 500 * MS).ids, vec![id(4)]);
        let acks = q.take_acks();
        assert_eq!(acks, vec![hdr(2, 5), lsdb::request_header(id(3))]);
        // A CSNP whose range excludes 4 does not flood it.
        let mut q = FloodQueue::new();
        compare_csnp(&Csnp { start: id(1), end: id(3), entries: vec![] }, &db, &mut q, t0);
        assert_eq!(q.take_due(t0, 500 * MS).ids, vec![id(1), id(2)]);
    }

    #[test]
    fn build_csnps_empty_and_exact() {
        let c = build_csnps(&[], 10);
        assert_eq!(c, vec![Csnp { start: lsdb::FIRST_ID, end: lsdb::LAST_ID, entries: vec![] }]);
        let all: Vec<_> = (1..=6).map(|o| hdr(o, 1)).collect();
        let c = build_csnps(&all, 3);
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].end, lsdb::LAST_ID);
        assert_eq!(c.iter().map(|c| c.entries.len()).sum::<usize>(), 6);
        const { assert!(CSNP_MAX_ENTRIES >= 10 && PSNP_MAX_ENTRIES >= CSNP_MAX_ENTRIES) };
    }

    #[test]
    fn lsu_packing_respects_budget() {
        let lsas: Vec<Lsa> = (1..=10).map(|o| lsa(o, 1)).collect();
        let lsus = pack_lsus(lsas, 100, |_| 30);
        assert_eq!(lsus.iter().map(|l| l.lsas.len()).collect::<Vec<_>>(), vec![3, 3, 3, 1]);
        let lsus = pack_lsus(vec![lsa(1, 1), lsa(2, 1)], 100, |_| 150);
        assert_eq!(lsus.len(), 2);
        assert!(pack_lsus(vec![], 100, |_| 1).is_empty());
    }
}
