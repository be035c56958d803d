//! Many routers on one machine: `dmsc topo up|down|status FILE`.
//!
//! A topology file (TOML) names the routers (role, router id, the service
//! prefixes an SG serves) and the links between them. `up` writes one dmscd
//! configuration per router into the run directory, connects every link with
//! a `net_memif` pair (one socket per link, the first router named is the
//! memif server), gives every SG with `pod = true` a `net_tap` pod port whose
//! kernel end is moved into the network namespace `dmsc-<topology>-<router>`
//! (the "Pod" side: send and capture DMSC frames there), starts one dmscd per
//! router, each its own process with its own EAL file prefix, and waits until
//! the network has converged: every adjacency Up and every router holding the
//! same LSDB digest. `down` stops exactly the processes (by pid, checked
//! against their command line) and namespaces recorded in the run directory's
//! state file, and removes the directory.
//!
//! Alternative rejected: one process with many routers (threads): it would not
//! exercise the real multi-process data path (memif between EAL instances),
//! and a crash or restart of one router could not be tested.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::netns::{ip, move_tap_into, tap_started};
use crate::show;

/// The topology file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// Short name: 1..=8 of `[a-z0-9]`; prefixes namespaces, EAL file prefixes, interfaces.
    pub name: String,
    /// Where configurations, sockets, logs and the state file go (default `/run/dmsc-topo/<name>`).
    #[serde(default)]
    pub run_dir: Option<PathBuf>,
    /// Hello interval for every router, milliseconds (default 200).
    #[serde(default = "default_hello_ms")]
    pub hello_interval_ms: u64,
    /// HMAC-SHA256 secret (hex) shared by every router; none = no authentication.
    #[serde(default)]
    pub secret: Option<String>,
    /// The routers.
    pub routers: Vec<TopoRouter>,
    /// The links.
    pub links: Vec<TopoLink>,
}

fn default_hello_ms() -> u64 {
    200
}

/// One router of the topology.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopoRouter {
    /// 1..=6 of `[a-z0-9]`, unique.
    pub name: String,
    /// `"sr"` or `"sg"`.
    pub role: String,
    /// Router id, unique, ≥ 1.
    pub id: u64,
    /// Service prefixes served by the pods behind this SG (advertised; routed to the pod port).
    #[serde(default)]
    pub serves: Vec<String>,
    /// Give this router a pod port (a tap in its own namespace).
    #[serde(default)]
    pub pod: bool,
    /// EAL lcore (CPU) this router's forwarding loop runs on (default: spread over 0 and 1).
    #[serde(default)]
    pub lcore: Option<u32>,
}

/// A point-to-point link.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopoLink {
    /// One end (memif server).
    pub a: String,
    /// Other end (memif client).
    pub b: String,
    /// Link metric on both ends (default 10).
    #[serde(default = "default_metric")]
    pub metric: u32,
}

fn default_metric() -> u32 {
    10
}

/// What `up` started, for `down`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Router name → dmscd pid.
    pub pids: BTreeMap<String, u32>,
    /// Network namespaces created.
    pub namespaces: Vec<String>,
}

