//! Results of one trial: latency histogram and packet counts, and their summaries.
//!
//! Latencies are recorded in TSC cycles (no division per packet) into an HDR histogram
//! (`hdrhistogram`, 3 significant digits: every percentile within 0.1 % of the recorded
//! value) and converted to µs when reported. Values above the histogram's ceiling (10 s)
//! are clamped to it, which only matters for `max` on a machine that stalls that long.
//!
//! Rejected: storing every latency and sorting (hundreds of MB per trial at full rate);
//! fixed-width buckets (either too coarse at the µs scale or too many for ms outliers).

use hdrhistogram::Histogram;

use super::seq::SeqSummary;

/// Latency percentiles of a trial, in µs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Percentiles {
    /// Smallest latency.
    pub min_us: f64,
    /// Median.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Largest latency.
    pub max_us: f64,
}

/// Everything measured in one trial (the measured phase only; warm-up excluded).
#[derive(Clone, Debug)]
pub struct TrialResult {
    /// Offered rate asked for, packets per second; `None` = full blast.
    pub target_pps: Option<f64>,
    /// Length of the measured phase (first to last transmit opportunity), seconds.
    pub duration_s: f64,
    /// Sequence-number accounting of the packets the driver accepted.
    pub seq: SeqSummary,
    /// Packets the driver refused (the router's input ring was full); not numbered, and
    /// lost at the router's input in RFC 2544 terms.
    pub refused: u64,
    /// Schedule slots the generator skipped because it fell behind (not offered at all).
    pub skipped: u64,
    /// Frames received during this trial that carried another trial's stamp (late).
    pub stale: u64,
    /// Frames received that carried no stamp of ours (see [`super::frame::StampError`]).
    pub foreign: u64,
    /// Receipts whose receive TSC was not after their transmit TSC (impossible on one
    /// core; a corrupted stamp). Not in the histogram.
    pub nonpositive: u64,
    /// Latency of every first receipt, TSC cycles.
    pub hist: Histogram<u64>,
    /// TSC frequency, Hz.
    pub tsc_hz: u64,
    /// Length of the rate windows below, seconds (0: none kept).
    pub window_s: f64,
    /// Distinct packets of this trial received in each whole window of `window_s` from
    /// the phase's start (receive time; the drain after the phase is not included).
    pub rx_windows: Vec<u64>,
    /// Packets offered (accepted or refused) in each window (send time).
    pub tx_windows: Vec<u64>,
    /// Received packets of this trial whose destination MAC was the churn's second next
    /// hop (`router::CHURN_ALT_MAC`): non-zero only if a FIB replacement reached the lcore.
    pub alt_mac: u64,
}

/// Lowest and median value of per-window packet counts, as packets per second.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WindowRates {
    /// Lowest window, packets per second.
    pub min_pps: f64,
    /// Median window, packets per second.
    pub median_pps: f64,
}

impl WindowRates {
    /// Of `counts` per window of `window_s` seconds; `None` if there is no window.
    pub fn of(counts: &[u64], window_s: f64) -> Option<WindowRates> {
        if counts.is_empty() || window_s <= 0.0 {
            return None;
        }
        let v: Vec<f64> = counts.iter().map(|c| *c as f64 / window_s).collect();
        Some(WindowRates { min_pps: v.iter().copied().fold(f64::INFINITY, f64::min), median_pps: median(&v)? })
    }

    /// The dip: 1 − lowest / median (0 = flat; 1 = a window with nothing).
    pub fn dip(&self) -> f64 {
        if self.median_pps > 0.0 {
            1.0 - self.min_pps / self.median_pps
        } else {
            0.0
        }
    }
}

/// Median latency from which a trial counts as saturated ([`TrialResult::saturated`]), µs.
pub const SATURATED_P50_US: f64 = 1000.0;

/// Highest latency the histogram records: 10 s at the given TSC rate, cycles.
pub fn histogram_ceiling(tsc_hz: u64) -> u64 {
    tsc_hz.max(1_000_000).saturating_mul(10)
}

/// An empty latency histogram for a TSC of `tsc_hz`.
pub fn new_histogram(tsc_hz: u64) -> Histogram<u64> {
    // Bounds valid by construction (1 < ceiling ≥ 10^7, 3 digits): cannot fail.
    Histogram::new_with_bounds(1, histogram_ceiling(tsc_hz), 3).expect("valid histogram bounds")
}

impl TrialResult {
    /// Packets offered: accepted by the driver plus refused.
    pub fn offered(&self) -> u64 {
        self.seq.sent + self.refused
    }

    /// Packets lost: refused at the router's input plus not received.
    pub fn lost_total(&self) -> u64 {
        self.refused + self.seq.lost
    }

    /// Whether nothing offered was lost (RFC 2544: frames received = frames sent).
    pub fn zero_loss(&self) -> bool {
        self.lost_total() == 0 && self.seq.sent > 0
    }

    /// Offered rate achieved, packets per second.
    pub fn offered_pps(&self) -> f64 {
        rate(self.offered(), self.duration_s)
    }

    /// Received rate (distinct packets), packets per second.
    pub fn received_pps(&self) -> f64 {
        rate(self.seq.distinct, self.duration_s)
    }

    /// Received rate per window (lowest and median); `None` if no whole window.
    pub fn rx_window_rates(&self) -> Option<WindowRates> {
        WindowRates::of(&self.rx_windows, self.window_s)
    }

