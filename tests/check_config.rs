//! `dmscd check-config` accepts the shipped examples and rejects bad files,
//! naming the file, line and field of each error.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

fn check(path: &std::path::Path) -> std::process::Output {
    run_with_deadline(
        "dmscd check-config",
        Command::new(DMSCD).args(["check-config", &path_str(path)]),
        Duration::from_secs(20),
    )
}

#[test]
fn shipped_examples_pass() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/examples");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let out = check(&p);
            assert_success(&format!("check-config {}", p.display()), &out);
            assert!(String::from_utf8_lossy(&out.stdout).contains(": ok"));
            n += 1;
        }
    }
    assert!(n >= 3, "expected at least three example configurations, found {n}");
}

#[test]
fn bad_file_names_line_and_field() {
    let (_g, dir) = tmpdir();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        r#"[node]
name = "/t/sr"
role = "sr"

[[ports]]
name = "p0"
device = "net_null0"
  [[ports.neighbors]]
  name = "x"
  mac = "zz:00:00:00:00:01"

[[routes]]
prefix = "/a"
next_hops = [{ port = "p9", neighbor = "x" }]
"#,
    )
    .unwrap();
    let out = check(&bad);
    assert_eq!(out.status.code(), Some(2), "check-config must fail with status 2");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:10:"), "line of the bad MAC: {err}");
    assert!(err.contains("ports[0].neighbors[0].mac"), "field of the bad MAC: {err}");
    assert!(err.contains("bad.toml:14:"), "line of the unknown port: {err}");
    assert!(err.contains("routes[0].next_hops[0].port"), "field of the unknown port: {err}");
}

#[test]
fn unknown_key_and_bad_name_are_reported() {
    let (_g, dir) = tmpdir();
    let bad = dir.join("typo.toml");
    std::fs::write(&bad, "[node]\nname = \"no-slash\"\nrole = \"sr\"\ncolour = 1\n").unwrap();
    let out = check(&bad);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("typo.toml:"), "{err}");
    assert!(err.contains("colour") || err.contains("node.name"), "{err}");
}
