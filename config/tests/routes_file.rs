//! `routes_file`: routes one per line, merged with `[[routes]]`, errors as `FILE:LINE:COL`.

use std::path::PathBuf;

use dmsc_config::ErrorKind;

/// A scratch directory for one test, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(test: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("dmsc-config-routes-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const CONFIG: &str = r#"routes_file = "routes.txt"
[node]
name = "/dmsc/sr1"
role = "sr"
[[ports]]
name = "p0"
device = "net_ring0"
[[ports]]
name = "p1"
device = "net_ring1"
  [[ports.neighbors]]
  name = "sr2"
  mac = "02:00:00:00:00:02"
[[routes]]
prefix = "/toml/route"
next_hops = [ { port = "p1", neighbor = "sr2", cost = 3 } ]
"#;

fn load(dir: &Dir, config: &str, routes: &str) -> Result<dmsc_config::Config, dmsc_config::ConfigErrors> {
    dir.write("routes.txt", routes);
    dmsc_config::load(&dir.write("sr1.toml", config))
}

#[test]
fn routes_are_appended_after_the_toml_ones() {
    let d = Dir::new("append");
    let cfg = load(&d, CONFIG, "# a comment\n\n/a/b p1 sr2\n\t/c  p1\tsr2 7   # trailing comment\n/d%20e p1 sr2\r\n")
        .unwrap();
    let got: Vec<(String, String, String, u32)> = cfg
        .routes
        .iter()
        .map(|r| {
            let h = &r.next_hops[0];
            (r.prefix.to_string(), h.port.clone(), h.neighbor.clone(), h.cost)
        })
        .collect();
    assert_eq!(
        got,
        [
            ("/toml/route".into(), "p1".into(), "sr2".into(), 3),
            ("/a/b".into(), "p1".into(), "sr2".into(), 1),
            ("/c".into(), "p1".into(), "sr2".into(), 7),
            ("/d%20e".into(), "p1".into(), "sr2".into(), 1),
        ]
    );
    // The emitted TOML carries the routes inline and parses back to the same config.
    let again = dmsc_config::parse(&cfg.to_toml_string(), "emitted.toml").unwrap();
    assert_eq!(again, cfg);
}

#[test]
fn a_relative_path_is_relative_to_the_config_file() {
    let d = Dir::new("relative");
    std::fs::create_dir_all(d.0.join("sub")).unwrap();
    d.write("sub/r.txt", "/x p1 sr2\n");
    let cfg_path = d.write("sr1.toml", &CONFIG.replace("routes.txt", "sub/r.txt"));
    // Load from another working directory: the path must not depend on it.
    let cfg = dmsc_config::load(&cfg_path).unwrap();
    assert_eq!(cfg.routes.len(), 2);
    assert_eq!(cfg.routes[1].prefix.to_string(), "/x");
    let abs = d.0.join("sub/r.txt");
    let cfg = dmsc_config::load(&d.write("abs.toml", &CONFIG.replace("routes.txt", abs.to_str().unwrap()))).unwrap();
    assert_eq!(cfg.routes.len(), 2);
}

