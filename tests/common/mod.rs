//! Shared helpers of the integration tests: run `dmscd`/`dmsc` as child
//! processes with a deadline, and clean up by process id.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const DMSCD: &str = env!("CARGO_BIN_EXE_dmscd");
pub const DMSC: &str = env!("CARGO_BIN_EXE_dmsc");

/// EAL arguments for a test router: no hugepages, no PCI probing, a file
/// prefix unique to this process and test.
pub fn test_eal_args(tag: &str) -> String {
    format!(
        r#"["--no-huge", "-m", "256", "--no-pci", "--file-prefix", "dmsct-{}-{}", "--log-level", "lib.eal:warning"]"#,
        std::process::id(),
        tag
    )
}

/// Removes the EAL runtime directory a test router leaves behind.
pub fn remove_eal_runtime_dir(tag: &str) {
    let _ = std::fs::remove_dir_all(format!("/var/run/dpdk/dmsct-{}-{}", std::process::id(), tag));
}

/// A child process that is killed (SIGKILL) and reaped if still running when
/// dropped, so a failing test leaves nothing behind.
pub struct Proc {
    pub child: Option<Child>,
    pub what: String,
}

impl Proc {
    pub fn spawn(what: &str, cmd: &mut Command) -> Proc {
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        Proc { child: Some(child), what: what.to_string() }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Sends SIGINT (a clean shutdown request).
    pub fn interrupt(&self) {
        let _ = Command::new("kill").args(["-INT", &self.pid().to_string()]).status();
    }

    /// Waits for exit at most `limit`; kills it after that and panics.
    pub fn wait(mut self, limit: Duration) -> Output {
        let mut child = self.child.take().expect("child");
        let start = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if start.elapsed() < limit => std::thread::sleep(Duration::from_millis(20)),
                _ => {
                    let _ = child.kill();
                    let out = child.wait_with_output().expect("output");
                    panic!(
                        "{} did not finish within {:?}\nstdout:\n{}\nstderr:\n{}",
                        self.what,
                        limit,
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            }
        }
        child.wait_with_output().expect("output")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs a command to completion within `limit`, returning its output.
pub fn run_with_deadline(what: &str, cmd: &mut Command, limit: Duration) -> Output {
    Proc::spawn(what, cmd).wait(limit)
}

/// Panics with the process output unless it succeeded.
pub fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({})\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("stats JSON")
}

pub fn path_str(p: &Path) -> String {
    p.to_str().expect("utf-8 path").to_string()
}

pub fn tmpdir() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::Builder::new().prefix("dmsct-").tempdir().expect("tempdir");
    let p = d.path().to_path_buf();
    (d, p)
}
