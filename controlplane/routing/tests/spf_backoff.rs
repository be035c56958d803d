//! [RFC 8405] SPF back-off: every transition of §5.1 with an injected clock,
//! and the bound on SPF runs under a flapping link.

use std::time::{Duration, Instant};

use dmsc_routing::backoff::{BackoffState, SpfBackoff, SpfBackoffConfig};

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

#[test]
fn defaults_are_rfc8405_section6() {
    let c = SpfBackoffConfig::default();
    assert_eq!(
        (c.initial_delay, c.short_delay, c.long_delay, c.time_to_learn, c.holddown),
        (ms(50), ms(200), ms(5000), ms(500), ms(10_000))
    );
}

#[test]
fn quiet_has_nothing_pending() {
    let t0 = Instant::now();
    let mut b = SpfBackoff::default();
    assert_eq!(b.state(), BackoffState::Quiet);
    assert_eq!(b.next_deadline(), None);
    assert!(!b.poll(t0 + ms(100_000)));
    assert_eq!(b.state(), BackoffState::Quiet);
}

#[test]
fn transitions_1_2_3_4_5_and_8_9() {
    let t0 = Instant::now();
    let mut b = SpfBackoff::default();

    // T1: QUIET + event → SHORT_WAIT, SPF at +50 ms, learn at +500, holddown at +10 s.
    b.event(t0);
    assert_eq!(b.state(), BackoffState::ShortWait);
    assert_eq!(b.spf_deadline(), Some(t0 + ms(50)));
    assert_eq!(b.next_deadline(), Some(t0 + ms(50)));
    assert!(!b.poll(t0 + ms(49)));
    // T8: SPF_TIMER expires in SHORT_WAIT.
    assert!(b.poll(t0 + ms(50)));
    assert!(!b.poll(t0 + ms(50)), "reported once");
    assert_eq!(b.state(), BackoffState::ShortWait);
    assert_eq!(b.spf_deadline(), None);
    assert_eq!(b.next_deadline(), Some(t0 + ms(500)), "learn timer next");

    // T2: event in SHORT_WAIT → SPF at +SHORT_SPF_DELAY, holddown restarted.
    b.event(t0 + ms(100));
    assert_eq!(b.spf_deadline(), Some(t0 + ms(300)));
    // Another event while SPF_TIMER runs does not move it.
    b.event(t0 + ms(150));
    assert_eq!(b.spf_deadline(), Some(t0 + ms(300)));
    assert_eq!(b.state(), BackoffState::ShortWait);
    assert!(b.poll(t0 + ms(300)));

    // T3: LEARN_TIMER expires → LONG_WAIT.
    assert_eq!(b.next_deadline(), Some(t0 + ms(500)));
    assert!(!b.poll(t0 + ms(500)));
    assert_eq!(b.state(), BackoffState::LongWait);
    // Holddown restarted by the event at +150 ms.
    assert_eq!(b.next_deadline(), Some(t0 + ms(10_150)));

    // T4: event in LONG_WAIT → SPF at +LONG_SPF_DELAY.
    b.event(t0 + ms(600));
    assert_eq!(b.state(), BackoffState::LongWait);
    assert_eq!(b.spf_deadline(), Some(t0 + ms(5600)));
    b.event(t0 + ms(700));
    assert_eq!(b.spf_deadline(), Some(t0 + ms(5600)));
    // T9: SPF_TIMER expires in LONG_WAIT.
    assert!(!b.poll(t0 + ms(5599)));
    assert!(b.poll(t0 + ms(5600)));
    assert_eq!(b.state(), BackoffState::LongWait);

    // T5: HOLDDOWN expires in LONG_WAIT (10 s after the last event) → QUIET.
    assert_eq!(b.next_deadline(), Some(t0 + ms(10_700)));
    assert!(!b.poll(t0 + ms(10_699)));
    assert_eq!(b.state(), BackoffState::LongWait);
    assert!(!b.poll(t0 + ms(10_700)));
    assert_eq!(b.state(), BackoffState::Quiet);
    assert_eq!(b.next_deadline(), None);

    // Back in QUIET, the next event is fast again (T1).
    b.event(t0 + ms(20_000));
    assert_eq!(b.spf_deadline(), Some(t0 + ms(20_050)));
    assert_eq!(b.spf_runs(), 3);
}

