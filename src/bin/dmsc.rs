//! `dmsc`: the operator's and tester's tool: DMSC traffic in pcap files and
//! on Linux interfaces.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use dmsc::{link, show, topo, traffic};
use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::Name;

#[derive(Parser)]
#[command(name = "dmsc", version, about = "DMSC traffic and operations tool")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// pcap files of DMSC traffic.
    #[command(subcommand)]
    Pcap(PcapCmd),
    /// Send the frames of a pcap file on an interface (AF_PACKET via libpcap).
    Send {
        /// Interface name.
        #[arg(long)]
        iface: String,
        /// pcap file to send.
        #[arg(long)]
        pcap: PathBuf,
        /// Frames per second; 0 = as fast as possible.
        #[arg(long, default_value_t = 0)]
        rate_pps: u64,
    },
    /// Capture DMSC frames arriving on an interface; print one line each.
    Capture {
        /// Interface name.
        #[arg(long)]
        iface: String,
        /// Stop after this many frames.
        #[arg(long, default_value_t = 1000)]
        count: usize,
        /// Stop after this many milliseconds.
        #[arg(long, default_value_t = 5000)]
        timeout_ms: u64,
        /// Stop once no frame has arrived for this many milliseconds (after the first).
        #[arg(long)]
        idle_ms: Option<u64>,
        /// Also write the frames to this pcap file.
        #[arg(long)]
        out: Option<PathBuf>,
        /// DMSC EtherType.
        #[arg(long, default_value = "0x88b5", value_parser = parse_u16)]
        ethertype: u16,
        /// Print only the count.
        #[arg(long)]
        quiet: bool,
    },
    /// Ask a running dmscd (management API): neighbors, lsdb, rib, fib, counters.
    Show {
        /// What to show.
        what: show::What,
        /// The management socket (the `[management] socket` of the router's
        /// configuration; default /run/dmsc/<node name with / as _>.sock).
        #[arg(long, short)]
        socket: Option<PathBuf>,
        /// Or: read the socket path from this router configuration file.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// fib: only prefixes under this one.
        #[arg(long)]
        under: Option<String>,
        /// fib: at most this many routes (0 = all).
        #[arg(long, default_value_t = 0)]
        limit: u32,
    },
    /// Many routers on this machine: memif links, pods in namespaces.
    #[command(subcommand)]
    Topo(TopoCmd),
    /// Add, replace or delete a route through the management API (source "api":
    /// preferred over routing, below the configuration's static routes).
    Route {
        /// The management socket.
        #[arg(long, short)]
        socket: Option<PathBuf>,
        /// Or: read the socket path from this router configuration file.
        #[arg(long, short)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        op: RouteOp,
    },
}

#[derive(Subcommand)]
enum TopoCmd {
    /// Start every router of the topology file and wait for convergence.
    Up {
        /// Topology file (TOML), e.g. config/examples/figure2/topology.toml.
        file: PathBuf,
        /// Give up (and stop everything) after this many seconds.
        #[arg(long, default_value_t = 60)]
        timeout_s: u64,
    },
    /// Stop exactly what `up` started and remove its namespaces and files.
    Down {
        /// Topology file.
        file: PathBuf,
    },
    /// Per router: neighbours Up, LSDB digest and SPF back-off state (RFC 8405).
    Status {
        /// Topology file.
        file: PathBuf,
    },
    /// Stop one router of an up topology, start it again with the same
    /// configuration, and wait for convergence (its neighbours' memif client
    /// ports reconnect to it by themselves).
    Restart {
        /// Topology file.
        file: PathBuf,
        /// The router (its name in the topology file).
        router: String,
        /// Stop it with SIGKILL (a crash) instead of SIGTERM (a clean stop).
        #[arg(long)]
        kill: bool,
        /// Give up waiting for convergence after this many seconds (the router keeps running).
        #[arg(long, default_value_t = 60)]
        timeout_s: u64,
    },
}

#[derive(Subcommand)]
enum RouteOp {
    /// Add or replace: `dmsc route add /payments --via p1,02:00:00:00:00:02[,COST] [--via ...]`.
    Add {
        /// The prefix.
        prefix: String,
        /// A next hop `PORT,MAC[,COST]` (repeatable: ECMP).
        #[arg(long = "via", required = true)]
        via: Vec<String>,
    },
    /// Withdraw the API route of a prefix.
    Del {
        /// The prefix.
        prefix: String,
    },
}

