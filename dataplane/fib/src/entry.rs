//! FIB entries: a prefix and its next hops, with the ECMP choice.

use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::{Name, NameRef};

/// One next hop of a route: the output port (DPDK port id), the neighbour's
/// MAC address to put in the Ethernet destination, and the route cost (lower
/// is preferred; equal lowest costs share the traffic, ECMP).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NextHop {
    /// Egress port: the index of the port in the router's port table (configuration order).
    pub port: u16,
    /// Neighbour MAC address (Ethernet destination).
    pub mac: MacAddr,
    /// Route cost; lower is better.
    pub cost: u32,
}

impl NextHop {
    fn sort_key(&self) -> (u32, u16, [u8; 6]) {
        (self.cost, self.port, self.mac.0)
    }
}

/// Next hops kept inside the entry (no pointer to chase on the hot path).
const INLINE_HOPS: usize = 2;

/// Next-hop storage: up to [`INLINE_HOPS`] inline, more on the heap.
#[derive(Clone)]
enum Hops {
    Inline { len: u8, hops: [NextHop; INLINE_HOPS] },
    Heap(Box<[NextHop]>),
}

impl Hops {
    fn new(hops: Vec<NextHop>) -> Hops {
        match hops.as_slice() {
            [a] => Hops::Inline { len: 1, hops: [*a, *a] },
            [a, b] => Hops::Inline { len: 2, hops: [*a, *b] },
            _ => Hops::Heap(hops.into_boxed_slice()),
        }
    }

    #[inline(always)]
    fn as_slice(&self) -> &[NextHop] {
        match self {
            Hops::Inline { len, hops } => &hops[..*len as usize],
            Hops::Heap(hops) => hops,
        }
    }
}

/// A FIB entry: a name prefix and its next hops, sorted by cost, then port,
/// then MAC (exact duplicates removed). Always has at least one next hop.
///
/// One 64-byte cache line: up to two next hops are stored inline, so a
/// lookup followed by [`FibEntry::next_hop_for_flow`] touches no other line
/// (the burst lookup prefetches it).
#[derive(Clone)]
#[repr(align(64))]
pub struct FibEntry {
    next_hops: Hops,
    prefix: Name,
    /// Number of next hops sharing the lowest cost (>= 1).
    best: u32,
}

impl PartialEq for FibEntry {
    fn eq(&self, other: &FibEntry) -> bool {
        self.prefix == other.prefix && self.next_hops() == other.next_hops()
    }
}

impl Eq for FibEntry {}

impl std::fmt::Debug for FibEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FibEntry").field("prefix", &self.prefix).field("next_hops", &self.next_hops()).finish()
    }
}

impl FibEntry {
    /// Builds an entry; `None` if `next_hops` is empty. Sorts by (cost, port,
    /// MAC) and drops exact duplicates.
    pub fn new(prefix: Name, mut next_hops: Vec<NextHop>) -> Option<FibEntry> {
        next_hops.sort_unstable_by_key(NextHop::sort_key);
        next_hops.dedup();
        let lowest = next_hops.first()?.cost;
        let best = next_hops.iter().take_while(|h| h.cost == lowest).count() as u32;
        Some(FibEntry { next_hops: Hops::new(next_hops), prefix, best })
    }

    /// A placeholder for a free slot of the FIB's entry slab (no next hop,
    /// `best == 0`); never reachable from a lookup.
    pub(crate) fn vacant() -> FibEntry {
        let none = NextHop { port: 0, mac: MacAddr([0; 6]), cost: 0 };
        FibEntry { next_hops: Hops::Inline { len: 0, hops: [none, none] }, prefix: Name::root(), best: 0 }
    }

    /// Takes `from`'s next hops, keeping this entry's prefix (which must
    /// equal `from`'s): a next-hop replacement without copying the prefix.
    pub(crate) fn set_next_hops_from(&mut self, from: &FibEntry) {
        debug_assert_eq!(self.prefix, from.prefix, "next hops of another prefix");
        self.next_hops = from.next_hops.clone();
        self.best = from.best;
    }

