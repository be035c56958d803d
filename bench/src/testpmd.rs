//! Driving `dpdk-testpmd` in interactive mode and parsing its forward statistics.
//!
//! The throughput harness (`src/bin/throughput.rs`) runs testpmd twice per run: as
//! traffic generator and sink, and as the baseline router. Both are driven the same way:
//! `-i` (interactive), commands written to stdin (`start`, `show fwd stats all`, `stop`,
//! `quit`), and stdout read on a thread into one growing buffer. testpmd is started under
//! `stdbuf -oL`: its statistics are `printf`s, fully buffered on a pipe otherwise, while
//! the prompt is written directly, so without line buffering a command's output could
//! arrive after the next prompt.
//!
//! A command is complete when its output's last line has arrived: for the forward
//! statistics (`show fwd stats all`, `stop`) that is the `+++…` line closing the
//! "Accumulated forward statistics" block, which every DPDK release since 20.11 prints.
//! Rejected: `--stats-period` (non-interactive, prints NIC statistics with ANSI screen
//! clears and gives no control over when forwarding starts), and parsing the
//! `Rx-pps` throughput lines (testpmd's own interval, not the harness's).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// One port's forward statistics (testpmd's "Forward statistics for port N" block):
/// packets its forwarding streams received and sent, and sends the driver refused
/// (`TX-dropped`: the peer's ring was full).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FwdStats {
    /// `RX-packets`.
    pub rx_packets: u64,
    /// `RX-dropped`.
    pub rx_dropped: u64,
    /// `TX-packets`.
    pub tx_packets: u64,
    /// `TX-dropped`.
    pub tx_dropped: u64,
}

impl FwdStats {
    /// Field-wise `self - earlier` (saturating: counters only grow).
    pub fn since(&self, earlier: &FwdStats) -> FwdStats {
        FwdStats {
            rx_packets: self.rx_packets.saturating_sub(earlier.rx_packets),
            rx_dropped: self.rx_dropped.saturating_sub(earlier.rx_dropped),
            tx_packets: self.tx_packets.saturating_sub(earlier.tx_packets),
            tx_dropped: self.tx_dropped.saturating_sub(earlier.tx_dropped),
        }
    }
}

/// Whether `text` holds a complete forward-statistics report: the "Accumulated forward
/// statistics" header followed by its closing line of `+`.
pub fn fwd_stats_complete(text: &str) -> bool {
    match text.find("Accumulated forward statistics") {
        Some(at) => text[at..].lines().skip(1).any(|l| {
            let l = l.trim();
            l.len() > 10 && l.bytes().all(|b| b == b'+')
        }),
        None => false,
    }
}

/// Parses the per-port blocks of a forward-statistics report into `(port, stats)`, in
/// the order printed. Ports without a block (testpmd omits idle ones in some modes) are
/// absent.
///
/// # Errors
/// A block whose four counters cannot all be read.
pub fn parse_fwd_stats(text: &str) -> Result<Vec<(u16, FwdStats)>> {
    const HEADER: &str = "Forward statistics for port";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(HEADER) {
        let after = &rest[at + HEADER.len()..];
        let port: u16 =
            after.split_whitespace().next().context("port number missing")?.parse().context("bad port number")?;
        // The block ends at the next header or the accumulated block.
        let end = [after.find(HEADER), after.find("Accumulated")].into_iter().flatten().min().unwrap_or(after.len());
        let block = &after[..end];
        let get = |key: &str| -> Result<u64> {
            let i = block.find(key).with_context(|| format!("{key} missing for port {port}"))?;
            block[i + key.len()..]
                .split_whitespace()
                .next()
                .with_context(|| format!("{key} value missing"))?
                .parse()
                .with_context(|| format!("{key} of port {port} is not a number"))
        };
        out.push((
            port,
            FwdStats {
                rx_packets: get("RX-packets:")?,
                rx_dropped: get("RX-dropped:")?,
                tx_packets: get("TX-packets:")?,
                tx_dropped: get("TX-dropped:")?,
            },
        ));
        rest = &after[end..];
    }
    if out.is_empty() {
        bail!("no forward statistics in testpmd output");
    }
    Ok(out)
}

/// The statistics of `port` in a parsed report (zeros if testpmd printed none).
pub fn port_stats(stats: &[(u16, FwdStats)], port: u16) -> FwdStats {
    stats.iter().find(|(p, _)| *p == port).map(|(_, s)| *s).unwrap_or_default()
}

/// A running interactive `dpdk-testpmd`.
pub struct Testpmd {
    child: Child,
    stdin: ChildStdin,
    out: Arc<Mutex<String>>,
    label: String,
}

