//! The Environment Abstraction Layer: process-wide initialisation, lcores, time.
//!
//! [`Eal::init`] runs `rte_eal_init` once per process; the thread that calls it becomes
//! the main lcore, which is why [`Eal`] is neither `Send` nor `Sync` (`rte_eal_remote_launch`
//! and `rte_eal_mp_wait_lcore` must be called from the main lcore).
//!
//! # Lifetime of DPDK memory
//!
//! `rte_eal_cleanup` unmaps the memory that pools, rings and port queues live in. Rather
//! than borrowing every object from `&Eal` (which would make forwarder state non-`'static`),
//! the wrapper counts live objects (pools, rings, queue handles: `LiveToken`) and an
//! atomic EAL state. `Drop for Eal` first marks the EAL as finished (new objects are
//! refused with `E_RTE_NO_CONFIG`), waits for the worker lcores, closes the ports it
//! configured that have no queue handle left, and calls `rte_eal_cleanup` only if the live
//! count is then zero. Otherwise DPDK memory stays mapped until the process exits; this is
//! the same as never calling cleanup, which is what most DPDK applications do.
//!
//! Free functions ([`lcore_id`], [`tsc`], [`prefetch0`] …) are usable from any thread.

use std::ffi::{c_int, c_void, CString};
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use crate::libc_errno::{EALREADY, EINVAL};
use crate::{check, cstring, DpdkError, E_RTE_NO_CONFIG};

/// `rte_lcore_id()` of a thread that is not an EAL lcore.
pub const LCORE_ID_ANY: u32 = dpdk_sys::LCORE_ID_ANY;

/// Return value reported by [`Eal::wait`] for a launched closure that panicked (the panic
/// is caught on the worker lcore, its message printed by the panic hook). With
/// `panic = "abort"` (the workspace's release profile) a panic ends the process instead.
pub const LCORE_PANICKED: i32 = i32::MIN;

const STATE_UNINIT: u8 = 0;
const STATE_INITIALIZING: u8 = 1;
const STATE_RUNNING: u8 = 2;
const STATE_FINISHED: u8 = 3;

/// Process-wide EAL state (UNINIT → INITIALIZING → RUNNING → FINISHED; a failed init goes
/// straight to FINISHED because DPDK does not support a second `rte_eal_init`).
static STATE: AtomicU8 = AtomicU8::new(STATE_UNINIT);
/// Number of live [`LiveToken`]s: objects whose memory `rte_eal_cleanup` would free.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// `Ok` while the EAL is initialised and not yet finishing, else `E_RTE_NO_CONFIG`.
pub(crate) fn ensure_running(op: &'static str) -> Result<(), DpdkError> {
    if STATE.load(Ordering::SeqCst) == STATE_RUNNING {
        Ok(())
    } else {
        Err(DpdkError::new(op, E_RTE_NO_CONFIG))
    }
}

/// Whether [`Eal::init`] succeeded and the [`Eal`] has not been dropped yet.
pub fn is_running() -> bool {
    STATE.load(Ordering::SeqCst) == STATE_RUNNING
}

/// Proof that an object depending on EAL memory is alive; keeps `rte_eal_cleanup` away.
///
/// Acquisition increments the live count *before* checking the state and `Drop for Eal`
/// sets the state *before* reading the count (both `SeqCst`), so either the acquirer sees
/// the EAL finishing and fails, or the EAL sees the object and skips cleanup.
#[derive(Debug)]
pub(crate) struct LiveToken(());

impl LiveToken {
    pub(crate) fn acquire(op: &'static str) -> Result<LiveToken, DpdkError> {
        LIVE.fetch_add(1, Ordering::SeqCst);
        let token = LiveToken(());
        ensure_running(op)?; // on error `token` drops and decrements again
        Ok(token)
    }
}

