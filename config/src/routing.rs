//! `[routing]` and `[management]`: the Service Prefix LSA routing protocol
//! [draft-li-dmsc-architecture §4.1 Type 2, §6.1] and the local management API.
//!
//! Kept apart from `validate.rs` (the data-plane sections) so that each file
//! reads as one topic. The keychain rules checked here (unique key ids, exactly
//! one send key, secrets of at least 16 bytes) are the ones the routing crate's
//! `Keychain::new` enforces too; they are checked here as well so that a bad key
//! is reported with its line and column before the daemon starts.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Collector, ErrorKind};
use crate::raw::{Int, S};
use crate::{Management, Name, Node, Routing, RoutingKey, RoutingPrefix};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRouting {
    pub router_id: S<Int>,
    #[serde(default)]
    pub prefixes: Option<S<Vec<S<RawPrefix>>>>,
    #[serde(default)]
    pub keys: Option<S<Vec<S<RawKey>>>>,
    #[serde(default)]
    pub hello_interval_ms: Option<S<Int>>,
    #[serde(default)]
    pub hold_multiplier: Option<S<Int>>,
    #[serde(default)]
    pub retransmit_interval_ms: Option<S<Int>>,
    #[serde(default)]
    pub csnp_interval_s: Option<S<Int>>,
    #[serde(default)]
    pub lsa_lifetime_s: Option<S<Int>>,
    #[serde(default)]
    pub lsa_refresh_s: Option<S<Int>>,
    #[serde(default)]
    pub spf_initial_delay_ms: Option<S<Int>>,
    #[serde(default)]
    pub spf_short_delay_ms: Option<S<Int>>,
    #[serde(default)]
    pub spf_long_delay_ms: Option<S<Int>>,
    #[serde(default)]
    pub spf_time_to_learn_ms: Option<S<Int>>,
    #[serde(default)]
    pub spf_holddown_ms: Option<S<Int>>,
    #[serde(default)]
    pub loop_free_alternates: Option<S<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPrefix {
    pub prefix: S<String>,
    #[serde(default)]
    pub metric: Option<S<Int>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKey {
    pub id: S<Int>,
    pub secret: S<String>,
    #[serde(default)]
    pub send: Option<S<bool>>,
    #[serde(default)]
    pub accept: Option<S<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawManagement {
    #[serde(default)]
    pub socket: Option<S<String>>,
}

/// Defaults of `[routing]`.
pub mod defaults {
    /// `hello_interval_ms`.
    pub const HELLO_INTERVAL_MS: u64 = 1000;
    /// `hold_multiplier`: hold time = multiplier × hello interval.
    pub const HOLD_MULTIPLIER: u16 = 3;
    /// `retransmit_interval_ms`.
    pub const RETRANSMIT_INTERVAL_MS: u64 = 500;
    /// `csnp_interval_s`.
    pub const CSNP_INTERVAL_S: u64 = 10;
    /// `lsa_lifetime_s` [ISO 10589 MaxAge is 1200 s].
    pub const LSA_LIFETIME_S: u64 = 1200;
    /// `lsa_refresh_s` (must be below the lifetime).
    pub const LSA_REFRESH_S: u64 = 900;
    /// `spf_initial_delay_ms`: INITIAL_SPF_DELAY [RFC 8405 §6: 50 ms].
    pub const SPF_INITIAL_DELAY_MS: u64 = 50;
    /// `spf_short_delay_ms`: SHORT_SPF_DELAY [RFC 8405 §6: 200 ms].
    pub const SPF_SHORT_DELAY_MS: u64 = 200;
    /// `spf_long_delay_ms`: LONG_SPF_DELAY [RFC 8405 §6: 5 s].
    pub const SPF_LONG_DELAY_MS: u64 = 5_000;
    /// `spf_time_to_learn_ms`: TIME_TO_LEARN_INTERVAL [RFC 8405 §6: 500 ms].
    pub const SPF_TIME_TO_LEARN_MS: u64 = 500;
    /// `spf_holddown_ms`: HOLDDOWN_INTERVAL [RFC 8405 §6: 10 s].
    pub const SPF_HOLDDOWN_MS: u64 = 10_000;
    /// `prefixes[].metric`.
    pub const PREFIX_METRIC: u32 = 0;
}

/// Ranges of `[routing]`.
pub mod limits {
    use std::ops::RangeInclusive;
    /// `router_id`: 0 means "none" on the wire.
    pub const ROUTER_ID: RangeInclusive<i64> = 1..=i64::MAX;
    /// `hello_interval_ms`.
    pub const HELLO_INTERVAL_MS: RangeInclusive<i64> = 10..=60_000;
    /// `hold_multiplier`.
    pub const HOLD_MULTIPLIER: RangeInclusive<i64> = 2..=100;
    /// `retransmit_interval_ms`.
    pub const RETRANSMIT_INTERVAL_MS: RangeInclusive<i64> = 10..=60_000;
    /// `csnp_interval_s`.
    pub const CSNP_INTERVAL_S: RangeInclusive<i64> = 1..=3600;
    /// `lsa_lifetime_s`: 16-bit on the wire.
    pub const LSA_LIFETIME_S: RangeInclusive<i64> = 60..=65_535;
    /// `lsa_refresh_s`.
    pub const LSA_REFRESH_S: RangeInclusive<i64> = 30..=65_534;
    /// `spf_initial_delay_ms`.
    pub const SPF_INITIAL_DELAY_MS: RangeInclusive<i64> = 0..=10_000;
    /// `spf_short_delay_ms`.
    pub const SPF_SHORT_DELAY_MS: RangeInclusive<i64> = 0..=60_000;
    /// `spf_long_delay_ms`.
    pub const SPF_LONG_DELAY_MS: RangeInclusive<i64> = 0..=600_000;
    /// `spf_time_to_learn_ms`.
    pub const SPF_TIME_TO_LEARN_MS: RangeInclusive<i64> = 0..=600_000;
    /// `spf_holddown_ms`: above `spf_time_to_learn_ms`, so at least 1.
    pub const SPF_HOLDDOWN_MS: RangeInclusive<i64> = 1..=3_600_000;
    /// `prefixes[].metric`.
    pub const PREFIX_METRIC: RangeInclusive<i64> = 0..=0xFF_FFFF;
    /// `keys[].id`.
    pub const KEY_ID: RangeInclusive<i64> = 1..=65_535;
    /// Shortest key secret, bytes (RFC 5310 §3 advises keys at least as long as the hash
    /// output; 16 bytes is the floor we accept).
    pub const MIN_SECRET_BYTES: usize = 16;
}

fn ms(c: &mut Collector<'_>, v: &Option<S<Int>>, path: &str, r: std::ops::RangeInclusive<i64>, d: u64) -> Duration {
    Duration::from_millis(super::validate::int(c, v, path, r, d))
}

fn secs(c: &mut Collector<'_>, v: &Option<S<Int>>, path: &str, r: std::ops::RangeInclusive<i64>, d: u64) -> Duration {
    Duration::from_secs(super::validate::int(c, v, path, r, d))
}

fn hex_secret(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

pub(crate) fn routing(c: &mut Collector<'_>, raw: Option<&S<RawRouting>>) -> Option<Routing> {
    let r = raw?.get_ref();
    use super::validate::int;
    let router_id: u64 = int(c, &Some(r.router_id.clone()), "routing.router_id", limits::ROUTER_ID, 1);
    let mut prefixes: Vec<RoutingPrefix> = Vec::new();
    for (i, p) in r.prefixes.as_ref().map_or(&[][..], |v| v.get_ref()).iter().enumerate() {
        let path = format!("routing.prefixes[{i}]");
        let p = p.get_ref();
        let metric = int(c, &p.metric, &format!("{path}.metric"), limits::PREFIX_METRIC, defaults::PREFIX_METRIC);
        match p.prefix.get_ref().parse::<Name>() {
            Ok(name) if prefixes.iter().any(|q| q.prefix == name) => c.push(
                p.prefix.span(),
                &format!("{path}.prefix"),
                ErrorKind::Duplicate,
                format!("prefix {name} is advertised twice"),
            ),
            Ok(name) => prefixes.push(RoutingPrefix { prefix: name, metric }),
            Err(e) => c.push(
                p.prefix.span(),
                &format!("{path}.prefix"),
                ErrorKind::InvalidValue,
                format!("invalid name {:?}: {e}", p.prefix.get_ref()),
            ),
        }
    }
    let mut keys: Vec<RoutingKey> = Vec::new();
    let raw_keys = r.keys.as_ref().map_or(&[][..], |v| v.get_ref());
    for (i, k) in raw_keys.iter().enumerate() {
        let path = format!("routing.keys[{i}]");
        let k = k.get_ref();
        let id: u16 = int(c, &Some(k.id.clone()), &format!("{path}.id"), limits::KEY_ID, 1);
        if keys.iter().any(|q| q.id == id) {
            c.push(k.id.span(), &format!("{path}.id"), ErrorKind::Duplicate, format!("key id {id} is defined twice"));
        }
        let secret = match hex_secret(k.secret.get_ref()) {
            Some(s) if s.len() >= limits::MIN_SECRET_BYTES => s,
            Some(s) => {
                c.push(
                    k.secret.span(),
                    &format!("{path}.secret"),
                    ErrorKind::InvalidValue,
                    format!("the secret has {} bytes; at least {} are required", s.len(), limits::MIN_SECRET_BYTES),
                );
                s
            }
            None => {
                c.push(
                    k.secret.span(),
                    &format!("{path}.secret"),
                    ErrorKind::InvalidValue,
                    "the secret must be hexadecimal (two digits per byte), e.g. from `openssl rand -hex 32`".to_owned(),
                );
                Vec::new()
            }
        };
        let send = k.send.as_ref().map_or(true, |b| *b.get_ref());
        let accept = k.accept.as_ref().map_or(true, |b| *b.get_ref());
        keys.push(RoutingKey { id, secret, send, accept });
    }
    let senders = keys.iter().filter(|k| k.send).count();
    if !keys.is_empty() && senders != 1 {
        let span = r.keys.as_ref().map_or(0..0, |v| v.span());
        c.push(
            span,
            "routing.keys",
            ErrorKind::Conflict,
            format!("exactly one key must have send = true (found {senders}); during a rollover the new key is first accept-only"),
        );
    }
    let lsa_lifetime =
        secs(c, &r.lsa_lifetime_s, "routing.lsa_lifetime_s", limits::LSA_LIFETIME_S, defaults::LSA_LIFETIME_S);
    let lsa_refresh =
        secs(c, &r.lsa_refresh_s, "routing.lsa_refresh_s", limits::LSA_REFRESH_S, defaults::LSA_REFRESH_S);
    if lsa_refresh >= lsa_lifetime {
        let span = r.lsa_refresh_s.as_ref().or(r.lsa_lifetime_s.as_ref()).map_or(0..0, |v| v.span());
        c.push(
            span,
            "routing.lsa_refresh_s",
            ErrorKind::Conflict,
            format!(
                "LSAs must be refreshed before they expire: lsa_refresh_s ({}) must be below lsa_lifetime_s ({})",
                lsa_refresh.as_secs(),
                lsa_lifetime.as_secs()
            ),
        );
    }
    let spf = spf_backoff(c, r);
    Some(Routing {
        router_id,
        prefixes,
        keys,
        hello_interval: ms(
            c,
            &r.hello_interval_ms,
            "routing.hello_interval_ms",
            limits::HELLO_INTERVAL_MS,
            defaults::HELLO_INTERVAL_MS,
        ),
        hold_multiplier: int(
            c,
            &r.hold_multiplier,
            "routing.hold_multiplier",
            limits::HOLD_MULTIPLIER,
            defaults::HOLD_MULTIPLIER,
        ),
        retransmit_interval: ms(
            c,
            &r.retransmit_interval_ms,
            "routing.retransmit_interval_ms",
            limits::RETRANSMIT_INTERVAL_MS,
            defaults::RETRANSMIT_INTERVAL_MS,
        ),
        csnp_interval: secs(
            c,
            &r.csnp_interval_s,
            "routing.csnp_interval_s",
            limits::CSNP_INTERVAL_S,
            defaults::CSNP_INTERVAL_S,
        ),
        lsa_lifetime,
        lsa_refresh,
        spf_initial_delay: spf[0],
        spf_short_delay: spf[1],
        spf_long_delay: spf[2],
        spf_time_to_learn: spf[3],
        spf_holddown: spf[4],
        loop_free_alternates: r.loop_free_alternates.as_ref().map_or(true, |b| *b.get_ref()),
    })
}

/// One `[routing]` integer: raw value, key, allowed range, default.
type Knob<'a> = (&'a Option<S<Int>>, &'static str, std::ops::RangeInclusive<i64>, u64);

/// The five SPF back-off parameters of [RFC 8405 §6], in the order initial,
/// short, long, time to learn, holddown, with their ordering rules: the delays
/// must not decrease (INITIAL ≤ SHORT ≤ LONG) and SHORT_WAIT must end before
/// the router can return to QUIET (TIME_TO_LEARN < HOLDDOWN) [RFC 8405 §5, §6].
fn spf_backoff(c: &mut Collector<'_>, r: &RawRouting) -> [Duration; 5] {
    let fields: [Knob<'_>; 5] = [
        (&r.spf_initial_delay_ms, "spf_initial_delay_ms", limits::SPF_INITIAL_DELAY_MS, defaults::SPF_INITIAL_DELAY_MS),
        (&r.spf_short_delay_ms, "spf_short_delay_ms", limits::SPF_SHORT_DELAY_MS, defaults::SPF_SHORT_DELAY_MS),
        (&r.spf_long_delay_ms, "spf_long_delay_ms", limits::SPF_LONG_DELAY_MS, defaults::SPF_LONG_DELAY_MS),
        (&r.spf_time_to_learn_ms, "spf_time_to_learn_ms", limits::SPF_TIME_TO_LEARN_MS, defaults::SPF_TIME_TO_LEARN_MS),
        (&r.spf_holddown_ms, "spf_holddown_ms", limits::SPF_HOLDDOWN_MS, defaults::SPF_HOLDDOWN_MS),
    ];
    let v = fields.clone().map(|(raw, name, range, default)| ms(c, raw, &format!("routing.{name}"), range, default));
    // An out-of-range value is reported by itself, not again as a conflict.
    let valid = fields.clone().map(|(raw, _, range, _)| raw.as_ref().map_or(true, |x| range.contains(&x.get_ref().0)));
    // (lower, upper, strictly below, why): each pair is reported once, at the
    // field written in the file (the upper one if both are).
    let rules = [
        (0, 1, false, "the SPF delays must not decrease [RFC 8405 §6]"),
        (1, 2, false, "the SPF delays must not decrease [RFC 8405 §6]"),
        (3, 4, true, "SHORT_WAIT must end before the hold-down can return the router to QUIET [RFC 8405 §5]"),
    ];
    for (lo, hi, strict, why) in rules {
        let bad = if strict { v[lo] >= v[hi] } else { v[lo] > v[hi] };
        if !bad || !valid[lo] || !valid[hi] {
            continue;
        }
        let at = if fields[hi].0.is_some() { hi } else { lo };
        let span = fields[at].0.as_ref().map_or(0..0, |s| s.span());
        c.push(
            span,
            &format!("routing.{}", fields[at].1),
            ErrorKind::Conflict,
            format!(
                "{why}: {} ({}) must be {} {} ({})",
                fields[lo].1,
                v[lo].as_millis(),
                if strict { "below" } else { "at most" },
                fields[hi].1,
                v[hi].as_millis()
            ),
        );
    }
    v
}

/// The default socket path: `/run/dmsc/` + the node name with `/` turned into `_`
/// (`/dmsc/sr1` → `/run/dmsc/dmsc_sr1.sock`).
pub fn default_socket(node: &Node) -> PathBuf {
    let n: String = node
        .name
        .to_string()
        .trim_start_matches('/')
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() || ch == '-' || ch == '.' { ch } else { '_' })
        .collect();
    PathBuf::from(format!("/run/dmsc/{n}.sock"))
}

pub(crate) fn management(c: &mut Collector<'_>, raw: Option<&S<RawManagement>>, node: &Node) -> Management {
    let socket = match raw.and_then(|m| m.get_ref().socket.as_ref()) {
        None => default_socket(node),
        Some(s) if s.get_ref().is_empty() => {
            c.push(
                s.span(),
                "management.socket",
                ErrorKind::InvalidValue,
                "the socket path must not be empty".to_owned(),
            );
            default_socket(node)
        }
        Some(s) => PathBuf::from(s.get_ref()),
    };
    Management { socket }
}
