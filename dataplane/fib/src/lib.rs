//! The DMSC forwarding information base: longest-name-prefix match on whole
//! name components [draft-li-dmsc-architecture §6.2], read by the lcores on
//! every packet and replaced as a whole by the control thread.
//!
//! # Design
//!
//! A [`Fib`] is a snapshot published through `dmsc_rcu::Rcu<Fib>`: readers
//! never lock and never see a half-updated table. Route changes go through a
//! [`FibWriter`] (left-right double buffering on QSBR: a batch is applied in
//! place to a second copy the lcores cannot see, published with one pointer
//! swap, then replayed onto the first copy after the grace period; cost
//! proportional to the changes, see `writer.rs` and `update.rs`). Whole
//! snapshots can still be built ([`Fib::build`], [`Fib::with_changes`]) and
//! published directly when no writer is used.
//!
//! The lookup structure is a *hashed name trie* (the NDN-DPDK / So et al.
//! design): every prefix of every entry's name is a trie node, and the nodes
//! live in one open-addressing hash table keyed by the hash of the node's full
//! prefix. Because every prefix of a node is a node, "the `d`-component prefix
//! of the looked-up name is a node" is monotone in `d`, so the deepest matching
//! node is found by **binary search over depth**: about `log2(depth + 1)`
//! probes, i.e. 3–4 cache misses for an 8-component name instead of 8 for a
//! component-by-component walk. Each node stores the index of its
//! longest-matching ancestor entry (itself or above), so the answer needs no
//! walk back up.
//!
//! * Hashes of all prefixes come from one pass over the name's wire bytes
//!   (the name is in cache), chained component by component, one 64×64→128
//!   multiply per component of up to 16 bytes; see `hash.rs`.
//! * The table is an array of 64-byte buckets of four 16-byte slots. A slot
//!   holds the prefix hash (48 bits) and prefix wire length (16 bits) in one
//!   `u64` (one compare), the offset of the prefix bytes and the best entry
//!   index. A probe reads one bucket (one cache line) and compares its four
//!   keys without branching; only a full bucket without a match continues in
//!   the next one. Load factor <= 0.4.
//! * The binary search is branch-free (conditional selects); its number of
//!   steps depends only on the depth bound, not on the data.
//! * The deepest node found is verified against its stored prefix bytes (an
//!   8-bytes-at-a-time compare), so a hash collision can never misroute; on a
//!   mismatch a slow path redoes the search comparing bytes at every probe.
//!   The prefixes of a name share that name's bytes in the key arena.
//! * [`Fib::lookup_burst`] runs the binary searches of a burst in lock-step
//!   and prefetches every name's next probe before resolving any, so misses
//!   overlap (memory-level parallelism) instead of serialising; as each
//!   search ends it prefetches the verification bytes and the entry.
//!   [`Fib::lookup`] prefetches the buckets of every depth before searching.
//! * A [`FibEntry`] is one 64-byte line with up to two next hops inline, so
//!   `lookup` + [`FibEntry::next_hop_for_flow`] touch no further line.
//! * The hot path allocates nothing, takes no lock and does no atomic
//!   operation; the only `unsafe` is the prefetch hint.
//!
//! Cost at 10^6 prefixes and 8-component names: 3 bucket probes, 1 key line,
//! 1 entry line per lookup; ~270 bytes per entry (2.9 trie nodes per entry in
//! the benchmark's name set). Updates: [`FibWriter::apply`], a few µs per
//! leaf route change at 10^6 prefixes plus one grace period per batch (two
//! copies: twice the memory); [`Fib::with_changes`] rebuilds, O(entries),
//! ~0.5 s at 10^6.
//!
//! Alternatives rejected:
//! * a pointer-based component trie (a child map per node): one dependent miss
//!   per component, ~8 per lookup at depth 8;
//! * probing every depth in parallel instead of binary search: fewer
//!   dependent misses but ~2× the lines; measured slower in bursts (kept for
//!   single lookups as a prefetch of all depths);
//! * 50 % load (less memory): ~14 % slower bursts at 10^6 prefixes
//!   (overflowing buckets cost a second line and a mispredicted branch);
//! * a hash map of whole prefixes probed longest-first ([`hashmap::HashFib`],
//!   kept as a baseline): rehashes the prefix bytes per probe and needs up to
//!   `depth` probes on a miss-heavy name;
//! * Patricia / bitwise tries (IP-style): names are long variable-length byte
//!   strings matched on component boundaries, not bits;
//! * mutable FIB with fine-grained locks: a lock or RMW per lookup (the
//!   writer's alternatives are discussed in `writer.rs`).
//!
//! Measurements: `docs/performance.md` and `bench/`.
//!
//! # Example
//!
//! ```
//! use dmsc_fib::{Fib, NextHop};
//! use dmsc_wire::{ethernet::MacAddr, name::Name};
//!
//! let hop = |port| NextHop { port, mac: MacAddr([2, 0, 0, 0, 0, 1]), cost: 10 };
//! let fib = Fib::build([
//!     ("/".parse::<Name>().unwrap(), vec![hop(0)]),              // default route
//!     ("/payments".parse().unwrap(), vec![hop(1), hop(2)]),      // ECMP
//!     ("/payments/charge".parse().unwrap(), vec![hop(3)]),
//! ])
//! .unwrap();
//! let name: Name = "/payments/refund/42".parse().unwrap();
//! let entry = fib.lookup(name.as_ref()).unwrap();
//! assert_eq!(entry.prefix().to_string(), "/payments");
//! let port = entry.next_hop_for_flow(0xbeef).port;              // 1 or 2, stable per flow
//! assert!(port == 1 || port == 2);
//!
//! // Bursts (what the forwarder does per RX burst):
//! let names: Vec<Name> = ["/payments/charge/x", "/other"].iter().map(|u| u.parse().unwrap()).collect();
//! let refs: Vec<_> = names.iter().map(Name::as_ref).collect();
//! let mut out = [None; 2];
//! fib.lookup_burst(&refs, &mut out);
//! assert_eq!(out[0].unwrap().next_hops()[0].port, 3);
//! assert_eq!(out[1].unwrap().prefix().to_string(), "/");
//! ```
//!
//! Sources: W. So, A. Narayanan, D. Oran, "Named data networking on a router:
//! fast and DoS-resistant forwarding with hash tables", ANCS 2013 (hashed
//! trie, binary search over prefix lengths à la Waldvogel et al. SIGCOMM
//! 1997); J. Shi et al., NDN-DPDK (its FIB).

#![deny(unsafe_code)]
#![warn(missing_docs)]

mod cache;
mod entry;
mod fib;
mod hash;
pub mod hashmap;
pub mod naive;
mod prefetch;
mod update;
mod writer;

pub use cache::{CacheStats, LookupCache, MAX_CACHED_NAME_LEN};
pub use entry::{FibEntry, NextHop};
pub use fib::{Fib, FibChange, BURST, MAX_ENTRIES};
pub use writer::{FibWriter, UpdateStats};

/// Errors building a FIB. `route` is the 0-based position of the offending
/// route in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FibError {
    /// A route with an empty next-hop list.
    #[error("route {route} has no next hop")]
    NoNextHop {
        /// Position of the route in the input.
        route: usize,
    },
    /// Two routes with the same prefix.
    #[error("route {route} repeats the prefix of an earlier route")]
    DuplicatePrefix {
        /// Position of the later route in the input.
        route: usize,
    },
    /// More than [`MAX_ENTRIES`] entries, or more than 4 GiB of prefix bytes.
    #[error("too many FIB entries")]
    TooManyEntries,
}

#[cfg(test)]
mod tests;
