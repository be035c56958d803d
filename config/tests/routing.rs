//! `[routing]`, `[[ports]] routing/metric` and `[management]`: defaults, and every
//! error with its position and field path.

mod common;

use std::time::Duration;

use common::*;
use dmsc_config::ErrorKind::*;

const ROUTED: &str =
    "[node]\nname = \"/dmsc/sr1\"\nrole = \"sr\"\n[[ports]]\nname = \"p0\"\ndevice = \"net_ring0\"\nrouting = true\n";

#[test]
fn defaults_and_socket_path() {
    let c = ok(&format!("{ROUTED}[routing]\nrouter_id = 7\n"));
    let r = c.routing.expect("routing");
    assert_eq!(r.router_id, 7);
    assert_eq!(r.hello_interval, Duration::from_secs(1));
    assert_eq!(r.hold_multiplier, 3);
    assert_eq!(r.lsa_lifetime, Duration::from_secs(1200));
    // RFC 8405 §6: 50 ms, 200 ms, 5 s, 500 ms, 10 s.
    assert_eq!(
        (r.spf_initial_delay, r.spf_short_delay, r.spf_long_delay, r.spf_time_to_learn, r.spf_holddown),
        (
            Duration::from_millis(50),
            Duration::from_millis(200),
            Duration::from_secs(5),
            Duration::from_millis(500),
            Duration::from_secs(10)
        )
    );
    assert!(r.keys.is_empty() && r.prefixes.is_empty());
    assert!(c.ports[0].routing);
    assert_eq!(c.ports[0].metric, 10);
    assert_eq!(c.management.socket.to_str(), Some("/run/dmsc/dmsc_sr1.sock"));
    let plain = ok(NODE_PORT);
    assert!(plain.routing.is_none() && !plain.ports[0].routing);
}

#[test]
fn prefixes_and_keys() {
    let text = format!(
        "{ROUTED}[routing]\nrouter_id = 1\n[[routing.prefixes]]\nprefix = \"/payments\"\nmetric = 5\n\
         [[routing.keys]]\nid = 1\nsecret = \"{}\"\naccept = true\nsend = false\n\
         [[routing.keys]]\nid = 2\nsecret = \"{}\"\n",
        "00".repeat(16),
        "ff".repeat(32)
    );
    let r = ok(&text).routing.unwrap();
    assert_eq!(r.prefixes[0].prefix.to_string(), "/payments");
    assert_eq!(r.prefixes[0].metric, 5);
    assert_eq!((r.keys[0].id, r.keys[0].send, r.keys[1].send), (1, false, true));
    assert_eq!(r.keys[1].secret, vec![0xff; 32]);
    assert!(!format!("{:?}", r.keys[1]).contains("255"), "Debug must not print secrets");
}

#[test]
fn routing_port_without_section() {
    one(ROUTED, 7, 11, "ports[0].routing", Conflict, "needs a [routing] section");
}

#[test]
fn metric_without_routing() {
    one(&format!("{NODE_PORT}metric = 5\n"), 7, 10, "ports[0].metric", Conflict, "routing = true");
    one(
        &format!("{ROUTED}metric = 0\n[routing]\nrouter_id = 1\n"),
        8,
        10,
        "ports[0].metric",
        OutOfRange,
        "1..=16777215",
    );
}

#[test]
fn router_id_zero() {
    one(&format!("{ROUTED}[routing]\nrouter_id = 0\n"), 9, 13, "routing.router_id", OutOfRange, "0 is out of range");
}

#[test]
fn bad_keys() {
    let base = format!("{ROUTED}[routing]\nrouter_id = 1\n[[routing.keys]]\nid = 1\n");
    one(&format!("{base}secret = \"abc\"\n"), 12, 10, "routing.keys[0].secret", InvalidValue, "hexadecimal");
    one(&format!("{base}secret = \"0011\"\n"), 12, 10, "routing.keys[0].secret", InvalidValue, "2 bytes");
    let k = "00".repeat(16);
    one(
        &format!("{base}secret = \"{k}\"\n[[routing.keys]]\nid = 1\nsecret = \"{k}\"\nsend = false\n"),
        14,
        6,
        "routing.keys[1].id",
        Duplicate,
        "key id 1",
    );
    let e = errors(&format!("{base}secret = \"{k}\"\n[[routing.keys]]\nid = 2\nsecret = \"{k}\"\n"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].path, "routing.keys");
    assert!(e[0].message.contains("exactly one key must have send = true (found 2)"), "{}", e[0]);
}