impl Topology {
    /// Reads and checks a topology file.
    ///
    /// # Errors
    /// Unreadable file, TOML errors, bad names, duplicate names or ids, links
    /// naming unknown routers, a router linked to itself.
    pub fn load(path: &Path) -> Result<Topology> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let t: Topology = toml::from_str(&text).with_context(|| format!("{}: invalid topology", path.display()))?;
        t.check().with_context(|| format!("{}: invalid topology", path.display()))?;
        Ok(t)
    }

    fn check(&self) -> Result<()> {
        let ok = |s: &str, max: usize| !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !ok(&self.name, 8) {
            bail!("name {:?}: use 1 to 8 characters from [a-z0-9]", self.name);
        }
        let mut ids = BTreeMap::new();
        for r in &self.routers {
            if !ok(&r.name, 6) {
                bail!("router {:?}: use 1 to 6 characters from [a-z0-9]", r.name);
            }
            if r.role != "sr" && r.role != "sg" {
                bail!("router {}: role {:?}: expected \"sr\" or \"sg\"", r.name, r.role);
            }
            if r.id == 0 || ids.insert(r.id, &r.name).is_some() {
                bail!("router {}: id {} is 0 or used twice", r.name, r.id);
            }
        }
        let names: Vec<&str> = self.routers.iter().map(|r| r.name.as_str()).collect();
        for w in names.iter().enumerate() {
            if names[..w.0].contains(w.1) {
                bail!("router {} is defined twice", w.1);
            }
        }
        for l in &self.links {
            for end in [&l.a, &l.b] {
                if !names.contains(&end.as_str()) {
                    bail!("link {}-{}: unknown router {end}", l.a, l.b);
                }
            }
            if l.a == l.b {
                bail!("link {}-{}: a router cannot be linked to itself", l.a, l.b);
            }
        }
        Ok(())
    }

    /// The run directory.
    pub fn run_dir(&self) -> PathBuf {
        self.run_dir.clone().unwrap_or_else(|| PathBuf::from(format!("/run/dmsc-topo/{}", self.name)))
    }

    /// Namespace of a router's pods.
    pub fn netns(&self, router: &str) -> String {
        format!("dmsc-{}-{}", self.name, router)
    }

    /// Kernel name of a router's pod tap.
    pub fn pod_iface(&self, router: &str) -> String {
        format!("{}-{}", self.name, router)
    }

    /// The router's management socket.
    pub fn socket(&self, router: &str) -> PathBuf {
        self.run_dir().join(format!("{router}.sock"))
    }

    fn index(&self, router: &str) -> usize {
        self.routers.iter().position(|r| r.name == router).unwrap_or(0)
    }

    /// MAC of the router's own pod port (the destination of frames pods send).
    pub fn pod_port_mac(&self, router: &str) -> String {
        format!("02:00:00:00:{:02x}:01", self.index(router) + 1)
    }

    /// MAC of the pod side (the tap inside the namespace).
    pub fn pod_mac(&self, router: &str) -> String {
        format!("02:00:00:00:{:02x}:0f", self.index(router) + 1)
    }

    /// One dmscd configuration per router, in router order.
    pub fn render(&self) -> Vec<(String, String)> {
        let dir = self.run_dir();
        let mut out = Vec::new();
        for (ri, r) in self.routers.iter().enumerate() {
            let mut ports = String::new();
            let mut vdev = 0usize;
            for (li, l) in self.links.iter().enumerate() {
                // The router started first (earlier in the file) is the memif
                // server: a memif client's port start fails until the
                // server's socket exists, and `up` starts routers in order.
                let peer = if l.a == r.name {
                    &l.b
                } else if l.b == r.name {
                    &l.a
                } else {
                    continue;
                };
                let role = if self.index(&r.name) < self.index(peer) { "server" } else { "client" };
                let sock = dir.join(format!("link{li}-{}-{}.sock", l.a, l.b));
                ports.push_str(&format!(
                    "\n[[ports]]\nname = \"to-{peer}\"\ndevice = \"net_memif{vdev},role={role},id=0,socket={},socket-abstract=no,mac=02:00:00:{:02x}:{:02x}:00\"\nrouting = true\nmetric = {}\n",
                    sock.display(),
                    ri + 1,
                    li + 1,
                    l.metric
                ));
                vdev += 1;
            }
            let mut routes = String::new();
            if r.pod {
                ports.push_str(&format!(
                    "\n[[ports]]\nname = \"pod\"\ndevice = \"net_tap0,iface={},mac={}\"\ndispatch = \"flow-label\"\n  [[ports.neighbors]]\n  name = \"pod\"\n  mac = \"{}\"\n",
                    self.pod_iface(&r.name),
                    self.pod_port_mac(&r.name),
                    self.pod_mac(&r.name)
                ));
                for p in &r.serves {
                    routes.push_str(&format!(
                        "\n[[routes]]\nprefix = \"{p}\"\nnext_hops = [ {{ port = \"pod\", neighbor = \"pod\" }} ]\n"
                    ));
                }
            }
            let prefixes: String =
                r.serves.iter().map(|p| format!("  [[routing.prefixes]]\n  prefix = \"{p}\"\n")).collect();
            let keys = self
                .secret
                .as_ref()
                .map(|s| format!("  [[routing.keys]]\n  id = 1\n  secret = \"{s}\"\n"))
                .unwrap_or_default();
            let lcore = r.lcore.unwrap_or((ri % 2) as u32);
            let text = format!(
                "# Written by `dmsc topo up` for topology {topo}, router {name}.\n\
                 [node]\nname = \"/{topo}/{name}\"\nrole = \"{role}\"\n\n\
                 [management]\nsocket = \"{sock}\"\n\n\
                 [eal]\nargs = [\"--no-huge\", \"-m\", \"160\", \"--no-pci\", \"--file-prefix\", \"dmsc-{topo}-{name}\"]\n\n\
                 [dataplane]\nlcores = [{lcore}]\nmbufs = 8191\nrx_descriptors = 256\ntx_descriptors = 256\n\
                 idle_polls_before_sleep = 50\nidle_sleep_us = 200\nstats_interval_s = 0\n\n\
                 [routing]\nrouter_id = {id}\nhello_interval_ms = {hello}\nhold_multiplier = 4\nretransmit_interval_ms = 200\n\
                 {prefixes}{keys}{ports}{routes}",
                topo = self.name,
                name = r.name,
                role = r.role,
                sock = self.socket(&r.name).display(),
                id = r.id,
                hello = self.hello_interval_ms,
            );
            out.push((r.name.clone(), text));
        }
        out
    }
}

