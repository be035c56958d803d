//! The routing protocol's data model, shared by the codec ([`crate::wire`]) and
//! the state machines. These are plain owned values (the control plane runs at
//! a few thousand PDUs per second at most; clarity beats zero-copy here, unlike
//! the data plane).
//!
//! Terms follow IS-IS [ISO 10589] where a DMSC term does not exist: a *router*
//! is an SG or SR, an *LSA* is one link-state advertisement (IS-IS "LSP
//! fragment"), a *CSNP*/*PSNP* is a complete/partial sequence-number summary.

use std::fmt;

use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::Name;

/// A router's identity in the routing domain, unique per domain (configured;
/// the operator's equivalent of an IS-IS system id). `0` is reserved for
/// "none" on the wire and is never a valid router id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RouterId(pub u64);

impl fmt::Display for RouterId {
    /// Dotted 4×16-bit hex, e.g. `0000.0000.0000.0001` (IS-IS style).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(f, "{:04x}.{:04x}.{:04x}.{:04x}", v >> 48, (v >> 32) & 0xffff, (v >> 16) & 0xffff, v & 0xffff)
    }
}

/// A local port: the index of the port in the router's port table
/// (configuration order), the same index the FIB's `NextHop::port` uses.
pub type PortIndex = u16;

/// The role of a router [draft-li-dmsc-architecture §3].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Service Gateway: Pods' default gateway; originates their prefixes.
    Sg,
    /// Service Router: transit.
    Sr,
}

/// Adjacency state of RFC 5303 §3.1 (three-way handshake on point-to-point links).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AdjState {
    /// Nothing heard, or the hold timer expired.
    Down,
    /// The neighbour is heard, but it has not yet reported hearing us.
    Init,
    /// Both ends hear each other: the link may be used.
    Up,
}

/// What an LSA describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LsaKind {
    /// The origin's links (neighbour router id, metric) and its role and hostname.
    Node,
    /// The service prefixes the origin reaches, with metrics.
    Prefix,
}

/// The key of an LSA in the LSDB: kind, origin and fragment number (a large
/// prefix set is split over several fragments so that each fits one frame).
/// Ordered as the CSNP ranges require (kind, origin, fragment).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LsaId {
    /// What the LSA describes.
    pub kind: LsaKind,
    /// The router that originated it.
    pub origin: RouterId,
    /// Fragment number, 0 for the first (and usually only) fragment.
    pub fragment: u16,
}

/// The header every LSA and every LSA summary carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LsaHeader {
    /// Which LSA this is.
    pub id: LsaId,
    /// Sequence number, starts at 1, incremented by the origin on every change
    /// and refresh [RFC 2328 §12.1.6; 64 bits, so it never wraps in practice].
    pub seq: u64,
    /// Seconds the LSA remains valid; 0 means purged [ISO 10589 §7.3.16.4].
    pub remaining_lifetime_s: u16,
    /// Checksum over the LSA's content, computed by the origin (see `wire`).
    pub checksum: u16,
}

/// A link in a node LSA: a Up adjacency of the origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Link {
    /// The router at the other end.
    pub neighbor: RouterId,
    /// Cost of sending over this link; 1..=2^24−1 (lower is better).
    pub metric: u32,
}

/// A service prefix a router reaches, as carried in a prefix LSA.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PrefixEntry {
    /// The service prefix, e.g. `/payments/charge`.
    pub prefix: Name,
    /// Cost from the origin to the service (added to the path cost).
    pub metric: u32,
}

/// Body of a node LSA.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeLsa {
    /// Human-readable router name for `dmsc show` (at most 255 bytes UTF-8).
    pub hostname: String,
    /// SG or SR.
    pub role: Role,
    /// The origin's Up adjacencies, sorted by neighbour then metric.
    pub links: Vec<Link>,
}

/// The body of an LSA.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LsaBody {
    /// Body of a [`LsaKind::Node`] LSA.
    Node(NodeLsa),
    /// Body of a [`LsaKind::Prefix`] LSA: prefixes sorted by name.
    Prefix(Vec<PrefixEntry>),
    /// No body: a purge (remaining lifetime 0) carries only its header
    /// [ISO 10589 §7.3.16.4].
    Purged,
}

/// One link-state advertisement.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Lsa {
    /// Identity, sequence, lifetime, checksum.
    pub header: LsaHeader,
    /// Content; must match `header.id.kind` unless `Purged`.
    pub body: LsaBody,
}

/// A summary of one LSA, as listed in CSNPs and PSNPs (its header).
pub type LsaSummary = LsaHeader;

/// Hello on a point-to-point link [RFC 5303 §2].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Hello {
    /// The sender's hostname (for `dmsc show neighbors`).
    pub hostname: String,
    /// The sender's role.
    pub role: Role,
    /// How long the receiver keeps the adjacency without hearing another hello.
    pub hold_time_s: u16,
    /// The sender's adjacency state on this link.
    pub state: AdjState,
    /// The router the sender hears on this link, if any (RFC 5303 "neighbor system id").
    pub neighbor: Option<RouterId>,
}

/// Complete sequence-number PDU: the sender's whole LSDB summary in the
/// range `start..=end` [ISO 10589 §7.3.15.3]. A full table can need several
/// CSNPs with consecutive ranges.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Csnp {
    /// First LSA id covered.
    pub start: LsaId,
    /// Last LSA id covered.
    pub end: LsaId,
    /// Headers of every LSA the sender holds in the range, ascending by id.
    pub entries: Vec<LsaSummary>,
}

/// Partial sequence-number PDU: acknowledges LSAs, or requests them when the
/// listed entry is older than what the receiver holds [ISO 10589 §7.3.15.2].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Psnp {
    /// Headers acknowledged or requested.
    pub entries: Vec<LsaSummary>,
}

/// Link-state update: carries whole LSAs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Lsu {
    /// The LSAs (with their remaining lifetimes as of sending).
    pub lsas: Vec<Lsa>,
}

/// The body of a routing PDU.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PduBody {
    /// [`Hello`].
    Hello(Hello),
    /// [`Lsu`].
    Lsu(Lsu),
    /// [`Csnp`].
    Csnp(Csnp),
    /// [`Psnp`].
    Psnp(Psnp),
}

/// A routing PDU: the payload of a DMSC Control packet (docs/routing.md).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pdu {
    /// The router that sent it (not the LSA origin).
    pub sender: RouterId,
    /// What it carries.
    pub body: PduBody,
}

/// A received, authenticated PDU's authentication facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AuthInfo {
    /// The key id that verified it.
    pub key_id: u16,
    /// The sender's cryptographic sequence number (strictly increasing per
    /// sender; a smaller or equal one is a replay) [RFC 7474 §4].
    pub crypto_seq: u64,
}

/// A neighbour as the driver and `dmsc show neighbors` see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeighborInfo {
    /// Local port the adjacency is on.
    pub port: PortIndex,
    /// Neighbour router id.
    pub id: RouterId,
    /// Neighbour hostname from its hellos.
    pub hostname: String,
    /// Neighbour MAC, learned from the Ethernet source of its hellos.
    pub mac: MacAddr,
    /// Adjacency state.
    pub state: AdjState,
}