#[test]
fn refresh_must_precede_expiry() {
    one(
        &format!("{ROUTED}[routing]\nrouter_id = 1\nlsa_lifetime_s = 100\nlsa_refresh_s = 100\n"),
        11,
        17,
        "routing.lsa_refresh_s",
        Conflict,
        "must be below lsa_lifetime_s (100)",
    );
}

#[test]
fn spf_backoff_knobs() {
    let r = ok(&format!(
        "{ROUTED}[routing]\nrouter_id = 1\nspf_initial_delay_ms = 10\nspf_short_delay_ms = 10\n\
         spf_long_delay_ms = 1000\nspf_time_to_learn_ms = 0\nspf_holddown_ms = 1\n"
    ))
    .routing
    .unwrap();
    assert_eq!(
        (r.spf_initial_delay, r.spf_short_delay, r.spf_long_delay, r.spf_time_to_learn, r.spf_holddown),
        (
            Duration::from_millis(10),
            Duration::from_millis(10),
            Duration::from_millis(1000),
            Duration::ZERO,
            Duration::from_millis(1)
        )
    );
    one(
        &format!("{ROUTED}[routing]\nrouter_id = 1\nspf_holddown_ms = 0\n"),
        10,
        19,
        "routing.spf_holddown_ms",
        OutOfRange,
        "1..=3600000",
    );
    one(
        &format!("{ROUTED}[routing]\nrouter_id = 1\nspf_long_delay_ms = 600001\n"),
        10,
        21,
        "routing.spf_long_delay_ms",
        OutOfRange,
        "0..=600000",
    );
}

#[test]
fn spf_backoff_order() {
    // Reported at the upper field when it is written ...
    one(
        &format!("{ROUTED}[routing]\nrouter_id = 1\nspf_initial_delay_ms = 300\nspf_short_delay_ms = 250\n"),
        11,
        22,
        "routing.spf_short_delay_ms",
        Conflict,
        "spf_initial_delay_ms (300) must be at most spf_short_delay_ms (250)",
    );
    // ... else at the lower one, against the default.
    one(
        &format!("{ROUTED}[routing]\nrouter_id = 1\nspf_short_delay_ms = 6000\n"),
        10,
        22,
        "routing.spf_short_delay_ms",
        Conflict,
        "spf_short_delay_ms (6000) must be at most spf_long_delay_ms (5000)",
    );
    one(
        &format!("{ROUTED}[routing]\nrouter_id = 1\nspf_time_to_learn_ms = 2000\nspf_holddown_ms = 2000\n"),
        11,
        19,
        "routing.spf_holddown_ms",
        Conflict,
        "spf_time_to_learn_ms (2000) must be below spf_holddown_ms (2000)",
    );
    // Both orders broken: two errors; an out-of-range value is not also a conflict.
    let e = errors(&format!(
        "{ROUTED}[routing]\nrouter_id = 1\nspf_initial_delay_ms = 400\nspf_short_delay_ms = 300\nspf_long_delay_ms = 200\n"
    ));
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!(
        (e[0].path.as_str(), e[1].path.as_str()),
        ("routing.spf_short_delay_ms", "routing.spf_long_delay_ms"),
        "{e:?}"
    );
    let e =
        errors(&format!("{ROUTED}[routing]\nrouter_id = 1\nspf_initial_delay_ms = 300\nspf_short_delay_ms = 99999\n"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].kind, OutOfRange, "{e:?}");
}

#[test]
fn duplicate_prefix_and_unknown_key() {
    one(
        &format!("{ROUTED}[routing]\nrouter_id = 1\n[[routing.prefixes]]\nprefix = \"/a\"\n[[routing.prefixes]]\nprefix = \"/a\"\n"),
        13,
        10,
        "routing.prefixes[1].prefix",
        Duplicate,
        "advertised twice",
    );
    let e = errors(&format!("{ROUTED}[routing]\nrouter_id = 1\nhello = 3\n"));
    assert_eq!(e[0].kind, UnknownKey, "{e:?}");
}

#[test]
fn empty_socket() {
    one(
        &format!("{NODE_PORT}[management]\nsocket = \"\"\n"),
        8,
        10,
        "management.socket",
        InvalidValue,
        "must not be empty",
    );
}