/// Fails if a started router has exited, quoting the end of its log.
fn exited(dir: &Path, children: &mut [(String, std::process::Child)]) -> Result<()> {
    for (name, child) in children.iter_mut() {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
            let mut tail: Vec<&str> = log.lines().rev().take(8).collect();
            tail.reverse();
            bail!("router {name} (pid {}) exited ({status}); its log ends:\n{}", child.id(), tail.join("\n"));
        }
    }
    Ok(())
}

fn state_path(t: &Topology) -> PathBuf {
    t.run_dir().join("state.json")
}

fn save(t: &Topology, s: &State) -> Result<()> {
    std::fs::write(state_path(t), serde_json::to_string_pretty(s)?).context("writing the state file")
}

/// Convergence as `status` reports it: per router (neighbours Up / links,
/// LSDB digest, SPF pending); `Ok(true)` when all adjacencies are Up, digests
/// agree and no router has an SPF run pending (so every FIB is up to date).
pub fn converged(t: &Topology) -> Result<(bool, String)> {
    let mut text = String::new();
    let mut digests = Vec::new();
    let mut all_up = true;
    for r in &t.routers {
        let links = t.links.iter().filter(|l| l.a == r.name || l.b == r.name).count();
        let n = show::show(t.socket(&r.name), show::What::Neighbors, true, None, 0)?;
        let n: serde_json::Value = serde_json::from_str(&n)?;
        let up = n["neighbors"].as_array().map_or(0, |a| a.iter().filter(|x| x["state"] == "up").count());
        let l = show::show(t.socket(&r.name), show::What::Lsdb, true, None, 0)?;
        let l: serde_json::Value = serde_json::from_str(&l)?;
        let digest = l["digest"].as_str().unwrap_or("").to_owned();
        let lsas = l["lsas"].as_array().map_or(0, Vec::len);
        let spf = l["spf_pending"].as_bool() == Some(true);
        all_up &= up == links && !spf;
        text.push_str(&format!(
            "{:<8} {:<3} neighbors up {up}/{links}  LSAs {lsas:>3}  digest {digest}{}\n",
            r.name,
            r.role,
            if spf { "  SPF pending" } else { "" }
        ));
        digests.push(digest);
    }
    let same = digests.windows(2).all(|w| w[0] == w[1]) && !digests.is_empty();
    Ok((all_up && same, text))
}

