//! Replays every file of the committed fuzz corpus (`<repo>/fuzz/corpus/<target>/`) through
//! the matching `dmsc_wire::fuzzing` check, so that inputs the fuzzer found interesting (and
//! any crash reproducer added there) are regression tests on stable Rust.

use std::path::{Path, PathBuf};

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 4] = [
    ("header", dmsc_wire::fuzzing::header),
    ("name", dmsc_wire::fuzzing::name),
    ("uri", dmsc_wire::fuzzing::uri),
    ("frame", dmsc_wire::fuzzing::frame),
];

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

#[test]
fn corpus_dirs_match_targets() {
    let root = corpus_root();
    let mut dirs: Vec<String> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("fuzz corpus {} missing: {e}", root.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    // `config` belongs to dmsc-config, which replays it in its own tests.
    let mut expected: Vec<String> =
        TARGETS.iter().map(|(t, _)| t.to_string()).chain(["config".to_string(), "routing_pdu".to_string()]).collect();
    expected.sort();
    assert_eq!(dirs, expected, "every corpus directory must be a fuzz target and vice versa");
}

fn replay(target: &str, check: Check) {
    let dir = corpus_root().join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {} missing: {e}", dir.display()));
    let mut count = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "fuzzing::{target} failed on {}", path.display());
        count += 1;
    }
    assert!(count > 0, "corpus {} is empty", dir.display());
}

#[test]
fn replay_header() {
    replay(TARGETS[0].0, TARGETS[0].1);
}

#[test]
fn replay_name() {
    replay(TARGETS[1].0, TARGETS[1].1);
}

#[test]
fn replay_uri() {
    replay(TARGETS[2].0, TARGETS[2].1);
}

#[test]
fn replay_frame() {
    replay(TARGETS[3].0, TARGETS[3].1);
}
