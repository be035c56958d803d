//! `dmsc show ...` and `dmsc route ...`: the management API client, printing
//! readable tables or JSON.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use dmsc_controlplane::mgmt::{self, pb};
use serde_json::json;

/// What to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// Adjacencies: port, neighbour, state.
    Neighbors,
    /// The link-state database and its digest.
    Lsdb,
    /// Routes computed by SPF.
    Rib,
    /// The routes the lcores use, with their source.
    Fib,
    /// Data-plane and control-plane counters.
    Counters,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().context("tokio runtime")
}

async fn client(socket: PathBuf) -> Result<pb::management_client::ManagementClient<tonic::transport::Channel>> {
    mgmt::connect(socket.clone())
        .await
        .with_context(|| format!("cannot reach dmscd's management API at {} (is dmscd running?)", socket.display()))
}

fn node_line(n: &Option<pb::NodeInfo>) -> String {
    match n {
        Some(n) if n.router_id != 0 => format!("{} ({}, router id {})", n.name, n.role, n.router_id),
        Some(n) => format!("{} ({})", n.name, n.role),
        None => "?".into(),
    }
}

fn node_json(n: &Option<pb::NodeInfo>) -> serde_json::Value {
    n.as_ref().map_or(json!(null), |n| json!({"name": n.name, "role": n.role, "router_id": n.router_id}))
}

