//! Helpers shared by the integration tests.
#![allow(dead_code)]

use dmsc_config::{parse, Config, ConfigError, ErrorKind};

/// Lines 1–3: a valid `[node]` table.
pub const NODE: &str = "[node]\nname = \"/dmsc/sr1\"\nrole = \"sr\"\n";

/// Lines 1–6: `NODE` plus one valid port `p0` (`net_ring0`, no neighbours).
pub const NODE_PORT: &str =
    "[node]\nname = \"/dmsc/sr1\"\nrole = \"sr\"\n[[ports]]\nname = \"p0\"\ndevice = \"net_ring0\"\n";

/// Parses `text`, which must be valid.
pub fn ok(text: &str) -> Config {
    parse(text, "test.toml").unwrap_or_else(|e| panic!("unexpected errors:\n{e}\n--- in:\n{text}"))
}

/// Parses `text`, which must be invalid; returns all errors.
pub fn errors(text: &str) -> Vec<ConfigError> {
    match parse(text, "test.toml") {
        Ok(_) => panic!("accepted invalid configuration:\n{text}"),
        Err(e) => e.into_iter().collect(),
    }
}

/// Parses `text`, which must produce exactly one error, at `line`:`column` for field
/// `path`, of `kind`, whose message contains `fragment`. Returns the error.
#[track_caller]
pub fn one(text: &str, line: usize, column: usize, path: &str, kind: ErrorKind, fragment: &str) -> ConfigError {
    let errs = errors(text);
    assert_eq!(errs.len(), 1, "expected one error, got:\n{}\n--- in:\n{text}", render(&errs));
    let e = errs.into_iter().next().unwrap();
    check(&e, line, column, path, kind, fragment);
    e
}

/// Asserts position, path, kind and message fragment of one error.
#[track_caller]
pub fn check(e: &ConfigError, line: usize, column: usize, path: &str, kind: ErrorKind, fragment: &str) {
    assert_eq!(
        (e.line(), e.column(), e.path.as_str(), e.kind),
        (Some(line), Some(column), path, kind),
        "wrong error: {e}"
    );
    assert!(e.message.contains(fragment), "message {:?} lacks {fragment:?}", e.message);
    assert_eq!(e.origin, "test.toml");
}

pub fn render(errs: &[ConfigError]) -> String {
    errs.iter().map(|e| format!("{e} [{:?}]\n", e.kind)).collect()
}
