//! Forwarding latency and RFC 2544 zero-loss rate of `dmscd` over `net_memif`: the
//! DPDK-free parts of the `latency` harness (`src/bin/latency.rs`), unit-tested here.
//!
//! ```text
//!  core 0: latency (one DPDK process, lcore 0)               core 1: dmscd
//!  build + stamp (seq, TSC) --tx--> net_memif0 (server) ====> p0
//!  latency = rx TSC − tx TSC <--rx-- net_memif1 (server) <==== p1
//! ```
//!
//! The generator and the receiver are the same thread on the same core, so both time
//! stamps come from one TSC: no clock synchronisation, no cross-core TSC skew. The
//! measured latency includes both memif crossings (copy into the ring, the router's
//! poll, copy out), the router's processing and the time a packet waits in the
//! generator's own receive ring until the loop polls it — which is why the loop polls rx
//! between every transmit opportunity and never sleeps.
//!
//! * [`frame`]: request frames with a 24-byte stamp in the payload;
//! * [`pacing`]: TSC-paced offered load;
//! * [`seq`]: loss, duplicate and reorder counts by sequence number;
//! * [`stats`]: per-trial results (HDR histogram of latencies);
//! * [`search`]: the RFC 2544 §26.1 zero-loss (throughput) bisection;
//! * [`router`]: dmscd's FIB, configuration and process.
//!
//! Rejected: timestamping in the router (dmscd would need a test hook, and its own TSC
//! read is not where the packet's latency starts); a second generator process per trial
//! (the memif link would drop and reconnect between trials, and dmscd's 10^6-route FIB
//! takes seconds to load, so one dmscd and one generator serve every trial); testpmd's
//! `--record-core-cycles`/latency stats library (`rte_latencystats` measures inside one
//! process, not across the router).

pub mod frame;
pub mod pacing;
pub mod router;
pub mod search;
pub mod seq;
pub mod stats;
