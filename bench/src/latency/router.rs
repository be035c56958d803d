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
/// The second next hop of the FIB churn (`crate::churn`): same port `p1`, another MAC.
pub const CHURN_ALT_MAC: &str = "02:00:00:00:00:03";

/// Writes the FIB of `fib` prefixes (routes of up to `components − 1` components) to
/// `path` as a routes file; returns the routes.
pub fn write_routes(path: &Path, fib: usize, components: usize) -> Result<Vec<Name>> {
    write_routes_except(path, fib, components, &[])
}

/// As [`write_routes`], but leaves the routes whose indices are in `skip` (ascending) out
/// of the file — the churn set, which the harness installs through the management API
/// instead (`crate::churn`: static routes would shadow API replacements). Returns every
/// route, the skipped ones included.
pub fn write_routes_except(path: &Path, fib: usize, components: usize, skip: &[usize]) -> Result<Vec<Name>> {
    ensure!((3..=16).contains(&components), "components must be in 3..=16");
    ensure!(fib >= 1, "the FIB needs at least one prefix");
    let w = Workload::new(fib, components, 0, 7);
    let mut text = String::with_capacity(fib * 48);
    let mut skip = skip.iter().peekable();
    for (i, (prefix, _)) in w.routes.iter().enumerate() {
        if skip.next_if_eq(&&i).is_some() {
            continue;
        }
        let _ = writeln!(text, "{prefix} p1 nb");
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(w.routes.into_iter().map(|(n, _)| n).collect())
}

/// Indices of the routes [`dest_names`] extends for `flows` flows among `n_routes`
/// routes: evenly spread, `(i · step) mod n_routes`.
pub fn flow_route_indices(n_routes: usize, flows: usize) -> Vec<usize> {
    if n_routes == 0 {
        return Vec::new();
    }
    let n = flows.max(1);
    let step = (n_routes / n.min(n_routes)).max(1);
    (0..n).map(|i| (i * step) % n_routes).collect()
}

/// `flows` destination names of exactly `components` components, each under a route
/// (spread evenly over `routes`, see [`flow_route_indices`]), the last component naming
/// the flow (`f0`, `f1` …).
pub fn dest_names(routes: &[Name], flows: usize, components: usize) -> Result<Vec<Name>> {
    ensure!(!routes.is_empty(), "no routes");
    let mut out = Vec::with_capacity(flows.max(1));
    for (i, r) in flow_route_indices(routes.len(), flows).into_iter().enumerate() {
        let mut name = routes[r].clone();
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
    /// dmscd's management API socket (`[management] socket`): `mgmt.sock` in the work
    /// directory.
    pub fn mgmt_socket(&self) -> PathBuf {
        self.work.join("mgmt.sock")
    }

    /// The dmscd configuration (TOML) for this spec.
    pub fn config(&self) -> String {
        self.config_with(&StartOptions::default())
    }

    /// The dmscd configuration with `opts.memif_rsize` applied to both memif ports and
    /// `opts.name_cache`, if set.
    pub fn config_with(&self, opts: &StartOptions) -> String {
        let rsize = opts.memif_rsize.map_or(String::new(), |r| format!(",rsize={r}"));
        let name_cache = opts.name_cache.map_or(String::new(), |n| format!("name_cache = {n}\n"));
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
{name_cache}
[[ports]]
name = "p0"
device = "net_memif0,role=client,socket={}{rsize}"

[[ports]]
name = "p1"
device = "net_memif1,role=client,socket={}{rsize}"
  [[ports.neighbors]]
  name = "nb"
  mac = "{NEIGHBOR_MAC}"
"#,
            self.mgmt_socket().display(),
            eal.join(", "),
            self.core,
            self.in_sock.display(),
            self.out_sock.display(),
        )
    }
}

/// How to start dmscd beyond its [`DmscdSpec`] (all `None`: as before).
#[derive(Clone, Debug, Default)]
pub struct StartOptions {
    /// dmscd's initial CPU affinity as a `taskset` list (e.g. `0-1`); `None`: the calling
    /// thread's. This matters when the caller is a DPDK lcore thread pinned to one core:
    /// dmscd's control and statistics threads, started before its EAL initialisation,
    /// keep the affinity dmscd was started with, and would otherwise all be confined to
    /// the caller's core.
    pub cpus: Option<String>,
    /// log2 of the memif ring size dmscd (the memif client, which sets it) asks for on
    /// both links (`rsize`, 1..=14); `None`: the driver's default, 10 (1024 slots).
    pub memif_rsize: Option<u8>,
    /// `dataplane.name_cache` (names in the lcore's lookup cache; 0 = off); `None`:
    /// dmscd's default.
    pub name_cache: Option<u32>,
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
    /// (a 10^6-route FIB takes a few seconds to load) with the log's tail. dmscd inherits
    /// the calling thread's CPU affinity (see [`StartOptions::cpus`]).
    pub fn start(spec: &DmscdSpec, timeout: Duration) -> Result<Dmscd> {
        Dmscd::start_with(spec, timeout, &StartOptions::default())
    }

    /// As [`Dmscd::start`], with `opts`.
    pub fn start_with(spec: &DmscdSpec, timeout: Duration, opts: &StartOptions) -> Result<Dmscd> {
        let cfg = spec.work.join("dmscd.toml");
        std::fs::write(&cfg, spec.config_with(opts))?;
        let cpus = opts.cpus.as_deref();
        let log = spec.work.join("dmscd.log");
        let json = spec.work.join("dmscd.json");
        let out = std::fs::File::create(&log)?;
        // taskset sets the affinity and execs dmscd: same process id.
        let mut cmd = match cpus {
            Some(list) => {
                let mut c = Command::new("taskset");
                c.args(["-c", list]).arg(&spec.bin);
                c
            }
            None => Command::new(&spec.bin),
        };
        let child = cmd
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

/// The machine's online CPUs as a `taskset` list (`/sys/devices/system/cpu/online`,
/// e.g. `0-1`).
pub fn online_cpus() -> Result<String> {
    let s =
        std::fs::read_to_string("/sys/devices/system/cpu/online").context("reading /sys/devices/system/cpu/online")?;
    Ok(s.trim().to_owned())
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

/// CPU time (user + system, all threads) process `pid` has used, in clock
/// ticks (`/proc/PID/stat` fields 14 and 15; Linux's USER_HZ is 100).
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
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
        assert_eq!(flow_route_indices(10, 3), vec![0, 3, 6]);
        assert_eq!(flow_route_indices(2, 4), vec![0, 1, 0, 1]);
        assert!(flow_route_indices(0, 4).is_empty());
    }

    #[test]
    fn routes_file_leaves_out_the_churn_set() {
        let path = std::env::temp_dir().join(format!("dmsc-bench-routes-{}.txt", std::process::id()));
        let all = write_routes_except(&path, 50, 5, &[0, 7, 49]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(all.len(), 50);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 47);
        for (i, r) in all.iter().enumerate() {
            let line = format!("{r} p1 nb");
            assert_eq!(lines.contains(&line.as_str()), ![0, 7, 49].contains(&i), "{line}");
        }
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
        assert!(
            c.contains("lcores = [1]") && c.contains("socket=/w/a.sock\"") && c.contains("socket=/w/b.sock\""),
            "{c}"
        );
        let c = spec.config_with(&StartOptions { cpus: None, memif_rsize: Some(14), name_cache: Some(0) });
        assert!(c.contains("socket=/w/a.sock,rsize=14\"") && c.contains("socket=/w/b.sock,rsize=14\""), "{c}");
        assert!(c.contains("stats_interval_s = 0\nname_cache = 0\n") && !spec.config().contains("name_cache"), "{c}");
        let j = r#"{"total": {"rx_packets": 10, "forwarded": 9, "tx_packets": 9, "drops": {"no_route": 1, "ttl": 0}}}"#;
        let r = parse_counters(j).unwrap();
        assert_eq!(r, RouterCounters { rx: 10, forwarded: 9, tx: 9, drops: "no_route=1".into() });
        assert!(parse_counters("{}").is_err());
        assert_eq!(tail("héllo", 4), "llo");
    }
}
