//! When to reconnect a memif client port: a pure state machine, fed the link
//! state and the time by the driver ([`crate::driver`]), which does the
//! stopping and starting.
//!
//! DPDK's memif driver (22.11) connects a *client* port only when the port
//! starts, and never again: when the server process restarts, the client's
//! link stays down. The cure is the one a memif user applies by hand
//! (`port stop` / `port start` in testpmd): stop and start the port, which
//! dials the server's socket again. The server side needs nothing: it goes
//! back to listening when its client leaves.
//!
//! The policy: a port whose link has been down for [`Backoff::first`] (long
//! enough for a starting peer to finish its handshake, which takes
//! milliseconds) is restarted; while it stays down it is restarted again after
//! a delay doubling up to [`Backoff::max`]. A port that came up is left alone
//! until it goes down again. A port whose start failed at start-up (its server
//! was not up yet) begins down.
//!
//! Alternative rejected: restart as soon as the link goes down. A server that
//! restarts takes ~100 ms to 1 s to listen again; restarting at once would
//! fail and only add a stop/start (and a grace period) per poll.

use std::time::{Duration, Instant};

/// Delays between reconnection attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Down this long before the first attempt.
    pub first: Duration,
    /// Largest delay between attempts.
    pub max: Duration,
}

impl Default for Backoff {
    /// 1 s, doubling up to 4 s.
    fn default() -> Backoff {
        Backoff { first: Duration::from_secs(1), max: Duration::from_secs(4) }
    }
}

/// One port's reconnection state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconnect {
    backoff: Backoff,
    /// When the next attempt is due (`None`: the link is up).
    due: Option<Instant>,
    /// Delay after the next attempt if it does not bring the link up.
    next_delay: Duration,
    attempts: u64,
}

impl Reconnect {
    /// A port whose link is up (or about to come up) at `now`.
    pub fn new(backoff: Backoff) -> Reconnect {
        Reconnect { backoff, due: None, next_delay: backoff.first, attempts: 0 }
    }

    /// A port found down at `now` (e.g. its start failed): first attempt after
    /// [`Backoff::first`].
    pub fn down_since(backoff: Backoff, now: Instant) -> Reconnect {
        let mut r = Reconnect::new(backoff);
        r.due = Some(now + backoff.first);
        r
    }

    /// Feeds the link state at `now`; returns `true` when the port should be
    /// stopped and started now (then report the outcome with
    /// [`Reconnect::attempted`]).
    pub fn poll(&mut self, now: Instant, link_up: bool) -> bool {
        if link_up {
            self.due = None;
            self.next_delay = self.backoff.first;
            return false;
        }
        match self.due {
            None => {
                self.due = Some(now + self.backoff.first);
                false
            }
            Some(due) => now >= due,
        }
    }

    /// Records an attempt made at `now`, whether or not the port's start
    /// succeeded (a started memif client comes up later, after its handshake):
    /// the next one, if the link stays down, after the current delay, which
    /// then doubles up to [`Backoff::max`].
    pub fn attempted(&mut self, now: Instant) {
        self.attempts += 1;
        self.due = Some(now + self.next_delay);
        self.next_delay = (self.next_delay * 2).min(self.backoff.max);
    }

    /// Attempts made so far.
    pub fn attempts(&self) -> u64 {
        self.attempts
    }

    /// Whether an attempt is pending (the link is down).
    pub fn is_down(&self) -> bool {
        self.due.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn up_links_are_left_alone() {
        let t0 = Instant::now();
        let mut r = Reconnect::new(Backoff::default());
        for i in 0..100 {
            assert!(!r.poll(t0 + i * 100 * MS, true));
        }
        assert!(!r.is_down());
        assert_eq!(r.attempts(), 0);
    }

    #[test]
    fn first_attempt_after_one_second_down_then_doubling_to_the_cap() {
        let t0 = Instant::now();
        let mut r = Reconnect::new(Backoff::default());
        assert!(!r.poll(t0, false), "not at once");
        assert!(!r.poll(t0 + 999 * MS, false));
        let mut at = t0 + 1000 * MS;
        assert!(r.poll(at, false));
        // Attempts that leave the link down: 1, 2, 4, 4 s apart.
        for gap in [1000u32, 2000, 4000, 4000] {
            r.attempted(at);
            assert!(!r.poll(at + (gap - 1) * MS, false), "gap {gap}");
            at += gap * MS;
            assert!(r.poll(at, false), "gap {gap}");
        }
        assert_eq!(r.attempts(), 4);
    }

    #[test]
    fn coming_up_resets_the_backoff() {
        let t0 = Instant::now();
        let mut r = Reconnect::down_since(Backoff::default(), t0);
        assert!(r.is_down());
        assert!(r.poll(t0 + 1000 * MS, false));
        r.attempted(t0 + 1000 * MS);
        r.attempted(t0 + 2000 * MS);
        // Up after the second attempt, then down again: 1 s, as at first.
        assert!(!r.poll(t0 + 2100 * MS, true));
        assert!(!r.is_down());
        assert!(!r.poll(t0 + 5000 * MS, false));
        assert!(!r.poll(t0 + 5999 * MS, false));
        assert!(r.poll(t0 + 6000 * MS, false));
        r.attempted(t0 + 6000 * MS);
        assert!(r.poll(t0 + 7000 * MS, false), "the delay restarted from 1 s");
    }
}
