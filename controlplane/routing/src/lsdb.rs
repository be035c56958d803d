//! The link-state database: one entry per [`LsaId`], with ageing, purges and
//! the "which copy is newer" rule.
//!
//! **Comparison** [RFC 2328 §13.1, adapted as in ISO 10589 §7.3.16]: the higher
//! sequence number is newer; at equal sequence numbers a purge (remaining
//! lifetime 0) is newer than a live copy; then the higher checksum is newer
//! (two different contents under one sequence number can only come from an
//! origin that restarted and reused numbers; picking one deterministically
//! makes every router converge on the same copy, after which the origin
//! re-originates above it); then, if the remaining lifetimes differ by more
//! than [`MAX_AGE_DIFF`], the one with more lifetime left is newer (a refresh
//! that reused the number); otherwise the copies are the same.
//!
//! **Ageing**: an entry stores the instant it expires (receipt + remaining
//! lifetime), so the remaining lifetime "counts down from receipt" without any
//! per-second work; [`Lsdb::remaining_s`] derives it for sending and display,
//! rounded up so that a just-received LSA is re-sent with the lifetime it
//! arrived with. At expiry the entry turns into a purge (header only, lifetime
//! 0, checksum 0 [ISO 10589 §7.3.16.4]) that the router floods; a purge is
//! kept for [`ZERO_AGE_LIFETIME`] so that late, older copies are recognised as
//! older and not re-installed, then removed.
//!
//! Alternatives rejected: OSPF's age counting up to MaxAge (the same thing
//! with the opposite sign; IS-IS's remaining lifetime lets the origin choose
//! the lifetime, which the `Timers` expose); a per-second ageing sweep (the
//! `next_deadline` of the earliest expiry is exact and costs nothing while
//! idle); hashing with `std`'s `DefaultHasher` for the digest (its algorithm is
//! not guaranteed stable across Rust releases, and operators compare digests
//! across routers built at different times): FNV-1a over a fixed byte layout.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use crate::types::{Lsa, LsaBody, LsaHeader, LsaId, LsaKind, LsaSummary};

/// How long a purge stays in the database after its lifetime reached 0
/// (IS-IS ZeroAgeLifetime [ISO 10589 §7.3.16.4], 60 s).
pub const ZERO_AGE_LIFETIME: Duration = Duration::from_secs(60);

/// Two live copies with one sequence number and checksum whose remaining
/// lifetimes differ by more than this are different instances (RFC 2328
/// MaxAgeDiff, 15 min).
pub const MAX_AGE_DIFF: Duration = Duration::from_secs(900);

/// Compares two headers of the same LSA: `Greater` when `a` is newer than `b`,
/// `Less` when older, `Equal` when they are the same instance (see the module
/// documentation for the rule).
pub fn compare(a: &LsaHeader, b: &LsaHeader) -> Ordering {
    match a.seq.cmp(&b.seq) {
        Ordering::Equal => {}
        o => return o,
    }
    let (a_purged, b_purged) = (a.remaining_lifetime_s == 0, b.remaining_lifetime_s == 0);
    match (a_purged, b_purged) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    match a.checksum.cmp(&b.checksum) {
        Ordering::Equal => {}
        o => return o,
    }
    let diff = u64::from(a.remaining_lifetime_s.abs_diff(b.remaining_lifetime_s));
    if diff > MAX_AGE_DIFF.as_secs() {
        a.remaining_lifetime_s.cmp(&b.remaining_lifetime_s)
    } else {
        Ordering::Equal
    }
}

/// The header of a purge of the LSA `header` describes: same id and
/// sequence, lifetime 0, checksum 0 [ISO 10589 §7.3.16.4].
pub fn purge_of(header: &LsaHeader) -> Lsa {
    Lsa {
        header: LsaHeader { id: header.id, seq: header.seq, remaining_lifetime_s: 0, checksum: 0 },
        body: LsaBody::Purged,
    }
}

/// A header used in a PSNP to request an LSA the sender does not hold at all
/// (sequence 0 is older than any real instance).
pub fn request_header(id: LsaId) -> LsaSummary {
    LsaHeader { id, seq: 0, remaining_lifetime_s: 0, checksum: 0 }
}

/// The smallest LSA id (start of a full CSNP range).
pub const FIRST_ID: LsaId = LsaId { kind: LsaKind::Node, origin: crate::types::RouterId(0), fragment: 0 };
/// The largest LSA id (end of a full CSNP range).
pub const LAST_ID: LsaId =
    LsaId { kind: LsaKind::Prefix, origin: crate::types::RouterId(u64::MAX), fragment: u16::MAX };