/// Runs `dmsc show WHAT` against `socket`; returns the text to print.
///
/// # Errors
/// The daemon cannot be reached or refused the request.
pub fn show(socket: PathBuf, what: What, as_json: bool, under: Option<String>, limit: u32) -> Result<String> {
    runtime()?.block_on(async move {
        let mut c = client(socket).await?;
        let req = || tonic::Request::new(pb::ShowRequest {});
        let mut o = String::new();
        match what {
            What::Neighbors => {
                let r = c.show_neighbors(req()).await?.into_inner();
                if as_json {
                    let ns: Vec<_> = r.neighbors.iter().map(|n| json!({"port": n.port, "port_name": n.port_name,
                        "router_id": n.router_id, "hostname": n.hostname, "mac": n.mac, "state": n.state})).collect();
                    return Ok(json!({"node": node_json(&r.node), "neighbors": ns}).to_string());
                }
                let _ = writeln!(o, "neighbors of {}", node_line(&r.node));
                let _ = writeln!(o, "{:<10} {:<20} {:<20} {:<17} {:<5}", "port", "router id", "hostname", "mac", "state");
                for n in &r.neighbors {
                    let _ = writeln!(o, "{:<10} {:<20} {:<20} {:<17} {:<5}", n.port_name, n.router_id, n.hostname, n.mac, n.state);
                }
            }
            What::Lsdb => {
                let r = c.show_lsdb(req()).await?.into_inner();
                if as_json {
                    let ls: Vec<_> = r.lsas.iter().map(|l| json!({"kind": l.kind, "origin": l.origin, "fragment": l.fragment,
                        "seq": l.seq, "remaining_lifetime_s": l.remaining_lifetime_s, "checksum": l.checksum, "summary": l.summary})).collect();
                    return Ok(json!({"node": node_json(&r.node), "digest": r.digest, "spf_pending": r.spf_pending,
                        "spf_state": r.spf_state, "lsas": ls}).to_string());
                }
                let _ = writeln!(o, "LSDB of {}: {} LSAs, digest {}, SPF back-off {}{}", node_line(&r.node), r.lsas.len(), r.digest,
                    if r.spf_state.is_empty() { "-" } else { &r.spf_state }, if r.spf_pending { " (SPF pending)" } else { "" });
                let _ = writeln!(o, "{:<7} {:>20} {:>4} {:>8} {:>6} {:>6}  content", "kind", "origin", "frag", "seq", "life", "cksum");
                for l in &r.lsas {
                    let _ = writeln!(o, "{:<7} {:>20} {:>4} {:>8} {:>6} {:>#6x}  {}", l.kind, l.origin, l.fragment, l.seq,
                        l.remaining_lifetime_s, l.checksum, l.summary);
                }
            }
            What::Rib => {
                let r = c.show_rib(req()).await?.into_inner();
                if as_json {
                    let rs: Vec<_> = r.routes.iter().map(|x| json!({"prefix": x.prefix, "metric": x.metric,
                        "next_hops": x.next_hops, "origins": x.origins, "backups": x.backups,
                        "backup_metric": x.backup_metric})).collect();
                    return Ok(json!({"node": node_json(&r.node), "routes": rs}).to_string());
                }
                let _ = writeln!(o, "RIB of {}: {} routes", node_line(&r.node), r.routes.len());
                let _ = writeln!(o, "{:<32} {:>8}  {:<24} {:<16} backups (metric)", "prefix", "metric", "next hops", "origins");
                let ids = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
                for x in &r.routes {
                    let backups =
                        if x.backups.is_empty() { "-".to_string() } else { format!("{} ({})", ids(&x.backups), x.backup_metric) };
                    let _ = writeln!(o, "{:<32} {:>8}  {:<24} {:<16} {}", x.prefix, x.metric, ids(&x.next_hops), ids(&x.origins), backups);
                }
            }
            What::Fib => {
                let r = c
                    .show_fib(tonic::Request::new(pb::FibRequest { under: under.unwrap_or_default(), limit }))
                    .await?
                    .into_inner();
                if as_json {
                    let rs: Vec<_> = r.routes.iter().map(|x| json!({"prefix": x.prefix, "source": x.source,
                        "next_hops": x.next_hops.iter().map(|h| json!({"port": h.port, "port_name": h.port_name,
                            "mac": h.mac, "cost": h.cost})).collect::<Vec<_>>()})).collect();
                    return Ok(json!({"node": node_json(&r.node), "version": r.version, "total": r.total, "routes": rs}).to_string());
                }
                let _ = writeln!(o, "FIB of {}: {} routes, version {} (showing {})", node_line(&r.node), r.total, r.version, r.routes.len());
                let _ = writeln!(o, "{:<32} {:<8} next hops (port mac cost), lowest cost first; costlier = backup", "prefix", "source");
                for x in &r.routes {
                    let mut sorted: Vec<_> = x.next_hops.iter().collect();
                    sorted.sort_by(|a, b| (a.cost, &a.port_name).cmp(&(b.cost, &b.port_name)));
                    let lowest = sorted.first().map_or(0, |h| h.cost);
                    let hops: Vec<String> = sorted
                        .iter()
                        .map(|h| {
                            let tag = if h.cost > lowest { " (backup)" } else { "" };
                            format!("{} {} {}{tag}", h.port_name, h.mac, h.cost)
                        })
                        .collect();
                    let _ = writeln!(o, "{:<32} {:<8} {}", x.prefix, x.source, hops.join(" | "));
                }
            }
            What::Counters => {
                let r = c.show_counters(req()).await?.into_inner();
                let dp: serde_json::Value = serde_json::from_str(&r.dataplane_json).unwrap_or(json!(null));
                let control: std::collections::BTreeMap<_, _> = r.control.iter().collect();
                if as_json {
                    return Ok(json!({"node": node_json(&r.node), "dataplane": dp, "control": control}).to_string());
                }
                let _ = writeln!(o, "counters of {}", node_line(&r.node));
                let _ = writeln!(o, "{:<10} {:>5} {:>12} {:>12} {:>10}", "port", "link", "rx", "tx", "hw-missed");
                for p in dp["ports"].as_array().into_iter().flatten() {
                    let _ = writeln!(o, "{:<10} {:>5} {:>12} {:>12} {:>10}", p["name"].as_str().unwrap_or("?"),
                        if p["link_up"].as_bool() == Some(true) { "up" } else { "down" },
                        p["rx_packets"], p["tx_packets"], p["hw_imissed"]);
                }
                let t = &dp["total"];
                let _ = writeln!(o, "forwarded {}  punted {}  nacks {}", t["forwarded"], t["punted"], t["nacks_sent"]);
                if let Some(d) = t["drops"].as_object() {
                    let ds: Vec<String> = d.iter().map(|(k, v)| format!("{k} {v}")).collect();
                    let _ = writeln!(o, "drops: {}", ds.join("  "));
                }
                let _ = writeln!(o, "control:");
                for (k, v) in control {
                    let _ = writeln!(o, "  {k:<32} {v}");
                }
            }
        }
        Ok(o.trim_end().to_owned())
    })
}

/// One `dmsc route add|del` request.
pub struct RouteArgs {
    /// Prefix, URI form.
    pub prefix: String,
    /// `None` = delete; else (port name, neighbour MAC, cost) triples.
    pub next_hops: Option<Vec<(String, String, u32)>>,
}

/// Applies route updates through the management API; returns the reply line.
///
/// # Errors
/// The daemon cannot be reached or rejected the batch (the message says why).
pub fn route(socket: PathBuf, updates: Vec<RouteArgs>) -> Result<String> {
    runtime()?.block_on(async move {
        let mut c = client(socket).await?;
        let updates = updates
            .into_iter()
            .map(|u| pb::RouteUpdate {
                prefix: u.prefix,
                remove: u.next_hops.is_none(),
                next_hops: u
                    .next_hops
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(port_name, mac, cost)| pb::NextHop { port: 0, port_name, mac, cost })
                    .collect(),
            })
            .collect();
        let r = c
            .update_routes(tonic::Request::new(pb::RouteBatch { updates }))
            .await
            .map_err(|s| anyhow::anyhow!("{}", s.message()))?
            .into_inner();
        Ok(format!(
            "{} FIB entries changed, FIB version {}, published in {} µs ({} µs of it the grace period)",
            r.changed, r.fib_version, r.publish_us, r.grace_period_us
        ))
    })
}
