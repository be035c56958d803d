//! Running a benchmark harness in `--smoke` mode from a test: in its own
//! process group (killed as a whole, by that group's id, if it overruns),
//! with its output read on threads so that a chatty harness never blocks on a
//! full pipe, and the pids of its children remembered so that the test can
//! check they are gone.
#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Longest a smoke run may take.
pub const LIMIT: Duration = Duration::from_secs(120);

/// What a smoke run left.
pub struct Run {
    /// Exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The harness's pid (= its process group id).
    pub pid: u32,
    /// Every child process seen while it ran.
    pub children: Vec<u32>,
}

/// The directory of the harness binary, after checking `bins` were built next to it.
pub fn bin_dir(harness: &str, bins: &[&str]) -> PathBuf {
    let dir = Path::new(harness).parent().expect("harness directory").to_path_buf();
    for bin in bins {
        assert!(
            dir.join(bin).is_file(),
            "{} missing: run `cargo test --workspace` (or `cargo build --bins`, same profile and target dir) first",
            dir.join(bin).display()
        );
    }
    dir
}

fn stat_field(p: u32, n: usize) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
    // Fields after the command name (in parentheses): state, ppid, pgrp ...
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    rest.split_whitespace().nth(n)?.parse().ok()
}

fn processes_where(n: usize, value: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|p| stat_field(*p, n) == Some(value))
        .collect()
}

/// Processes whose parent is `pid`.
pub fn children_of(pid: u32) -> Vec<u32> {
    processes_where(1, pid)
}

/// Processes in process group `pgid`.
pub fn group_members(pgid: u32) -> Vec<u32> {
    processes_where(2, pgid)
}

/// Runs `harness ARGS --bin-dir BIN_DIR --work-dir WORK` to completion (or kills its
/// group after [`LIMIT`] and panics).
pub fn run(harness: &str, args: &[&str], bin_dir: &Path, work: &Path) -> Run {
    let mut child = Command::new(harness)
        .args(args)
        .arg("--bin-dir")
        .arg(bin_dir)
        .arg("--work-dir")
        .arg(work)
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the harness");
    let pid = child.id();
    let mut so = child.stdout.take().expect("stdout");
    let mut se = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut so, &mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut se, &mut s);
        s
    });
    let start = Instant::now();
    let mut children = Vec::new();
    let status = loop {
        for c in children_of(pid) {
            if !children.contains(&c) {
                children.push(c);
            }
        }
        if let Some(st) = child.try_wait().expect("waiting for the harness") {
            break st;
        }
        if start.elapsed() > LIMIT {
            // The harness and its children share the process group `pid`.
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]).status();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(work);
            panic!("harness still running after {LIMIT:?}: killed its process group");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run { status, stdout: out_t.join().unwrap_or_default(), stderr: err_t.join().unwrap_or_default(), pid, children }
}
