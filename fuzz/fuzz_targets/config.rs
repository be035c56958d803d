//! Fuzz target `config`: the TOML configuration decoder (parse, validate, emit, re-parse).
//! The checks live in `dmsc_config::fuzzing::config` so that `cargo test` replays the corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dmsc_config::fuzzing::config(data);
});
