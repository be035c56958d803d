//! Many routers on one machine: `dmsc topo up|down|status|restart FILE`.
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
//! state file, and removes the directory. `restart` stops one router and
//! starts it again with the configuration `up` wrote (see [`restart`] for what
//! DPDK's memif driver allows).
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
    /// SPF back-off of every router [RFC 8405 §6], milliseconds: INITIAL_SPF_DELAY
    /// (`[routing] spf_initial_delay_ms`); unset = the dmscd default (50).
    #[serde(default)]
    pub spf_initial_delay_ms: Option<u64>,
    /// SHORT_SPF_DELAY, milliseconds [RFC 8405 §6]; unset = dmscd default (200).
    #[serde(default)]
    pub spf_short_delay_ms: Option<u64>,
    /// LONG_SPF_DELAY, milliseconds [RFC 8405 §6]; unset = dmscd default (5000).
    #[serde(default)]
    pub spf_long_delay_ms: Option<u64>,
    /// TIME_TO_LEARN_INTERVAL, milliseconds [RFC 8405 §6]; unset = dmscd default (500).
    #[serde(default)]
    pub spf_time_to_learn_ms: Option<u64>,
    /// HOLDDOWN_INTERVAL, milliseconds [RFC 8405 §6]: a router reports `quiet`
    /// this long after its last LSDB change; unset = dmscd default (10000).
    #[serde(default)]
    pub spf_holddown_ms: Option<u64>,
    /// Loop-free alternates [RFC 5286] on every router; unset = dmscd default (true).
    #[serde(default)]
    pub loop_free_alternates: Option<bool>,
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
        let ok = |s: &str, max: usize| {
            !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
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
        // What dmscd would reject at start (e.g. SPF back-off values out of
        // order), reported before anything is started.
        for (name, text) in self.render() {
            dmsc_config::parse(&text, &format!("{name}.toml"))
                .map_err(|e| anyhow::anyhow!("router {name}: the generated configuration is invalid:\n{e}"))?;
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
            let spf: String = [
                ("spf_initial_delay_ms", self.spf_initial_delay_ms),
                ("spf_short_delay_ms", self.spf_short_delay_ms),
                ("spf_long_delay_ms", self.spf_long_delay_ms),
                ("spf_time_to_learn_ms", self.spf_time_to_learn_ms),
                ("spf_holddown_ms", self.spf_holddown_ms),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k} = {v}\n")))
            .chain(self.loop_free_alternates.map(|v| format!("loop_free_alternates = {v}\n")))
            .collect();
            let lcore = r.lcore.unwrap_or((ri % 2) as u32);
            let text = format!(
                "# Written by `dmsc topo up` for topology {topo}, router {name}.\n\
                 [node]\nname = \"/{topo}/{name}\"\nrole = \"{role}\"\n\n\
                 [management]\nsocket = \"{sock}\"\n\n\
                 [eal]\nargs = [\"--no-huge\", \"-m\", \"160\", \"--no-pci\", \"--file-prefix\", \"dmsc-{topo}-{name}\"]\n\n\
                 [dataplane]\nlcores = [{lcore}]\nmbufs = 8191\nrx_descriptors = 256\ntx_descriptors = 256\n\
                 idle_polls_before_sleep = 50\nidle_sleep_us = 200\nstats_interval_s = 0\n\n\
                 [routing]\nrouter_id = {id}\nhello_interval_ms = {hello}\nhold_multiplier = 4\nretransmit_interval_ms = 200\n\
                 {spf}{prefixes}{keys}{ports}{routes}",
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

/// One router's view, as `status` reports it.
struct RouterStatus {
    up: usize,
    links: usize,
    lsas: usize,
    digest: String,
    spf_pending: bool,
    spf_state: String,
}

fn router_status(t: &Topology, r: &TopoRouter) -> Result<RouterStatus> {
    let links = t.links.iter().filter(|l| l.a == r.name || l.b == r.name).count();
    let n = show::show(t.socket(&r.name), show::What::Neighbors, true, None, 0)?;
    let n: serde_json::Value = serde_json::from_str(&n)?;
    let up = n["neighbors"].as_array().map_or(0, |a| a.iter().filter(|x| x["state"] == "up").count());
    let l = show::show(t.socket(&r.name), show::What::Lsdb, true, None, 0)?;
    let l: serde_json::Value = serde_json::from_str(&l)?;
    Ok(RouterStatus {
        up,
        links,
        lsas: l["lsas"].as_array().map_or(0, Vec::len),
        digest: l["digest"].as_str().unwrap_or("").to_owned(),
        spf_pending: l["spf_pending"].as_bool() == Some(true),
        spf_state: l["spf_state"].as_str().unwrap_or("").to_owned(),
    })
}

/// Convergence as `status` reports it: per router (neighbours Up / links,
/// LSDB digest, SPF back-off state [RFC 8405 §5], SPF pending); `Ok(true)`
/// when all adjacencies are Up, digests agree and no router has an SPF run
/// pending (so every FIB is up to date). The back-off need not be `quiet`
/// (that takes HOLDDOWN_INTERVAL after the last change; see [`spf_states`]).
pub fn converged(t: &Topology) -> Result<(bool, String)> {
    let mut text = String::new();
    let mut digests = Vec::new();
    let mut all_up = true;
    for r in &t.routers {
        let s = router_status(t, r)?;
        all_up &= s.up == s.links && !s.spf_pending;
        text.push_str(&format!(
            "{:<8} {:<3} neighbors up {}/{}  LSAs {:>3}  digest {}  SPF {}{}\n",
            r.name,
            r.role,
            s.up,
            s.links,
            s.lsas,
            s.digest,
            if s.spf_state.is_empty() { "-" } else { &s.spf_state },
            if s.spf_pending { "  SPF pending" } else { "" }
        ));
        digests.push(s.digest);
    }
    let same = digests.windows(2).all(|w| w[0] == w[1]) && !digests.is_empty();
    Ok((all_up && same, text))
}

/// Router name → its SPF back-off state [RFC 8405 §5]: `"quiet"`, `"short_wait"`
/// or `"long_wait"`. A router is `quiet` once HOLDDOWN_INTERVAL (`spf_holddown_ms`)
/// has passed without an LSDB change; wait for all `quiet` before injecting a
/// failure so that every router handles it with INITIAL_SPF_DELAY.
///
/// # Errors
/// A router's management API cannot be reached.
pub fn spf_states(t: &Topology) -> Result<BTreeMap<String, String>> {
    t.routers
        .iter()
        .map(|r| {
            let s = router_status(t, r).with_context(|| format!("router {}", r.name))?;
            Ok((r.name.clone(), s.spf_state))
        })
        .collect()
}

/// The memif server sockets of `router`'s links: those whose other end is
/// later in the file (see [`Topology::render`]).
fn server_sockets(t: &Topology, router: &str) -> Vec<PathBuf> {
    t.links
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            let (a, b) = (t.index(&l.a), t.index(&l.b));
            (l.a == router && a < b) || (l.b == router && b < a)
        })
        .map(|(li, l)| t.run_dir().join(format!("link{li}-{}-{}.sock", l.a, l.b)))
        .collect()
}

/// Starts one dmscd on `cfg`, its output in `<router>.log` (appended to when
/// `append`, e.g. on a restart, so the previous run's log stays).
fn spawn(t: &Topology, dmscd: &Path, router: &str, cfg: &Path, append: bool) -> Result<std::process::Child> {
    let path = t.run_dir().join(format!("{router}.log"));
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    if append {
        use std::io::Write as _;
        writeln!(log, "--- dmsc topo restart ---")?;
    }
    Command::new(dmscd)
        .args(["run", "--config"])
        .arg(cfg)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .spawn()
        .with_context(|| format!("starting {}", dmscd.display()))
}

/// Waits (up to `limit`) until the listed memif server sockets exist.
fn wait_sockets(
    dir: &Path,
    router: &str,
    servers: &[PathBuf],
    children: &mut [(String, std::process::Child)],
    limit: Duration,
) -> Result<()> {
    let t0 = Instant::now();
    while !servers.iter().all(|p| p.exists()) {
        exited(dir, children)?;
        if t0.elapsed() > limit {
            bail!("router {router} did not open its memif sockets within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Waits (up to `limit`) until the pod tap of `router` is started, then moves
/// it into the router's namespace (which must exist).
fn move_pod(t: &Topology, router: &str, children: &mut [(String, std::process::Child)], limit: Duration) -> Result<()> {
    let (ifc, ns) = (t.pod_iface(router), t.netns(router));
    let t0 = Instant::now();
    while !tap_started(&ifc) {
        exited(&t.run_dir(), children)?;
        if t0.elapsed() > limit {
            bail!("the pod port of {router} did not start within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    move_tap_into(&ifc, &ns, &t.pod_mac(router))
}

/// Waits (up to `limit`) until [`converged`]; returns the table and the time taken.
fn wait_converged(t: &Topology, children: &mut [(String, std::process::Child)], limit: Duration) -> Result<String> {
    let t0 = Instant::now();
    let mut last;
    loop {
        exited(&t.run_dir(), children)?;
        match converged(t) {
            Ok((true, text)) => return Ok(format!("{text}converged in {:.2} s", t0.elapsed().as_secs_f64())),
            Ok((false, text)) => last = text,
            Err(e) => last = format!("{e:#}"),
        }
        if t0.elapsed() > limit {
            bail!("not converged after {limit:?}:\n{last}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
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
            let child = spawn(t, dmscd, &name, &cfg, false)?;
            state.pids.insert(name.clone(), child.id());
            save(t, &state)?;
            children.push((name.clone(), child));
            // Wait for this router's memif server sockets before starting its clients.
            wait_sockets(&dir, &name, &server_sockets(t, &name), &mut children, limit)?;
        }
        for r in t.routers.iter().filter(|r| r.pod) {
            move_pod(t, &r.name, &mut children, limit)?;
        }
        wait_converged(t, &mut children, limit)
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

/// True while `pid` is a live dmscd of this topology: its command line names
/// the run directory (a pid reused by another process, or an exited one whose
/// command line is empty, is not ours).
fn ours(t: &Topology, pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&*t.run_dir().to_string_lossy()))
}

/// True until every thread of `pid` has exited (the process is gone or a
/// zombie): only then are its files closed, so its memif sockets, tap and EAL
/// locks released. The main thread alone can be a zombie while other threads
/// still exit, so each thread is checked.
fn alive(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return false };
    tasks.flatten().any(|task| {
        std::fs::read_to_string(task.path().join("stat")).is_ok_and(|s| {
            // The state follows the parenthesised command name.
            let state = s.rsplit_once(')').and_then(|(_, r)| r.trim_start().chars().next());
            !matches!(state, Some('Z' | 'X') | None)
        })
    })
}

fn read_state(t: &Topology) -> Result<State> {
    let path = state_path(t);
    let text = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("topology {} is not up ({} does not exist)", t.name, path.display())
        }
        Err(e) => return Err(e).context(format!("reading {}", path.display())),
    };
    serde_json::from_str(&text).with_context(|| format!("{}: invalid state file", path.display()))
}

/// `dmsc topo restart`: stops one router of an up topology (SIGTERM, or
/// SIGKILL with `kill`; nothing to stop if it has already exited), starts it
/// again with the configuration `up` wrote (its log is appended to, its pid
/// saved in the state file), moves its pod tap into its namespace again, and
/// waits (up to `limit`) until the topology has converged as for `up`.
///
/// The restarted router's memif *client* ports connect to their servers again
/// when it starts; the clients of its memif *server* ports (its neighbours)
/// dial its new socket by themselves: dmscd stops and starts a memif client
/// port whose link stays down (`dmsc_controlplane::reconnect`: after 1 s
/// down, then every 1, 2, 4 s), so any router can be restarted.
///
/// # Errors
/// Unknown router, topology not up, it did not stop within 10 s of SIGKILL,
/// it failed to start (its log is quoted), or no convergence within `limit`
/// (the router is left running for inspection).
pub fn restart(t: &Topology, router: &str, dmscd: &Path, kill: bool, limit: Duration) -> Result<String> {
    let Some(r) = t.routers.iter().find(|r| r.name == router) else {
        bail!("topology {} has no router {router}", t.name);
    };
    let mut state = read_state(t)?;
    let dir = t.run_dir();
    let cfg = dir.join(format!("{router}.toml"));
    if !cfg.exists() {
        bail!("{} does not exist: was topology {} started by `dmsc topo up`?", cfg.display(), t.name);
    }
    // Stop it (if it still runs) and wait until it has released everything.
    let old = state.pids.get(router).copied();
    let mut how = format!("{router} was not running");
    if let Some(pid) = old.filter(|p| ours(t, *p)) {
        let sig = if kill { "-KILL" } else { "-TERM" };
        let _ = Command::new("kill").args([sig, &pid.to_string()]).status();
        let t0 = Instant::now();
        while alive(pid) && t0.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        if alive(pid) {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            let t1 = Instant::now();
            while alive(pid) && t1.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(20));
            }
            if alive(pid) {
                bail!("router {router} (pid {pid}) did not exit after SIGKILL");
            }
        }
        how = format!("stopped {router} (pid {pid}, SIG{})", &sig[1..]);
    }
    // A router that did not exit cleanly leaves its memif listener sockets
    // behind, and DPDK does not bind over them.
    let servers = server_sockets(t, router);
    for p in &servers {
        match std::fs::remove_file(p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).context(format!("removing the stale memif socket {}", p.display())),
        }
    }
    let t0 = Instant::now();
    let child = spawn(t, dmscd, router, &cfg, true)?;
    let pid = child.id();
    state.pids.insert(router.to_owned(), pid);
    save(t, &state)?;
    let mut children = vec![(router.to_owned(), child)];
    let result = (|| -> Result<String> {
        wait_sockets(&dir, router, &servers, &mut children, limit)?;
        if r.pod {
            move_pod(t, router, &mut children, limit)?;
        }
        wait_converged(t, &mut children, limit)
    })();
    let log = dir.join(format!("{router}.log"));
    let text = result.with_context(|| format!("restarting {router} (pid {pid}; log {})", log.display()))?;
    Ok(format!("{how}; started it again (pid {pid})\n{text} ({:.2} s after the start)", t0.elapsed().as_secs_f64()))
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
    let mut stopped = 0;
    for pid in state.pids.values().copied().filter(|p| ours(t, *p)) {
        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        stopped += 1;
    }
    let t0 = Instant::now();
    while state.pids.values().any(|p| ours(t, *p)) && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    for pid in state.pids.values().copied().filter(|p| ours(t, *p)) {
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
