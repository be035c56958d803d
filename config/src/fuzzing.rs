//! The fuzz check of the configuration decoder, shared by the cargo-fuzz
//! target `config` (`fuzz/fuzz_targets/config.rs`) and the corpus replay test
//! (`config/tests/fuzz_corpus.rs`), so that found inputs are regression tests
//! on stable Rust.

/// Any bytes: `parse` must return (never panic); an accepted configuration
/// must survive `to_toml_string` → `parse` unchanged, and a rejected one must
/// say where (every error has a field path, and a line unless it is an I/O error).
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match crate::parse_impl(text, "fuzz.toml", None) {
        Ok(cfg) => {
            let again = crate::parse_impl(&cfg.to_toml_string(), "emitted.toml", None)
                .unwrap_or_else(|e| panic!("emitted configuration rejected: {e}"));
            assert_eq!(cfg, again, "configuration changed through to_toml_string");
        }
        Err(errors) => {
            for e in errors.iter() {
                let shown = e.to_string();
                assert!(shown.starts_with("fuzz.toml:"), "error without origin: {shown}");
            }
        }
    }
}