/// The id right after `id` in [`LsaId`] order, `None` after [`LAST_ID`].
pub fn successor(id: LsaId) -> Option<LsaId> {
    if let Some(f) = id.fragment.checked_add(1) {
        return Some(LsaId { fragment: f, ..id });
    }
    if let Some(o) = id.origin.0.checked_add(1) {
        return Some(LsaId { origin: crate::types::RouterId(o), fragment: 0, ..id });
    }
    match id.kind {
        LsaKind::Node => Some(LsaId { kind: LsaKind::Prefix, ..FIRST_ID }),
        LsaKind::Prefix => None,
    }
}

/// One database entry.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The LSA as installed (its header's lifetime is the one it arrived with;
    /// use [`Lsdb::remaining_s`] for the current one).
    pub lsa: Lsa,
    /// When the remaining lifetime reaches 0.
    pub expires: Instant,
    /// When the entry became a purge (lifetime 0), if it is one.
    pub purged_since: Option<Instant>,
}

impl Entry {
    /// True when the entry is a purge.
    pub fn is_purged(&self) -> bool {
        self.purged_since.is_some()
    }
}

/// What [`Lsdb::age`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Aged {
    /// Live LSAs whose lifetime ran out and that are now purges (to be flooded).
    pub expired: Vec<LsaId>,
    /// Purges held for [`ZERO_AGE_LIFETIME`] and now removed.
    pub removed: Vec<LsaId>,
}

/// The link-state database.
#[derive(Clone, Debug, Default)]
pub struct Lsdb {
    entries: BTreeMap<LsaId, Entry>,
}

fn ceil_secs(d: Duration) -> u16 {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    u16::try_from(s).unwrap_or(u16::MAX)
}

impl Lsdb {
    /// An empty database.
    pub fn new() -> Lsdb {
        Lsdb::default()
    }

    /// Number of entries, purges included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry for `id`.
    pub fn get(&self, id: &LsaId) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// Remaining lifetime of an entry as of `now`, in whole seconds rounded
    /// up; 0 for a purge or an expired entry.
    pub fn remaining_s(entry: &Entry, now: Instant) -> u16 {
        if entry.is_purged() {
            return 0;
        }
        ceil_secs(entry.expires.saturating_duration_since(now))
    }

    /// The header of `id` with its remaining lifetime as of `now`.
    pub fn header(&self, id: &LsaId, now: Instant) -> Option<LsaHeader> {
        self.entries.get(id).map(|e| LsaHeader { remaining_lifetime_s: Self::remaining_s(e, now), ..e.lsa.header })
    }

    /// A copy of the LSA `id` with its remaining lifetime as of `now` (ready to send).
    pub fn lsa(&self, id: &LsaId, now: Instant) -> Option<Lsa> {
        self.entries.get(id).map(|e| {
            let mut lsa = e.lsa.clone();
            lsa.header.remaining_lifetime_s = Self::remaining_s(e, now);
            lsa
        })
    }

    /// Compares a received header with the stored copy: `None` when absent,
    /// else `compare(received, stored)` (`Greater`: the received one is newer).
    pub fn compare_received(&self, received: &LsaHeader, now: Instant) -> Option<Ordering> {
        self.header(&received.id, now).map(|h| compare(received, &h))
    }

    /// Installs `lsa` (whatever it replaces), its lifetime counting down from
    /// `now`. A lifetime of 0 installs a purge (body dropped). Returns the
    /// previous entry's LSA, if any.
    pub fn install(&mut self, mut lsa: Lsa, now: Instant) -> Option<Lsa> {
        let purged = lsa.header.remaining_lifetime_s == 0 || matches!(lsa.body, LsaBody::Purged);
        if purged {
            lsa = purge_of(&lsa.header);
        }
        let expires = now + Duration::from_secs(u64::from(lsa.header.remaining_lifetime_s));
        let entry = Entry { lsa, expires, purged_since: purged.then_some(now) };
        self.entries.insert(entry.lsa.header.id, entry).map(|e| e.lsa)
    }

    /// Turns the entry `id` into a purge at `now` (same sequence number).
    /// Returns the purge, or `None` if `id` is absent or already a purge.
    pub fn purge(&mut self, id: &LsaId, now: Instant) -> Option<Lsa> {
        let e = self.entries.get_mut(id)?;
        if e.is_purged() {
            return None;
        }
        e.lsa = purge_of(&e.lsa.header);
        e.expires = now;
        e.purged_since = Some(now);
        Some(e.lsa.clone())
    }

    /// Removes `id` outright (no purge). Returns the removed LSA.
    pub fn remove(&mut self, id: &LsaId) -> Option<Lsa> {
        self.entries.remove(id).map(|e| e.lsa)
    }