impl Drop for LiveToken {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The initialised EAL. At most one per process; the creating thread is the main lcore.
///
/// Dropping it waits for all worker lcores (`rte_eal_mp_wait_lcore`: a closure that never
/// returns makes the drop hang), closes ports configured through [`crate::Port`] that have
/// no live queue handle, and then calls `rte_eal_cleanup` if nothing still uses DPDK memory.
#[derive(Debug)]
pub struct Eal {
    main_lcore: u32,
    /// `!Send + !Sync`: launch/wait must run on the main lcore.
    _main_thread_only: PhantomData<*const ()>,
}

impl Eal {
    /// Run `rte_eal_init` with `args` (EAL options, e.g. `["-l", "0-1", "--no-pci",
    /// "--vdev=net_ring0"]`); the program name is prepended here.
    ///
    /// Errors: `EALREADY` if an EAL was already initialised (or attempted) in this process,
    /// `EINVAL` for an argument containing NUL, otherwise `rte_errno` from `rte_eal_init`.
    /// The argument strings are leaked on purpose: EAL may keep pointers into `argv`.
    pub fn init<S: AsRef<str>>(args: &[S]) -> Result<Eal, DpdkError> {
        const OP: &str = "rte_eal_init";
        if STATE.compare_exchange(STATE_UNINIT, STATE_INITIALIZING, Ordering::SeqCst, Ordering::SeqCst).is_err() {
            return Err(DpdkError::new(OP, EALREADY));
        }
        let program = std::env::args().next().unwrap_or_else(|| "dmsc".to_string());
        let mut owned: Vec<CString> = Vec::with_capacity(args.len() + 1);
        for arg in std::iter::once(program.as_str()).chain(args.iter().map(AsRef::as_ref)) {
            match cstring(OP, arg) {
                Ok(c) => owned.push(c),
                Err(e) => {
                    STATE.store(STATE_UNINIT, Ordering::SeqCst);
                    return Err(e);
                }
            }
        }
        // argv must outlive the EAL (options like --file-prefix may be referenced later).
        let argv: &'static mut [*mut std::ffi::c_char] = Vec::leak(owned.into_iter().map(CString::into_raw).collect());
        let argc = argv.len() as c_int;
        // SAFETY: argv holds `argc` valid NUL-terminated strings that are never freed; the
        // state machine above guarantees this is the only rte_eal_init call of the process.
        let ret = unsafe { dpdk_sys::rte_eal_init(argc, argv.as_mut_ptr()) };
        if ret < 0 {
            STATE.store(STATE_FINISHED, Ordering::SeqCst);
            return Err(DpdkError::from_rte_errno(OP));
        }
        // SAFETY: EAL is initialised; plain getter.
        let main_lcore = unsafe { dpdk_sys::rte_get_main_lcore() };
        STATE.store(STATE_RUNNING, Ordering::SeqCst);
        Ok(Eal { main_lcore, _main_thread_only: PhantomData })
    }

    /// Id of the main lcore (the thread that called [`Eal::init`]).
    pub fn main_lcore(&self) -> u32 {
        self.main_lcore
    }

    /// All enabled lcore ids (main included), ascending.
    pub fn lcores(&self) -> Vec<u32> {
        (0..dpdk_sys::RTE_MAX_LCORE)
            // SAFETY: lcore ids below RTE_MAX_LCORE are valid arguments; EAL is initialised.
            .filter(|&id| unsafe { dpdk_sys::rte_lcore_is_enabled(id) } != 0)
            .collect()
    }

    /// Enabled worker lcore ids (all but the main lcore), ascending.
    pub fn workers(&self) -> Vec<u32> {
        self.lcores().into_iter().filter(|&id| id != self.main_lcore).collect()
    }

    /// NUMA socket of `lcore` (`rte_lcore_to_socket_id`); `None` for an invalid lcore id.
    pub fn lcore_socket(&self, lcore: u32) -> Option<u32> {
        if lcore >= dpdk_sys::RTE_MAX_LCORE {
            return None;
        }
        // SAFETY: lcore < RTE_MAX_LCORE as the function requires.
        Some(unsafe { dpdk_sys::rte_lcore_to_socket_id(lcore) })
    }

