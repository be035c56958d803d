//! The per-packet forwarding decision, on plain bytes.
//!
//! [`Pipeline::process`] takes one received Ethernet frame and a FIB snapshot
//! and decides what happens to it [draft-li-dmsc-architecture §6.2 steps 2–3]:
//!
//! 1. Ethernet: the EtherType must be the configured DMSC EtherType.
//! 2. DMSC header: validated in one pass (`Packet::new_checked`): lengths,
//!    both names, the field TLVs and the unknown-critical-field rule.
//! 3. Control packets are link-local: punted to the control thread.
//! 4. Hop limit: a packet that arrives with hop limit 0 or 1 is dropped
//!    (and nacked), as IPv6 routers do [RFC 8200 §3].
//! 5. Longest-prefix match of the destination name on whole components.
//! 6. Next hop: among the equal-lowest-cost next hops, chosen by flow label,
//!    so one flow keeps one path.
//! 7. MTU of the egress port; then the frame is rewritten in place: hop limit
//!    decremented, Ethernet destination = the neighbour's MAC, source = our
//!    port's MAC.
//!
//! [`Pipeline::process_burst`] does the same for a whole rx burst in three
//! passes: parse every frame (read-only), one lookup of all destination
//! names through the lcore's [`LookupCache`] (exact whole-name results of
//! this FIB snapshot; the names it does not hold go to one
//! [`Fib::lookup_burst`], which overlaps the cache misses of the burst: 2.7×
//! faster than one lookup at a time at 10^6 prefixes, see
//! `docs/performance.md`), then decide and rewrite each frame. Pass 1 checks
//! everything but the destination name's structure ([`PendingDst`]): the
//! cache holds only names that were validated, so a hit proves the bytes
//! valid and skips the name's component walk (a chain of dependent loads,
//! a third of the pipeline at 8 components); a miss validates the name
//! before the FIB sees it. Verdicts are exactly [`Pipeline::process`]'s (the
//! pipeline proptest checks it, invalid names included), which does the
//! same for a single frame with the full check up front.
//!
//! The functions never allocate, lock or panic, whatever the bytes. They are
//! kept apart from the DPDK loop ([`crate::lcore`]) so that every rule above is
//! unit-tested on byte arrays, and so the same code runs in the pcap tools.
//!
//! Nacks are built by [`Pipeline::build_nack`] into a fresh buffer (an mbuf on
//! an lcore) and routed back towards the *source* name of the offending packet
//! ("the same process is applied for backhaul traffic", §6.2 step 4).

use arrayvec::ArrayVec;
use dmsc_fib::{Fib, FibEntry, LookupCache};
use dmsc_wire::ethernet::{self, Frame, MacAddr};
use dmsc_wire::nack::{self, NackReason};
use dmsc_wire::name::{Name, NameRef};
use dmsc_wire::packet::{self, Packet, PacketType, PendingDst};
use dmsc_wire::Error as WireError;

use crate::counters::DropReason;

/// What the router knows about one of its ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortInfo {
    /// The port's own MAC: the Ethernet source of every frame sent on it.
    pub mac: MacAddr,
    /// Largest DMSC packet (header + payload, Ethernet header excluded) the
    /// port may send, in bytes.
    pub mtu: u16,
}

/// Outcome of [`Pipeline::process`] for one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Rewritten in place; send it on port index `port`.
    Forward {
        /// Index of the egress port in the router's port table.
        port: u16,
    },
    /// A control packet: hand it to the control thread unchanged.
    Punt,
    /// Drop it, count `reason`, and if `nack` is set try to send a nack.
    Drop {
        /// The counter to bump.
        reason: DropReason,
        /// The nack the source should get, if the rules allow one.
        nack: Option<NackReason>,
    },
}

/// Result of [`Pipeline::build_nack`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NackOutcome {
    /// A complete Ethernet frame of `len` bytes was written; send it on `port`.
    Built {
        /// Egress port index.
        port: u16,
        /// Frame length in bytes.
        len: usize,
    },
    /// The nack rules forbid a nack for this packet (it is itself a nack or a
    /// control packet, carries NO_NACK, has no source name, or cannot be parsed).
    NotAllowed,
    /// No FIB entry leads back to the source name.
    NoRoute,
    /// `out` was too small for the nack.
    BufferTooSmall,
}