    /// Expires live LSAs whose lifetime ended at or before `now` (they become
    /// purges) and removes purges older than [`ZERO_AGE_LIFETIME`].
    pub fn age(&mut self, now: Instant) -> Aged {
        let mut out = Aged::default();
        for (id, e) in self.entries.iter_mut() {
            match e.purged_since {
                None if e.expires <= now => {
                    e.lsa = purge_of(&e.lsa.header);
                    e.purged_since = Some(now);
                    out.expired.push(*id);
                }
                Some(t) if t + ZERO_AGE_LIFETIME <= now => out.removed.push(*id),
                _ => {}
            }
        }
        for id in &out.removed {
            self.entries.remove(id);
        }
        out
    }

    /// The earliest instant at which [`Lsdb::age`] has work (an expiry or a purge removal).
    pub fn next_deadline(&self) -> Option<Instant> {
        self.entries
            .values()
            .map(|e| match e.purged_since {
                None => e.expires,
                Some(t) => t + ZERO_AGE_LIFETIME,
            })
            .min()
    }

    /// All entries in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&LsaId, &Entry)> {
        self.entries.iter()
    }

    /// Entries with ids in `range`, in id order.
    pub fn range(&self, range: RangeInclusive<LsaId>) -> impl Iterator<Item = (&LsaId, &Entry)> {
        self.entries.range(range)
    }

    /// Live (not purged) LSAs in id order, as stored (lifetimes as installed).
    pub fn live(&self) -> impl Iterator<Item = &Lsa> {
        self.entries.values().filter(|e| !e.is_purged()).map(|e| &e.lsa)
    }

    /// Every entry's header as of `now` (purges included), in id order: what a CSNP lists.
    pub fn summaries(&self, now: Instant) -> Vec<LsaSummary> {
        self.entries
            .values()
            .map(|e| LsaHeader { remaining_lifetime_s: Self::remaining_s(e, now), ..e.lsa.header })
            .collect()
    }

    /// FNV-1a 64 over (kind, origin, fragment, seq, checksum) of the live
    /// LSAs in id order, each field big-endian. Equal live databases give equal
    /// digests; lifetimes and purges do not enter it.
    pub fn digest(&self) -> u64 {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut h = OFFSET;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(PRIME);
            }
        };
        for lsa in self.live() {
            let hd = &lsa.header;
            let kind: u8 = match hd.id.kind {
                LsaKind::Node => 1,
                LsaKind::Prefix => 2,
            };
            eat(&[kind]);
            eat(&hd.id.origin.0.to_be_bytes());
            eat(&hd.id.fragment.to_be_bytes());
            eat(&hd.seq.to_be_bytes());
            eat(&hd.checksum.to_be_bytes());
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{NodeLsa, Role, RouterId};

    fn hdr(seq: u64, life: u16, ck: u16) -> LsaHeader {
        LsaHeader {
            id: LsaId { kind: LsaKind::Node, origin: RouterId(1), fragment: 0 },
            seq,
            remaining_lifetime_s: life,
            checksum: ck,
        }
    }

    fn node(seq: u64, life: u16) -> Lsa {
        Lsa {
            header: hdr(seq, life, 0x1234),
            body: LsaBody::Node(NodeLsa { hostname: "r1".into(), role: Role::Sr, links: vec![] }),
        }
    }

    #[test]
    fn compare_rules() {
        // Sequence first.
        assert_eq!(compare(&hdr(2, 10, 0), &hdr(1, 1200, 9)), Ordering::Greater);
        assert_eq!(compare(&hdr(1, 1200, 9), &hdr(2, 0, 0)), Ordering::Less);
        // Then purge wins.
        assert_eq!(compare(&hdr(5, 0, 0), &hdr(5, 1200, 7)), Ordering::Greater);
        assert_eq!(compare(&hdr(5, 1200, 7), &hdr(5, 0, 0)), Ordering::Less);
        assert_eq!(compare(&hdr(5, 0, 0), &hdr(5, 0, 3)), Ordering::Equal);
        // Then checksum.
        assert_eq!(compare(&hdr(5, 100, 8), &hdr(5, 1200, 7)), Ordering::Greater);
        // Then lifetime, only beyond MaxAgeDiff.
        assert_eq!(compare(&hdr(5, 1200, 7), &hdr(5, 400, 7)), Ordering::Equal);
        assert_eq!(compare(&hdr(5, 1200, 7), &hdr(5, 200, 7)), Ordering::Greater);
        assert_eq!(compare(&hdr(5, 200, 7), &hdr(5, 1200, 7)), Ordering::Less);
    }

    #[test]
    fn lifetime_counts_down_from_receipt() {
        let t0 = Instant::now();
        let mut db = Lsdb::new();
        assert!(db.install(node(1, 100), t0).is_none());
        let id = node(1, 100).header.id;
        assert_eq!(db.header(&id, t0).unwrap().remaining_lifetime_s, 100);
        assert_eq!(db.header(&id, t0 + Duration::from_millis(500)).unwrap().remaining_lifetime_s, 100);
        assert_eq!(db.header(&id, t0 + Duration::from_secs(30)).unwrap().remaining_lifetime_s, 70);
        assert_eq!(db.next_deadline(), Some(t0 + Duration::from_secs(100)));
        // Not yet expired.
        assert_eq!(db.age(t0 + Duration::from_secs(99)), Aged::default());
        let aged = db.age(t0 + Duration::from_secs(100));
        assert_eq!(aged.expired, vec![id]);
        let e = db.get(&id).unwrap();
        assert!(e.is_purged());
        assert_eq!(e.lsa.header.seq, 1);
        assert_eq!(e.lsa.body, LsaBody::Purged);
        assert!(db.live().next().is_none());
        // Purge retained for ZeroAgeLifetime, then removed.
        assert_eq!(db.next_deadline(), Some(t0 + Duration::from_secs(160)));
        assert_eq!(db.age(t0 + Duration::from_secs(159)), Aged::default());
        assert_eq!(db.age(t0 + Duration::from_secs(160)).removed, vec![id]);
        assert!(db.is_empty());
        assert_eq!(db.next_deadline(), None);
    }

    #[test]
    fn received_purge_and_compare_received() {
        let t0 = Instant::now();
        let mut db = Lsdb::new();
        let id = node(3, 1200).header.id;
        assert_eq!(db.compare_received(&hdr(3, 1200, 0x1234), t0), None);
        db.install(node(3, 1200), t0);
        assert_eq!(db.compare_received(&hdr(3, 1000, 0x1234), t0), Some(Ordering::Equal));
        assert_eq!(db.compare_received(&hdr(2, 1200, 0x1234), t0), Some(Ordering::Less));
        assert_eq!(db.compare_received(&hdr(3, 0, 0), t0), Some(Ordering::Greater));
        let prev = db.install(Lsa { header: hdr(3, 0, 0), body: LsaBody::Purged }, t0).unwrap();
        assert_eq!(prev.header.seq, 3);
        assert!(db.get(&id).unwrap().is_purged());
        assert_eq!(db.header(&id, t0).unwrap().remaining_lifetime_s, 0);
        // A late live copy of the same seq is older than the purge.
        assert_eq!(db.compare_received(&hdr(3, 1200, 0x1234), t0), Some(Ordering::Less));
    }

    #[test]
    fn digest_tracks_live_content_only() {
        let t0 = Instant::now();
        let mut a = Lsdb::new();
        let mut b = Lsdb::new();
        assert_eq!(a.digest(), b.digest());
        a.install(node(1, 1200), t0);
        assert_ne!(a.digest(), b.digest());
        // Same instance, different lifetime and install time: same digest.
        b.install(node(1, 300), t0 + Duration::from_secs(5));
        assert_eq!(a.digest(), b.digest());
        b.install(node(2, 300), t0);
        assert_ne!(a.digest(), b.digest());
        // Purged: as if absent.
        b.purge(&node(1, 1).header.id, t0).unwrap();
        assert_eq!(b.digest(), Lsdb::new().digest());
        assert!(b.purge(&node(1, 1).header.id, t0).is_none());
    }

    #[test]
    fn successor_order() {
        let id = LsaId { kind: LsaKind::Node, origin: RouterId(7), fragment: 3 };
        assert_eq!(successor(id), Some(LsaId { fragment: 4, ..id }));
        let id = LsaId { kind: LsaKind::Node, origin: RouterId(7), fragment: u16::MAX };
        assert_eq!(successor(id), Some(LsaId { kind: LsaKind::Node, origin: RouterId(8), fragment: 0 }));
        let id = LsaId { kind: LsaKind::Node, origin: RouterId(u64::MAX), fragment: u16::MAX };
        assert_eq!(successor(id), Some(FIRST_ID_PREFIX));
        assert_eq!(successor(LAST_ID), None);
        for id in [FIRST_ID, LsaId { kind: LsaKind::Prefix, origin: RouterId(1), fragment: 9 }] {
            assert!(successor(id).unwrap() > id);
        }
    }
    const FIRST_ID_PREFIX: LsaId = LsaId { kind: LsaKind::Prefix, origin: RouterId(0), fragment: 0 };
}
