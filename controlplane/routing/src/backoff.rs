//! SPF back-off: when to run SPF after LSDB changes, [RFC 8405] ("SPF Back-Off
//! Delay Algorithm for Link-State IGPs").
//!
//! Running SPF on every LSA would waste CPU during a flap and, worse, install
//! intermediate states of a failure that is still being flooded (micro-loops).
//! Running it after a fixed delay makes convergence slow for the common single
//! failure. RFC 8405 reconciles both: the first event after a quiet period is
//! handled fast (INITIAL_SPF_DELAY), further events within TIME_TO_LEARN are
//! batched with SHORT_SPF_DELAY, and if the network keeps changing after that
//! the router assumes a prolonged instability and waits LONG_SPF_DELAY between
//! runs until it has been quiet for HOLDDOWN [RFC 8405 §4]. RFC 8405 exists so
//! that all routers of a domain use the *same* algorithm and converge together.
//!
//! The state machine is that of [RFC 8405 §5] (states QUIET, SHORT_WAIT,
//! LONG_WAIT; timers SPF_TIMER, LEARN_TIMER, HOLDDOWN_TIMER), transitions
//! numbered as in [RFC 8405 §5.1]:
//!
//! | # | state      | input                  | action                                                             | next       |
//! |---|------------|------------------------|--------------------------------------------------------------------|------------|
//! | 1 | QUIET      | IGP event              | SPF_TIMER ← INITIAL (if not running), LEARN ← TTL, HOLDDOWN ← HD    | SHORT_WAIT |
//! | 2 | SHORT_WAIT | IGP event              | HOLDDOWN ← HD; SPF_TIMER ← SHORT (if not running)                   | SHORT_WAIT |
//! | 3 | SHORT_WAIT | LEARN_TIMER expires    | —                                                                  | LONG_WAIT  |
//! | 4 | LONG_WAIT  | IGP event              | HOLDDOWN ← HD; SPF_TIMER ← LONG (if not running)                    | LONG_WAIT  |
//! | 5 | LONG_WAIT  | HOLDDOWN expires       | —                                                                  | QUIET      |
//! | 6 | SHORT_WAIT | HOLDDOWN expires       | stop LEARN_TIMER                                                   | QUIET      |
//! | 7–9 | any      | SPF_TIMER expires      | compute SPF ([`SpfBackoff::poll`] returns `true`)                  | same       |
//!
//! Pure state machine: the caller passes `now` to [`SpfBackoff::event`] and
//! [`SpfBackoff::poll`] and arms one timer at [`SpfBackoff::next_deadline`].
//! Timers that expired before `now` are processed in time order on the next
//! call; an expired SPF_TIMER stays pending (counts as "running" for
//! transitions 2 and 4) until `poll` reports it, so no SPF run is ever lost.
//!
//! Alternatives rejected: an exponential back-off (the pre-RFC 8405 vendor
//! default; routers with different histories then compute at different times,
//! which is the micro-loop problem RFC 8405 §1 describes); a fixed hold time
//! (either slow or useless during flaps).

use std::time::{Duration, Instant};

/// The five parameters of [RFC 8405 §6]. All routers of a domain should use
/// the same values [RFC 8405 §6].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpfBackoffConfig {
    /// INITIAL_SPF_DELAY: delay of the first SPF after a quiet period.
    pub initial_delay: Duration,
    /// SHORT_SPF_DELAY: delay while learning (SHORT_WAIT).
    pub short_delay: Duration,
    /// LONG_SPF_DELAY: delay during prolonged instability (LONG_WAIT).
    pub long_delay: Duration,
    /// TIME_TO_LEARN_INTERVAL: how long SHORT_WAIT lasts before LONG_WAIT.
    pub time_to_learn: Duration,
    /// HOLDDOWN_INTERVAL: quiet time (no IGP event) needed to return to QUIET.
    pub holddown: Duration,
}

impl Default for SpfBackoffConfig {
    /// The values suggested in [RFC 8405 §6]: 50 ms, 200 ms, 5 s, 500 ms, 10 s.
    fn default() -> Self {
        SpfBackoffConfig {
            initial_delay: Duration::from_millis(50),
            short_delay: Duration::from_millis(200),
            long_delay: Duration::from_secs(5),
            time_to_learn: Duration::from_millis(500),
            holddown: Duration::from_secs(10),
        }
    }
}

/// The states of [RFC 8405 §5].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackoffState {
    /// QUIET: no recent event; the next one is handled with INITIAL_SPF_DELAY.
    Quiet,
    /// SHORT_WAIT: recent events, learning; SPF after SHORT_SPF_DELAY.
    ShortWait,
    /// LONG_WAIT: prolonged instability; SPF after LONG_SPF_DELAY.
    LongWait,
}

impl BackoffState {
    /// The state's name as the management API reports it: `"quiet"`,
    /// `"short_wait"` or `"long_wait"` [RFC 8405 §5].
    pub fn as_str(self) -> &'static str {
        match self {
            BackoffState::Quiet => "quiet",
            BackoffState::ShortWait => "short_wait",
            BackoffState::LongWait => "long_wait",
        }
    }
}

