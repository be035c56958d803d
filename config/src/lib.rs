//! `dmsc-config`: the router daemon's (`dmscd`) configuration file, parsed and validated.
//!
//! One TOML file describes one DMSC node — a Service Router (SR) or Service Gateway (SG)
//! [draft-li-dmsc-architecture §4] — its DPDK environment (EAL arguments, lcores, mbuf
//! pool, ring sizes), its ports with the neighbours reachable on each, and static routes
//! (name prefix → next hops) that fill the FIB until the routing protocol does
//! [draft-li-dmsc-architecture §6.2]. `config/README.md` has the schema reference table and
//! `config/examples/` has commented files.
//!
//! ```toml
//! [node]
//! name = "/dmsc/sr1"
//! role = "sr"
//!
//! [[ports]]
//! name = "p0"
//! device = "net_tap0,iface=dmsc0"
//!   [[ports.neighbors]]
//!   name = "sr2"
//!   mac = "02:00:00:00:00:02"
//!
//! [[routes]]
//! prefix = "/B/4"
//! next_hops = [ { port = "p0", neighbor = "sr2" } ]
//! ```
//!
//! # Design
//!
//! Two layers. A private *raw* layer (`raw.rs`) is what `serde` deserializes: the file's
//! structure with `toml::Spanned` around every value, strings and `i64`s for everything
//! that has a rule. A *validate* pass (`validate.rs`) turns it into the plain public types
//! below ([`Config`], [`Port`], ... holding [`Name`], [`MacAddr`], [`Device`],
//! [`Duration`]), collecting every semantic error with its line, column and field path
//! ([`ConfigErrors`]). The public types carry no spans, so the daemon and tests build and
//! compare them directly.
//!
//! Rejected alternatives: deserializing straight into the public types with custom serde
//! impls (serde stops at the first error and cannot cross-check ports against routes);
//! keeping `Spanned` in the public types (every user would unwrap spans); a hand-written
//! TOML walker without serde (re-implements `deny_unknown_fields`, defaults and type errors).
//!
//! Structural errors — TOML syntax, unknown keys, missing keys, wrong TOML types — stop
//! parsing at the first one (the raw layer cannot be built); their field path is recovered
//! from the error span. All other checks report every problem found.
//!
//! # Example
//!
//! ```
//! let text = r#"
//! [node]
//! name = "/dmsc/sr1"
//! role = "sr"
//! [[ports]]
//! name = "p0"
//! device = "net_ring0"
//! "#;
//! let cfg = dmsc_config::parse(text, "sr1.toml").unwrap();
//! assert_eq!(cfg.ports[0].device.dpdk_name(), "net_ring0");
//! assert_eq!(cfg.dataplane.burst_size, 32);
//!
//! let err = dmsc_config::parse(&text.replace("net_ring0", "ring0"), "sr1.toml").unwrap_err();
//! assert!(err.to_string().starts_with("sr1.toml:7:10: `ports[0].device`: invalid device"));
//! ```

#![deny(unsafe_code)]
#![warn(missing_docs)]

mod device;
mod emit;
mod error;
pub mod fuzzing;
pub(crate) mod raw;
pub mod routes_file;
pub mod routing;
mod validate;

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub use device::{Device, DeviceError};
pub use dmsc_wire::ethernet::MacAddr;
pub use dmsc_wire::name::Name;
pub use error::{ConfigError, ConfigErrors, ErrorKind, Location};

