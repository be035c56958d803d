//! Received PDUs: decode and authenticate, replay check, dispatch.
//!
//! Order of checks (each failure drops the PDU and moves one counter; nothing
//! is installed or flooded): known port; `wire::decode` with the keychain
//! (format, key, HMAC, LSA checksums); sender is not us; crypto sequence
//! number above the last one accepted from that sender on that port
//! [RFC 7474 §4] (kept across adjacency flaps, so a captured PDU cannot be
//! replayed after the adjacency is reset); for LSU/CSNP/PSNP, an Up adjacency
//! with that sender on that port [ISO 10589 §7.3.15.1 a].
//!
//! LSU rules per LSA [ISO 10589 §7.3.15.1, RFC 2328 §13]:
//! - newer than ours (or new): install, flood to every other Up neighbour,
//!   acknowledge to the sender; a purge of an LSA we do not hold is only
//!   acknowledged;
//! - same: acknowledge, stop retransmitting it to the sender;
//! - older: send ours back;
//! - our own origin and newer than ours (or unknown to us): if we still
//!   originate that fragment, originate it again above the received sequence
//!   number; if not, purge it at that sequence number [RFC 2328 §13.4];
//! - our own origin, the *same* instance (sequence number and checksum) but
//!   with so much less lifetime left that it would expire in the network
//!   before our next refresh: originate it again above that number. This is
//!   a restarted router that, counting up from 1, re-created exactly the LSA
//!   it had before; the neighbours keep their older copy as "the same"
//!   [RFC 2328 §13.1; ISO 10589 §7.3.16], which would otherwise age out and
//!   be purged while we still originate it (RFC 2328's MaxAgeDiff rule
//!   addresses the same situation on the receiving side).

use std::cmp::Ordering;
use std::time::Instant;

use dmsc_wire::ethernet::MacAddr;

use super::{Action, Router};
use crate::flooding;
use crate::lsdb;
use crate::types::{Lsa, LsaBody, PduBody, PortIndex, RouterId};
use crate::wire;

impl Router {
    pub(super) fn receive(
        &mut self,
        now: Instant,
        port: PortIndex,
        src_mac: MacAddr,
        payload: &[u8],
        out: &mut Vec<Action>,
    ) {
        self.counters.rx_pdus += 1;
        if !self.ports.contains_key(&port) {
            self.counters.rx_error("unknown_port");
            return;
        }
        let (pdu, auth) = match wire::decode(payload, &self.cfg.keychain) {
            Ok(x) => x,
            Err(e) => {
                self.counters.rx_error(e.counter_name());
                return;
            }
        };
        let sender = pdu.sender;
        if sender == self.cfg.id || sender == RouterId(0) {
            self.counters.rx_error("own_pdu");
            return;
        }
        if let Some(a) = auth {
            if self.replay.get(&(port, sender)).is_some_and(|&last| a.crypto_seq <= last) {
                self.counters.rx_replay += 1;
                return;
            }
            self.replay.insert((port, sender), a.crypto_seq);
        }
        if let PduBody::Hello(h) = &pdu.body {
            let Some(p) = self.ports.get_mut(&port) else {
                return;
            };
            let trs = p.adj.receive_hello(now, self.cfg.id, sender, src_mac, h);
            self.transitions(now, port, &trs, out);
            return;
        }
        let Some(p) = self.ports.get_mut(&port) else {
            return;
        };
        if p.adj.up_neighbor() != Some(sender) {
            self.counters.rx_error("not_adjacent");
            return;
        }
        match pdu.body {
            PduBody::Hello(_) => {}
            PduBody::Csnp(c) => flooding::compare_csnp(&c, &self.lsdb, &mut p.flood, now),
            PduBody::Psnp(ps) => flooding::compare_psnp(&ps, &self.lsdb, &mut p.flood, now),
            PduBody::Lsu(lsu) => {
                for lsa in lsu.lsas {
                    self.receive_lsa(now, port, lsa);
                }
            }
        }
    }

    fn ack(&mut self, port: PortIndex, lsa: &Lsa) {
        if let Some(p) = self.ports.get_mut(&port) {
            p.flood.ack(lsa.header);
        }
    }

    /// Whether a received copy of our own LSA, identical to ours, has so much
    /// less lifetime left that it would expire before our next refresh
    /// reaches the network: remaining(received) < remaining(ours) −
    /// (lifetime − refresh) + 60 s of flooding margin. Copies that merely
    /// travelled (a few seconds older) never qualify.
    fn expires_before_refresh(&self, lsa: &Lsa, now: Instant) -> bool {
        let Some(ours) = self.lsdb.header(&lsa.header.id, now) else {
            return false;
        };
        let t = &self.cfg.timers;
        let slack_s = t.lsa_lifetime.saturating_sub(t.lsa_refresh).as_secs().saturating_sub(60);
        u64::from(lsa.header.remaining_lifetime_s) + slack_s < u64::from(ours.remaining_lifetime_s)
    }

    fn receive_lsa(&mut self, now: Instant, port: PortIndex, mut lsa: Lsa) {
        if lsa.header.remaining_lifetime_s == 0 || lsa.body == LsaBody::Purged {
            lsa = lsdb::purge_of(&lsa.header);
        }
        let id = lsa.header.id;
        let purge = lsa.body == LsaBody::Purged;
        let cmp = self.lsdb.compare_received(&lsa.header, now);
        match cmp {
            Some(Ordering::Equal) => {
                self.counters.lsa_duplicate += 1;
                self.ack(port, &lsa);
                if let Some(p) = self.ports.get_mut(&port) {
                    p.flood.clear(&id);
                }
                if id.origin == self.cfg.id && self.own.contains_key(&id) && self.expires_before_refresh(&lsa, now) {
                    self.counters.lsa_stale_own += 1;
                    self.reoriginate(now, id, Some(lsa.header.seq));
                }
                return;
            }
            Some(Ordering::Less) => {
                self.counters.lsa_older += 1;
                if let Some(p) = self.ports.get_mut(&port) {
                    p.flood.clear_ack(&id);
                    p.flood.flood(id, now);
                }
                return;
            }
            None if purge => {
                // A purge of something we never had (or already removed).
                self.ack(port, &lsa);
                return;
            }
            Some(Ordering::Greater) | None => {}
        }
        self.ack(port, &lsa);
        if id.origin == self.cfg.id {
            if self.own.contains_key(&id) {
                // A stale instance of ours from before a restart (or a purge of
                // ours): supersede it.
                self.reoriginate(now, id, Some(lsa.header.seq));
            } else {
                // A fragment we no longer originate: purge it at its number.
                self.lsdb.install(lsdb::purge_of(&lsa.header), now);
                self.counters.lsa_purged += 1;
                self.flood_all(id, None, now);
                self.backoff.event(now);
            }
            return;
        }
        let content_changed = self.lsdb.get(&id).map_or(true, |e| e.lsa.body != lsa.body);
        self.lsdb.install(lsa, now);
        self.counters.lsa_installed += 1;
        if purge {
            self.counters.lsa_purged += 1;
        }
        self.flood_all(id, Some(port), now);
        if let Some(p) = self.ports.get_mut(&port) {
            p.flood.clear(&id);
        }
        if content_changed {
            self.backoff.event(now);
        }
    }
}