impl Testpmd {
    /// Starts `stdbuf -oL dpdk-testpmd EAL_ARGS -- -i APP_ARGS`; its whole output is also
    /// copied to `log` (stderr goes there directly). Returns once the first prompt appears (ports configured and
    /// started), or fails after `timeout` with the output's tail.
    pub fn spawn(label: &str, eal: &[String], app: &[String], log: &Path, timeout: Duration) -> Result<Testpmd> {
        let mut cmd = Command::new("stdbuf");
        cmd.args(["-oL", "-eL", "dpdk-testpmd"]).args(eal).arg("--").arg("-i").args(app);
        let mut log = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log.try_clone()?)
            .spawn()
            .context("starting dpdk-testpmd")?;
        let stdin = child.stdin.take().context("testpmd stdin")?;
        let mut stdout = child.stdout.take().context("testpmd stdout")?;
        let out = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&out);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let _ = log.write_all(&buf[..n]);
                sink.lock().expect("output lock").push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut t = Testpmd { child, stdin, out, label: label.to_owned() };
        t.wait_for(0, |s| s.contains("testpmd> "), timeout).with_context(|| format!("{label}: no prompt"))?;
        Ok(t)
    }

    /// The process id (for logs and clean-up).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn len(&self) -> usize {
        self.out.lock().expect("output lock").len()
    }

    /// Waits until the output from byte `from` satisfies `done`; returns that text.
    fn wait_for(&mut self, from: usize, done: impl Fn(&str) -> bool, timeout: Duration) -> Result<String> {
        let start = Instant::now();
        loop {
            {
                let out = self.out.lock().expect("output lock");
                let new = out.get(from..).unwrap_or("");
                if done(new) {
                    return Ok(new.to_owned());
                }
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("{} exited ({status}); output ends with:\n{}", self.label, self.tail(2000));
            }
            if start.elapsed() > timeout {
                bail!("{}: timed out; output ends with:\n{}", self.label, self.tail(2000));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The last `n` bytes of the output (for error messages).
    pub fn tail(&self, n: usize) -> String {
        let out = self.out.lock().expect("output lock");
        let mut start = out.len().saturating_sub(n);
        while !out.is_char_boundary(start) {
            start += 1;
        }
        out[start..].to_owned()
    }

    /// Sends one command and waits until its output satisfies `done`.
    pub fn command(&mut self, cmd: &str, done: impl Fn(&str) -> bool, timeout: Duration) -> Result<String> {
        let from = self.len();
        writeln!(self.stdin, "{cmd}").with_context(|| format!("{}: writing {cmd:?}", self.label))?;
        self.stdin.flush()?;
        self.wait_for(from, done, timeout).with_context(|| format!("{}: command {cmd:?}", self.label))
    }

    /// `start`: begins forwarding.
    pub fn start(&mut self) -> Result<()> {
        self.command("start", |s| s.contains("testpmd> "), Duration::from_secs(10))?;
        Ok(())
    }

    /// `show fwd stats all`: the cumulative forward statistics.
    pub fn fwd_stats(&mut self) -> Result<Vec<(u16, FwdStats)>> {
        let text = self.command("show fwd stats all", fwd_stats_complete, Duration::from_secs(10))?;
        parse_fwd_stats(&text)
    }

    /// `stop`: stops forwarding and returns the final forward statistics.
    pub fn stop(&mut self) -> Result<Vec<(u16, FwdStats)>> {
        let text = self.command("stop", fwd_stats_complete, Duration::from_secs(10))?;
        parse_fwd_stats(&text)
    }

    /// `quit`, then waits up to `timeout` for the process to exit; kills it (by PID) after.
    pub fn quit(mut self, timeout: Duration) -> Result<()> {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        let start = Instant::now();
        while start.elapsed() < timeout {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        bail!("{} did not quit within {timeout:?}; killed", self.label)
    }
}

impl Drop for Testpmd {
    fn drop(&mut self) {
        // After `quit` this finds the process gone; otherwise (an error path) it must
        // not outlive the harness, pinned to a core and holding a memif socket.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STOP: &str = "Telling cores to stop...
Waiting for lcores to finish...

  ---------------------- Forward statistics for port 0  ----------------------
  RX-packets: 71206496       RX-dropped: 0             RX-total: 71206496
  TX-packets: 0              TX-dropped: 0             TX-total: 0
  ----------------------------------------------------------------------------

  ---------------------- Forward statistics for port 1  ----------------------
  RX-packets: 0              RX-dropped: 0             RX-total: 0
  TX-packets: 71163168       TX-dropped: 43328         TX-total: 71206496
  ----------------------------------------------------------------------------

  +++++++++++++++ Accumulated forward statistics for all ports+++++++++++++++
  RX-packets: 71206496       RX-dropped: 0             RX-total: 71206496
  TX-packets: 71163168       TX-dropped: 43328         TX-total: 71206496
  ++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++

Done.
";

    #[test]
    fn parses_a_stop_report() {
        assert!(fwd_stats_complete(STOP));
        let s = parse_fwd_stats(STOP).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0], (0, FwdStats { rx_packets: 71206496, rx_dropped: 0, tx_packets: 0, tx_dropped: 0 }));
        assert_eq!(port_stats(&s, 1).tx_dropped, 43328);
        assert_eq!(port_stats(&s, 1).tx_packets, 71163168);
        assert_eq!(port_stats(&s, 3), FwdStats::default());
    }

    #[test]
    fn incomplete_reports_are_not_complete() {
        let cut = &STOP
            [..STOP.find("  TX-packets: 71163168       TX-dropped: 43328         TX-total: 71206496\n  +++").unwrap()];
        assert!(!fwd_stats_complete(cut));
        let header_only = &STOP[..STOP.find("all ports+++++++++++++++\n").unwrap() + 25];
        assert!(!fwd_stats_complete(header_only));
        assert!(parse_fwd_stats("testpmd> ").is_err());
    }

    #[test]
    fn deltas_saturate() {
        let a = FwdStats { rx_packets: 10, rx_dropped: 1, tx_packets: 5, tx_dropped: 0 };
        let b = FwdStats { rx_packets: 30, rx_dropped: 1, tx_packets: 25, tx_dropped: 7 };
        assert_eq!(b.since(&a), FwdStats { rx_packets: 20, rx_dropped: 0, tx_packets: 20, tx_dropped: 7 });
        assert_eq!(a.since(&b).rx_packets, 0);
    }
}