/// Default values of the optional keys.
pub mod defaults {
    /// `dataplane.lcores`: one forwarding lcore, lcore 0 (which is also the EAL main lcore).
    pub const LCORES: &[u32] = &[0];
    /// `dataplane.ethertype`: 0x88B5, an IEEE 802 "local experimental" EtherType
    /// (IEEE Std 802 §9.2.4), used until DMSC has an assigned one.
    pub const ETHERTYPE: u16 = dmsc_wire::ethernet::DEFAULT_ETHERTYPE;
    /// `dataplane.burst_size`: packets per `rte_eth_rx_burst`/`rte_eth_tx_burst` call.
    pub const BURST_SIZE: usize = 32;
    /// `dataplane.mbufs`: mbufs in the packet pool (2^n − 1 is the mempool's best size).
    pub const MBUFS: u32 = 8191;
    /// `dataplane.mbuf_cache`: per-lcore mempool cache, in mbufs.
    pub const MBUF_CACHE: u32 = 256;
    /// `dataplane.rx_descriptors`: descriptors per rx queue.
    pub const RX_DESCRIPTORS: u16 = 1024;
    /// `dataplane.tx_descriptors`: descriptors per tx queue.
    pub const TX_DESCRIPTORS: u16 = 1024;
    /// `dataplane.idle_polls_before_sleep`: consecutive empty polls before sleeping.
    pub const IDLE_POLLS_BEFORE_SLEEP: u32 = 100;
    /// `dataplane.idle_sleep_us`: sleep per idle poll once sleeping, in microseconds.
    pub const IDLE_SLEEP_US: u64 = 50;
    /// `dataplane.name_cache`: destination names each lcore's lookup cache holds
    /// (9 MiB per lcore). 2^16, so that 10^4 active names fill its 4-way sets to
    /// 15 % and few of them conflict (`docs/performance.md`, "Lookup cache").
    pub const NAME_CACHE: u32 = 65536;
    /// `dataplane.control_nice`: the control thread's nice value (0: as the process).
    pub const CONTROL_NICE: i8 = 0;
    /// `dataplane.nack_rate_per_s`: nack token-bucket rate per lcore, nacks per second.
    pub const NACK_RATE_PER_S: u32 = 1000;
    /// `dataplane.nack_burst`: nack token-bucket depth per lcore, in nacks.
    pub const NACK_BURST: u32 = 100;
    /// `dataplane.nack_hop_limit`: hop limit of the nacks this router originates.
    pub const NACK_HOP_LIMIT: u8 = 64;
    /// `dataplane.stats_interval_s`: seconds between counter tables (0 = off).
    pub const STATS_INTERVAL_S: u64 = 5;
    /// `ports[].rx_queues`.
    pub const RX_QUEUES: u16 = 1;
    /// `ports[].mtu`: payload bytes per frame, Ethernet header excluded.
    pub const MTU: u16 = 1500;
    /// `routes[].next_hops[].cost`.
    pub const COST: u32 = 1;
    /// `ports[].metric`: routing link cost.
    pub const LINK_METRIC: u32 = 10;
}

/// Ranges accepted for the numeric keys (inclusive) and other limits.
pub mod limits {
    use std::ops::RangeInclusive;

