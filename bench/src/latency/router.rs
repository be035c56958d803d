//! The router under test: `dmscd` on its own core, fed and drained over two `net_memif`
//! links whose server ends belong to the latency generator.
//!
//! FIB, destination names and configuration are those of the throughput harness
//! (`src/bin/throughput.rs`): the FIB benchmark's workload (`crate::fib::Workload`, seed
//! 7) written as a `routes_file` whose routes all point at port `p1`, neighbour `nb`;
//! destination names are routes extended with filler components to `components − 1`,
//! plus one per-flow component, so every packet is a longest-prefix hit. The two
//! harnesses therefore measure the same forwarding work. (This is a copy of the
//! throughput binary's private helpers, which a binary cannot export; moving both to this
//! module is a follow-up for the owner of `throughput.rs`.)
//!
//! Process hygiene: [`Dmscd`] kills and reaps its child when dropped on any error path;
//! [`Dmscd::stop`] sends SIGTERM (dmscd then stops its lcores, writes `--stats-json` and
//! exits) and reads the counters back.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use dmsc_wire::name::Name;

use crate::fib::Workload;

/// Neighbour MAC written by dmscd on the egress link.
pub const NEIGHBOR_MAC: &str = "02:00:00:00:00:02";

/// Writes the FIB of `fib` prefixes (routes of up to `components − 1` components) to
/// `path` as a routes file; returns the routes.
pub fn write_routes(path: &Path, fib: usize, components: usize) -> Result<Vec<Name>> {
    ensure!((3..=16).contains(&components), "components must be in 3..=16");
    ensure!(fib >= 1, "the FIB needs at least one prefix");
    let w = Workload::new(fib, components, 0, 7);
    let mut text = String::with_capacity(fib * 48);
    for (prefix, _) in &w.routes {
        let _ = writeln!(text, "{prefix} p1 nb");
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(w.routes.into_iter().map(|(n, _)| n).collect())
}

/// `flows` destination names of exactly `components` components, each under a route
/// (spread evenly over `routes`), the last component naming the flow (`f0`, `f1` …).
pub fn dest_names(routes: &[Name], flows: usize, components: usize) -> Result<Vec<Name>> {
    ensure!(!routes.is_empty(), "no routes");
    let n = flows.max(1);
    let step = (routes.len() / n.min(routes.len())).max(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut name = routes[(i * step) % routes.len()].clone();
        let mut k = 0;
        while name.len() < components.saturating_sub(1) {
            name.push(format!("x{k}").as_bytes())?;
            k += 1;
        }
        name.push(format!("f{i}").as_bytes())?;
        out.push(name);
    }
    Ok(out)
}

/// How to run dmscd.
#[derive(Clone, Debug)]
pub struct DmscdSpec {
    /// The `dmscd` binary.
    pub bin: PathBuf,
    /// Scratch directory: configuration, routes file (`routes.txt`), log, stats.
    pub work: PathBuf,
    /// Core (and EAL lcore id) of its one forwarding lcore.
    pub core: u32,
    /// EAL memory arguments, e.g. `["--no-huge", "-m", "256"]`.
    pub mem_args: Vec<String>,
    /// EAL `--file-prefix`.
    pub file_prefix: String,
    /// memif socket of its input port `p0` (our transmit side).
    pub in_sock: PathBuf,
    /// memif socket of its output port `p1` (our receive side).
    pub out_sock: PathBuf,
}

impl DmscdSpec {
    /// The dmscd configuration (TOML) for this spec.
    pub fn config(&self) -> String {
        let mut eal = self.mem_args.clone();
        eal.extend(["--no-pci".into(), "--file-prefix".into(), self.file_prefix.clone()]);
        let eal: Vec<String> = eal.iter().map(|a| format!("{a:?}")).collect();
        format!(
            r#"# Written by dmsc-bench (bench/src/latency/router.rs).
routes_file = "routes.txt"

[node]
name = "/dmsc/bench"
role = "sr"

[management]
socket = "{}"

[eal]
args = [{}]

[dataplane]
lcores = [{}]
idle_sleep_us = 0
stats_interval_s = 0

[[ports]]
name = "p0"
device = "net_memif0,role=client,socket={}"

[[ports]]
name = "p1"
device = "net_memif1,role=client,socket={}"
  [[ports.neighbors]]
  name = "nb"
  mac = "{NEIGHBOR_MAC}"
"#,
            self.work.join("mgmt.sock").display(),
            eal.join(", "),
            self.core,
            self.in_sock.display(),
            self.out_sock.display(),
        )
    }
}

/// dmscd's counters at exit (`--stats-json`, `total`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouterCounters {
    /// Packets received on all ports.
    pub rx: u64,
    /// Packets forwarded.
    pub forwarded: u64,
    /// Packets transmitted.
    pub tx: u64,
    /// Non-zero drop counters, `name=count` separated by spaces.
    pub drops: String,
}

/// A running dmscd; killed and reaped if dropped while running.
#[derive(Debug)]
pub struct Dmscd {
    child: Child,
    log: PathBuf,
    json: PathBuf,
}

