//! Shared code of the DMSC benchmarks. Today: the FIB lookup workload
//! ([`fib`]), used by the criterion bench `benches/fib.rs` and by the
//! `fib-report` binary. A later packet-throughput harness goes next to it.

#![warn(missing_docs)]

pub mod fib;