    /// Whether this is a [`FibEntry::vacant`] placeholder (a live entry has
    /// at least one best next hop).
    #[inline]
    pub(crate) fn is_vacant(&self) -> bool {
        self.best == 0
    }

    /// The entry's prefix.
    #[inline]
    pub fn prefix(&self) -> NameRef<'_> {
        self.prefix.as_ref()
    }

    /// The owned prefix.
    pub fn prefix_name(&self) -> &Name {
        &self.prefix
    }

    /// All next hops, sorted by cost, then port, then MAC.
    #[inline]
    pub fn next_hops(&self) -> &[NextHop] {
        self.next_hops.as_slice()
    }

    /// The equal-lowest-cost next hops (never empty).
    #[inline]
    pub fn best_next_hops(&self) -> &[NextHop] {
        &self.next_hops()[..self.best as usize]
    }

    /// ECMP choice among [`FibEntry::best_next_hops`]: a fixed function of the
    /// flow label (a 32-bit finaliser mix, then multiply-shift onto the
    /// number of best next hops), so one flow always stays on one next hop
    /// for a given entry, and labels spread evenly.
    #[inline]
    pub fn next_hop_for_flow(&self, flow_label: u32) -> &NextHop {
        let i = ((mix32(flow_label) as u64 * self.best as u64) >> 32) as usize;
        &self.next_hops()[i]
    }

    /// Heap and inline bytes used by this entry (the 64-byte struct, the
    /// prefix bytes, next hops beyond the two inline ones).
    pub fn memory_bytes(&self) -> usize {
        let heap_hops = match &self.next_hops {
            Hops::Inline { .. } => 0,
            Hops::Heap(h) => std::mem::size_of_val::<[NextHop]>(h),
        };
        std::mem::size_of::<FibEntry>() + heap_hops + self.prefix.wire().len()
    }
}

/// MurmurHash3 `fmix32` finaliser: a bijection on `u32` with full avalanche.
#[inline]
fn mix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(port: u16, cost: u32) -> NextHop {
        NextHop { port, mac: MacAddr([2, 0, 0, 0, 0, port as u8]), cost }
    }

    #[test]
    fn sorting_and_best() {
        let e = FibEntry::new(Name::root(), vec![hop(3, 20), hop(2, 10), hop(1, 10), hop(2, 10), hop(0, 30)]).unwrap();
        let ports: Vec<u16> = e.next_hops().iter().map(|h| h.port).collect();
        assert_eq!(ports, [1, 2, 3, 0]);
        assert_eq!(e.best_next_hops(), &[hop(1, 10), hop(2, 10)]);
        assert!(FibEntry::new(Name::root(), vec![]).is_none());
    }

    #[test]
    fn one_cache_line_and_inline_hops() {
        assert_eq!(std::mem::size_of::<FibEntry>(), 64);
        for n in 1..5u16 {
            let e = FibEntry::new(Name::root(), (0..n).map(|p| hop(p, 1)).collect()).unwrap();
            assert_eq!(e.next_hops().len(), n as usize);
            assert_eq!(e.best_next_hops().len(), n as usize);
            assert_eq!(e.clone(), e);
        }
    }

    #[test]
    fn ecmp_is_stable_and_spreads() {
        let e = FibEntry::new(Name::root(), (0..4).map(|p| hop(p, 5)).chain([hop(9, 6)]).collect()).unwrap();
        let mut counts = [0u32; 4];
        for label in 0..40_000u32 {
            let h = e.next_hop_for_flow(label);
            assert_eq!(h, e.next_hop_for_flow(label), "stable");
            assert_ne!(h.port, 9, "never a worse-cost hop");
            counts[h.port as usize] += 1;
        }
        for c in counts {
            assert!((9_000..11_000).contains(&c), "uneven spread {counts:?}");
        }
        let single = FibEntry::new(Name::root(), vec![hop(7, 1)]).unwrap();
        assert!((0..1000).all(|l| single.next_hop_for_flow(l).port == 7));
    }
}
