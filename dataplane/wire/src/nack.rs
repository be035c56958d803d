//! Nacks: a router's negative acknowledgement, sent back to the requester by name.
//!
//! "The same process is applied for backhaul traffic" [draft-li-dmsc-architecture §6.2]: a
//! router that cannot forward a packet sends a Nack packet *addressed to the original
//! packet's source name*, which is forwarded by longest-prefix match like any other packet.
//!
//! # Nack packet (see `docs/protocol.md`)
//! type Nack; destination = the original packet's **source** name; source = the router's own
//! name; hop limit as given ([`DEFAULT_HOP_LIMIT`]); flags = [`flags::NO_NACK`]; flow label
//! copied from the original (so the nack follows one path per flow); fields `NACK_REASON`
//! (1 byte) then `NACKED_NAME` (the original destination name, wire form); empty payload.
//!
//! # When not to nack ([`may_nack`])
//! Never nack a Nack (no nack storms), a Control packet (link-local, never forwarded), a
//! packet with `NO_NACK`, or a packet whose source is the root name (no return address).
//! A packet that fails [`crate::packet::Packet::check`] in its fixed header or names is never
//! nacked: without a validated source name there is no trustworthy return address, and
//! answering garbage would make the router a reflector. A packet whose header and names are
//! valid but whose *fields* are not (`BadField`, `UnknownCriticalField`) may be nacked
//! [`NackReason::Malformed`], from the `Repr` that [`crate::packet::salvage`] recovers.
//!
//! Routers should rate-limit nacks (the forwarder's `nack_rate_per_s`/`nack_burst`).
//!
//! Alternatives rejected: an ICMP-like error that quotes the first N bytes of the original
//! packet wastes bandwidth and leaks payload; the nacked name is enough for the requester
//! to match the nack to its pending request together with the flow label.

use core::fmt;

use crate::field::{self, NACKED_NAME, NACK_REASON};
use crate::name::NameRef;
use crate::packet::{self, flags, Packet, PacketType, Repr};
use crate::Error;

/// Default hop limit of nacks (same as [`crate::packet::DEFAULT_HOP_LIMIT`]).
pub const DEFAULT_HOP_LIMIT: u8 = packet::DEFAULT_HOP_LIMIT;

/// Why a router did not forward a packet (the NACK_REASON field's value byte).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NackReason {
    /// No FIB entry matches the destination name.
    NoRoute = 1,
    /// The hop limit was <= 1 on arrival.
    HopLimitExceeded = 2,
    /// The packet's fields are malformed (its fixed header and names are valid), or an end
    /// host could not process a well-formed packet.
    Malformed = 3,
    /// The packet does not fit the egress port's MTU (DMSC never fragments).
    TooBig = 4,
}

impl NackReason {
    /// Lower-case snake_case name, e.g. `"no_route"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            NackReason::NoRoute => "no_route",
            NackReason::HopLimitExceeded => "hop_limit_exceeded",
            NackReason::Malformed => "malformed",
            NackReason::TooBig => "too_big",
        }
    }
}

impl TryFrom<u8> for NackReason {
    type Error = Error;

    /// # Errors
    /// [`Error::BadNackReason`] for bytes outside 1..=4.
    fn try_from(b: u8) -> Result<NackReason, Error> {
        Ok(match b {
            1 => NackReason::NoRoute,
            2 => NackReason::HopLimitExceeded,
            3 => NackReason::Malformed,
            4 => NackReason::TooBig,
            other => return Err(Error::BadNackReason(other)),
        })
    }
}

impl fmt::Display for NackReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// True if a router may send a nack for `original`: not a Nack, not a Control packet, no
/// `NO_NACK` flag, and a non-root source name.
#[inline]
pub fn may_nack(original: &Repr<'_>) -> bool {
    !matches!(original.packet_type, PacketType::Nack | PacketType::Control)
        && original.flags & flags::NO_NACK == 0
        && !original.src.is_root()
}

