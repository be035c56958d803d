//! Fuzz target `routing_pdu`: a routing PDU (the payload of a DMSC Control packet), decoded
//! with an empty keychain and with a fixed one. The checks live in
//! `dmsc_routing::wire::fuzzing::routing_pdu` so that `cargo test -p dmsc-routing` replays
//! the corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dmsc_routing::wire::fuzzing::routing_pdu(data);
});
