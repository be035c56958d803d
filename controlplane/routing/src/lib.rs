//! DMSC distributed routing: the Service Prefix LSA protocol (Type 2 signaling)
//! [draft-li-dmsc-architecture §4.1 Type 2, §6, §6.1 steps 3–5].
//!
//! SGs and SRs run a link-state protocol modelled on IS-IS over point-to-point
//! links [ISO 10589; RFC 5303 three-way hellos; RFC 5310 authentication]:
//! hellos bring up adjacencies, every router originates a *node LSA* (its
//! links and metrics) and a *prefix LSA* (the service prefixes it reaches),
//! LSAs are flooded reliably, every router keeps the same LSDB, runs SPF
//! (Dijkstra with ECMP) and derives its RIB, whose difference against the
//! previous RIB is downloaded into the FIB.
//!
//! Everything in this crate is a **pure state machine**: it takes the current
//! time (`now: Instant`) and an input and returns actions. No I/O, no tokio,
//! no clock reads; the driver in `dmsc-controlplane` owns sockets, timers and
//! the FIB writer. That makes every protocol rule unit-testable with an
//! injected clock and lets `tests/sim.rs` run a whole network in one process.
//!
//! Modules:
//! - [`types`]: the protocol's data model (router ids, LSAs, PDUs), shared by all.
//! - [`wire`]: byte-by-byte codec of the PDUs and the authentication trailer (docs/routing.md).
//! - [`adjacency`]: per-port hello state machine (Down/Init/Up, hold timer).
//! - [`lsdb`]: the link-state database (sequence numbers, ageing, purge, RFC 2328 §13.1 comparison).
//! - [`flooding`]: per-neighbour reliable flooding and database synchronisation.
//! - [`spf`], [`rib`], [`backoff`]: shortest paths with ECMP, the RIB and its difference,
//!   and the RFC 8405 SPF back-off.
//! - [`router`]: the composition: one routing instance, `handle(now, input) -> actions`.
//!
//! Alternatives rejected: running real IS-IS (ISO 10589 PDUs carry
//! 6-byte system ids and IP reachability TLVs; a DMSC router has no IP and its
//! reachability is names; the state machines are the same, so we keep them
//! and define a small PDU set of our own over DMSC Control packets); OSPF-style
//! DR election (all DMSC links are point to point, memif or Ethernet cables).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod adjacency;
pub mod backoff;
pub mod flooding;
pub mod lfa;
pub mod lsdb;
pub mod rib;
pub mod router;
pub mod spf;
pub mod types;
pub mod wire;
