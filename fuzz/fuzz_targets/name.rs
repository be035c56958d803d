//! Fuzz target `name`: a name in wire form: parse, URI round trip, prefixes.
//! The checks live in `dmsc_wire::fuzzing::name` so that `cargo test` replays the corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dmsc_wire::fuzzing::name(data);
});