/// The socket from `--socket`, or from the configuration file's `[management]`.
fn socket_of(socket: Option<PathBuf>, config: Option<PathBuf>) -> Result<PathBuf> {
    match (socket, config) {
        (Some(s), _) => Ok(s),
        (None, Some(c)) => {
            let cfg = dmsc_config::load(&c).map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(cfg.management.socket)
        }
        (None, None) => anyhow::bail!("give --socket PATH or --config FILE"),
    }
}

fn parse_via(s: &str) -> Result<(String, String, u32)> {
    let parts: Vec<&str> = s.split(',').collect();
    match parts.as_slice() {
        [port, mac] => Ok((port.to_string(), mac.to_string(), 1)),
        [port, mac, cost] => Ok((port.to_string(), mac.to_string(), cost.parse().context("cost")?)),
        _ => anyhow::bail!("--via {s:?}: expected PORT,MAC[,COST]"),
    }
}

#[derive(Subcommand)]
enum PcapCmd {
    /// Write generated DMSC traffic to a pcap file.
    Gen(GenArgs),
    /// Decode a pcap file of DMSC frames into readable lines.
    Dump {
        /// The pcap file.
        file: PathBuf,
        /// DMSC EtherType.
        #[arg(long, default_value = "0x88b5", value_parser = parse_u16)]
        ethertype: u16,
        /// Print frame counts per packet type and destination prefix instead.
        #[arg(long)]
        summary: bool,
        /// With --summary: group by the first N components of the destination.
        #[arg(long)]
        depth: Option<usize>,
        /// With --summary: group by the destination minus its last N
        /// components (e.g. 1 drops the per-flow component `dmsc pcap gen` adds).
        #[arg(long, default_value_t = 0)]
        strip: usize,
    },
}

/// Arguments of `dmsc pcap gen`.
#[derive(clap::Args)]
struct GenArgs {
    /// Output pcap file.
    #[arg(long, short)]
    out: PathBuf,
    /// A destination prefix (repeatable); flows extend it by one component.
    #[arg(long = "name")]
    names: Vec<Name>,
    /// File with one destination prefix per line (# comments allowed).
    #[arg(long)]
    names_file: Option<PathBuf>,
    /// Number of frames.
    #[arg(long, default_value_t = 1000)]
    count: usize,
    /// Number of flows.
    #[arg(long, default_value_t = 16)]
    flows: usize,
    /// Frame size distribution `SIZE[:WEIGHT],...` in bytes (FCS excluded).
    #[arg(long, default_value = "64")]
    sizes: String,
    /// Share of packets to unrouted names under /dmsc-miss.
    #[arg(long, default_value_t = 0.0)]
    miss_share: f64,
    /// Share of packets with hop limit 1.
    #[arg(long, default_value_t = 0.0)]
    expired_share: f64,
    /// Share of malformed DMSC frames.
    #[arg(long, default_value_t = 0.0)]
    malformed_share: f64,
    /// Share of non-DMSC (IPv4) frames.
    #[arg(long, default_value_t = 0.0)]
    foreign_share: f64,
    /// Source name of the requests.
    #[arg(long, default_value = "/client")]
    src: Name,
    /// Hop limit.
    #[arg(long, default_value_t = 64)]
    hop_limit: u8,
    /// Ethernet source MAC.
    #[arg(long, default_value = "02:00:00:00:0c:01")]
    src_mac: MacAddr,
    /// Ethernet destination MAC (the router's port).
    #[arg(long, default_value = "02:00:00:00:0d:01")]
    dst_mac: MacAddr,
    /// DMSC EtherType.
    #[arg(long, default_value = "0x88b5", value_parser = parse_u16)]
    ethertype: u16,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

impl GenArgs {
    /// The traffic specification (reads `--names-file`).
    fn spec(self) -> Result<traffic::GenSpec> {
        let mut names = self.names;
        if let Some(f) = &self.names_file {
            let text = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
            for (i, line) in text.lines().enumerate() {
                let line = line.split('#').next().unwrap_or("").trim();
                if !line.is_empty() {
                    names.push(line.parse().with_context(|| format!("{}:{}: bad name", f.display(), i + 1))?);
                }
            }
        }
        Ok(traffic::GenSpec {
            names,
            count: self.count,
            flows: self.flows,
            sizes: traffic::parse_sizes(&self.sizes)?,
            miss_share: self.miss_share,
            expired_share: self.expired_share,
            malformed_share: self.malformed_share,
            foreign_share: self.foreign_share,
            src: self.src,
            hop_limit: self.hop_limit,
            src_mac: self.src_mac,
            dst_mac: self.dst_mac,
            ethertype: self.ethertype,
            seed: self.seed,
        })
    }
}

fn parse_u16(s: &str) -> Result<u16, String> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u16::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|e| format!("{s}: {e}"))
}

