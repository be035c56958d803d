//! TSC pacing of the offered load: how many packets are due at a given TSC reading.
//!
//! The schedule is continuous: packet `k` (from 0) is due at `start + k · hz / rate`
//! cycles. Each poll of the generator's loop sends what is due, at most one burst, so at
//! low rates packets leave one by one, evenly spaced (a router sees the same gaps as from
//! a hardware tester), and at high rates in bursts of up to `max_burst`. When the loop falls
//! behind by more than one burst (preempted, or the rate is above what the core can
//! generate) the packets beyond that are skipped, not sent later in a catch-up burst that
//! would be a load spike of its own; the caller reports the rate actually offered.
//!
//! Bounded catch-up (`catch_up` > one burst): the loop may fall that many packets behind
//! and still send the late packets, a burst per poll back to back, before it skips. For
//! a generator that shares its core with other work (descheduled for milliseconds at a
//! time), this keeps the *average* offered rate at the target at the price of bursts of
//! up to `catch_up` packets at the generator's full speed — harder on the router than
//! the smooth schedule (RFC 2544 §21 tests bursty traffic on purpose), never easier.
//!
//! Rejected: fixed bursts of `max_burst` every `max_burst / rate` seconds (at 10 % of the
//! rate the router would see a burst of 32 back to back and then silence, and the latency
//! of the 32nd packet would include the 31 before it), and sleeping between packets (a
//! sleep lasts at least tens of µs, far coarser than the packet spacing).

/// Offered-load schedule of one phase.
#[derive(Clone, Copy, Debug)]
pub struct Pacer {
    start_tsc: u64,
    /// Packets per TSC cycle; `None` = as fast as possible (a full burst every poll).
    per_cycle: Option<f64>,
    max_burst: usize,
    /// How far behind the schedule the loop may fall and still send, packets (≥ `max_burst`).
    catch_up: u64,
    /// Packets dropped from the schedule because the loop fell behind.
    skipped: u64,
}

impl Pacer {
    /// A schedule of `rate_pps` packets per second (`None`: full blast) starting at
    /// `start_tsc`, with a TSC of `tsc_hz` cycles per second and bursts of at most
    /// `max_burst` packets (at least 1); slots more than `catch_up` packets behind
    /// (at least one burst: `0` = skip beyond one burst) are skipped.
    pub fn new(start_tsc: u64, tsc_hz: u64, rate_pps: Option<f64>, max_burst: usize, catch_up: usize) -> Pacer {
        let per_cycle = rate_pps.map(|r| r.max(0.0) / (tsc_hz.max(1) as f64));
        let max_burst = max_burst.max(1);
        Pacer { start_tsc, per_cycle, max_burst, catch_up: catch_up.max(max_burst) as u64, skipped: 0 }
    }

    /// How many packets to send now, given that `offered` packets of this schedule have
    /// already been sent or refused. At most `max_burst`; may skip schedule slots (see
    /// [`Pacer::skipped`]).
    pub fn due(&mut self, now_tsc: u64, offered: u64) -> usize {
        let Some(per_cycle) = self.per_cycle else {
            return self.max_burst;
        };
        let elapsed = now_tsc.saturating_sub(self.start_tsc) as f64;
        // Slots due so far: packet k is due at k / per_cycle, so floor(elapsed·rate) + 1.
        let target = (elapsed * per_cycle) as u64 + 1;
        let done = offered + self.skipped;
        let behind = target.saturating_sub(done);
        if behind > self.catch_up {
            self.skipped += behind - self.catch_up;
        }
        behind.min(self.max_burst as u64) as usize
    }

    /// Schedule slots skipped so far because the loop fell more than `catch_up` behind.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HZ: u64 = 1_000_000_000;

    /// Polls every `step` cycles for `cycles`, sending whatever is due; returns
    /// (packets sent, largest single send, skipped).
    fn simulate(rate: f64, step: u64, cycles: u64) -> (u64, usize, u64) {
        let mut p = Pacer::new(1000, HZ, Some(rate), 32, 0);
        let (mut sent, mut largest) = (0u64, 0usize);
        let mut t = 1000;
        while t < 1000 + cycles {
            let n = p.due(t, sent);
            largest = largest.max(n);
            sent += n as u64;
            t += step;
        }
        (sent, largest, p.skipped())
    }

    #[test]
    fn offers_the_rate_one_packet_at_a_time_when_polled_often() {
        // 1 Mpps polled every 100 ns for 10 ms: 10,000 packets, never two at once.
        let (sent, largest, skipped) = simulate(1e6, 100, 10_000_000);
        assert!((9_999..=10_001).contains(&sent), "{sent}");
        assert_eq!(largest, 1);
        assert_eq!(skipped, 0);
    }

    #[test]
    fn bursts_when_polled_slowly_and_skips_when_far_behind() {
        // 10 Mpps polled every 2 µs: 20 due per poll, all sent.
        let (sent, largest, skipped) = simulate(1e7, 2_000, 10_000_000);
        assert!((99_980..=100_001).contains(&sent), "{sent}");
        assert_eq!(largest, 20);
        assert_eq!(skipped, 0);
        // 10 Mpps polled every 10 µs: 100 due per poll, 32 sent, 68 skipped.
        let (sent, largest, skipped) = simulate(1e7, 10_000, 10_000_000);
        assert_eq!(largest, 32);
        assert!(skipped > 60_000 && sent < 40_000, "{sent} {skipped}");
        assert!((99_900..=100_001).contains(&(sent + skipped)), "{}", sent + skipped);
    }

    #[test]
    fn full_blast_is_always_a_burst() {
        let mut p = Pacer::new(0, HZ, None, 32, 0);
        assert_eq!(p.due(0, 0), 32);
        assert_eq!(p.due(u64::MAX, u64::MAX), 32);
        // A zero rate sends the first slot only, and a clock going backwards nothing more.
        let mut z = Pacer::new(100, HZ, Some(0.0), 32, 0);
        assert_eq!(z.due(1_000_000, 0), 1);
        assert_eq!(z.due(0, 1), 0);
    }

    #[test]
    fn catches_up_within_the_bound_and_skips_beyond_it() {
        // 1 Mpps, polled every 100 ns, but the loop is away for 2 ms (2,000 slots) once.
        let run = |catch_up: usize| {
            let mut p = Pacer::new(0, HZ, Some(1e6), 32, catch_up);
            let (mut sent, mut largest, mut t) = (0u64, 0usize, 0u64);
            while t < 10_000_000 {
                if !(3_000_000..5_000_000).contains(&t) {
                    let n = p.due(t, sent);
                    largest = largest.max(n);
                    sent += n as u64;
                }
                t += 100;
            }
            (sent, largest, p.skipped())
        };
        // Skip beyond one burst: ~1,970 of the 2,000 late slots lost.
        let (sent, largest, skipped) = run(0);
        assert!((1_960..=1_980).contains(&skipped), "{skipped}");
        assert_eq!(sent + skipped, 10_000);
        assert_eq!(largest, 32);
        // A bound of 4,096: all 2,000 sent late, 32 per poll, none skipped.
        let (sent, largest, skipped) = run(4096);
        assert_eq!((sent, skipped), (10_000, 0));
        assert_eq!(largest, 32);
        // A bound of 500: the excess beyond 500 is skipped, the 500 are sent.
        let (sent, _, skipped) = run(500);
        assert!((1_490..=1_510).contains(&skipped), "{skipped}");
        assert_eq!(sent + skipped, 10_000);
    }
}