impl Dmscd {
    /// Writes the configuration and starts dmscd (`routes.txt` must exist in the work
    /// directory); returns once its log says it is forwarding, or fails after `timeout`
    /// (a 10^6-route FIB takes a few seconds to load) with the log's tail.
    pub fn start(spec: &DmscdSpec, timeout: Duration) -> Result<Dmscd> {
        let cfg = spec.work.join("dmscd.toml");
        std::fs::write(&cfg, spec.config())?;
        let log = spec.work.join("dmscd.log");
        let json = spec.work.join("dmscd.json");
        let out = std::fs::File::create(&log)?;
        let child = Command::new(&spec.bin)
            .args(["run", "--config"])
            .arg(&cfg)
            .arg("--stats-json")
            .arg(&json)
            .args(["--log", "info"])
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {}", spec.bin.display()))?;
        let mut d = Dmscd { child, log, json };
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(&d.log).unwrap_or_default();
            if text.contains(" forwarding") {
                return Ok(d);
            }
            if let Some(st) = d.child.try_wait()? {
                bail!("dmscd exited ({st}) before forwarding:\n{}", tail(&text, 3000));
            }
            if start.elapsed() > timeout {
                bail!("dmscd not forwarding after {timeout:?}:\n{}", tail(&text, 3000));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has exited (with its status).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// SIGTERM, wait up to 20 s (then kill), and read the counters it wrote at exit.
    pub fn stop(mut self) -> Result<RouterCounters> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let start = Instant::now();
        let status = loop {
            if let Some(st) = self.child.try_wait()? {
                break st;
            }
            if start.elapsed() > Duration::from_secs(20) {
                bail!("dmscd (pid {pid}) did not stop within 20 s of SIGTERM; killed");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        ensure!(status.success(), "dmscd exited with {status}; see {}", self.log.display());
        let text = std::fs::read_to_string(&self.json).with_context(|| format!("reading {}", self.json.display()))?;
        parse_counters(&text)
    }
}

impl Drop for Dmscd {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads `total` of dmscd's `--stats-json`.
pub fn parse_counters(text: &str) -> Result<RouterCounters> {
    let v: serde_json::Value = serde_json::from_str(text)?;
    let total = &v["total"];
    let get = |k: &str| total[k].as_u64().with_context(|| format!("total.{k} missing in dmscd stats"));
    let drops = total["drops"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(_, n)| n.as_u64().unwrap_or(0) > 0)
                .map(|(k, n)| format!("{k}={n}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    Ok(RouterCounters { rx: get("rx_packets")?, forwarded: get("forwarded")?, tx: get("tx_packets")?, drops })
}

/// The last `n` bytes of `s` (on a character boundary).
pub fn tail(s: &str, n: usize) -> &str {
    let mut start = s.len().saturating_sub(n);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// Removes the EAL runtime directory of `file_prefix` (`/var/run/dpdk/PREFIX`).
pub fn remove_runtime_dir(file_prefix: &str) {
    for base in ["/var/run/dpdk", "/run/dpdk"] {
        let _ = std::fs::remove_dir_all(Path::new(base).join(file_prefix));
    }
}

/// EAL memory arguments as `scripts/eal-mem-args.sh` chooses them: hugepages
/// (`-m 200 --huge-unlink`) when at least 128 free 2 MiB pages and a hugetlbfs mount
/// exist, else `--no-huge -m 256`.
pub fn auto_mem_args() -> Vec<String> {
    let free = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().find(|l| l.starts_with("HugePages_Free:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .unwrap_or(0);
    let mounted = std::fs::read_to_string("/proc/mounts").is_ok_and(|m| m.lines().any(|l| l.contains(" hugetlbfs ")));
    if free >= 128 && mounted {
        vec!["-m".into(), "200".into(), "--huge-unlink".into()]
    } else {
        vec!["--no-huge".into(), "-m".into(), "256".into()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_hit_routes_and_have_the_requested_depth() {
        let routes: Vec<Name> = ["/a/b", "/c/d/e", "/f/g"].iter().map(|s| s.parse().unwrap()).collect();
        let names = dest_names(&routes, 4, 6).unwrap();
        assert_eq!(names.len(), 4);
        for (i, n) in names.iter().enumerate() {
            assert_eq!(n.len(), 6, "{n}");
            assert!(routes.iter().any(|r| n.starts_with(r.as_ref())), "{n}");
            assert!(n.to_string().ends_with(&format!("/f{i}")), "{n}");
        }
        assert!(dest_names(&[], 1, 4).is_err());
    }

    #[test]
    fn config_and_counters() {
        let spec = DmscdSpec {
            bin: "/x/dmscd".into(),
            work: "/w".into(),
            core: 1,
            mem_args: vec!["--no-huge".into(), "-m".into(), "256".into()],
            file_prefix: "pfx".into(),
            in_sock: "/w/a.sock".into(),
            out_sock: "/w/b.sock".into(),
        };
        let c = spec.config();
        assert!(c.contains(r#"args = ["--no-huge", "-m", "256", "--no-pci", "--file-prefix", "pfx"]"#), "{c}");
        assert!(c.contains("lcores = [1]") && c.contains("socket=/w/a.sock") && c.contains("socket=/w/b.sock"), "{c}");
        let j = r#"{"total": {"rx_packets": 10, "forwarded": 9, "tx_packets": 9, "drops": {"no_route": 1, "ttl": 0}}}"#;
        let r = parse_counters(j).unwrap();
        assert_eq!(r, RouterCounters { rx: 10, forwarded: 9, tx: 9, drops: "no_route=1".into() });
        assert!(parse_counters("{}").is_err());
        assert_eq!(tail("héllo", 4), "llo");
    }
}

/// CPU time (user + system, all threads) process `pid` has used, in clock
/// ticks (`/proc/PID/stat` fields 14 and 15; Linux's USER_HZ is 100).
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}
