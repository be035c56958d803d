//! Shared code of the DMSC benchmarks: the FIB lookup workload ([`fib`]), used by the
//! criterion bench `benches/fib.rs`, the `fib-report` binary and the throughput harness's
//! FIB; and the `dpdk-testpmd` driver ([`testpmd`]) of the throughput harness
//! (`src/bin/throughput.rs`); the DPDK-free parts of the latency harness ([`latency`],
//! `src/bin/latency.rs`); and keeping the kernel's threads off the router's core while a
//! harness runs ([`housekeeping`]).

#![warn(missing_docs)]

pub mod churn;
pub mod fib;
pub mod housekeeping;
pub mod latency;
pub mod testpmd;
