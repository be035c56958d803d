//! Fuzz target `header`: a DMSC packet (no Ethernet): check, parse, emit, nack round trips.
//! The checks live in `dmsc_wire::fuzzing::header` so that `cargo test` replays the corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dmsc_wire::fuzzing::header(data);
});
