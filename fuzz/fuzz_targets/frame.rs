//! Fuzz target `frame`: an Ethernet II frame, and the DMSC packet inside it for EtherType 0x88B5.
//! The checks live in `dmsc_wire::fuzzing::frame` so that `cargo test` replays the corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dmsc_wire::fuzzing::frame(data);
});