    /// `dataplane.lcores[]`: EAL lcore ids, below `RTE_MAX_LCORE` (128 in Debian's DPDK).
    pub const LCORE_ID: RangeInclusive<i64> = 0..=127;
    /// `dataplane.ethertype`: EtherType values proper (≥ 0x0600; smaller values are
    /// 802.3 lengths). The VLAN tag types in [`VLAN_ETHERTYPES`] are refused on top.
    pub const ETHERTYPE: RangeInclusive<i64> = 0x0600..=0xFFFF;
    /// 802.1Q C-tag, 802.1ad S-tag and the old QinQ tag: the forwarder does not parse VLAN
    /// tags, so DMSC frames must not look like tagged frames.
    pub const VLAN_ETHERTYPES: [u16; 3] = [0x8100, 0x88A8, 0x9100];
    /// `dataplane.burst_size`, in packets.
    pub const BURST_SIZE: RangeInclusive<i64> = 1..=64;
    /// `dataplane.mbufs`.
    pub const MBUFS: RangeInclusive<i64> = 64..=16_777_215;
    /// `dataplane.mbuf_cache`: `RTE_MEMPOOL_CACHE_MAX_SIZE` is 512; the mempool also
    /// requires `mbuf_cache * 1.5 <= mbufs`.
    pub const MBUF_CACHE: RangeInclusive<i64> = 0..=512;
    /// `dataplane.rx_descriptors` and `tx_descriptors`; must also be a power of two (which
    /// satisfies every PMD's alignment rule).
    pub const DESCRIPTORS: RangeInclusive<i64> = 32..=32_768;
    /// `dataplane.idle_polls_before_sleep`.
    pub const IDLE_POLLS_BEFORE_SLEEP: RangeInclusive<i64> = 0..=u32::MAX as i64;
    /// `dataplane.idle_sleep_us`, in microseconds (at most 100 ms: longer sleeps would let
    /// a burst of traffic overflow the rx rings before the lcore wakes).
    pub const IDLE_SLEEP_US: RangeInclusive<i64> = 0..=100_000;
    /// `dataplane.name_cache`, names per lcore (0 = off; 2^20 names = 144 MiB per lcore).
    pub const NAME_CACHE: RangeInclusive<i64> = 0..=1 << 20;
    /// `dataplane.nack_rate_per_s`, nacks per second per lcore (0 = never send nacks).
    pub const NACK_RATE_PER_S: RangeInclusive<i64> = 0..=10_000_000;
    /// `dataplane.nack_burst`, in nacks.
    pub const NACK_BURST: RangeInclusive<i64> = 1..=1_000_000;
    /// `dataplane.nack_hop_limit`.
    pub const NACK_HOP_LIMIT: RangeInclusive<i64> = 1..=255;
    /// `dataplane.stats_interval_s`, in seconds (0 = off; at most one day).
    pub const STATS_INTERVAL_S: RangeInclusive<i64> = 0..=86_400;
    /// `dataplane.control_nice`: Linux nice values (`setpriority(2)`).
    pub const CONTROL_NICE: RangeInclusive<i64> = -20..=19;
    /// `ports[].rx_queues`.
    pub const RX_QUEUES: RangeInclusive<i64> = 1..=16;
    /// `ports[].mtu`, payload bytes (68 is the IPv4 minimum MTU, 9600 a common jumbo limit).
    pub const MTU: RangeInclusive<i64> = 68..=9600;
    /// `routes[].next_hops[].cost`: 16-bit positive, like an OSPF interface cost
    /// [RFC 2328 Appendix C.3].
    pub const COST: RangeInclusive<i64> = 1..=65_535;
    /// `ports[].metric`: routing link cost, 24-bit like IS-IS wide metrics [RFC 5305 §3.7].
    pub const LINK_METRIC: RangeInclusive<i64> = 1..=0xFF_FFFF;
    /// Most `[[ports]]`: `RTE_MAX_ETHPORTS` in Debian's DPDK.
    pub const MAX_PORTS: usize = 32;
    /// Longest port or neighbour name, in bytes.
    pub const MAX_LABEL_LEN: usize = 32;
}

/// A validated configuration. Build it with [`parse`] or [`load`]; every invariant listed
/// on the fields holds for a `Config` that came from them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `[node]`: who this router is.
    pub node: Node,
    /// `[eal]`: extra EAL arguments.
    pub eal: Eal,
    /// `[dataplane]`: lcores, pools, rings, polling, nacks.
    pub dataplane: Dataplane,
    /// `[[ports]]`, in file order (the daemon's port index is the position here); at least
    /// one, at most [`limits::MAX_PORTS`]; names and devices unique.
    pub ports: Vec<Port>,
    /// `[[routes]]` in file order, then the lines of `routes_file` (see [`routes_file`]) in
    /// file order; prefixes unique across both; every next hop names a defined port and a
    /// neighbour of that port.
    pub routes: Vec<Route>,
    /// `[routing]` (optional): the Service Prefix LSA routing protocol; `None` = static
    /// routes only. See [`Routing`].
    pub routing: Option<Routing>,
    /// `[management]`: the local management API.
    pub management: Management,
}