    /// Run `f` on the worker lcore `lcore` (`rte_eal_remote_launch`); returns as soon as
    /// the worker has been told. Collect its return value with [`Eal::wait`] or
    /// [`Eal::wait_all`]. A panic in `f` is caught there and reported as [`LCORE_PANICKED`].
    ///
    /// Errors: `EINVAL` if `lcore` is the main lcore or not enabled; `EBUSY` if the worker
    /// is still running a previous closure (`f` is dropped unrun).
    pub fn launch<F>(&self, lcore: u32, f: F) -> Result<(), DpdkError>
    where
        F: FnOnce() -> i32 + Send + 'static,
    {
        const OP: &str = "rte_eal_remote_launch";
        if lcore == self.main_lcore || !self.lcores().contains(&lcore) {
            return Err(DpdkError::new(OP, EINVAL));
        }
        let job: Box<Job> = Box::new(Box::new(f));
        let arg = Box::into_raw(job).cast::<c_void>();
        // SAFETY: `trampoline` matches lcore_function_t; `arg` is a leaked Box<Job> that the
        // trampoline takes back exactly once; we are on the main lcore (Eal is !Send).
        let ret = unsafe { dpdk_sys::rte_eal_remote_launch(Some(trampoline), arg, lcore) };
        if ret < 0 {
            // SAFETY: the launch failed, so the worker never received `arg`; reclaim it.
            drop(unsafe { Box::from_raw(arg.cast::<Job>()) });
            return Err(DpdkError::from_ret(OP, ret));
        }
        Ok(())
    }

    /// Wait for `lcore` to finish its closure and return the closure's value
    /// (`rte_eal_wait_lcore`; 0 if nothing was launched there).
    pub fn wait(&self, lcore: u32) -> i32 {
        if lcore == self.main_lcore || lcore >= dpdk_sys::RTE_MAX_LCORE {
            return 0;
        }
        // SAFETY: valid worker lcore id, called from the main lcore.
        unsafe { dpdk_sys::rte_eal_wait_lcore(lcore) }
    }

    /// Number of pools, rings and queue handles still alive. Dropping the
    /// `Eal` calls `rte_eal_cleanup` only when this is zero (otherwise the
    /// cleanup would free memory they still use), so a clean shutdown drops
    /// them all first; a caller can check this to report a skipped cleanup.
    pub fn live_handles(&self) -> usize {
        LIVE.load(Ordering::SeqCst)
    }

    /// Wait for every worker lcore to finish (`rte_eal_mp_wait_lcore`).
    pub fn wait_all(&self) {
        // SAFETY: called from the main lcore.
        unsafe { dpdk_sys::rte_eal_mp_wait_lcore() }
    }

    /// Hot-plug a device from a devargs string (`rte_dev_probe`), e.g.
    /// `"net_pcap1,rx_pcap=/tmp/in.pcap"`; its port can then be found with
    /// [`crate::Port::by_name`].
    pub fn probe_device(&self, devargs: &str) -> Result<(), DpdkError> {
        const OP: &str = "rte_dev_probe";
        let c = cstring(OP, devargs)?;
        // SAFETY: NUL-terminated string valid for the call; EAL is initialised.
        check(OP, unsafe { dpdk_sys::rte_dev_probe(c.as_ptr()) })
    }
}

impl Drop for Eal {
    fn drop(&mut self) {
        STATE.store(STATE_FINISHED, Ordering::SeqCst);
        self.wait_all();
        crate::port::close_idle_ports();
        if LIVE.load(Ordering::SeqCst) == 0 {
            // SAFETY: no pool, ring or queue handle is alive (see LiveToken), the workers
            // are idle, and no new object can be created (state is FINISHED).
            unsafe { dpdk_sys::rte_eal_cleanup() };
        }
    }
}

type Job = Box<dyn FnOnce() -> i32 + Send + 'static>;

/// `lcore_function_t` that runs a boxed closure from [`Eal::launch`].
///
/// # Safety
///
/// `arg` must be a pointer obtained from `Box::into_raw(Box<Job>)` that is passed here
/// exactly once (EAL calls the function once per successful `rte_eal_remote_launch`).
unsafe extern "C" fn trampoline(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the Box<Job> leaked by `Eal::launch`, delivered once by EAL.
    let job = unsafe { Box::from_raw(arg.cast::<Job>()) };
    // Unwinding out of an extern "C" function aborts; catch and report instead.
    catch_unwind(AssertUnwindSafe(move || (*job)())).unwrap_or(LCORE_PANICKED)
}

/// Current lcore id (`rte_lcore_id`), or [`LCORE_ID_ANY`] on a non-EAL thread.
#[inline]
pub fn lcore_id() -> u32 {
    // SAFETY: reads a thread-local; valid on any thread.
    unsafe { dpdk_sys::rte_lcore_id() }
}

/// The CPUs of a cpuset, ascending.
fn cpus_of(set: &dpdk_sys::rte_cpuset_t) -> Vec<usize> {
    let words = &set.__bits;
    let bits = 8 * std::mem::size_of_val(&words[0]);
    (0..words.len() * bits).filter(|&c| words[c / bits] >> (c % bits) & 1 == 1).collect()
}

/// The CPUs EAL pinned lcore `lcore` to (`rte_lcore_cpuset`), ascending; empty for an
/// lcore id out of range or not in use. Only meaningful after [`Eal::init`].
pub fn lcore_cpus(lcore: u32) -> Vec<usize> {
    if lcore >= dpdk_sys::RTE_MAX_LCORE {
        return Vec::new();
    }
    // SAFETY: plain getter of EAL's per-lcore configuration, bounds-checked above.
    let set = unsafe { dpdk_sys::rte_lcore_cpuset(lcore) };
    cpus_of(&set)
}

/// The CPUs the calling thread may run on, ascending, as the kernel reports them
/// (`Cpus_allowed_list` of `/proc/thread-self/status`; `rte_thread_get_affinity` only
/// returns EAL's cached value, empty on threads EAL did not create). Empty if that file
/// cannot be read or parsed.
pub fn thread_cpus() -> Vec<usize> {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap_or_default();
    let list = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).unwrap_or("");
    parse_cpu_list(list.trim()).unwrap_or_default()
}

