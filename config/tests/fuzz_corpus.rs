//! Replays the committed corpus of the `config` fuzz target
//! (`<repo>/fuzz/corpus/config/`) through `dmsc_config::fuzzing::config`.

use std::path::Path;

#[test]
fn config_corpus_replays_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/config");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {} missing: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| dmsc_config::fuzzing::config(&data));
        assert!(outcome.is_ok(), "fuzzing::config failed on {}", path.display());
        n += 1;
    }
    assert!(n >= 3, "corpus {} has only {n} files", dir.display());
}