/// `[routing]`: the Service Prefix LSA routing protocol [draft-li-dmsc-architecture §4.1
/// Type 2, §6.1]. Present = this router runs it on every port with `routing = true`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routing {
    /// `router_id` (required): unique in the routing domain, 1..=2^63−1.
    pub router_id: u64,
    /// `[[routing.prefixes]]`: the service prefixes this router advertises (an SG's
    /// services), with a metric 0..=16777215 (default 0). Unique.
    pub prefixes: Vec<RoutingPrefix>,
    /// `[[routing.keys]]`: HMAC-SHA256 keys [RFC 5310]; empty = no authentication.
    /// Ids unique, exactly one with `send = true`, secrets ≥ 16 bytes (hex in the file).
    pub keys: Vec<RoutingKey>,
    /// `hello_interval_ms` (default 1000, 10..=60000).
    pub hello_interval: Duration,
    /// `hold_multiplier` (default 3, 2..=100): hold time = multiplier × hello interval.
    pub hold_multiplier: u16,
    /// `retransmit_interval_ms` (default 500): unacknowledged LSAs are resent this often.
    pub retransmit_interval: Duration,
    /// `csnp_interval_s` (default 10): periodic database summaries.
    pub csnp_interval: Duration,
    /// `lsa_lifetime_s` (default 1200, 60..=65535).
    pub lsa_lifetime: Duration,
    /// `lsa_refresh_s` (default 900): below the lifetime.
    pub lsa_refresh: Duration,
    /// `spf_initial_delay_ms` (default 50, 0..=10000): INITIAL_SPF_DELAY, the delay of
    /// the first SPF run after a quiet period [RFC 8405 §6].
    pub spf_initial_delay: Duration,
    /// `spf_short_delay_ms` (default 200, 0..=60000): SHORT_SPF_DELAY, while learning
    /// (SHORT_WAIT) [RFC 8405 §6]. At least `spf_initial_delay`.
    pub spf_short_delay: Duration,
    /// `spf_long_delay_ms` (default 5000, 0..=600000): LONG_SPF_DELAY, during prolonged
    /// instability (LONG_WAIT) [RFC 8405 §6]. At least `spf_short_delay`.
    pub spf_long_delay: Duration,
    /// `spf_time_to_learn_ms` (default 500, 0..=600000): TIME_TO_LEARN_INTERVAL, how long
    /// SHORT_WAIT lasts [RFC 8405 §6]. Below `spf_holddown`.
    pub spf_time_to_learn: Duration,
    /// `spf_holddown_ms` (default 10000, 1..=3600000): HOLDDOWN_INTERVAL, the time without
    /// an IGP event after which the router returns to QUIET [RFC 8405 §6].
    pub spf_holddown: Duration,
    /// `loop_free_alternates` (default true): install loop-free alternates
    /// [RFC 5286] as backup next hops, so that traffic moves to a neighbour
    /// that does not loop back as soon as a primary link goes down, before SPF.
    pub loop_free_alternates: bool,
}

/// One advertised prefix of `[[routing.prefixes]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingPrefix {
    /// `prefix` (required), URI form.
    pub prefix: Name,
    /// `metric` (default 0): added to the path cost by the routers that use it.
    pub metric: u32,
}

/// One key of `[[routing.keys]]`.
#[derive(Clone, PartialEq, Eq)]
pub struct RoutingKey {
    /// `id` (required), 1..=65535, sent in every authenticated PDU.
    pub id: u16,
    /// `secret` (required): hex in the file, ≥ 16 bytes.
    pub secret: Vec<u8>,
    /// `send` (default true): sign outgoing PDUs with this key (exactly one key).
    pub send: bool,
    /// `accept` (default true): accept PDUs signed with this key.
    pub accept: bool,
}

impl fmt::Debug for RoutingKey {
    /// Never prints the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoutingKey")
            .field("id", &self.id)
            .field("secret", &format_args!("<{} bytes>", self.secret.len()))
            .field("send", &self.send)
            .field("accept", &self.accept)
            .finish()
    }
}

/// `[management]`: the local management API (gRPC on a unix socket).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Management {
    /// `socket` (default `/run/dmsc/<node name with / as _>.sock`): the unix socket the
    /// management API listens on; `dmsc show --socket` connects to it.
    pub socket: std::path::PathBuf,
}