fn main() {
    dmsc::init_logging("warn");
    if let Err(e) = run(Cli::parse()) {
        // A reader that stops early (`dmsc pcap dump F | head`) is not an error.
        let broken_pipe = e
            .chain()
            .any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe));
        if broken_pipe {
            return;
        }
        eprintln!("dmsc: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    match cli.cmd {
        Cmd::Pcap(PcapCmd::Gen(args)) => {
            let out_path = args.out.clone();
            let spec = args.spec()?;
            let frames = traffic::generate(&spec)?;
            let file = File::create(&out_path).with_context(|| format!("creating {}", out_path.display()))?;
            let n = traffic::write_pcap(BufWriter::new(file), frames.iter().map(|f| &f.bytes))?;
            eprintln!("wrote {n} frames to {}", out_path.display());
        }
        Cmd::Pcap(PcapCmd::Dump { file, ethertype, summary, depth, strip }) => {
            let f = File::open(&file).with_context(|| format!("opening {}", file.display()))?;
            let frames = traffic::read_pcap(BufReader::new(f))?;
            if summary {
                writeln!(out, "{} frames", frames.len())?;
                let group = traffic::Grouping { depth, strip };
                for (key, n) in traffic::summarize(&frames, ethertype, group) {
                    writeln!(out, "{n:>8}  {key}")?;
                }
            } else {
                for (i, frame) in frames.iter().enumerate() {
                    writeln!(out, "{:>6} {}", i + 1, traffic::describe(frame, ethertype))?;
                }
            }
        }
        Cmd::Send { iface, pcap, rate_pps } => {
            let f = File::open(&pcap).with_context(|| format!("opening {}", pcap.display()))?;
            let frames = traffic::read_pcap(BufReader::new(f))?;
            let n = link::send(&iface, &frames, rate_pps)?;
            eprintln!("sent {n} frames on {iface}");
        }
        Cmd::Capture { iface, count, timeout_ms, idle_ms, out: out_file, ethertype, quiet } => {
            let limits = link::CaptureLimits {
                count,
                timeout: Duration::from_millis(timeout_ms),
                idle: idle_ms.map(Duration::from_millis),
            };
            let frames = link::capture(&iface, ethertype, limits)?;
            if !quiet {
                for (i, f) in frames.iter().enumerate() {
                    writeln!(out, "{:>6} {}", i + 1, traffic::describe(f, ethertype))?;
                }
            }
            if let Some(path) = out_file {
                let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
                traffic::write_pcap(BufWriter::new(file), &frames)?;
            }
            writeln!(out, "captured {} frames on {iface}", frames.len())?;
        }
        Cmd::Show { what, socket, config, json, under, limit } => {
            let text = show::show(socket_of(socket, config)?, what, json, under, limit)?;
            writeln!(out, "{text}")?;
        }
        Cmd::Topo(TopoCmd::Up { file, timeout_s }) => {
            let t = topo::Topology::load(&file)?;
            let text = topo::up(&t, &topo::dmscd_path()?, Duration::from_secs(timeout_s))?;
            writeln!(out, "{text}")?;
        }
        Cmd::Topo(TopoCmd::Down { file }) => {
            let t = topo::Topology::load(&file)?;
            writeln!(out, "{}", topo::down(&t)?)?;
        }
        Cmd::Topo(TopoCmd::Restart { file, router, kill, timeout_s }) => {
            let t = topo::Topology::load(&file)?;
            let text = topo::restart(&t, &router, &topo::dmscd_path()?, kill, Duration::from_secs(timeout_s))?;
            writeln!(out, "{text}")?;
        }
        Cmd::Topo(TopoCmd::Status { file }) => {
            let t = topo::Topology::load(&file)?;
            let (ok, text) = topo::converged(&t)?;
            write!(out, "{text}")?;
            writeln!(out, "{}", if ok { "converged" } else { "NOT converged" })?;
        }
        Cmd::Route { socket, config, op } => {
            let socket = socket_of(socket, config)?;
            let update = match op {
                RouteOp::Add { prefix, via } => show::RouteArgs {
                    prefix,
                    next_hops: Some(via.iter().map(|v| parse_via(v)).collect::<Result<_>>()?),
                },
                RouteOp::Del { prefix } => show::RouteArgs { prefix, next_hops: None },
            };
            writeln!(out, "{}", show::route(socket, vec![update])?)?;
        }
    }
    out.flush()?;
    Ok(())
}