/// Length in bytes of the nack [`emit_nack`] builds for `original` from `router_name`:
/// 16 + source name + router name + 5 (NACK_REASON) + 4 + destination name.
#[inline]
pub fn nack_len(original: &Repr<'_>, router_name: NameRef<'_>) -> usize {
    packet::FIXED_HEADER_LEN
        + original.src.wire_len()
        + router_name.wire_len()
        + field::wire_len(1)
        + field::wire_len(original.dst.wire_len())
}

/// Builds a complete nack DMSC packet (no Ethernet header) for `original` into the start of
/// `out`; returns the bytes written ([`nack_len`]). See the module docs for the layout.
///
/// # Errors
/// [`Error::NackForbidden`] if [`may_nack`] is false; [`Error::BufferTooSmall`] if `out` is
/// shorter than [`nack_len`]. On error nothing is written.
pub fn emit_nack(
    original: &Repr<'_>,
    reason: NackReason,
    router_name: NameRef<'_>,
    hop_limit: u8,
    out: &mut [u8],
) -> Result<usize, Error> {
    if !may_nack(original) {
        return Err(Error::NackForbidden);
    }
    let len = nack_len(original, router_name);
    if out.len() < len {
        return Err(Error::BufferTooSmall);
    }
    let fields_len = field::wire_len(1) + field::wire_len(original.dst.wire_len());
    let mut at = packet::emit_head(
        out,
        PacketType::Nack,
        hop_limit,
        flags::NO_NACK,
        original.flow_label,
        original.src,
        router_name,
        fields_len,
        0,
    )?;
    at += field::emit(&mut out[at..], NACK_REASON, &[reason as u8])?;
    at += field::emit(&mut out[at..], NACKED_NAME, original.dst.wire())?;
    debug_assert_eq!(at, len);
    Ok(at)
}

/// The decoded contents of a nack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NackRepr<'a> {
    /// Why the packet was not forwarded.
    pub reason: NackReason,
    /// The destination name of the packet that was nacked.
    pub nacked_name: NameRef<'a>,
}

