//! Fuzz target `uri`: a name in URI form: parse, display, parse.
//! The checks live in `dmsc_wire::fuzzing::uri` so that `cargo test` replays the corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dmsc_wire::fuzzing::uri(data);
});