/// `[node]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// `name` (required): this router's own name in URI form (`/dmsc/sr1`), used as the
    /// source name of the nacks it sends. Not the root name `/`.
    pub name: Name,
    /// `role` (required): `"sr"` or `"sg"`.
    pub role: Role,
}

/// What kind of DMSC node this is [draft-li-dmsc-architecture §3, §4].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// `"sr"`: Service Router, forwards between routers and gateways by longest name-prefix
    /// match.
    Sr,
    /// `"sg"`: Service Gateway, sits between the pods of microservices and the routers;
    /// forwards the same way and is where services are attached.
    Sg,
}

impl Role {
    /// The configuration spelling: `"sr"` or `"sg"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Sr => "sr",
            Role::Sg => "sg",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownVariant;
    /// Accepts exactly `"sr"` or `"sg"` (lower case).
    fn from_str(s: &str) -> Result<Role, UnknownVariant> {
        match s {
            "sr" => Ok(Role::Sr),
            "sg" => Ok(Role::Sg),
            _ => Err(UnknownVariant),
        }
    }
}

/// A string that is none of an enum's configuration spellings ([`Role`], [`Dispatch`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown variant")]
pub struct UnknownVariant;

/// `[eal]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Eal {
    /// `args` (default `[]`): extra EAL arguments, passed verbatim after the ones the
    /// daemon derives (see [`Config::eal_argv`]), e.g. `["--no-huge", "-m", "256",
    /// "--no-pci", "--file-prefix", "sr1"]`. Must not set lcores (`-l`, `-c`, `--lcores`,
    /// `--main-lcore`, `--master-lcore`): `dataplane.lcores` owns those. Must not create or
    /// allow-list a port's device again (`--vdev`, `-a`, `--allow`). No empty strings.
    pub args: Vec<String>,
}

/// `[dataplane]`. Every key is optional; [`Dataplane::default`] is the all-defaults value
/// (see [`defaults`] and [`limits`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataplane {
    /// `lcores` (default `[0]`): EAL lcore ids that run forwarding loops, ids
    /// 0..=127, non-empty, no duplicates. The first is the EAL main lcore (which forwards
    /// too); the daemon passes `-l <all> --main-lcore <first>`.
    pub lcores: Vec<u32>,
    /// `ethertype` (default `0x88B5`): EtherType of DMSC frames, 0x0600..=0xFFFF except
    /// the VLAN tag types 0x8100, 0x88A8, 0x9100. Frames with another EtherType are not
    /// DMSC and are dropped.
    pub ethertype: u16,
    /// `burst_size` (default 32): packets per rx/tx burst call, 1..=64.
    pub burst_size: usize,
    /// `mbufs` (default 8191, or when unset and the layout needs more, the next
    /// 2^n − 1 at least [`Config::min_mbufs`]): mbufs in the shared packet pool,
    /// 64..=16,777,215. An explicit value must be at least [`Config::min_mbufs`] (every
    /// rx and tx ring full plus every lcore's cache and one burst), otherwise rx queues
    /// starve under load.
    pub mbufs: u32,
    /// `mbuf_cache` (default 256): per-lcore mempool cache in mbufs, 0..=512, and
    /// `mbuf_cache * 3 / 2 <= mbufs` (an `rte_mempool_create` rule).
    pub mbuf_cache: u32,
    /// `rx_descriptors` (default 1024): descriptors per rx queue, a power of two in
    /// 32..=32768. The daemon may still let the PMD adjust it
    /// (`rte_eth_dev_adjust_nb_rx_tx_desc`).
    pub rx_descriptors: u16,
    /// `tx_descriptors` (default 1024): descriptors per tx queue, a power of two in
    /// 32..=32768.
    pub tx_descriptors: u16,
    /// `idle_polls_before_sleep` (default 100): consecutive empty polls (every rx queue of
    /// the lcore returned nothing) before an lcore starts sleeping, 0..=2^32−1.
    pub idle_polls_before_sleep: u32,
    /// `idle_sleep_us` (default 50 µs): sleep per empty poll after that, 0..=100,000 µs;
    /// zero means pure busy polling. Always a whole number of microseconds.
    pub idle_sleep: Duration,
    /// `name_cache` (default 65536): destination names each forwarding lcore's
    /// lookup cache holds (rounded up to a power of two; 144 bytes each), 0..=2^20;
    /// 0 turns the cache off. The cache answers repeated names exactly as the FIB
    /// would; a FIB publication that adds or removes a prefix empties it, one that
    /// only replaces next hops keeps it (`dmsc_fib::LookupCache`).
    pub name_cache: u32,
    /// `nack_rate_per_s` (default 1000): nacks per second each lcore may send (token bucket
    /// rate), 0..=10,000,000; 0 means never send nacks.
    pub nack_rate_per_s: u32,
    /// `nack_burst` (default 100): token bucket depth, 1..=1,000,000 nacks.
    pub nack_burst: u32,
    /// `nack_hop_limit` (default 64): hop limit of the nacks this router originates, 1..=255.
    pub nack_hop_limit: u8,
    /// `stats_interval_s` (default 5 s): period of the counter table the daemon logs,
    /// 0..=86,400 s; `0` in the file gives `None` (off). Always whole seconds.
    pub stats_interval: Option<Duration>,
    /// `control_nice` (default 0): nice value of the control thread (routing protocol,
    /// management API, FIB updates), −20..=19 (`setpriority(2)`; below 0 needs
    /// `CAP_SYS_NICE`). For a machine without a core to spare, where the control thread
    /// shares a forwarding lcore's CPU: a negative value lets route updates take the CPU
    /// they need from the polling lcore (docs/performance.md, "FIB churn under load",
    /// rows F and G). 0 leaves it as the process's.
    pub control_nice: i8,
}