#[test]
fn each_bad_line_is_reported_with_file_line_and_column() {
    let d = Dir::new("errors");
    let text = "/ok p1 sr2\n\
                /a//b p1 sr2\n\
                /b p9 sr2\n\
                /c p1 sr9\n\
                /d p1 sr2 0\n\
                /e p1 sr2 ten\n\
                /f p1\n\
                /ok p1 sr2 2\n\
                /toml/route p1 sr2\n\
                /g p1 sr2 1 extra\n";
    let errs = load(&d, CONFIG, text).unwrap_err();
    let file = d.0.join("routes.txt").display().to_string();
    let shown: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    let expect = [
        (2, 1, ErrorKind::InvalidValue, "invalid name \"/a//b\""),
        (3, 4, ErrorKind::UnknownReference, "unknown port \"p9\" (defined ports: p0, p1)"),
        (4, 7, ErrorKind::UnknownReference, "port \"p1\" has no neighbor \"sr9\" (its neighbors: sr2)"),
        (5, 11, ErrorKind::OutOfRange, "cost 0 out of range 1..=65535"),
        (6, 11, ErrorKind::InvalidValue, "invalid cost \"ten\""),
        (7, 1, ErrorKind::InvalidValue, "expected `PREFIX PORT NEIGHBOR [COST]`, found 2 fields"),
        (8, 1, ErrorKind::Duplicate, "duplicate route prefix /ok (first defined at line 1)"),
        (9, 1, ErrorKind::Duplicate, "duplicate route prefix /toml/route (also in"),
        (10, 1, ErrorKind::InvalidValue, "found 5 fields"),
    ];
    assert_eq!(errs.len(), expect.len(), "{shown:#?}");
    for (e, (line, col, kind, msg)) in errs.iter().zip(expect) {
        assert_eq!((e.line(), e.column(), e.kind), (Some(line), Some(col), kind), "{e}");
        assert_eq!(e.origin, file, "{e}");
        assert_eq!(e.path, "routes_file", "{e}");
        assert!(e.message.contains(msg), "{e} does not contain {msg:?}");
        assert!(e.to_string().starts_with(&format!("{file}:{line}:{col}: `routes_file`: ")), "{e}");
    }
    // The duplicate of a [[routes]] prefix names the TOML file and line.
    let dup = &errs.errors()[7];
    assert!(dup.message.ends_with(&format!("{}:15)", d.0.join("sr1.toml").display())), "{dup}");
}

#[test]
fn a_missing_file_is_reported_at_the_key() {
    let d = Dir::new("missing");
    let path = d.write("sr1.toml", &CONFIG.replace("routes.txt", "nope.txt"));
    let errs = dmsc_config::load(&path).unwrap_err();
    assert_eq!(errs.len(), 1);
    let e = &errs.errors()[0];
    assert_eq!((e.line(), e.column(), e.kind), (Some(1), Some(15), ErrorKind::Io), "{e}");
    assert!(e.message.contains("cannot read routes file") && e.message.contains("nope.txt"), "{e}");
}

#[test]
fn errors_are_capped() {
    let d = Dir::new("capped");
    let text: String = (0..500).map(|i| format!("/r{i} p7 sr2\n")).collect();
    let errs = load(&d, CONFIG, &text).unwrap_err();
    assert_eq!(errs.len(), dmsc_config::routes_file::MAX_ERRORS + 1);
    assert!(errs.errors().last().unwrap().message.contains("400 more errors not shown"));
}

#[test]
fn the_fuzzing_entry_refuses_routes_files() {
    // The fuzz target must never read files named by its input: it is accepted as a
    // key but reported, and must not panic.
    dmsc_config::fuzzing::config(CONFIG.as_bytes());
    dmsc_config::fuzzing::config(b"routes_file = \"/dev/zero\"\n[node]\nname=\"/a\"\nrole=\"sr\"\n");
}

#[test]
fn many_routes_load() {
    // 10^5 here to keep the suite fast; the throughput harness loads 10^6 (about 2.5 s for
    // configuration and routes file together in a release build, docs/performance.md).
    let d = Dir::new("many");
    let mut text = String::with_capacity(3_000_000);
    for i in 0..100_000u32 {
        use std::fmt::Write;
        writeln!(text, "/svc{:02}/m{}/t{} p1 sr2 {}", i % 64, i / 64 % 512, i, 1 + i % 100).unwrap();
    }
    let cfg = load(&d, CONFIG, &text).unwrap();
    assert_eq!(cfg.routes.len(), 100_001);
    assert_eq!(cfg.routes[100_000].prefix.to_string(), "/svc31/m26/t99999");
    assert_eq!(cfg.routes[100_000].next_hops[0].cost, 100);
}
