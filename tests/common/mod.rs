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

/// Deletes the namespaces on drop, after the processes using them are gone.
pub struct Netns(pub Vec<String>);

impl Drop for Netns {
    fn drop(&mut self) {
        for n in &self.0 {
            let _ = Command::new("ip").args(["netns", "del", n]).status();
        }
    }
}

pub fn ip(args: &[&str]) {
    let out = run_with_deadline("ip", Command::new("ip").args(args), Duration::from_secs(10));
    assert_success(&format!("ip {}", args.join(" ")), &out);
}

/// Waits until the router has started the tap port `name`. The tap PMD
/// creates the interface when EAL probes the device but attaches its queue
/// file descriptors later, by name and in the current namespace, when the port
/// is configured; moving the interface before that would leave the queues on
/// a new interface of the same name. The PMD sets the interface UP at port
/// start, after the queues exist: that flag is the signal.
pub fn wait_for_started_tap(name: &str, limit: Duration) {
    dmsc::netns::wait_for(&format!("tap {name} to start"), limit, || dmsc::netns::tap_started(name))
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Waits until `ifc` in `ns` can transmit: Linux attaches the real qdisc in
/// its deferred link-watch work (up to ~1 s after `ip link set up`); until
/// then the interface has the `noop` qdisc, which drops every frame sent.
pub fn wait_until_ready(ns: &str, ifc: &str, limit: Duration) {
    dmsc::netns::wait_for(&format!("{ifc} in {ns} to transmit"), limit, || dmsc::netns::tap_ready(ns, ifc))
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Whether this process runs as root (namespaces and taps need it).
pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false)
}

/// Moves a started tap's kernel end into `ns`, gives it `mac`, brings it up
/// without IPv6 chatter, and waits until it can transmit.
pub fn move_tap_into(ifc: &str, ns: &str, mac: &str) {
    dmsc::netns::move_tap_into(ifc, ns, mac).unwrap_or_else(|e| panic!("moving {ifc} into {ns}: {e}"));
}

/// Starts `dmsc capture` on `ifc` inside `ns` (`count` frames, 15 s at most,
/// optionally into the pcap `out`) and returns once the capture is open, so
/// that nothing sent afterwards can be missed.
pub fn start_capture(ns: &str, ifc: &str, count: usize, out: Option<&Path>) -> Proc {
    let count = count.to_string();
    let mut args = vec![
        "netns",
        "exec",
        ns,
        DMSC,
        "capture",
        "--iface",
        ifc,
        "--count",
        &count,
        "--timeout-ms",
        "15000",
        "--quiet",
    ];
    let out = out.map(path_str);
    if let Some(o) = &out {
        args.extend(["--out", o.as_str()]);
    }
    let mut p = Proc::spawn(&format!("dmsc capture in {ns}"), Command::new("ip").args(&args));
    let stderr = p.child.as_mut().expect("child").stderr.take().expect("stderr");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stderr), &mut line).expect("capture stderr");
    assert!(line.starts_with("capturing on"), "capture did not start: {line}");
    p
}

/// Sends the frames of `pcap` on `ifc` inside `ns` at 20,000 frames/s.
pub fn send_from(ns: &str, ifc: &str, pcap: &Path) {
    let out = run_with_deadline(
        "dmsc send",
        Command::new("ip").args([
            "netns",
            "exec",
            ns,
            DMSC,
            "send",
            "--iface",
            ifc,
            "--pcap",
            &path_str(pcap),
            "--rate-pps",
            "20000",
        ]),
        Duration::from_secs(30),
    );
    assert_success("dmsc send", &out);
}

/// Runs `dmscd` on a configuration with finite (pcap) input until the input
/// has been idle for 700 ms, writing its counters to `stats`; returns its output.
pub fn run_until_idle(config: &Path, stats: &Path) -> Output {
    run_with_deadline(
        "dmscd",
        Command::new(DMSCD).args([
            "run",
            "--config",
            &path_str(config),
            "--exit-when-idle-ms",
            "700",
            "--duration-s",
            "60",
            "--stats-json",
            &path_str(stats),
        ]),
        Duration::from_secs(90),
    )
}

/// Starts `dmscd` in the background (60 s at most), writing its counters to `stats` at exit.
pub fn start_router(config: &Path, stats: &Path) -> Proc {
    Proc::spawn(
        "dmscd",
        Command::new(DMSCD).args([
            "run",
            "--config",
            &path_str(config),
            "--duration-s",
            "60",
            "--stats-json",
            &path_str(stats),
        ]),
    )
}
