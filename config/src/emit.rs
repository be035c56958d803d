//! `Config` → TOML text, the inverse of `parse`.
//!
//! Written by hand rather than through a `Serialize` mirror of the raw layer so that the
//! output reads like the examples: tables in schema order, `ethertype` in hex, next hops as
//! inline tables on one line. Strings are quoted by the `toml` crate, so any value
//! round-trips. Durations are written in whole microseconds (`idle_sleep_us`) and whole
//! seconds (`stats_interval_s`), the units of the file; sub-unit parts of a `Config` built
//! in code are truncated.

use std::fmt::Write;

use crate::Config;

fn quote(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

pub(crate) fn to_toml_string(cfg: &Config) -> String {
    let mut o = String::new();
    // `write!` into a String cannot fail.
    let _ = writeln!(o, "[node]");
    let _ = writeln!(o, "name = {}", quote(&cfg.node.name.to_string()));
    let _ = writeln!(o, "role = {}", quote(cfg.node.role.as_str()));

    let args: Vec<String> = cfg.eal.args.iter().map(|a| quote(a)).collect();
    let _ = writeln!(o, "\n[eal]\nargs = [{}]", args.join(", "));

    let d = &cfg.dataplane;
    let lcores: Vec<String> = d.lcores.iter().map(u32::to_string).collect();
    let _ = writeln!(o, "\n[dataplane]");
    let _ = writeln!(o, "lcores = [{}]", lcores.join(", "));
    let _ = writeln!(o, "ethertype = 0x{:04X}", d.ethertype);
    let _ = writeln!(o, "burst_size = {}", d.burst_size);
    let _ = writeln!(o, "mbufs = {}", d.mbufs);
    let _ = writeln!(o, "mbuf_cache = {}", d.mbuf_cache);
    let _ = writeln!(o, "rx_descriptors = {}", d.rx_descriptors);
    let _ = writeln!(o, "tx_descriptors = {}", d.tx_descriptors);
    let _ = writeln!(o, "idle_polls_before_sleep = {}", d.idle_polls_before_sleep);
    let _ = writeln!(o, "idle_sleep_us = {}", d.idle_sleep.as_micros());
    let _ = writeln!(o, "name_cache = {}", d.name_cache);
    let _ = writeln!(o, "nack_rate_per_s = {}", d.nack_rate_per_s);
    let _ = writeln!(o, "nack_burst = {}", d.nack_burst);
    let _ = writeln!(o, "nack_hop_limit = {}", d.nack_hop_limit);
    let stats = d.stats_interval.map_or(0, |i| i.as_secs());
    let _ = writeln!(o, "stats_interval_s = {stats}");
    let _ = writeln!(o, "control_nice = {}", d.control_nice);

    for p in &cfg.ports {
        let _ = writeln!(o, "\n[[ports]]");
        let _ = writeln!(o, "name = {}", quote(&p.name));
        let _ = writeln!(o, "device = {}", quote(&p.device.to_string()));
        let _ = writeln!(o, "rx_queues = {}", p.rx_queues);
        let _ = writeln!(o, "mtu = {}", p.mtu);
        let _ = writeln!(o, "dispatch = {}", quote(p.dispatch.as_str()));
        if p.routing {
            let _ = writeln!(o, "routing = true");
            let _ = writeln!(o, "metric = {}", p.metric);
        }
        for n in &p.neighbors {
            let _ = writeln!(o, "  [[ports.neighbors]]");
            let _ = writeln!(o, "  name = {}", quote(&n.name));
            let _ = writeln!(o, "  mac = {}", quote(&n.mac.to_string()));
        }
    }

    for r in &cfg.routes {
        let hops: Vec<String> = r
            .next_hops
            .iter()
            .map(|h| format!("{{ port = {}, neighbor = {}, cost = {} }}", quote(&h.port), quote(&h.neighbor), h.cost))
            .collect();
        let _ = writeln!(o, "\n[[routes]]");
        let _ = writeln!(o, "prefix = {}", quote(&r.prefix.to_string()));
        let _ = writeln!(o, "next_hops = [{}]", hops.join(", "));
    }

    if let Some(r) = &cfg.routing {
        let _ = writeln!(o, "\n[routing]");
        let _ = writeln!(o, "router_id = {}", r.router_id);
        let _ = writeln!(o, "hello_interval_ms = {}", r.hello_interval.as_millis());
        let _ = writeln!(o, "hold_multiplier = {}", r.hold_multiplier);
        let _ = writeln!(o, "retransmit_interval_ms = {}", r.retransmit_interval.as_millis());
        let _ = writeln!(o, "csnp_interval_s = {}", r.csnp_interval.as_secs());
        let _ = writeln!(o, "lsa_lifetime_s = {}", r.lsa_lifetime.as_secs());
        let _ = writeln!(o, "lsa_refresh_s = {}", r.lsa_refresh.as_secs());
        let _ = writeln!(o, "spf_initial_delay_ms = {}", r.spf_initial_delay.as_millis());
        let _ = writeln!(o, "spf_short_delay_ms = {}", r.spf_short_delay.as_millis());
        let _ = writeln!(o, "spf_long_delay_ms = {}", r.spf_long_delay.as_millis());
        let _ = writeln!(o, "spf_time_to_learn_ms = {}", r.spf_time_to_learn.as_millis());
        let _ = writeln!(o, "spf_holddown_ms = {}", r.spf_holddown.as_millis());
        let _ = writeln!(o, "loop_free_alternates = {}", r.loop_free_alternates);
        for p in &r.prefixes {
            let _ = writeln!(o, "  [[routing.prefixes]]");
            let _ = writeln!(o, "  prefix = {}", quote(&p.prefix.to_string()));
            let _ = writeln!(o, "  metric = {}", p.metric);
        }
        for k in &r.keys {
            let hex: String = k.secret.iter().map(|b| format!("{b:02x}")).collect();
            let _ = writeln!(o, "  [[routing.keys]]");
            let _ = writeln!(o, "  id = {}", k.id);
            let _ = writeln!(o, "  secret = {}", quote(&hex));
            let _ = writeln!(o, "  send = {}", k.send);
            let _ = writeln!(o, "  accept = {}", k.accept);
        }
    }
    let _ = writeln!(o, "\n[management]");
    let _ = writeln!(o, "socket = {}", quote(&cfg.management.socket.to_string_lossy()));
    o
}