impl<'a> NackRepr<'a> {
    /// Validates the packet fully and decodes its nack fields (see [`NackRepr::from_repr`]).
    ///
    /// # Errors
    /// Any [`Packet::check`] error, then as [`NackRepr::from_repr`].
    pub fn parse<T: AsRef<[u8]>>(packet: &'a Packet<T>) -> Result<NackRepr<'a>, Error> {
        NackRepr::from_repr(&Repr::parse(packet)?)
    }

    /// Decodes the nack fields of an already parsed packet. The first NACK_REASON and the
    /// first NACKED_NAME field are used; later duplicates are ignored.
    ///
    /// # Errors
    /// [`Error::NotNack`] (type is not Nack), [`Error::MissingField`] (NACK_REASON or
    /// NACKED_NAME absent), [`Error::BadField`] (NACK_REASON value not 1 byte),
    /// [`Error::BadNackReason`], or a [`NameRef::parse`] error for NACKED_NAME.
    pub fn from_repr(repr: &Repr<'a>) -> Result<NackRepr<'a>, Error> {
        if repr.packet_type != PacketType::Nack {
            return Err(Error::NotNack);
        }
        let reason = field::find(repr.fields, NACK_REASON).ok_or(Error::MissingField(NACK_REASON))?;
        let &[reason] = reason else {
            return Err(Error::BadField);
        };
        let reason = NackReason::try_from(reason)?;
        let name = field::find(repr.fields, NACKED_NAME).ok_or(Error::MissingField(NACKED_NAME))?;
        Ok(NackRepr { reason, nacked_name: NameRef::parse(name)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::Name;

    fn name(s: &str) -> Name {
        s.parse().unwrap()
    }

    #[test]
    fn nack_round_trip() {
        let (dst, src, router) = (name("/B/4/echo"), name("/A/1"), name("/sr/1"));
        let original = Repr {
            packet_type: PacketType::Request,
            hop_limit: 1,
            flags: 0x80,
            flow_label: 42,
            dst: dst.as_ref(),
            src: src.as_ref(),
            fields: &[],
            payload_len: 100,
        };
        assert!(may_nack(&original));
        let mut buf = [0u8; 128];
        let n = emit_nack(&original, NackReason::HopLimitExceeded, router.as_ref(), 64, &mut buf).unwrap();
        assert_eq!(n, nack_len(&original, router.as_ref()));
        let pkt = Packet::new_checked(&buf[..n]).unwrap();
        let repr = Repr::parse(&pkt).unwrap();
        assert_eq!(repr.packet_type, PacketType::Nack);
        assert_eq!(repr.dst, src.as_ref());
        assert_eq!(repr.src, router.as_ref());
        assert_eq!((repr.hop_limit, repr.flags, repr.flow_label, repr.payload_len), (64, flags::NO_NACK, 42, 0));
        let nack = NackRepr::parse(&pkt).unwrap();
        assert_eq!(nack, NackRepr { reason: NackReason::HopLimitExceeded, nacked_name: dst.as_ref() });
        assert!(!may_nack(&repr));
        assert_eq!(
            emit_nack(&repr, NackReason::NoRoute, router.as_ref(), 64, &mut [0u8; 256]),
            Err(Error::NackForbidden)
        );
        let short = nack_len(&original, router.as_ref()) - 1;
        assert_eq!(
            emit_nack(&original, NackReason::NoRoute, router.as_ref(), 64, &mut buf[..short]),
            Err(Error::BufferTooSmall)
        );
    }

    #[test]
    fn may_nack_rule() {
        let a = name("/a");
        let base = Repr {
            packet_type: PacketType::Request,
            hop_limit: 5,
            flags: 0,
            flow_label: 0,
            dst: a.as_ref(),
            src: a.as_ref(),
            fields: &[],
            payload_len: 0,
        };
        assert!(may_nack(&base));
        assert!(may_nack(&Repr { packet_type: PacketType::Response, ..base }));
        assert!(may_nack(&Repr { packet_type: PacketType::Probe, ..base }));
        assert!(!may_nack(&Repr { packet_type: PacketType::Nack, ..base }));
        assert!(!may_nack(&Repr { packet_type: PacketType::Control, ..base }));
        assert!(!may_nack(&Repr { flags: flags::NO_NACK, ..base }));
        assert!(!may_nack(&Repr { src: NameRef::ROOT, ..base }));
        assert!(may_nack(&Repr { flags: 0xfe, ..base }));
    }

    #[test]
    fn nack_repr_errors() {
        let mk = |packet_type, fields: &'static [u8]| Repr {
            packet_type,
            hop_limit: 5,
            flags: 0,
            flow_label: 0,
            dst: NameRef::ROOT,
            src: NameRef::ROOT,
            fields,
            payload_len: 0,
        };
        assert_eq!(NackRepr::from_repr(&mk(PacketType::Request, &[0, 1, 0, 1, 1, 0, 3, 0, 0])), Err(Error::NotNack));
        assert_eq!(NackRepr::from_repr(&mk(PacketType::Nack, &[0, 3, 0, 0])), Err(Error::MissingField(NACK_REASON)));
        assert_eq!(NackRepr::from_repr(&mk(PacketType::Nack, &[0, 1, 0, 1, 1])), Err(Error::MissingField(NACKED_NAME)));
        assert_eq!(NackRepr::from_repr(&mk(PacketType::Nack, &[0, 1, 0, 2, 1, 1, 0, 3, 0, 0])), Err(Error::BadField));
        assert_eq!(
            NackRepr::from_repr(&mk(PacketType::Nack, &[0, 1, 0, 1, 9, 0, 3, 0, 0])),
            Err(Error::BadNackReason(9))
        );
        assert_eq!(
            NackRepr::from_repr(&mk(PacketType::Nack, &[0, 1, 0, 1, 1, 0, 3, 0, 1, 0])),
            Err(Error::EmptyComponent)
        );
        let ok = NackRepr::from_repr(&mk(PacketType::Nack, &[0, 1, 0, 1, 4, 0, 3, 0, 0, 0, 1, 0, 1, 2])).unwrap();
        assert_eq!(ok, NackRepr { reason: NackReason::TooBig, nacked_name: NameRef::ROOT });
        for b in 0..=255u8 {
            if let Ok(r) = NackReason::try_from(b) {
                assert_eq!(r as u8, b);
            }
        }
    }
}