impl Default for Dataplane {
    fn default() -> Dataplane {
        Dataplane {
            lcores: defaults::LCORES.to_vec(),
            ethertype: defaults::ETHERTYPE,
            burst_size: defaults::BURST_SIZE,
            mbufs: defaults::MBUFS,
            mbuf_cache: defaults::MBUF_CACHE,
            rx_descriptors: defaults::RX_DESCRIPTORS,
            tx_descriptors: defaults::TX_DESCRIPTORS,
            idle_polls_before_sleep: defaults::IDLE_POLLS_BEFORE_SLEEP,
            idle_sleep: Duration::from_micros(defaults::IDLE_SLEEP_US),
            name_cache: defaults::NAME_CACHE,
            nack_rate_per_s: defaults::NACK_RATE_PER_S,
            nack_burst: defaults::NACK_BURST,
            nack_hop_limit: defaults::NACK_HOP_LIMIT,
            stats_interval: Some(Duration::from_secs(defaults::STATS_INTERVAL_S)),
            control_nice: defaults::CONTROL_NICE,
        }
    }
}

/// One `[[ports]]` entry: a DPDK ethdev and the neighbours reachable through it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    /// `name` (required): unique label, 1..=32 characters from `[a-zA-Z0-9_-]`, used by
    /// routes and in logs.
    pub name: String,
    /// `device` (required): the DPDK device, see [`Device`]. Unique among ports (by
    /// [`Device::dpdk_name`]).
    pub device: Device,
    /// `rx_queues` (default 1): rx queues to configure, 1..=16 (with `dispatch = "queues"`
    /// the NIC's RSS spreads flows over them and each is polled by one lcore).
    pub rx_queues: u16,
    /// `mtu` (default 1500): largest DMSC packet (header + payload) in bytes, Ethernet
    /// header excluded, 68..=9600. Frames up to `mtu + 14` bytes are sent and received; the
    /// daemon must size mbufs (or enable scatter) for that.
    pub mtu: u16,
    /// `dispatch` (default `"queues"`): how received packets are spread over lcores.
    pub dispatch: Dispatch,
    /// `[[ports.neighbors]]` (default none): adjacent DMSC nodes on this port; names
    /// unique within the port, MACs unique within the port and unicast.
    pub neighbors: Vec<Neighbor>,
    /// `routing` (default false): run the routing protocol (hellos, flooding) on this
    /// port; needs a `[routing]` section. Neighbours are then learned from hellos.
    pub routing: bool,
    /// `metric` (default 10): the link cost advertised for this port's adjacency,
    /// 1..=16777215 [ISO 10589 wide metrics]; only with `routing = true`.
    pub metric: u32,
}