/// The [RFC 8405] back-off state machine (see the [module docs](self)).
#[derive(Clone, Debug)]
pub struct SpfBackoff {
    cfg: SpfBackoffConfig,
    state: BackoffState,
    /// SPF_TIMER expiry (running, or expired and not yet reported by `poll`).
    spf_at: Option<Instant>,
    /// LEARN_TIMER expiry.
    learn_at: Option<Instant>,
    /// HOLDDOWN_TIMER expiry.
    holddown_at: Option<Instant>,
    /// SPF runs reported by `poll` (statistics).
    runs: u64,
}

impl SpfBackoff {
    /// A back-off in [`BackoffState::Quiet`] with no timer running.
    pub fn new(cfg: SpfBackoffConfig) -> SpfBackoff {
        SpfBackoff { cfg, state: BackoffState::Quiet, spf_at: None, learn_at: None, holddown_at: None, runs: 0 }
    }

    /// An IGP event (LSDB change that needs SPF) happened at `now`
    /// [RFC 8405 §5.1 transitions 1, 2, 4]. Learn/holddown timers that expired
    /// before `now` are processed first.
    pub fn event(&mut self, now: Instant) {
        self.advance(now);
        let delay = match self.state {
            BackoffState::Quiet => {
                self.learn_at = Some(now + self.cfg.time_to_learn);
                self.state = BackoffState::ShortWait;
                self.cfg.initial_delay
            }
            BackoffState::ShortWait => self.cfg.short_delay,
            BackoffState::LongWait => self.cfg.long_delay,
        };
        self.holddown_at = Some(now + self.cfg.holddown);
        if self.spf_at.is_none() {
            self.spf_at = Some(now + delay);
        }
    }

    /// The earliest of: when SPF should run next, and when the learn or
    /// holddown timer fires (the caller should [`poll`](Self::poll) then).
    /// `None`: nothing pending (QUIET and no SPF scheduled).
    pub fn next_deadline(&self) -> Option<Instant> {
        [self.spf_at, self.learn_at, self.holddown_at].into_iter().flatten().min()
    }

    /// When SPF is scheduled (SPF_TIMER), if it is.
    pub fn spf_deadline(&self) -> Option<Instant> {
        self.spf_at
    }

    /// Advances timers to `now` [RFC 8405 §5.1 transitions 3, 5, 6]; returns
    /// true when SPF must run now (transitions 7–9; the caller runs it).
    pub fn poll(&mut self, now: Instant) -> bool {
        self.advance(now);
        match self.spf_at {
            Some(at) if at <= now => {
                self.spf_at = None;
                self.runs += 1;
                true
            }
            _ => false,
        }
    }

    /// The current state (as of the last `event`/`poll`).
    pub fn state(&self) -> BackoffState {
        self.state
    }

    /// The state at `now`: [`state`](Self::state) with the learn and holddown
    /// timers that expired by `now` applied [RFC 8405 §5.1 transitions 3, 5, 6],
    /// without changing `self` (for reporting between two polls).
    pub fn state_at(&self, now: Instant) -> BackoffState {
        let mut b = self.clone();
        b.advance(now);
        b.state
    }

    /// How many times `poll` has returned true.
    pub fn spf_runs(&self) -> u64 {
        self.runs
    }

    /// Processes the learn and holddown timers that expired at or before `now`,
    /// in time order (learn first on a tie: SHORT_WAIT → LONG_WAIT → QUIET and
    /// SHORT_WAIT → QUIET end in the same state).
    fn advance(&mut self, now: Instant) {
        loop {
            let learn = self.learn_at.filter(|&t| t <= now);
            let hold = self.holddown_at.filter(|&t| t <= now);
            match (learn, hold) {
                (Some(l), h) if h.map_or(true, |h| l <= h) => {
                    // Transition 3 (LEARN_TIMER only runs in SHORT_WAIT).
                    self.learn_at = None;
                    if self.state == BackoffState::ShortWait {
                        self.state = BackoffState::LongWait;
                    }
                }
                (_, Some(_)) => {
                    // Transitions 5 and 6.
                    self.holddown_at = None;
                    self.learn_at = None;
                    self.state = BackoffState::Quiet;
                }
                _ => break,
            }
        }
    }
}

impl Default for SpfBackoff {
    fn default() -> Self {
        SpfBackoff::new(SpfBackoffConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_at_applies_expired_timers_without_changing_the_machine() {
        let t0 = Instant::now();
        let mut b = SpfBackoff::default();
        assert_eq!(b.state_at(t0).as_str(), "quiet");
        b.event(t0);
        assert!(b.poll(t0 + Duration::from_millis(50)));
        assert_eq!(b.state_at(t0 + Duration::from_millis(499)).as_str(), "short_wait");
        // TIME_TO_LEARN (500 ms) expired: LONG_WAIT; HOLDDOWN (10 s): QUIET [RFC 8405 §5.1 T3, T5].
        assert_eq!(b.state_at(t0 + Duration::from_millis(500)).as_str(), "long_wait");
        assert_eq!(b.state_at(t0 + Duration::from_secs(10)), BackoffState::Quiet);
        assert_eq!(b.state(), BackoffState::ShortWait, "state_at is a read-only view");
        assert_eq!(b.next_deadline(), Some(t0 + Duration::from_millis(500)));
    }
}
