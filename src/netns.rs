//! Taps and network namespaces: what `dmsc topo` and the tests do to give a
//! DPDK `net_tap` port's kernel end to a "pod" in its own namespace.
//!
//! Two kernel facts shape it (docs/operations.md): the tap PMD attaches its
//! queues by interface name when the port starts and sets the interface UP
//! then, so the interface may be moved only once UP; and Linux drops frames
//! sent in the first ~1 s after `ip link set up` (the `noop` qdisc), so a
//! sender must wait for a real qdisc.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Runs `ip ARGS`.
///
/// # Errors
/// `ip` missing or failing.
pub fn ip(args: &[&str]) -> Result<()> {
    let out = Command::new("ip").args(args).stdout(Stdio::null()).output().context("running ip")?;
    if !out.status.success() {
        bail!("ip {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// True once the tap PMD has started the port: the interface `ifc` (in this
/// namespace) has the UP flag.
pub fn tap_started(ifc: &str) -> bool {
    Command::new("ip").args(["-o", "link", "show", "dev", ifc]).output().is_ok_and(|o| {
        let line = String::from_utf8_lossy(&o.stdout);
        let flags = line.split('<').nth(1).and_then(|r| r.split('>').next()).unwrap_or("");
        flags.split(',').any(|f| f == "UP")
    })
}

/// True once `ifc` in `ns` can transmit: carrier up and a real qdisc attached.
pub fn tap_ready(ns: &str, ifc: &str) -> bool {
    Command::new("ip").args(["-n", ns, "-o", "link", "show", "dev", ifc]).output().is_ok_and(|o| {
        let line = String::from_utf8_lossy(&o.stdout);
        line.contains("LOWER_UP") && !line.contains("qdisc noop")
    })
}

/// Polls `f` every 50 ms until it holds or `limit` passes.
///
/// # Errors
/// Timed out (the message names `what`).
pub fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) -> Result<()> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if f() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("timed out after {limit:?} waiting for {what}")
}

/// Moves a started tap's kernel end into `ns`, gives it `mac`, brings it up
/// without IPv6 chatter, and waits (10 s at most) until it can transmit.
///
/// # Errors
/// An `ip` command failed, or the interface never became ready.
pub fn move_tap_into(ifc: &str, ns: &str, mac: &str) -> Result<()> {
    ip(&["link", "set", ifc, "netns", ns])?;
    ip(&["-n", ns, "link", "set", ifc, "address", mac])?;
    let _ = Command::new("ip")
        .args(["netns", "exec", ns, "sysctl", "-qw", &format!("net.ipv6.conf.{ifc}.disable_ipv6=1")])
        .stdout(Stdio::null())
        .status();
    ip(&["-n", ns, "link", "set", ifc, "up"])?;
    wait_for(&format!("{ifc} in {ns} to be ready to transmit"), Duration::from_secs(10), || tap_ready(ns, ifc))
}
