//! The DMSC forwarding plane of a Service Router or Service Gateway
//! [draft-li-dmsc-architecture §6.2].
//!
//! * [`pipeline`]: the per-packet decision on plain bytes (parse, hop limit,
//!   longest-prefix match, next hop by flow label, rewrite, nack).
//! * [`lcore`]: the run-to-completion loop of one lcore over DPDK rx/tx queues.
//! * [`plan`]: which lcore polls which queue; software flow-label dispatch.
//! * [`counters`]: per-lcore single-writer counters.
//! * [`ratelimit`]: the nack token bucket.
//! * [`gate`]: closing a port to the lcores while the control thread
//!   stops and starts it.
//!
//! Safe code only: DPDK is reached through the `dpdk` wrapper crate.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod counters;
pub mod gate;
pub mod lcore;
pub mod pipeline;
pub mod plan;
pub mod ratelimit;

pub use counters::{DropReason, LcoreCounters, LcoreSnapshot};
pub use gate::PortGates;
pub use lcore::{Lcore, LcoreParams, RxPort, BURST};
pub use pipeline::{NackOutcome, Pipeline, PortInfo, Verdict};