#[test]
fn transition_6_holddown_in_short_wait() {
    // Holddown shorter than time-to-learn: SHORT_WAIT ends by holddown.
    let cfg = SpfBackoffConfig { holddown: ms(300), ..SpfBackoffConfig::default() };
    let t0 = Instant::now();
    let mut b = SpfBackoff::new(cfg);
    b.event(t0);
    assert!(b.poll(t0 + ms(50)));
    assert_eq!(b.next_deadline(), Some(t0 + ms(300)));
    assert!(!b.poll(t0 + ms(300)));
    assert_eq!(b.state(), BackoffState::Quiet);
    // LEARN_TIMER was deactivated: nothing pending, and it never fires later.
    assert_eq!(b.next_deadline(), None);
    assert!(!b.poll(t0 + ms(600)));
    assert_eq!(b.state(), BackoffState::Quiet);
}

#[test]
fn transition_7_spf_timer_in_quiet() {
    // LONG_SPF_DELAY longer than HOLDDOWN: the SPF scheduled in LONG_WAIT
    // fires after the return to QUIET.
    let cfg = SpfBackoffConfig { time_to_learn: ms(100), holddown: ms(2000), ..SpfBackoffConfig::default() };
    let t0 = Instant::now();
    let mut b = SpfBackoff::new(cfg);
    b.event(t0);
    assert!(b.poll(t0 + ms(50)));
    // The event processes the expired learn timer first: LONG_WAIT, long delay.
    b.event(t0 + ms(200));
    assert_eq!(b.state(), BackoffState::LongWait);
    assert_eq!(b.spf_deadline(), Some(t0 + ms(5200)));
    assert!(!b.poll(t0 + ms(2200)));
    assert_eq!(b.state(), BackoffState::Quiet);
    assert_eq!(b.next_deadline(), Some(t0 + ms(5200)));
    // T1 with SPF_TIMER already running: it is kept, not restarted.
    b.event(t0 + ms(3000));
    assert_eq!(b.state(), BackoffState::ShortWait);
    assert_eq!(b.spf_deadline(), Some(t0 + ms(5200)));
    assert!(b.poll(t0 + ms(5200)));
}

#[test]
fn pure_quiet_spf_timer_transition_7() {
    // The same, but SPF fires while still QUIET (no event in between).
    let cfg = SpfBackoffConfig { time_to_learn: ms(100), holddown: ms(2000), ..SpfBackoffConfig::default() };
    let t0 = Instant::now();
    let mut b = SpfBackoff::new(cfg);
    b.event(t0);
    assert!(b.poll(t0 + ms(50)));
    b.event(t0 + ms(200));
    assert!(!b.poll(t0 + ms(2200)));
    assert_eq!(b.state(), BackoffState::Quiet);
    assert!(b.poll(t0 + ms(5200)));
    assert_eq!(b.state(), BackoffState::Quiet);
    assert_eq!(b.next_deadline(), None);
}

#[test]
fn late_poll_processes_timers_in_order_and_never_loses_spf() {
    let t0 = Instant::now();
    let mut b = SpfBackoff::default();
    b.event(t0);
    // Polled 20 s late: one SPF run, learn then holddown processed → QUIET.
    assert!(b.poll(t0 + ms(20_000)));
    assert_eq!(b.state(), BackoffState::Quiet);
    assert_eq!(b.next_deadline(), None);

    // An event while an expired SPF_TIMER is unreported keeps that deadline
    // (the SPF about to run covers the new event too).
    let mut b = SpfBackoff::default();
    b.event(t0);
    b.event(t0 + ms(60));
    assert_eq!(b.spf_deadline(), Some(t0 + ms(50)));
    assert!(b.poll(t0 + ms(60)));
    b.event(t0 + ms(70));
    assert_eq!(b.spf_deadline(), Some(t0 + ms(270)));
}

