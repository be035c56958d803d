//! Token bucket that limits the nacks one lcore generates.
//!
//! A router that answers every undeliverable packet with a nack can be turned
//! into an amplifier (a flood of packets to unrouted names becomes a flood of
//! nacks towards their source names), so nack generation is rate limited, as
//! ICMPv6 error messages are [RFC 4443 §2.4 (f)]. One bucket per lcore: no
//! shared state, no atomics. Time comes in as a TSC reading and the TSC rate,
//! so the bucket is a pure function of its inputs and is tested with an
//! injected clock.

/// A token bucket refilled at `rate_per_s` tokens per second up to `burst`.
///
/// Exact integer arithmetic: one token is `clock_hz` units, and every clock
/// tick adds `rate_per_s` units, so no rate is rounded whatever the clock.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    /// Units in the bucket (one token = `unit` units).
    units: u128,
    cap: u128,
    unit: u128,
    rate: u128,
    last: u64,
}

impl TokenBucket {
    /// A full bucket.
    ///
    /// `rate_per_s`: tokens per second (0 disables the bucket: every `take`
    /// fails). `burst`: bucket size in tokens. `clock_hz`: ticks per second of
    /// the clock whose readings are passed to [`TokenBucket::take`] (the TSC
    /// rate on an lcore). `now`: the current reading.
    pub fn new(rate_per_s: u32, burst: u32, clock_hz: u64, now: u64) -> TokenBucket {
        let unit = u128::from(clock_hz.max(1));
        let cap = u128::from(burst) * unit;
        TokenBucket { units: if rate_per_s == 0 { 0 } else { cap }, cap, unit, rate: u128::from(rate_per_s), last: now }
    }

    /// Takes one token if available at clock reading `now`. A reading earlier
    /// than the last one adds nothing.
    #[inline]
    pub fn take(&mut self, now: u64) -> bool {
        let elapsed = now.saturating_sub(self.last);
        self.last = self.last.max(now);
        self.units = (self.units + u128::from(elapsed) * self.rate).min(self.cap);
        if self.units >= self.unit {
            self.units -= self.unit;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_rate() {
        let hz = 1_000_000_000; // 1 GHz clock
        let mut b = TokenBucket::new(1000, 10, hz, 0);
        let mut ok = 0;
        for _ in 0..100 {
            ok += b.take(0) as u32;
        }
        assert_eq!(ok, 10, "a full bucket gives exactly `burst` tokens");
        // One second later: 1000 more tokens, capped at the burst of 10.
        let mut ok = 0;
        for _ in 0..100 {
            ok += b.take(hz) as u32;
        }
        assert_eq!(ok, 10);
        // 1 ms later: one token.
        assert!(b.take(hz + hz / 1000));
        assert!(!b.take(hz + hz / 1000));
    }

    #[test]
    fn steady_rate_over_a_second() {
        let hz = 2_000_000_000;
        let mut b = TokenBucket::new(500, 1, hz, 0);
        b.take(0);
        let mut ok = 0;
        // Ask every 100 µs for one second: at most ~500 granted.
        for i in 1..=10_000u64 {
            ok += b.take(i * hz / 10_000) as u32;
        }
        assert_eq!(ok, 500, "granted {ok}");
    }

    #[test]
    fn zero_rate_never_grants_and_clock_going_back_is_harmless() {
        let mut b = TokenBucket::new(0, 10, 1000, 5);
        assert!(!b.take(5));
        assert!(!b.take(1_000_000));
        let mut b = TokenBucket::new(10, 1, 1000, 100);
        assert!(b.take(100));
        assert!(!b.take(50)); // earlier reading: no refill, no panic
    }
}