/// Static per-router forwarding parameters.
#[derive(Clone, Debug)]
pub struct Pipeline {
    ethertype: u16,
    ports: Vec<PortInfo>,
    router_name: Name,
    nack_hop_limit: u8,
}

impl Pipeline {
    /// `ports` is indexed by the port index used in FIB next hops.
    pub fn new(ethertype: u16, ports: Vec<PortInfo>, router_name: Name, nack_hop_limit: u8) -> Self {
        Pipeline { ethertype, ports, router_name, nack_hop_limit }
    }

    /// The DMSC EtherType this pipeline accepts.
    pub fn ethertype(&self) -> u16 {
        self.ethertype
    }

    /// The port table.
    pub fn ports(&self) -> &[PortInfo] {
        &self.ports
    }

    /// Decides the fate of one frame and, if it is forwarded, rewrites it in
    /// place (hop limit, Ethernet addresses). See the module docs for the rules.
    #[inline]
    pub fn process(&self, fib: &Fib, frame: &mut [u8]) -> Verdict {
        let parsed = match self.parse(frame) {
            Ok(p) => p,
            Err(v) => return v,
        };
        let entry = fib.lookup(parsed.dst);
        let decided = self.decide(&parsed.meta, entry);
        self.apply(decided, frame)
    }

    /// [`Pipeline::process`] for a burst: `verdicts[i]` receives the verdict
    /// of `frames[i]`, and forwarded frames are rewritten in place. The
    /// destination names are looked up through `cache` (an lcore's own
    /// [`LookupCache`]; one of capacity 0 sends every name to the FIB), which
    /// gives exactly the FIB's answers. At most
    /// [`MAX_BURST`] frames per call; any beyond are left untouched with a
    /// `TxFull` drop verdict (the caller's bursts are never that large).
    ///
    /// # Panics
    /// If `frames.len() != verdicts.len()`.
    #[inline]
    pub fn process_burst(
        &self,
        fib: &Fib,
        cache: &mut LookupCache,
        frames: &mut [&mut [u8]],
        verdicts: &mut [Verdict],
    ) {
        assert_eq!(frames.len(), verdicts.len(), "process_burst: frames and verdicts differ in length");
        let n = frames.len().min(MAX_BURST);
        // Pass 1: parse (read-only); frames that end here get their verdict.
        // The destination name's own check waits for pass 2: a cache hit
        // proves it valid (see `parse_pending`).
        // (ArrayVecs: filled as far as the burst goes, no per-burst initialiser.)
        let mut meta: ArrayVec<Meta, MAX_BURST> = ArrayVec::new();
        let mut wires: ArrayVec<&[u8], MAX_BURST> = ArrayVec::new();
        let mut which: ArrayVec<u8, MAX_BURST> = ArrayVec::new();
        for i in 0..n {
            match self.parse_pending(&frames[i][..]) {
                Ok((dst, m)) => {
                    wires.push(dst);
                    meta.push(m);
                    which.push(i as u8);
                }
                Err(v) => verdicts[i] = v,
            }
        }
        let k = wires.len();
        // Pass 2: one lookup of the burst's names; the names that miss the
        // cache are validated there, and `invalid` marks those that fail.
        let mut entries = [None; MAX_BURST];
        let invalid = cache.lookup_burst_unvalidated(fib, &wires, &mut entries[..k]);
        // The names borrow the frames, which pass 3 rewrites.
        std::mem::drop(wires);
        // Pass 3: decide and rewrite, straight from the FIB entry into the
        // frame (no intermediate decision array: its narrow stores read back
        // wide stalled store forwarding, ~12 % of the burst in a profile).
        for j in 0..k {
            let i = usize::from(which[j]);
            verdicts[i] = if invalid & (1 << j) == 0 {
                self.apply(self.decide(&meta[j], entries[j]), &mut frames[i][..])
            } else {
                self.reject(&frames[i][..])
            };
        }
        for v in verdicts.iter_mut().skip(n) {
            *v = drop(DropReason::TxFull, None);
        }
    }