/// Parses a kernel CPU list such as `0-3,8,10-11` (sysfs `cpu/online`, `cpu/isolated`,
/// `Cpus_allowed_list`) into CPU numbers in the order written; `None` for anything else,
/// including a descending range or one of more than [`MAX_CPU_RANGE`] CPUs.
pub fn parse_cpu_list(s: &str) -> Option<Vec<usize>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (a.parse::<usize>().ok()?, b.parse::<usize>().ok()?);
                if a > b || b - a >= MAX_CPU_RANGE {
                    return None;
                }
                out.extend(a..=b);
            }
            None => out.push(part.parse().ok()?),
        }
    }
    Some(out)
}

/// The widest range [`parse_cpu_list`] accepts (the kernel's own limit, `NR_CPUS`, is
/// at most 8,192).
pub const MAX_CPU_RANGE: usize = 8192;

/// Restricts the calling thread to `cpus` (`rte_thread_set_affinity`: the OS affinity
/// and EAL's cached copy; any thread, EAL or not). Errors: `EINVAL` for an empty list or a CPU beyond the cpuset's size, or
/// what the OS reports (e.g. none of the CPUs is online).
pub fn set_thread_cpus(cpus: &[usize]) -> Result<(), DpdkError> {
    const OP: &str = "rte_thread_set_affinity";
    // SAFETY: an all-zero cpuset is a valid (empty) value.
    let mut set: dpdk_sys::rte_cpuset_t = unsafe { std::mem::zeroed() };
    let bits = 8 * std::mem::size_of_val(&set.__bits[0]);
    if cpus.is_empty() || cpus.iter().any(|&c| c >= set.__bits.len() * bits) {
        return Err(DpdkError::new(OP, EINVAL));
    }
    for &c in cpus {
        set.__bits[c / bits] |= 1 << (c % bits);
    }
    // SAFETY: `set` is a valid cpuset; the call only reads it.
    let rc = unsafe { dpdk_sys::rte_thread_set_affinity(&mut set) };
    if rc != 0 {
        return Err(DpdkError::new(OP, EINVAL)); // DPDK logs the reason; it sets no errno
    }
    Ok(())
}

/// Sets the calling thread's nice value (`setpriority(PRIO_PROCESS, gettid(), nice)`;
/// Linux: on a thread id it affects that thread only), −20..=19. Not a DPDK call: EAL has
/// no nice setting, and this is the one crate where the daemon's system calls live.
/// Errors: `EACCES` (lowering the value without `CAP_SYS_NICE`), `EINVAL` (out of range).
pub fn set_thread_nice(nice: i32) -> Result<(), DpdkError> {
    const OP: &str = "setpriority";
    if !(-20..=19).contains(&nice) {
        return Err(DpdkError::new(OP, libc::EINVAL));
    }
    // SAFETY: `gettid` has no preconditions and cannot fail.
    let tid = unsafe { libc::gettid() };
    // SAFETY: plain system call on this thread's id with integer arguments; it reads
    // and writes no memory of ours.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice) };
    if rc != 0 {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EINVAL);
        return Err(DpdkError::new(OP, errno));
    }
    Ok(())
}