    /// Offered rate per window (lowest and median); `None` if no whole window.
    pub fn tx_window_rates(&self) -> Option<WindowRates> {
        WindowRates::of(&self.tx_windows, self.window_s)
    }

    /// Latency percentiles in µs; `None` if nothing was received.
    pub fn percentiles(&self) -> Option<Percentiles> {
        if self.hist.is_empty() {
            return None;
        }
        let us = |cycles: u64| cycles as f64 * 1e6 / self.tsc_hz.max(1) as f64;
        Some(Percentiles {
            min_us: us(self.hist.min()),
            p50_us: us(self.hist.value_at_quantile(0.5)),
            p99_us: us(self.hist.value_at_quantile(0.99)),
            p999_us: us(self.hist.value_at_quantile(0.999)),
            max_us: us(self.hist.max()),
        })
    }

    /// The router did not keep up with the offered load for most of the trial: the median
    /// packet waited at least [`SATURATED_P50_US`]. At a load it can carry, a polling
    /// router's median is microseconds even when stalls make the tail long; a millisecond
    /// median means a standing queue, i.e. the load was above what it forwarded then (on
    /// the test VM: the machine dropped to its slow state after R_max was measured).
    pub fn saturated(&self) -> bool {
        self.percentiles().is_some_and(|p| p.p50_us >= SATURATED_P50_US)
    }

    /// One line: rates, counts, percentiles and (if kept) the per-window rates.
    pub fn line(&self) -> String {
        let p = self.percentiles().unwrap_or_default();
        let s = &self.seq;
        let windows = match (self.rx_window_rates(), self.tx_window_rates()) {
            (Some(r), Some(t)) => format!(
                " | {:.0}-ms windows: received min {:.3} median {:.3} Mpps (dip {:.1} %), offered min {:.3} median {:.3} Mpps",
                self.window_s * 1e3,
                r.min_pps / 1e6,
                r.median_pps / 1e6,
                r.dip() * 100.0,
                t.min_pps / 1e6,
                t.median_pps / 1e6
            ),
            _ => String::new(),
        };
        let windows = if self.alt_mac > 0 {
            format!("{windows} | {} received via the churn's second next hop", self.alt_mac)
        } else {
            windows
        };
        format!(
            "offered {:.3} Mpps, received {:.3} Mpps | sent {} received {} lost {} (refused at input {}, not received {}) dup {} reord {} | \
             latency µs p50 {:.1} p99 {:.1} p99.9 {:.1} max {:.1} (min {:.1}){windows}",
            self.offered_pps() / 1e6,
            self.received_pps() / 1e6,
            s.sent,
            s.distinct,
            self.lost_total(),
            self.refused,
            s.lost,
            s.duplicates,
            s.reordered,
            p.p50_us,
            p.p99_us,
            p.p999_us,
            p.max_us,
            p.min_us
        )
    }
}

fn rate(n: u64, s: f64) -> f64 {
    if s > 0.0 {
        n as f64 / s
    } else {
        0.0
    }
}

/// Median of `xs` (mean of the two middle values for an even count); `None` if empty.
pub fn median(xs: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_in_microseconds() {
        let hz = 2_000_000_000; // 2 GHz: 2000 cycles = 1 µs
        let mut hist = new_histogram(hz);
        for i in 1..=1000u64 {
            hist.record(i * 2000).unwrap(); // 1..=1000 µs
        }
        let t = TrialResult {
            target_pps: Some(1000.0),
            duration_s: 2.0,
            seq: SeqSummary {
                sent: 1002,
                received: 1000,
                distinct: 1000,
                lost: 2,
                lost_by_gaps: 2,
                ..SeqSummary::default()
            },
            refused: 3,
            skipped: 0,
            stale: 0,
            foreign: 0,
            nonpositive: 0,
            hist,
            tsc_hz: hz,
            window_s: 0.5,
            rx_windows: vec![200, 100, 300],
            tx_windows: vec![],
            alt_mac: 0,
        };
        let p = t.percentiles().unwrap();
        let close = |a: f64, b: f64| (a - b).abs() <= b * 0.002 + 1e-9;
        assert!(close(p.min_us, 1.0) && close(p.p50_us, 500.0) && close(p.p99_us, 990.0), "{p:?}");
        assert!(close(p.p999_us, 999.0) && close(p.max_us, 1000.0), "{p:?}");
        assert_eq!(t.offered(), 1005);
        assert_eq!(t.lost_total(), 5);
        assert!(!t.zero_loss());
        assert!((t.offered_pps() - 502.5).abs() < 1e-9);
        assert!((t.received_pps() - 500.0).abs() < 1e-9);
        assert!(
            t.line().contains("lost 5 (refused at input 3, not received 2)") && t.line().contains("p50 500."),
            "{}",
            t.line()
        );
        let w = t.rx_window_rates().unwrap();
        assert_eq!(w, WindowRates { min_pps: 200.0, median_pps: 400.0 });
        assert!((w.dip() - 0.5).abs() < 1e-12);
        assert_eq!(t.tx_window_rates(), None);
        // p50 500 µs: not saturated; the same trial with every packet 2 ms late is.
        assert!(!t.saturated());
        let mut late = new_histogram(hz);
        late.record(4_000_000).unwrap();
        assert!(TrialResult { hist: late, ..t }.saturated());
    }

    #[test]
    fn medians_and_ceiling() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        let mut h = new_histogram(1_000_000_000);
        h.saturating_record(u64::MAX);
        assert_eq!(h.max(), h.highest_equivalent(histogram_ceiling(1_000_000_000)));
    }
}