/// `dmsc topo up`: starts everything and waits for convergence (up to `limit`).
///
/// # Errors
/// Already up, a router failed to start (its log is named), no convergence in time
/// (everything started is stopped again).
pub fn up(t: &Topology, dmscd: &Path, limit: Duration) -> Result<String> {
    let dir = t.run_dir();
    if state_path(t).exists() {
        bail!("{} exists: topology {} is up (run `dmsc topo down` first)", state_path(t).display(), t.name);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut state = State::default();
    save(t, &state)?;
    let result = (|| -> Result<String> {
        for r in t.routers.iter().filter(|r| r.pod) {
            let ns = t.netns(&r.name);
            let _ = Command::new("ip").args(["netns", "del", &ns]).stderr(Stdio::null()).status();
            ip(&["netns", "add", &ns])?;
            state.namespaces.push(ns);
            save(t, &state)?;
        }
        let mut children: Vec<(String, std::process::Child)> = Vec::new();
        for (name, text) in t.render() {
            let cfg = dir.join(format!("{name}.toml"));
            std::fs::write(&cfg, text)?;
            let log = std::fs::File::create(dir.join(format!("{name}.log")))?;
            let child = Command::new(dmscd)
                .args(["run", "--config"])
                .arg(&cfg)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
                .spawn()
                .with_context(|| format!("starting {}", dmscd.display()))?;
            state.pids.insert(name.clone(), child.id());
            save(t, &state)?;
            children.push((name.clone(), child));
            // Wait for this router's memif server sockets before starting its clients.
            let servers: Vec<PathBuf> = t
                .links
                .iter()
                .enumerate()
                .filter(|(_, l)| {
                    let (a, b) = (t.index(&l.a), t.index(&l.b));
                    (l.a == name && a < b) || (l.b == name && b < a)
                })
                .map(|(li, l)| dir.join(format!("link{li}-{}-{}.sock", l.a, l.b)))
                .collect();
            let t0 = Instant::now();
            while !servers.iter().all(|p| p.exists()) {
                exited(&dir, &mut children)?;
                if t0.elapsed() > limit {
                    bail!("router {name} did not open its memif sockets within {limit:?}");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        for r in t.routers.iter().filter(|r| r.pod) {
            let (ifc, ns) = (t.pod_iface(&r.name), t.netns(&r.name));
            let t0 = Instant::now();
            while !tap_started(&ifc) {
                exited(&dir, &mut children)?;
                if t0.elapsed() > limit {
                    bail!("the pod port of {} did not start within {limit:?}", r.name);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            move_tap_into(&ifc, &ns, &t.pod_mac(&r.name))?;
        }
        let t0 = Instant::now();
        let mut last;
        loop {
            exited(&dir, &mut children)?;
            match converged(t) {
                Ok((true, text)) => {
                    return Ok(format!("{text}converged in {:.2} s", t0.elapsed().as_secs_f64()));
                }
                Ok((false, text)) => last = text,
                Err(e) => last = format!("{e:#}"),
            }
            if t0.elapsed() > limit {
                bail!("not converged after {limit:?}:\n{last}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    })();
    match result {
        Ok(text) => Ok(text),
        Err(e) => {
            // Keep the logs for the post-mortem, then stop everything.
            let keep = std::env::temp_dir().join(format!("dmsc-topo-{}-logs", t.name));
            let _ = std::fs::remove_dir_all(&keep);
            let _ = std::fs::create_dir_all(&keep);
            for r in &t.routers {
                let _ = std::fs::copy(dir.join(format!("{}.log", r.name)), keep.join(format!("{}.log", r.name)));
            }
            let _ = down(t);
            Err(e.context(format!("topology {} did not come up (logs kept in {})", t.name, keep.display())))
        }
    }
}

/// `dmsc topo down`: stops what `up` recorded and removes the run directory.
///
/// # Errors
/// The state file is unreadable. Processes that ignore SIGTERM for 10 s are killed.
pub fn down(t: &Topology) -> Result<String> {
    let path = state_path(t);
    let text = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(format!("topology {} is not up", t.name)),
        Err(e) => return Err(e).context(format!("reading {}", path.display())),
    };
    let state: State = serde_json::from_str(&text).context("state file")?;
    let dir = t.run_dir();
    let ours = |pid: u32| {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&*dir.to_string_lossy()))
    };
    let mut stopped = 0;
    for pid in state.pids.values().copied().filter(|p| ours(*p)) {
        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        stopped += 1;
    }
    let t0 = Instant::now();
    while state.pids.values().any(|p| ours(*p)) && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    for pid in state.pids.values().copied().filter(|p| ours(*p)) {
        let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    }
    for ns in &state.namespaces {
        let _ = Command::new("ip").args(["netns", "del", ns]).status();
    }
    std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    for r in &t.routers {
        let _ = std::fs::remove_dir_all(format!("/var/run/dpdk/dmsc-{}-{}", t.name, r.name));
    }
    Ok(format!("topology {}: stopped {stopped} routers, removed {} namespaces", t.name, state.namespaces.len()))
}

/// The dmscd next to this executable (the same build).
pub fn dmscd_path() -> Result<PathBuf> {
    let me = std::env::current_exe().context("locating this executable")?;
    let p = me.with_file_name("dmscd");
    if !p.exists() {
        bail!("{} not found (build it: cargo build --release --bins)", p.display());
    }
    Ok(p)
}
