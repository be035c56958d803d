//! Loss, duplicate and reorder accounting by sequence numbers, for one trial.
//!
//! The sender numbers the packets it hands to the driver 0, 1, 2 … ([`SeqTracker::on_sent`]);
//! the receiver reports every sequence number it sees ([`SeqTracker::on_received`]). Two
//! independent counts of the loss are kept so that each checks the other:
//!
//! * a bitmap of the numbers seen: `lost = sent − distinct received` (exact);
//! * the gaps seen in arrival order: every jump past the next expected number adds the
//!   skipped count, every late arrival that fills such a gap removes one, and the numbers
//!   never reached at the end of the trial are added: `lost_by_gaps`.
//!
//! With correct bookkeeping both agree, and `sent = distinct received + lost` always
//! holds for the first; the smoke mode of the harness fails if the second disagrees. A
//! number at or beyond `sent` (a corrupted or foreign stamp) is counted apart and never
//! indexes the bitmap.
//!
//! Rejected: a sliding window of recent numbers (RFC 4737-style reorder metrics) — memif
//! and a single-lcore router keep order, so exact whole-trial counts (one bit per packet,
//! ~9 MB for a 6-second trial at 12 Mpps) are affordable and simpler to trust.

/// Counts of one trial.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeqSummary {
    /// Packets handed to the driver (numbers `0..sent`).
    pub sent: u64,
    /// Packets received with a number below `sent`, duplicates included.
    pub received: u64,
    /// Distinct numbers received.
    pub distinct: u64,
    /// Receipts of a number already seen.
    pub duplicates: u64,
    /// Receipts of a number lower than one received before (first receipt only).
    pub reordered: u64,
    /// `sent − distinct`.
    pub lost: u64,
    /// Loss counted from the gaps in arrival order (see the module documentation); equals
    /// `lost` unless the bookkeeping is wrong.
    pub lost_by_gaps: u64,
    /// Receipts with a number `>= sent` (not a packet of this trial's sender).
    pub out_of_range: u64,
}

/// Sequence-number bookkeeping of one trial.
#[derive(Clone, Debug, Default)]
pub struct SeqTracker {
    seen: Vec<u64>,
    sent: u64,
    received: u64,
    distinct: u64,
    duplicates: u64,
    reordered: u64,
    out_of_range: u64,
    /// One past the highest number received so far.
    next_expected: u64,
    /// Numbers skipped by jumps, minus late arrivals that filled them.
    gap_loss: u64,
}

/// What one receipt was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receipt {
    /// First receipt, in order (possibly after a gap).
    InOrder,
    /// First receipt of a number lower than one seen before.
    Reordered,
    /// A number already received.
    Duplicate,
    /// A number the sender has not sent.
    OutOfRange,
}

impl SeqTracker {
    /// An empty tracker.
    pub fn new() -> SeqTracker {
        SeqTracker::default()
    }

    /// Records that numbers `sent()..sent() + n` were handed to the driver.
    pub fn on_sent(&mut self, n: u64) {
        self.sent = self.sent.saturating_add(n);
        let words = usize::try_from(self.sent.div_ceil(64)).unwrap_or(usize::MAX);
        if words > self.seen.len() {
            self.seen.resize(words, 0);
        }
    }

    /// Packets sent so far (the next number to use).
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Records the receipt of number `seq`.
    pub fn on_received(&mut self, seq: u64) -> Receipt {
        if seq >= self.sent {
            self.out_of_range += 1;
            return Receipt::OutOfRange;
        }
        self.received += 1;
        let (word, bit) = ((seq / 64) as usize, 1u64 << (seq % 64));
        let Some(w) = self.seen.get_mut(word) else {
            // Unreachable: on_sent sized the bitmap for every number below `sent`.
            self.out_of_range += 1;
            return Receipt::OutOfRange;
        };
        if *w & bit != 0 {
            self.duplicates += 1;
            return Receipt::Duplicate;
        }
        *w |= bit;
        self.distinct += 1;
        if seq >= self.next_expected {
            self.gap_loss += seq - self.next_expected;
            self.next_expected = seq + 1;
            Receipt::InOrder
        } else {
            // Fills a gap counted when a higher number arrived.
            self.gap_loss = self.gap_loss.saturating_sub(1);
            self.reordered += 1;
            Receipt::Reordered
        }
    }

    /// The counts so far (numbers not received yet count as lost).
    pub fn summary(&self) -> SeqSummary {
        SeqSummary {
            sent: self.sent,
            received: self.received,
            distinct: self.distinct,
            duplicates: self.duplicates,
            reordered: self.reordered,
            lost: self.sent - self.distinct,
            lost_by_gaps: self.gap_loss + (self.sent - self.next_expected),
            out_of_range: self.out_of_range,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_without_loss() {
        let mut t = SeqTracker::new();
        t.on_sent(100);
        for s in 0..100 {
            assert_eq!(t.on_received(s), Receipt::InOrder);
        }
        let s = t.summary();
        assert_eq!((s.sent, s.received, s.distinct, s.lost, s.lost_by_gaps), (100, 100, 100, 0, 0));
    }

    #[test]
    fn gaps_tail_loss_duplicates_reorders_and_strangers() {
        let mut t = SeqTracker::new();
        t.on_sent(10);
        for s in [0, 1, 4, 2, 4, 7, 12, 10] {
            t.on_received(s);
        }
        // Received 0,1,2,4,7 (distinct 5); 4 twice; 2 late; 10 and 12 never sent.
        let s = t.summary();
        assert_eq!(s.distinct, 5);
        assert_eq!(s.received, 6);
        assert_eq!(s.duplicates, 1);
        assert_eq!(s.reordered, 1);
        assert_eq!(s.out_of_range, 2);
        assert_eq!(s.lost, 5); // 3, 5, 6, 8, 9
        assert_eq!(s.lost_by_gaps, 5);
        assert_eq!(s.sent, s.distinct + s.lost);
        // A late packet after more were sent.
        t.on_sent(5);
        assert_eq!(t.on_received(12), Receipt::InOrder);
        assert_eq!(t.on_received(3), Receipt::Reordered);
        let s = t.summary();
        assert_eq!((s.sent, s.distinct, s.lost, s.lost_by_gaps), (15, 7, 8, 8));
    }

    #[test]
    fn both_loss_counts_agree_on_random_arrivals() {
        // Deterministic pseudo-random drops, duplicates and swaps.
        let mut x = 0x1234_5678_9abc_def0u64;
        let mut rnd = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..50 {
            let n = 1 + rnd() % 3000;
            let mut arrivals: Vec<u64> = (0..n).filter(|_| rnd() % 10 != 0).collect();
            for i in 0..arrivals.len() {
                if rnd() % 20 == 0 && i + 1 < arrivals.len() {
                    arrivals.swap(i, i + 1);
                }
            }
            let dups: Vec<u64> = arrivals.iter().copied().filter(|_| rnd() % 50 == 0).collect();
            arrivals.extend(dups);
            let mut t = SeqTracker::new();
            t.on_sent(n);
            for &a in &arrivals {
                t.on_received(a);
            }
            let s = t.summary();
            assert_eq!(s.lost, s.lost_by_gaps, "{s:?}");
            assert_eq!(s.sent, s.distinct + s.lost);
            assert_eq!(s.received, arrivals.len() as u64);
        }
    }
}
