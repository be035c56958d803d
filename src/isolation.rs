//! Whether the host keeps its own work off the forwarding lcores' CPUs.
//!
//! A polling lcore owns its CPU only if the kernel agrees: on a CPU that is not
//! isolated the kernel still runs its own threads there, and on the test VM
//! (kernel 6.18) `perf sched record` showed `rcu_preempt` taking an lcore's CPU for
//! 2.5–6.3 ms about once a second, `kdamond` and unbound kworkers ~2 ms at a time
//! (docs/performance.md, "Kernel threads on the lcore's core"): at 5 Mpps that is more
//! than a 16k rx ring holds. dmscd cannot fix that itself (moving kernel threads is the
//! host's business: `isolcpus=`, `nohz_full=`, `rcu_nocbs=`, tuned's
//! `cpu-partitioning`), so it says at start-up which forwarding CPUs the kernel does not
//! treat as isolated, with what to do (docs/operations.md, "Performance tuning").
//!
//! Rejected: refusing to start (the test and demo setups run on shared VMs, and a
//! router that forwards with occasional loss beats one that does not forward); moving
//! the kernel's threads from dmscd (a router should not change the host's scheduling
//! of other work; `bench/*`'s `--housekeeping-core` does it for a benchmark's length).

/// What the kernel reports about CPU isolation (sysfs `devices/system/cpu/isolated`
/// and `nohz_full`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostIsolation {
    /// CPUs isolated from the scheduler's balancing (`isolcpus=`).
    pub isolated: Vec<usize>,
    /// CPUs without the periodic tick when one task runs (`nohz_full=`).
    pub nohz_full: Vec<usize>,
}

impl HostIsolation {
    /// Reads `/sys/devices/system/cpu/{isolated,nohz_full}`; a missing or unreadable
    /// file counts as empty (kernels without `CONFIG_NO_HZ_FULL` have no `nohz_full`).
    pub fn read() -> HostIsolation {
        let list = |f: &str| {
            std::fs::read_to_string(format!("/sys/devices/system/cpu/{f}"))
                .ok()
                .and_then(|s| dpdk::parse_cpu_list(&s))
                .unwrap_or_default()
        };
        HostIsolation { isolated: list("isolated"), nohz_full: list("nohz_full") }
    }

    /// The forwarding CPUs the kernel does not isolate (`isolcpus=`), ascending; empty
    /// when every one is.
    pub fn not_isolated(&self, forwarding: &[usize]) -> Vec<usize> {
        outside(&self.isolated, forwarding)
    }

    /// The forwarding CPUs that still have the periodic tick (not `nohz_full=`).
    pub fn ticking(&self, forwarding: &[usize]) -> Vec<usize> {
        outside(&self.nohz_full, forwarding)
    }

    /// Logs, once at start-up, which forwarding CPUs are not isolated and what the
    /// operator can do; nothing when all are.
    pub fn log(&self, forwarding: &[usize]) {
        let (not_isolated, ticking) = (self.not_isolated(forwarding), self.ticking(forwarding));
        if not_isolated.is_empty() && ticking.is_empty() {
            tracing::info!(cpus = ?forwarding, "forwarding CPUs are isolated (isolcpus, nohz_full)");
            return;
        }
        tracing::info!(
            ?not_isolated,
            ?ticking,
            "forwarding CPUs the kernel may still schedule its own threads on: kernel stalls of \
             milliseconds then show as rx drops at high rates; isolate them (isolcpus=, nohz_full=, \
             rcu_nocbs=; docs/operations.md, \"Performance tuning\")"
        );
    }
}

/// The CPUs of `forwarding` not in `set`, ascending, each once.
fn outside(set: &[usize], forwarding: &[usize]) -> Vec<usize> {
    let mut v: Vec<usize> = forwarding.iter().copied().filter(|c| !set.contains(c)).collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_forwarding_cpus_left_to_the_kernel() {
        let none = HostIsolation::default();
        assert_eq!(none.not_isolated(&[3, 1, 1]), vec![1, 3]);
        assert_eq!(none.ticking(&[1]), vec![1]);
        let host = HostIsolation { isolated: vec![2, 3], nohz_full: vec![3] };
        assert_eq!(host.not_isolated(&[1, 2, 3]), vec![1]);
        assert_eq!(host.ticking(&[2, 3]), vec![2]);
        assert!(host.not_isolated(&[2, 3]).is_empty());
        assert!(host.ticking(&[3]).is_empty());
    }
}
