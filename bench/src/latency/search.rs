//! The RFC 2544 throughput search: the highest offered rate at which a trial loses
//! nothing [RFC 2544 §26.1], found by bisection.
//!
//! RFC 2544 §26.1 says only "reduce the rate and rerun until no frame is lost"; the
//! usual implementation, and this one, bisects between the highest rate known to be
//! loss-free (`lo`, initially 0) and the lowest rate known to lose (`hi`). The first trial
//! is at the ceiling (`max_pps`: here the rate the router delivered under overload, R_max);
//! if it loses nothing the answer is the ceiling itself (flagged: the true value may be
//! higher). The search ends when `hi − lo` is at most the resolution (1 % of R_max in the
//! harness) and answers `lo`.
//!
//! The state machine does no I/O: the caller asks [`LossSearch::next_rate`], runs a trial
//! at that rate, and reports it with [`LossSearch::record`].
//!
//! Rejected: a linear descent from the ceiling in resolution steps (up to 100 trials
//! instead of ~7); RFC 2889-style binary search with a loss tolerance (the brief and RFC
//! 2544 ask for zero loss; a tolerance would hide the occasional preemption loss that is
//! exactly what a shared VM produces, and which the report should show).

/// Outcome of one trial of the search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SearchTrial {
    /// Rate the trial was asked to offer, packets per second.
    pub rate_pps: f64,
    /// Whether the trial lost no packet.
    pub zero_loss: bool,
}

/// Bisection state.
#[derive(Clone, Debug)]
pub struct LossSearch {
    max_pps: f64,
    resolution_pps: f64,
    lo: f64,
    hi: Option<f64>,
    trials: Vec<SearchTrial>,
    done: bool,
}

/// Result of a finished search.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchResult {
    /// Highest rate at which a trial lost nothing, packets per second (0 if every trial
    /// lost packets).
    pub zero_loss_pps: f64,
    /// Lowest rate at which a trial lost packets, if any.
    pub lossy_pps: Option<f64>,
    /// True if the ceiling itself was loss-free (the zero-loss rate may be higher).
    pub at_ceiling: bool,
    /// Every trial, in order.
    pub trials: Vec<SearchTrial>,
}

impl LossSearch {
    /// A search below `max_pps` to a resolution of `resolution_pps` (both > 0; a
    /// resolution of 0 is raised to 1 pps).
    pub fn new(max_pps: f64, resolution_pps: f64) -> LossSearch {
        LossSearch {
            max_pps: max_pps.max(0.0),
            resolution_pps: resolution_pps.max(1.0),
            lo: 0.0,
            hi: None,
            trials: Vec::new(),
            done: max_pps <= 0.0,
        }
    }

    /// The rate of the next trial, or `None` when the search is finished.
    pub fn next_rate(&self) -> Option<f64> {
        if self.done {
            return None;
        }
        Some(match self.hi {
            None => self.max_pps,
            Some(hi) => (self.lo + hi) / 2.0,
        })
    }

    /// Records the outcome of a trial at `rate_pps` (normally the last
    /// [`LossSearch::next_rate`]).
    pub fn record(&mut self, rate_pps: f64, zero_loss: bool) {
        self.trials.push(SearchTrial { rate_pps, zero_loss });
        if zero_loss {
            self.lo = self.lo.max(rate_pps);
            if rate_pps >= self.max_pps {
                self.done = true;
            }
        } else {
            self.hi = Some(self.hi.map_or(rate_pps, |h| h.min(rate_pps)));
        }
        if let Some(hi) = self.hi {
            if hi - self.lo <= self.resolution_pps {
                self.done = true;
            }
        }
    }

    /// Whether [`LossSearch::next_rate`] has nothing more to try.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The result so far (final once [`LossSearch::is_done`]).
    pub fn result(&self) -> SearchResult {
        SearchResult {
            zero_loss_pps: self.lo,
            lossy_pps: self.hi,
            at_ceiling: self.hi.is_none() && self.lo >= self.max_pps && self.max_pps > 0.0,
            trials: self.trials.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the search against a device that loses above `capacity`.
    fn search(max: f64, res: f64, capacity: f64) -> SearchResult {
        let mut s = LossSearch::new(max, res);
        let mut n = 0;
        while let Some(r) = s.next_rate() {
            s.record(r, r <= capacity);
            n += 1;
            assert!(n < 100, "search does not converge");
        }
        s.result()
    }

    #[test]
    fn finds_the_capacity_to_the_resolution() {
        for capacity in [1.0e5, 2.5e6, 4.321e6, 5.99e6] {
            let r = search(6.0e6, 6.0e4, capacity);
            assert!(r.zero_loss_pps <= capacity, "{r:?}");
            assert!(capacity - r.zero_loss_pps <= 6.0e4, "{capacity}: {r:?}");
            assert!(r.lossy_pps.unwrap() > capacity);
            assert!(!r.at_ceiling);
            // Bisection of 6e6 down to 6e4: 1 + ceil(log2(100)) = 8 trials at most.
            assert!(r.trials.len() <= 8, "{}", r.trials.len());
            assert_eq!(r.trials[0].rate_pps, 6.0e6);
        }
    }

    #[test]
    fn loss_free_ceiling_and_loss_everywhere() {
        let r = search(6.0e6, 6.0e4, 1e9);
        assert_eq!((r.zero_loss_pps, r.at_ceiling, r.trials.len()), (6.0e6, true, 1));
        let r = search(6.0e6, 6.0e4, 0.0);
        assert_eq!(r.zero_loss_pps, 0.0);
        assert!(r.lossy_pps.unwrap() <= 6.0e4 * 1.01, "{r:?}");
        assert!(!r.at_ceiling);
        assert!(LossSearch::new(0.0, 1.0).next_rate().is_none());
    }
}