impl Port {
    /// The neighbour called `name` on this port.
    pub fn neighbor(&self, name: &str) -> Option<&Neighbor> {
        self.neighbors.iter().find(|n| n.name == name)
    }

    /// Largest Ethernet frame on this port in bytes, without FCS: `mtu + 14`.
    pub fn max_frame_len(&self) -> usize {
        usize::from(self.mtu) + dmsc_wire::ethernet::HEADER_LEN
    }
}

/// How a port's received packets are spread over lcores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dispatch {
    /// `"queues"`: the NIC spreads packets over `rx_queues` rx queues (RSS) and each queue
    /// is polled by one lcore; no software hand-off.
    Queues,
    /// `"flow-label"`: software dispatch by the DMSC flow label, for NICs whose RSS cannot
    /// hash a custom EtherType (everything would land on queue 0): the lcore that receives
    /// a packet hands it to the lcore chosen by its flow label, so one flow stays on one
    /// lcore and in order.
    FlowLabel,
}

impl Dispatch {
    /// The configuration spelling: `"queues"` or `"flow-label"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dispatch::Queues => "queues",
            Dispatch::FlowLabel => "flow-label",
        }
    }
}

impl fmt::Display for Dispatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dispatch {
    type Err = UnknownVariant;
    /// Accepts exactly `"queues"` or `"flow-label"`.
    fn from_str(s: &str) -> Result<Dispatch, UnknownVariant> {
        match s {
            "queues" => Ok(Dispatch::Queues),
            "flow-label" => Ok(Dispatch::FlowLabel),
            _ => Err(UnknownVariant),
        }
    }
}

/// One `[[ports.neighbors]]` entry: an adjacent node reachable through the port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Neighbor {
    /// `name` (required): label unique within the port, 1..=32 characters from
    /// `[a-zA-Z0-9_-]`, used by route next hops.
    pub name: String,
    /// `mac` (required): the neighbour's Ethernet address, the destination of frames sent
    /// to it: unicast (not multicast or broadcast) and not all zeros. Written
    /// `02:00:00:00:00:02` (`-` separators accepted).
    pub mac: MacAddr,
}

/// One `[[routes]]` entry: a static FIB route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// `prefix` (required): name prefix in URI form; `/` is the default route. Matching is
    /// longest prefix on whole name components [draft-li-dmsc-architecture §6.2]. Unique
    /// among routes (compared as names, so `/a` and `/%61` collide).
    pub prefix: Name,
    /// `next_hops` (required, non-empty): where to send matching packets; several with the
    /// same lowest cost form an ECMP set. No (port, neighbour) pair twice.
    pub next_hops: Vec<RouteNextHop>,
}

/// One next hop of a [`Route`]: an inline table `{ port = "p1", neighbor = "sr2", cost = 10 }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteNextHop {
    /// `port` (required): name of a `[[ports]]` entry.
    pub port: String,
    /// `neighbor` (required): name of a neighbour of that port.
    pub neighbor: String,
    /// `cost` (default 1): 1..=65535; lower is preferred [RFC 2328 Appendix C.3].
    pub cost: u32,
}

impl Config {
    /// Index in [`Config::ports`] of the port called `name`.
    pub fn port_index(&self, name: &str) -> Option<usize> {
        self.ports.iter().position(|p| p.name == name)
    }

    /// The port called `name`.
    pub fn port(&self, name: &str) -> Option<&Port> {
        self.ports.iter().find(|p| p.name == name)
    }