    /// [`Pipeline::parse`] with the destination name's check deferred: for a
    /// frame that would be looked up, returns its destination name's bytes,
    /// unvalidated ([`PendingDst`]), and the header fields. Frames that end
    /// before the lookup (punted, hop limit) have their destination name
    /// checked here, so every verdict is [`Pipeline::parse`]'s.
    #[inline(always)]
    fn parse_pending<'a>(&self, frame: &'a [u8]) -> Result<(&'a [u8], Meta), Verdict> {
        let pkt = match PendingDst::check(self.l3(frame)?) {
            Ok(p) => p,
            Err(_) => return Err(self.reject(frame)),
        };
        let hop_limit = pkt.hop_limit();
        let control = pkt.packet_type() == PacketType::Control;
        if control || hop_limit <= 1 {
            // These frames end here, and an invalid destination name makes
            // them Malformed instead: check it now.
            if let Err(e) = pkt.finish() {
                return Err(drop(DropReason::Malformed, malformed_nack(e)));
            }
            return Err(if control {
                Verdict::Punt
            } else {
                drop(DropReason::HopLimit, Some(NackReason::HopLimitExceeded))
            });
        }
        Ok((pkt.dst_name_wire(), Meta { hop_limit, flow_label: pkt.flow_label(), total_len: pkt.total_len() }))
    }

    /// The verdict of a DMSC frame that failed a header check: Malformed,
    /// nacked according to [`Packet::check`]'s exact error (the first failing
    /// check in its order, which [`PendingDst`] does not keep). Cold.
    #[cold]
    #[inline(never)]
    fn reject(&self, frame: &[u8]) -> Verdict {
        let error = Packet::new_unchecked(&frame[ethernet::HEADER_LEN..]).check().err();
        drop(DropReason::Malformed, error.and_then(malformed_nack))
    }

    /// The DMSC packet of an Ethernet frame with our EtherType (the bytes
    /// after the Ethernet header), or the NotDmsc verdict.
    #[inline(always)]
    fn l3<'a>(&self, frame: &'a [u8]) -> Result<&'a [u8], Verdict> {
        match Frame::new_checked(frame) {
            Ok(f) if f.ethertype() == self.ethertype => Ok(&frame[ethernet::HEADER_LEN..]),
            _ => Err(drop(DropReason::NotDmsc, None)),
        }
    }

    /// Everything the decision needs, read from a frame that passed the
    /// header checks and is not a Control packet.
    #[inline(always)]
    fn parse<'a>(&self, frame: &'a [u8]) -> Result<Parsed<'a>, Verdict> {
        let pkt = match Packet::new_checked(self.l3(frame)?) {
            Ok(p) => p,
            Err(e) => return Err(drop(DropReason::Malformed, malformed_nack(e))),
        };
        if pkt.packet_type() == PacketType::Control {
            return Err(Verdict::Punt);
        }
        let hop_limit = pkt.hop_limit();
        if hop_limit <= 1 {
            return Err(drop(DropReason::HopLimit, Some(NackReason::HopLimitExceeded)));
        }
        Ok(Parsed {
            dst: pkt.dst_name_of_bytes(),
            meta: Meta { hop_limit, flow_label: pkt.flow_label(), total_len: pkt.total_len() },
        })
    }

    /// Next hop and MTU, from the FIB's answer.
    #[inline(always)]
    fn decide(&self, p: &Meta, entry: Option<&FibEntry>) -> Decided {
        let Some(entry) = entry else {
            return Decided::Final(drop(DropReason::NoRoute, Some(NackReason::NoRoute)));
        };
        let nh = *entry.next_hop_for_flow(p.flow_label);
        let Some(port) = self.ports.get(usize::from(nh.port)) else {
            // A FIB that names a port we do not have: treat as no route.
            return Decided::Final(drop(DropReason::NoRoute, Some(NackReason::NoRoute)));
        };
        if usize::from(p.total_len) > usize::from(port.mtu) {
            return Decided::Final(drop(DropReason::TooBig, Some(NackReason::TooBig)));
        }
        Decided::Rewrite { port: nh.port, dst: nh.mac, src: port.mac, hop_limit: p.hop_limit - 1 }
    }

    /// Writes a forwarding decision into the frame.
    #[inline(always)]
    fn apply(&self, d: Decided, frame: &mut [u8]) -> Verdict {
        match d {
            Decided::Final(v) => v,
            Decided::Rewrite { port, dst, src, hop_limit } => {
                Packet::new_unchecked(&mut frame[ethernet::HEADER_LEN..]).set_hop_limit(hop_limit);
                let mut eth = Frame::new_unchecked(frame);
                eth.set_dst_addr(dst);
                eth.set_src_addr(src);
                Verdict::Forward { port }
            }
        }
    }

    /// Builds, in `out`, the Ethernet frame of a nack for the frame `original`
    /// (as received, before any rewrite) and routes it by the original's
    /// source name. Returns where to send it. Never panics.
    pub fn build_nack(&self, fib: &Fib, original: &[u8], reason: NackReason, out: &mut [u8]) -> NackOutcome {
        let Some(l3) = original.get(ethernet::HEADER_LEN..) else {
            return NackOutcome::NotAllowed;
        };
        let Ok(pkt) = Packet::new_checked(l3) else {
            // Only fully valid packets are nacked from here; a packet whose
            // fields are malformed is nacked through `build_malformed_nack`.
            return self.build_malformed_nack(fib, l3, out);
        };
        let Ok(repr) = packet::Repr::parse(&pkt) else {
            return NackOutcome::NotAllowed;
        };
        self.emit_nack(fib, &repr, reason, out)
    }

    fn emit_nack(&self, fib: &Fib, repr: &packet::Repr<'_>, reason: NackReason, out: &mut [u8]) -> NackOutcome {
        if !nack::may_nack(repr) {
            return NackOutcome::NotAllowed;
        }
        let Some(entry) = fib.lookup(repr.src) else {
            return NackOutcome::NoRoute;
        };
        let nh = *entry.next_hop_for_flow(repr.flow_label);
        let Some(port) = self.ports.get(usize::from(nh.port)) else {
            return NackOutcome::NoRoute;
        };
        let l3_len = nack::nack_len(repr, self.router_name.as_ref());
        if out.len() < ethernet::HEADER_LEN + l3_len {
            return NackOutcome::BufferTooSmall;
        }
        let eth = ethernet::Repr { src: port.mac, dst: nh.mac, ethertype: self.ethertype };
        eth.emit(&mut Frame::new_unchecked(&mut out[..ethernet::HEADER_LEN]));
        match nack::emit_nack(
            repr,
            reason,
            self.router_name.as_ref(),
            self.nack_hop_limit,
            &mut out[ethernet::HEADER_LEN..],
        ) {
            Ok(n) => NackOutcome::Built { port: nh.port, len: ethernet::HEADER_LEN + n },
            Err(_) => NackOutcome::BufferTooSmall,
        }
    }

    /// A packet whose fixed header and names are valid but whose fields are
    /// not (unknown critical field, field overrunning the header) still has a
    /// usable source name: nack it as Malformed.
    fn build_malformed_nack(&self, fib: &Fib, l3: &[u8], out: &mut [u8]) -> NackOutcome {
        match packet::salvage(l3) {
            Some(repr) => self.emit_nack(fib, &repr, NackReason::Malformed, out),
            None => NackOutcome::NotAllowed,
        }
    }
}

/// Largest burst [`Pipeline::process_burst`] handles in one call.
pub const MAX_BURST: usize = dmsc_fib::BURST;

/// What pass 1 reads from a valid, forwardable frame.
#[derive(Clone, Copy)]
struct Parsed<'a> {
    dst: NameRef<'a>,
    meta: Meta,
}

/// The header fields the decision needs (no borrow of the frame, so the
/// frame can be rewritten while they are in use).
#[derive(Clone, Copy)]
struct Meta {
    hop_limit: u8,
    flow_label: u32,
    total_len: u16,
}

/// A decision before any byte is written.
#[derive(Clone, Copy)]
enum Decided {
    Final(Verdict),
    Rewrite { port: u16, dst: MacAddr, src: MacAddr, hop_limit: u8 },
}

#[inline(always)]
fn drop(reason: DropReason, nack: Option<NackReason>) -> Verdict {
    Verdict::Drop { reason, nack }
}

/// Which validation failures still leave a source name to nack.
fn malformed_nack(e: WireError) -> Option<NackReason> {
    match e {
        WireError::UnknownCriticalField(_) | WireError::BadField => Some(NackReason::Malformed),
        _ => None,
    }
}
