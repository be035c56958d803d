//! A memif client port reconnects by itself (controlplane::reconnect,
//! forwarder::gate): two dmscd processes joined by one net_memif link.
//!
//! ```text
//!   client dmscd  --memif (role=client)-->  server dmscd
//!   started first: the server's              started 2 s later,
//!   socket does not exist yet                then killed and started again
//! ```
//!
//! The client must keep running while its server is absent, count its failed
//! attempts, bring its link up once the server listens, and again after the
//! server is killed (SIGKILL) and started anew. Bounded: every wait has a
//! deadline; both processes are killed by the `Proc` guards on failure.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{is_root, remove_eal_runtime_dir, test_eal_args, tmpdir, Proc, DMSCD};
use dmsc::show::{self, What};

fn config(dir: &Path, tag: &str, role: &str, lcore: u32) -> std::path::PathBuf {
    let text = format!(
        "[node]\nname = \"/t/{tag}\"\nrole = \"sr\"\n\n\
         [management]\nsocket = \"{dir}/{tag}.api\"\n\n\
         [eal]\nargs = {eal}\n\n\
         [dataplane]\nlcores = [{lcore}]\nmbufs = 4095\nrx_descriptors = 256\ntx_descriptors = 256\n\
         idle_polls_before_sleep = 50\nidle_sleep_us = 200\nstats_interval_s = 0\n\n\
         [[ports]]\nname = \"link\"\n\
         device = \"net_memif0,role={role},id=0,socket={dir}/link.sock,socket-abstract=no\"\n",
        dir = dir.display(),
        eal = test_eal_args(tag),
    );
    let path = dir.join(format!("{tag}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn start(dir: &Path, tag: &str, role: &str, lcore: u32) -> Proc {
    let cfg = config(dir, tag, role, lcore);
    Proc::spawn(tag, Command::new(DMSCD).args(["run", "--config"]).arg(&cfg).arg("--small-pages"))
}

/// The client's counters (`dmsc show counters --json`), once its API answers.
fn counters(dir: &Path) -> Option<serde_json::Value> {
    let text = show::show(dir.join("client.api"), What::Counters, true, None, 0).ok()?;
    serde_json::from_str(&text).ok()
}

fn link_up(c: &serde_json::Value) -> bool {
    c["dataplane"]["ports"][0]["link_up"].as_bool() == Some(true)
}

fn control(c: &serde_json::Value, name: &str) -> u64 {
    c["control"][name].as_u64().unwrap_or_else(|| panic!("no control counter {name}: {c}"))
}

/// Polls the client's counters until `ok` holds (or fails after `limit`).
fn wait_for(dir: &Path, client: &mut Proc, what: &str, limit: Duration, ok: impl Fn(&serde_json::Value) -> bool) {
    let t0 = Instant::now();
    loop {
        if let Some(status) = client.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
            panic!("the client exited ({status}) while waiting for: {what}");
        }
        if let Some(c) = counters(dir) {
            if ok(&c) {
                return;
            }
            assert!(t0.elapsed() < limit, "{what}: not within {limit:?}: {c}");
        } else {
            assert!(t0.elapsed() < limit, "{what}: the client's API did not answer within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn memif_client_connects_late_and_reconnects_after_a_server_restart() {
    if !is_root() {
        panic!("this test needs root (DPDK)");
    }
    let (_g, dir) = tmpdir();
    // The client first: its start fails (no socket) and it keeps retrying.
    let mut client = start(&dir, "client", "client", 0);
    wait_for(&dir, &mut client, "a failed attempt while no server listens", Duration::from_secs(15), |c| {
        !link_up(c) && control(c, "reconnect_failures") >= 1
    });

    let server = start(&dir, "server", "server", 1);
    let t0 = Instant::now();
    wait_for(&dir, &mut client, "link up once the server listens", Duration::from_secs(15), link_up);
    let first = t0.elapsed();

    // A crash of the server: its socket file stays behind, so remove it as
    // an operator (or `dmsc topo restart`) would, then start it again.
    let pid = server.pid();
    assert!(Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap().success());
    drop(server);
    wait_for(&dir, &mut client, "link down after the server was killed", Duration::from_secs(5), |c| !link_up(c));
    let _ = std::fs::remove_file(dir.join("link.sock"));
    remove_eal_runtime_dir("server");
    let before = counters(&dir).map(|c| control(&c, "reconnects")).unwrap();
    let server = start(&dir, "server", "server", 1);
    let t1 = Instant::now();
    wait_for(&dir, &mut client, "link up after the server restarted", Duration::from_secs(15), |c| {
        link_up(c) && control(c, "reconnects") > before
    });
    let second = t1.elapsed();
    let c = counters(&dir).unwrap();
    eprintln!(
        "link up {first:?} after the server started, {second:?} after it restarted; reconnects {}, failed {}",
        control(&c, "reconnects"),
        control(&c, "reconnect_failures")
    );

    client.interrupt();
    server.interrupt();
    let out = client.wait(Duration::from_secs(20));
    assert!(out.status.success(), "client: {}", String::from_utf8_lossy(&out.stderr));
    let out = server.wait(Duration::from_secs(20));
    assert!(out.status.success(), "server: {}", String::from_utf8_lossy(&out.stderr));
    remove_eal_runtime_dir("client");
    remove_eal_runtime_dir("server");
}