/// Runs `events` (sorted) through a back-off driven like the real driver
/// (poll at every deadline, event at every event time, then drain) and
/// returns the times SPF ran, relative to `t0`.
fn drive(
    cfg: SpfBackoffConfig,
    t0: Instant,
    events: impl IntoIterator<Item = Duration>,
) -> (Vec<Duration>, SpfBackoff) {
    let mut b = SpfBackoff::new(cfg);
    let mut runs = Vec::new();
    let poll_until = |b: &mut SpfBackoff, runs: &mut Vec<Duration>, limit: Option<Instant>| {
        while let Some(d) = b.next_deadline() {
            if limit.is_some_and(|l| d > l) {
                break;
            }
            if b.poll(d) {
                runs.push(d - t0);
            }
        }
    };
    for e in events {
        let t = t0 + e;
        poll_until(&mut b, &mut runs, Some(t));
        b.event(t);
    }
    poll_until(&mut b, &mut runs, None);
    (runs, b)
}

#[test]
fn flapping_link_runs_spf_a_bounded_number_of_times() {
    // An IGP event every 10 ms for 60 s (6,000 events).
    let cfg = SpfBackoffConfig::default();
    let t0 = Instant::now();
    let flap = ms(60_000);
    let (runs, b) = drive(cfg, t0, (0..6000).map(|k| ms(10 * k)));

    // Bound: SHORT_WAIT lasts TIME_TO_LEARN (500 ms) from the first event:
    // one run after INITIAL_SPF_DELAY, then at most ⌈TTL / SHORT⌉ = 3 runs
    // spaced ≥ SHORT_SPF_DELAY; in LONG_WAIT runs are spaced ≥ LONG_SPF_DELAY,
    // so at most ⌈60 s / 5 s⌉ = 12 during the flap, plus one scheduled by the
    // last events. Total ≤ 1 + 3 + 12 + 1 = 17 (against 6,000 without back-off).
    let bound = 1
        + cfg.time_to_learn.as_millis().div_ceil(cfg.short_delay.as_millis())
        + flap.as_millis().div_ceil(cfg.long_delay.as_millis())
        + 1;
    assert_eq!(bound, 17);
    assert!(runs.len() as u128 <= bound, "{} runs: {runs:?}", runs.len());
    // Exact schedule (the driver polls before handling an event at the same
    // instant, so each run is followed by an event that re-arms the timer):
    // 50, 250, 450 ms in SHORT_WAIT, 650 ms (armed before learn expired at
    // 500 ms), then every 5 s from 5.65 s; the last at 60.65 s.
    let mut expect = vec![ms(50), ms(250), ms(450), ms(650)];
    expect.extend((0..12).map(|k| ms(5650 + 5000 * k)));
    assert_eq!(runs, expect);
    // After the flap: holddown expires 10 s after the last event → QUIET.
    assert_eq!(b.state(), BackoffState::Quiet);
    assert_eq!(b.next_deadline(), None);
    // The last SPF ran after the last event (the final state is computed).
    assert!(*runs.last().unwrap() >= ms(59_990));
}

#[test]
fn single_event_after_quiet_is_fast_and_isolated_events_stay_fast() {
    // Events 20 s apart: always QUIET in between, every SPF after 50 ms.
    let t0 = Instant::now();
    let (runs, b) = drive(SpfBackoffConfig::default(), t0, (0..5).map(|k| ms(20_000 * k)));
    assert_eq!(runs, (0..5).map(|k| ms(20_000 * k + 50)).collect::<Vec<_>>());
    assert_eq!(b.state(), BackoffState::Quiet);
}
