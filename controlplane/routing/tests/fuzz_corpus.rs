//! Replays every file of the committed fuzz corpus (`<repo>/fuzz/corpus/routing_pdu/`)
//! through `dmsc_routing::wire::fuzzing::routing_pdu`, the check the cargo-fuzz target runs,
//! so that inputs the fuzzer found interesting (and any crash reproducer added there) are
//! regression tests on stable Rust.
//!
//! The hand-made seeds (`seed-<label>` files) must equal what
//! `fuzzing::seeds()` generates (checked below); after a format change,
//! regenerate them with `DMSC_WRITE_SEEDS=1 cargo test -p dmsc-routing --test fuzz_corpus`.

use std::path::{Path, PathBuf};

use dmsc_routing::wire::fuzzing;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/routing_pdu")
}

#[test]
fn replay_routing_pdu() {
    let dir = corpus_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {} missing: {e}", dir.display()));
    let mut count = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| fuzzing::routing_pdu(&data));
        assert!(outcome.is_ok(), "fuzzing::routing_pdu failed on {}", path.display());
        count += 1;
    }
    assert!(count >= 10, "corpus {} has only {count} files", dir.display());
}

#[test]
fn seeds_pass_the_check_and_cover_every_pdu_type() {
    let seeds = fuzzing::seeds();
    for (stem, data) in &seeds {
        let outcome = std::panic::catch_unwind(|| fuzzing::routing_pdu(data));
        assert!(outcome.is_ok(), "seed {stem}");
    }
    // PDU types 1..=4 all present among the seeds.
    for t in 1..=4u8 {
        assert!(seeds.iter().any(|(_, d)| d.get(2) == Some(&t)), "no seed of PDU type {t}");
    }
}

#[test]
fn committed_seeds_match_the_generator() {
    let dir = corpus_dir();
    let write = std::env::var_os("DMSC_WRITE_SEEDS").is_some();
    for (stem, data) in fuzzing::seeds() {
        let path = dir.join(&stem);
        if write {
            std::fs::write(&path, &data).unwrap();
        }
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(on_disk, data, "{} is stale: regenerate the seeds (see the module docs)", path.display());
    }
}