    /// Port index and neighbour MAC of a route next hop, or `None` if it names an unknown
    /// port or neighbour (never for a validated `Config`).
    pub fn resolve(&self, hop: &RouteNextHop) -> Option<(usize, MacAddr)> {
        let index = self.port_index(&hop.port)?;
        let mac = self.ports[index].neighbor(&hop.neighbor)?.mac;
        Some((index, mac))
    }

    /// Lower bound on `dataplane.mbufs` for this port and lcore layout, assuming every lcore
    /// has its own tx queue on every port: Σ over ports of (`rx_queues` × `rx_descriptors`
    /// + lcores × `tx_descriptors`) + lcores × (`mbuf_cache` + `burst_size`).
    pub fn min_mbufs(&self) -> u64 {
        validate::min_mbufs(&self.dataplane, self.ports.iter().map(|p| u64::from(p.rx_queues)))
    }

    /// The full EAL argument vector (`argv` for `rte_eal_init`): `program`, `-l` with all
    /// lcores, `--main-lcore` with the first, then `[eal].args` verbatim, then each port's
    /// [`Device::eal_args`] in port order.
    ///
    /// ```
    /// # let cfg = dmsc_config::parse("[node]\nname='/r'\nrole='sr'\n[eal]\nargs=['--no-pci']\n\
    /// #     [dataplane]\nlcores=[1,0]\n[[ports]]\nname='p0'\ndevice='net_ring0'\n", "x").unwrap();
    /// assert_eq!(cfg.eal_argv("dmscd"),
    ///            ["dmscd", "-l", "1,0", "--main-lcore", "1", "--no-pci", "--vdev", "net_ring0"]);
    /// ```
    pub fn eal_argv(&self, program: &str) -> Vec<String> {
        let lcores: Vec<String> = self.dataplane.lcores.iter().map(u32::to_string).collect();
        let mut argv =
            vec![program.to_owned(), "-l".to_owned(), lcores.join(","), "--main-lcore".to_owned(), lcores[0].clone()];
        argv.extend(self.eal.args.iter().cloned());
        for port in &self.ports {
            argv.extend(port.device.eal_args());
        }
        argv
    }

    /// Serializes back to TOML that [`parse`] accepts and that parses to an equal `Config`
    /// (every key written out, defaults included; `ethertype` in hex).
    pub fn to_toml_string(&self) -> String {
        emit::to_toml_string(self)
    }
}

/// Parses and validates configuration `text`; `origin` (usually the file name) prefixes
/// every error message.
///
/// # Errors
/// [`ConfigErrors`] with every problem found: the first structural one (TOML syntax,
/// unknown or missing key, wrong TOML type), or else all semantic ones.
///
/// A `routes_file` key is resolved against the directory part of `origin` (the current
/// directory when `origin` has none) and read; see [`routes_file`].
pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigErrors> {
    let base = Path::new(origin).parent().unwrap_or(Path::new(""));
    let base = if base.as_os_str().is_empty() { Path::new(".") } else { base };
    parse_impl(text, origin, Some(base))
}

/// [`parse`], with `routes_file` refused when `base_dir` is `None`.
pub(crate) fn parse_impl(text: &str, origin: &str, base_dir: Option<&Path>) -> Result<Config, ConfigErrors> {
    let raw: raw::RawConfig =
        toml::from_str(text).map_err(|e| ConfigErrors::new(vec![error::from_toml_error(text, origin, &e)]))?;
    validate::validate(&raw, text, origin, base_dir)
}

/// Reads and parses the file at `path`; error messages name it as `path.display()`.
///
/// # Errors
/// An [`ErrorKind::Io`] error if the file cannot be read (or is not UTF-8), otherwise as
/// [`parse`].
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors::new(vec![ConfigError {
            origin: origin.clone(),
            location: None,
            path: String::new(),
            kind: ErrorKind::Io,
            message: format!("cannot read configuration: {e}"),
        }])
    })?;
    parse(&text, &origin)
}