/// The calling thread's nice value (field 19 of `/proc/thread-self/stat`), or `None` if
/// that file cannot be read or parsed.
pub fn thread_nice() -> Option<i32> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesised command name, which may contain spaces.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(16)?.parse().ok()
}

/// NUMA socket of the calling thread (`rte_socket_id`); -1 ([`crate::SOCKET_ID_ANY`]) when
/// unknown.
#[inline]
pub fn socket_id() -> i32 {
    // SAFETY: reads a thread-local; valid on any thread.
    unsafe { dpdk_sys::rte_socket_id() as i32 }
}

/// Time-stamp counter in cycles (`rte_rdtsc`). Convert with [`tsc_hz`].
#[inline]
pub fn tsc() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: RDTSC is available on every x86_64 CPU and has no memory effects; this
        // is exactly what rte_rdtsc() does on x86, minus the call.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        // SAFETY: reads the CPU counter; no preconditions.
        unsafe { dpdk_sys::rte_rdtsc() }
    }
}

/// TSC frequency in Hz, as measured by `rte_eal_init` (`rte_get_tsc_hz`); 0 before init.
#[inline]
pub fn tsc_hz() -> u64 {
    // SAFETY: plain getter of a value EAL set at init (0 before).
    unsafe { dpdk_sys::rte_get_tsc_hz() }
}

/// Hint the CPU to load the cache line at `p` into all cache levels (`rte_prefetch0`).
/// Safe for any pointer value: prefetches never fault.
#[inline]
pub fn prefetch0<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: PREFETCHT0 is part of SSE (baseline on x86_64) and never faults,
        // whatever address it is given.
        unsafe { core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        // SAFETY: rte_prefetch0 is a prefetch hint; it never dereferences `p`.
        unsafe { dpdk_sys::rte_prefetch0(p.cast()) }
    }
}

/// Spin-wait hint (`rte_pause`, the x86 `PAUSE` instruction).
#[inline]
pub fn pause() {
    core::hint::spin_loop();
}

/// The directory whose driver plugins (PMDs) a dynamically linked EAL loads at
/// `rte_eal_init` (`RTE_EAL_PMD_PATH` of the DPDK build compiled against, e.g.
/// `/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0` on Debian 12). Pass `-d <dir or .so>` to
/// [`Eal::init`] to load drivers from elsewhere.
pub fn pmd_dir() -> &'static str {
    std::ffi::CStr::from_bytes_with_nul(dpdk_sys::RTE_EAL_PMD_PATH).ok().and_then(|c| c.to_str().ok()).unwrap_or("")
}

#[cfg(test)]
mod cpu_list_tests {
    use super::parse_cpu_list;

    #[test]
    fn kernel_cpu_lists() {
        assert_eq!(parse_cpu_list("0-3,8,10-11"), Some(vec![0, 1, 2, 3, 8, 10, 11]));
        assert_eq!(parse_cpu_list("5"), Some(vec![5]));
        assert_eq!(parse_cpu_list(""), Some(vec![]));
        assert_eq!(parse_cpu_list("1-x"), None);
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list("0-99999"), None);
        assert_eq!(parse_cpu_list("0-1\n"), Some(vec![0, 1]));
    }
}

#[cfg(test)]
mod nice_tests {
    use super::{set_thread_nice, thread_nice};

    /// The nice value is per thread: another thread's is unchanged.
    #[test]
    fn set_thread_nice_affects_the_calling_thread_only() {
        let before = thread_nice().expect("readable /proc/thread-self/stat");
        let target = (before + 3).min(19);
        let got = std::thread::spawn(move || {
            set_thread_nice(target).unwrap();
            thread_nice()
        })
        .join()
        .unwrap();
        assert_eq!(got, Some(target));
        assert_eq!(thread_nice(), Some(before), "the calling thread only");
        for bad in [-21, 20] {
            assert_eq!(set_thread_nice(bad).unwrap_err().errno, libc::EINVAL);
        }
    }
}
