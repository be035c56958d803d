//! The DMSC packet: a 16-byte fixed header, two names, TLV fields, then the payload.
//!
//! DMSC routes "no longer based on traditional IP addresses and ports, but on unique
//! microservice prefixes", and "the same process is applied for backhaul traffic"
//! [draft-li-dmsc-architecture §6.2]: every packet therefore carries the destination service
//! name (forwarded by longest-prefix match on whole components) and the requester's routable
//! source name, so a response (or a nack) is sent back by name. The byte layout is specified
//! in `docs/protocol.md`; in short (all integers big-endian):
//!
//! | off | size | field |
//! |-----|------|-------|
//! | 0 | 1 | version = 1 |
//! | 1 | 1 | packet type ([`PacketType`]) |
//! | 2 | 1 | hop limit |
//! | 3 | 1 | flags ([`flags::NO_NACK`]) |
//! | 4 | 2 | header length (16 + names + fields) |
//! | 6 | 2 | total length (header + payload) |
//! | 8 | 4 | flow label |
//! | 12 | 2 | destination name length |
//! | 14 | 2 | source name length |
//! | 16 | .. | destination name, source name, fields, payload |
//!
//! # Checking
//! [`Packet::new_checked`] (and [`Repr::parse`], which does the same checks) validate the
//! whole header in one pass over the bytes without allocating: fixed header, lengths, both
//! names, and the field TLVs including the unknown-critical-field rule. Bytes after the total
//! length (Ethernet padding) are ignored. Use either `new_checked` + accessors or
//! `new_unchecked` + [`Repr::parse`]; doing both validates twice.
//!
//! The shape follows smoltcp (`Packet<T: AsRef<[u8]>>` view with named field offsets in
//! [`field`], `Repr` with `parse`/`emit`/`buffer_len`). Alternatives rejected: a packed struct
//! cast over the buffer (needs `unsafe`, alignment care, and cannot express the variable
//! part); a parser that copies names out (allocates per packet).

use core::fmt;
use core::ops::Range;

use crate::field::{self as tlv, FieldIter};
use crate::name::{NameRef, MAX_NAME_LEN};
use crate::Error;

/// Length of the fixed part of the header, in bytes.
pub const FIXED_HEADER_LEN: usize = 16;
/// The only version this crate speaks.
pub const VERSION: u8 = 1;
/// Hop limit that end hosts and routers should put in packets they originate.
pub const DEFAULT_HOP_LIMIT: u8 = 64;
/// Largest possible header or total length (the fields are u16).
pub const MAX_LEN: usize = u16::MAX as usize;

/// Byte offsets and ranges of the fixed header fields.
pub mod field {
    use core::ops::Range;
    /// Version (u8).
    pub const VERSION: usize = 0;
    /// Packet type (u8).
    pub const TYPE: usize = 1;
    /// Hop limit (u8).
    pub const HOP_LIMIT: usize = 2;
    /// Flags (u8).
    pub const FLAGS: usize = 3;
    /// Header length (u16 BE).
    pub const HEADER_LEN: Range<usize> = 4..6;
    /// Total length (u16 BE).
    pub const TOTAL_LEN: Range<usize> = 6..8;
    /// Flow label (u32 BE).
    pub const FLOW_LABEL: Range<usize> = 8..12;
    /// Destination name length (u16 BE).
    pub const DST_NAME_LEN: Range<usize> = 12..14;
    /// Source name length (u16 BE).
    pub const SRC_NAME_LEN: Range<usize> = 14..16;
    /// Start of the destination name.
    pub const NAMES: usize = 16;
}

/// Packet type flags.
pub mod flags {
    /// Routers never send a nack for this packet.
    pub const NO_NACK: u8 = 0x01;
    /// Flags defined by v1; other bits are reserved: sent as 0, forwarded unchanged, ignored.
    pub const DEFINED: u8 = NO_NACK;
}

/// The packet type byte.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// A request from a requester to a service prefix.
    Request = 0,
    /// A response, addressed to the requester's source name.
    Response = 1,
    /// A negative acknowledgement from a router (see [`crate::nack`]).
    Nack = 2,
    /// A measurement probe (service quality detection, [draft-li-dmsc-architecture §5]);
    /// forwarded like a request.
    Probe = 3,
    /// Link-local control-plane signaling; handed to the control plane, never forwarded.
    Control = 4,
}

impl PacketType {
    /// Lower-case name, e.g. `"request"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            PacketType::Request => "request",
            PacketType::Response => "response",
            PacketType::Nack => "nack",
            PacketType::Probe => "probe",
            PacketType::Control => "control",
        }
    }
}

impl TryFrom<u8> for PacketType {
    type Error = Error;

    /// # Errors
    /// [`Error::BadPacketType`] for bytes above 4.
    #[inline]
    fn try_from(b: u8) -> Result<PacketType, Error> {
        Ok(match b {
            0 => PacketType::Request,
            1 => PacketType::Response,
            2 => PacketType::Nack,
            3 => PacketType::Probe,
            4 => PacketType::Control,
            other => return Err(Error::BadPacketType(other)),
        })
    }
}

impl From<PacketType> for u8 {
    fn from(t: PacketType) -> u8 {
        t as u8
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The hop limit rule: a router receiving a packet with hop limit `<= 1` drops it (and nacks
/// `HopLimitExceeded` when [`crate::nack::may_nack`] allows); otherwise it forwards it with
/// the hop limit decremented by one. Returns the hop limit to send with, or `None` to drop.
#[inline]
pub fn next_hop_limit(hop_limit: u8) -> Option<u8> {
    if hop_limit <= 1 {
        None
    } else {
        Some(hop_limit - 1)
    }
}

#[inline]
fn be16(b: &[u8], r: Range<usize>) -> u16 {
    u16::from_be_bytes([b[r.start], b[r.start + 1]])
}

/// Offsets found by a successful check (all within the buffer).
#[derive(Clone, Copy)]
struct Layout {
    dst_end: usize,
    names_end: usize,
    header_len: usize,
    total_len: usize,
}

/// The single-pass validation shared by [`Packet::check`] and [`Repr::parse`].
#[inline]
fn check_bytes(b: &[u8]) -> Result<Layout, Error> {
    let layout = check_head(b)?;
    tlv::check(&b[layout.names_end..layout.header_len])?;
    Ok(layout)
}

/// Everything [`check_bytes`] checks except the fields area.
#[inline]
fn check_head(b: &[u8]) -> Result<Layout, Error> {
    let layout = check_lengths(b)?;
    NameRef::parse(&b[FIXED_HEADER_LEN..layout.dst_end])?;
    NameRef::parse(&b[layout.dst_end..layout.names_end])?;
    Ok(layout)
}

/// The fixed header and the lengths: the part of [`check_head`] before the names.
#[inline]
fn check_lengths(b: &[u8]) -> Result<Layout, Error> {
    if b.len() < FIXED_HEADER_LEN {
        return Err(Error::Truncated);
    }
    if b[field::VERSION] != VERSION {
        return Err(Error::BadVersion(b[field::VERSION]));
    }
    PacketType::try_from(b[field::TYPE])?;
    let header_len = be16(b, field::HEADER_LEN) as usize;
    let total_len = be16(b, field::TOTAL_LEN) as usize;
    let dst_len = be16(b, field::DST_NAME_LEN) as usize;
    let src_len = be16(b, field::SRC_NAME_LEN) as usize;
    if total_len > b.len() {
        return Err(Error::Truncated);
    }
    let dst_end = FIXED_HEADER_LEN + dst_len;
    let names_end = dst_end + src_len;
    if header_len < names_end {
        return Err(Error::BadHeaderLength);
    }
    if total_len < header_len {
        return Err(Error::BadTotalLength);
    }
    if dst_len > MAX_NAME_LEN || src_len > MAX_NAME_LEN {
        return Err(Error::NameTooLong);
    }
    Ok(Layout { dst_end, names_end, header_len, total_len })
}

/// Recovers what a router needs to nack a packet that failed [`Packet::check`] only because
/// of its fields (an unknown critical field or a field overrunning the header, i.e.
/// [`Error::UnknownCriticalField`] or [`Error::BadField`]): `Some(repr)` when the fixed header,
/// the lengths and both names are valid. The returned `Repr` has `fields` empty if the fields
/// area is invalid (and the real fields otherwise); `payload_len` is that of the packet.
/// `None` when the header or a name is invalid: there is no trustworthy return address.
/// One pass, no allocation.
#[inline]
pub fn salvage(bytes: &[u8]) -> Option<Repr<'_>> {
    let l = check_head(bytes).ok()?;
    let fields = &bytes[l.names_end..l.header_len];
    Some(Repr {
        packet_type: PacketType::try_from(bytes[field::TYPE]).ok()?,
        hop_limit: bytes[field::HOP_LIMIT],
        flags: bytes[field::FLAGS],
        flow_label: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
        dst: NameRef::from_validated(&bytes[FIXED_HEADER_LEN..l.dst_end]),
        src: NameRef::from_validated(&bytes[l.dst_end..l.names_end]),
        fields: if tlv::check(fields).is_ok() { fields } else { &[] },
        payload_len: l.total_len - l.header_len,
    })
}

/// A zero-copy view of a DMSC packet (starting at the DMSC header, i.e. after Ethernet).
///
/// Accessors of a packet built with [`Packet::new_unchecked`] may panic on a short or
/// inconsistent buffer (name and field iterators never do); [`Packet::new_checked`] rules
/// that out, after which no accessor panics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without any check.
    #[inline]
    pub fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps a buffer after validating everything (see [`Packet::check`]).
    ///
    /// # Errors
    /// As [`Packet::check`].
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        let packet = Packet::new_unchecked(buffer);
        packet.check()?;
        Ok(packet)
    }

    /// Validates the packet in one pass, in this order: at least 16 bytes
    /// ([`Error::Truncated`]); version ([`Error::BadVersion`]); packet type
    /// ([`Error::BadPacketType`]); total length <= buffer length ([`Error::Truncated`]);
    /// header length >= 16 + both name lengths ([`Error::BadHeaderLength`]); total length >=
    /// header length ([`Error::BadTotalLength`]); each name length <= 512
    /// ([`Error::NameTooLong`]); destination then source name ([`NameRef::parse`] errors);
    /// fields ([`crate::field::check`] errors).
    ///
    /// Truncating a valid packet anywhere before its total length always gives
    /// [`Error::Truncated`].
    #[inline]
    pub fn check(&self) -> Result<(), Error> {
        check_bytes(self.buffer.as_ref()).map(|_| ())
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The whole underlying buffer (including any bytes after the total length).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Version byte.
    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VERSION]
    }

    /// Raw packet type byte.
    #[inline]
    pub fn packet_type_raw(&self) -> u8 {
        self.buffer.as_ref()[field::TYPE]
    }

    /// Packet type.
    ///
    /// # Panics
    /// If the type byte is invalid, which [`Packet::new_checked`] rules out; use
    /// [`Packet::packet_type_raw`] on unchecked packets.
    #[inline]
    pub fn packet_type(&self) -> PacketType {
        match PacketType::try_from(self.packet_type_raw()) {
            Ok(t) => t,
            Err(e) => panic!("packet_type() on an unchecked packet: {e}"),
        }
    }

    /// Hop limit.
    #[inline]
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }

    /// Flags byte (reserved bits included).
    #[inline]
    pub fn flags(&self) -> u8 {
        self.buffer.as_ref()[field::FLAGS]
    }

    /// True if [`flags::NO_NACK`] is set.
    #[inline]
    pub fn no_nack(&self) -> bool {
        self.flags() & flags::NO_NACK != 0
    }

    /// Header length in bytes (from the start of the DMSC header to the payload).
    #[inline]
    pub fn header_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::HEADER_LEN)
    }

    /// Total length in bytes (from the start of the DMSC header to the end of the payload).
    #[inline]
    pub fn total_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::TOTAL_LEN)
    }

    /// Flow label (ECMP key).
    #[inline]
    pub fn flow_label(&self) -> u32 {
        let b = &self.buffer.as_ref()[field::FLOW_LABEL];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// Destination name length in bytes (wire form).
    #[inline]
    pub fn dst_name_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::DST_NAME_LEN)
    }

    /// Source name length in bytes (wire form).
    #[inline]
    pub fn src_name_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::SRC_NAME_LEN)
    }

    /// Byte range of the destination name within the buffer.
    #[inline]
    pub fn dst_name_range(&self) -> Range<usize> {
        field::NAMES..field::NAMES + self.dst_name_len() as usize
    }

    /// Byte range of the source name within the buffer.
    #[inline]
    pub fn src_name_range(&self) -> Range<usize> {
        let start = field::NAMES + self.dst_name_len() as usize;
        start..start + self.src_name_len() as usize
    }

    /// Byte range of the fields area within the buffer.
    #[inline]
    pub fn fields_range(&self) -> Range<usize> {
        self.src_name_range().end..self.header_len() as usize
    }

    /// Byte range of the payload within the buffer.
    #[inline]
    pub fn payload_range(&self) -> Range<usize> {
        self.header_len() as usize..self.total_len() as usize
    }

    /// Destination name.
    #[inline]
    pub fn dst_name(&self) -> NameRef<'_> {
        NameRef::from_validated(&self.buffer.as_ref()[self.dst_name_range()])
    }

    /// Source name (the requester's routable name; the root if it has none).
    #[inline]
    pub fn src_name(&self) -> NameRef<'_> {
        NameRef::from_validated(&self.buffer.as_ref()[self.src_name_range()])
    }

    /// The raw fields area (TLVs).
    #[inline]
    pub fn fields_bytes(&self) -> &[u8] {
        &self.buffer.as_ref()[self.fields_range()]
    }

    /// Iterator over the fields.
    #[inline]
    pub fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(self.fields_bytes())
    }

    /// The payload (header length .. total length; Ethernet padding excluded).
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.payload_range()]
    }

    /// The packet's bytes, 0 .. total length (padding excluded).
    #[inline]
    pub fn packet_bytes(&self) -> &[u8] {
        &self.buffer.as_ref()[..self.total_len() as usize]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the version byte.
    #[inline]
    pub fn set_version(&mut self, version: u8) {
        self.buffer.as_mut()[field::VERSION] = version;
    }

    /// Sets the packet type.
    #[inline]
    pub fn set_packet_type(&mut self, packet_type: PacketType) {
        self.buffer.as_mut()[field::TYPE] = packet_type as u8;
    }

    /// Sets the hop limit (the forwarder's per-hop decrement).
    #[inline]
    pub fn set_hop_limit(&mut self, hop_limit: u8) {
        self.buffer.as_mut()[field::HOP_LIMIT] = hop_limit;
    }

    /// Sets the flags byte.
    #[inline]
    pub fn set_flags(&mut self, flags: u8) {
        self.buffer.as_mut()[field::FLAGS] = flags;
    }

    /// Sets the header length.
    #[inline]
    pub fn set_header_len(&mut self, len: u16) {
        self.buffer.as_mut()[field::HEADER_LEN].copy_from_slice(&len.to_be_bytes());
    }

    /// Sets the total length.
    #[inline]
    pub fn set_total_len(&mut self, len: u16) {
        self.buffer.as_mut()[field::TOTAL_LEN].copy_from_slice(&len.to_be_bytes());
    }

    /// Sets the flow label.
    #[inline]
    pub fn set_flow_label(&mut self, flow_label: u32) {
        self.buffer.as_mut()[field::FLOW_LABEL].copy_from_slice(&flow_label.to_be_bytes());
    }

    /// Sets the destination name length.
    #[inline]
    pub fn set_dst_name_len(&mut self, len: u16) {
        self.buffer.as_mut()[field::DST_NAME_LEN].copy_from_slice(&len.to_be_bytes());
    }

    /// Sets the source name length.
    #[inline]
    pub fn set_src_name_len(&mut self, len: u16) {
        self.buffer.as_mut()[field::SRC_NAME_LEN].copy_from_slice(&len.to_be_bytes());
    }

    /// Mutable payload (header length .. total length).
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let range = self.payload_range();
        &mut self.buffer.as_mut()[range]
    }
}

/// Writes the fixed header and both names at the start of `out`, which must hold `total_len`
/// bytes; returns the offset where the fields start. Shared by [`Repr::emit`] and the nack
/// builder.
#[allow(clippy::too_many_arguments)]
pub(crate) fn emit_head(
    out: &mut [u8],
    packet_type: PacketType,
    hop_limit: u8,
    flags: u8,
    flow_label: u32,
    dst: NameRef<'_>,
    src: NameRef<'_>,
    fields_len: usize,
    payload_len: usize,
) -> Result<usize, Error> {
    let names_end = FIXED_HEADER_LEN + dst.wire_len() + src.wire_len();
    let header_len = names_end + fields_len;
    let header_len_u16 = u16::try_from(header_len).map_err(|_| Error::BadHeaderLength)?;
    let total_len = header_len.checked_add(payload_len).ok_or(Error::BadTotalLength)?;
    let total_len_u16 = u16::try_from(total_len).map_err(|_| Error::BadTotalLength)?;
    if out.len() < total_len {
        return Err(Error::BufferTooSmall);
    }
    out[field::VERSION] = VERSION;
    out[field::TYPE] = packet_type as u8;
    out[field::HOP_LIMIT] = hop_limit;
    out[field::FLAGS] = flags;
    out[field::HEADER_LEN].copy_from_slice(&header_len_u16.to_be_bytes());
    out[field::TOTAL_LEN].copy_from_slice(&total_len_u16.to_be_bytes());
    out[field::FLOW_LABEL].copy_from_slice(&flow_label.to_be_bytes());
    // Names are at most 512 bytes, checked by NameRef's constructors.
    out[field::DST_NAME_LEN].copy_from_slice(&(dst.wire_len() as u16).to_be_bytes());
    out[field::SRC_NAME_LEN].copy_from_slice(&(src.wire_len() as u16).to_be_bytes());
    let dst_end = FIXED_HEADER_LEN + dst.wire_len();
    out[FIXED_HEADER_LEN..dst_end].copy_from_slice(dst.wire());
    out[dst_end..names_end].copy_from_slice(src.wire());
    Ok(names_end)
}

/// Accessors that borrow from the underlying bytes rather than from the view
/// (as smoltcp's `Packet<&'a T>::payload`), so a name can outlive the
/// `Packet` value, e.g. in a burst of names collected for one FIB lookup.
impl<'a> Packet<&'a [u8]> {
    /// [`Packet::dst_name`] with the lifetime of the bytes. Same contract: the
    /// packet must have passed [`Packet::new_checked`].
    #[inline]
    pub fn dst_name_of_bytes(&self) -> NameRef<'a> {
        let bytes: &'a [u8] = self.buffer;
        NameRef::from_validated(&bytes[self.dst_name_range()])
    }

    /// [`Packet::src_name`] with the lifetime of the bytes (same contract).
    #[inline]
    pub fn src_name_of_bytes(&self) -> NameRef<'a> {
        let bytes: &'a [u8] = self.buffer;
        NameRef::from_validated(&bytes[self.src_name_range()])
    }
}

/// A packet that passed every check of [`Packet::check`] except the structure
/// of its destination name, which is given as unvalidated bytes.
///
/// Why: a router that has seen a destination name before (its lookup cache,
/// `dmsc_fib::LookupCache`, holds only names that were validated) can skip the
/// destination name's component walk, a chain of dependent loads that cost
/// about a third of the forwarding pipeline at 8 components. Together with
/// [`PendingDst::finish`] this is exactly [`Packet::check`]:
/// - if [`PendingDst::check`] fails, `Packet::check` fails too (possibly with
///   a different error: the destination name is checked before the source name
///   and the fields there, so call [`Packet::new_checked`] for the exact one);
/// - if it succeeds, `Packet::check` succeeds if and only if the destination
///   name's bytes form a valid name, and otherwise fails with that name's
///   [`NameRef::parse`] error.
#[derive(Clone, Copy, Debug)]
pub struct PendingDst<'a> {
    bytes: &'a [u8],
    dst_end: usize,
}

impl<'a> PendingDst<'a> {
    /// Runs the checks of [`Packet::check`] on `bytes` (a DMSC packet, without
    /// Ethernet), in the same order, except the destination name's structure.
    ///
    /// # Errors
    /// As [`Packet::check`] without the destination name's own errors.
    #[inline]
    pub fn check(bytes: &'a [u8]) -> Result<PendingDst<'a>, Error> {
        let l = check_lengths(bytes)?;
        NameRef::parse(&bytes[l.dst_end..l.names_end])?;
        tlv::check(&bytes[l.names_end..l.header_len])?;
        Ok(PendingDst { bytes, dst_end: l.dst_end })
    }

    /// The destination name's wire bytes, not validated: `dst_name_len` bytes
    /// from offset 16, at most 512.
    #[inline]
    pub fn dst_name_wire(&self) -> &'a [u8] {
        &self.bytes[FIXED_HEADER_LEN..self.dst_end]
    }

    /// Validates the destination name: the packet as after [`Packet::new_checked`].
    ///
    /// # Errors
    /// The destination name's [`NameRef::parse`] error, which is then also
    /// [`Packet::check`]'s.
    #[inline]
    pub fn finish(self) -> Result<Packet<&'a [u8]>, Error> {
        NameRef::parse(self.dst_name_wire())?;
        Ok(Packet::new_unchecked(self.bytes))
    }

    /// Packet type (as [`Packet::packet_type`]; valid: it was checked).
    #[inline]
    pub fn packet_type(&self) -> PacketType {
        Packet::new_unchecked(self.bytes).packet_type()
    }

    /// Hop limit.
    #[inline]
    pub fn hop_limit(&self) -> u8 {
        self.bytes[field::HOP_LIMIT]
    }

    /// Flow label (ECMP key).
    #[inline]
    pub fn flow_label(&self) -> u32 {
        Packet::new_unchecked(self.bytes).flow_label()
    }

    /// Total length (header + payload), in bytes.
    #[inline]
    pub fn total_len(&self) -> u16 {
        Packet::new_unchecked(self.bytes).total_len()
    }
}

/// The decoded header of a DMSC packet (payload not included, only its length).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Repr<'a> {
    /// Packet type.
    pub packet_type: PacketType,
    /// Hop limit.
    pub hop_limit: u8,
    /// Flags byte, reserved bits included (they are forwarded unchanged).
    pub flags: u8,
    /// Flow label (ECMP key).
    pub flow_label: u32,
    /// Destination name.
    pub dst: NameRef<'a>,
    /// Source name (root = no return address).
    pub src: NameRef<'a>,
    /// Raw fields area (TLVs), possibly empty.
    pub fields: &'a [u8],
    /// Payload length in bytes.
    pub payload_len: usize,
}

impl<'a> Repr<'a> {
    /// Validates the packet (same checks as [`Packet::check`], one pass) and decodes its
    /// header.
    ///
    /// # Errors
    /// As [`Packet::check`].
    #[inline]
    pub fn parse<T: AsRef<[u8]>>(packet: &'a Packet<T>) -> Result<Repr<'a>, Error> {
        Repr::parse_bytes(packet.buffer.as_ref())
    }

    /// Like [`Repr::parse`] for a plain byte slice (the DMSC packet, padding allowed after
    /// the total length); the result borrows `bytes`.
    ///
    /// # Errors
    /// As [`Packet::check`].
    #[inline]
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<Repr<'a>, Error> {
        let l = check_bytes(bytes)?;
        Ok(Repr {
            // check_bytes validated the type byte.
            packet_type: PacketType::try_from(bytes[field::TYPE])?,
            hop_limit: bytes[field::HOP_LIMIT],
            flags: bytes[field::FLAGS],
            flow_label: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
            dst: NameRef::from_validated(&bytes[FIXED_HEADER_LEN..l.dst_end]),
            src: NameRef::from_validated(&bytes[l.dst_end..l.names_end]),
            fields: &bytes[l.names_end..l.header_len],
            payload_len: l.total_len - l.header_len,
        })
    }

    /// Header length in bytes: 16 + destination + source name wire lengths + fields length.
    #[inline]
    pub fn header_len(&self) -> usize {
        FIXED_HEADER_LEN + self.dst.wire_len() + self.src.wire_len() + self.fields.len()
    }

    /// Total packet length in bytes: header length + payload length. This is also
    /// [`Repr::buffer_len`].
    #[inline]
    pub fn total_len(&self) -> usize {
        self.header_len() + self.payload_len
    }

    /// Length of the buffer [`Repr::emit`] needs: the whole packet, payload included.
    #[inline]
    pub fn buffer_len(&self) -> usize {
        self.total_len()
    }

    /// Iterator over the fields.
    #[inline]
    pub fn fields(&self) -> FieldIter<'a> {
        FieldIter::new(self.fields)
    }

    /// True if [`flags::NO_NACK`] is set.
    #[inline]
    pub fn no_nack(&self) -> bool {
        self.flags & flags::NO_NACK != 0
    }

    /// Writes the header, both names and the fields into the packet's buffer. The payload
    /// (`header_len() .. total_len()`) is left untouched for the caller to fill, e.g. with
    /// [`Packet::payload_mut`]. Bytes after the total length are untouched.
    ///
    /// # Errors
    /// [`Error::BadField`] / [`Error::UnknownCriticalField`] if `fields` is not a valid
    /// fields area (the result would not parse); [`Error::BadHeaderLength`] /
    /// [`Error::BadTotalLength`] if a length exceeds 65535; [`Error::BufferTooSmall`] if the
    /// buffer is shorter than [`Repr::buffer_len`]. On error nothing is written.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) -> Result<(), Error> {
        self.emit_bytes(packet.buffer.as_mut())
    }

    /// Like [`Repr::emit`] into a plain byte slice.
    ///
    /// # Errors
    /// As [`Repr::emit`].
    pub fn emit_bytes(&self, out: &mut [u8]) -> Result<(), Error> {
        tlv::check(self.fields)?;
        let at = emit_head(
            out,
            self.packet_type,
            self.hop_limit,
            self.flags,
            self.flow_label,
            self.dst,
            self.src,
            self.fields.len(),
            self.payload_len,
        )?;
        out[at..at + self.fields.len()].copy_from_slice(self.fields);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::Name;

    fn sample<'a>(dst: &'a Name, src: &'a Name, fields: &'a [u8], payload_len: usize) -> Repr<'a> {
        Repr {
            packet_type: PacketType::Request,
            hop_limit: 64,
            flags: 0,
            flow_label: 0xdead_beef,
            dst: dst.as_ref(),
            src: src.as_ref(),
            fields,
            payload_len,
        }
    }

    #[test]
    fn emit_parse_round_trip_with_padding() {
        let dst: Name = "/B/4/echo".parse().unwrap();
        let src: Name = "/A/1".parse().unwrap();
        let fields = [0x00, 0x20, 0x00, 0x01, 0x7f];
        let repr = sample(&dst, &src, &fields, 3);
        let mut buf = vec![0xeeu8; repr.buffer_len() + 7];
        let mut pkt = Packet::new_unchecked(&mut buf[..]);
        repr.emit(&mut pkt).unwrap();
        pkt.payload_mut().copy_from_slice(b"hey");
        let pkt = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(Repr::parse(&pkt).unwrap(), repr);
        assert_eq!(pkt.payload(), b"hey");
        assert_eq!(pkt.packet_bytes().len(), repr.total_len());
        assert_eq!(pkt.dst_name(), dst.as_ref());
        assert_eq!(pkt.src_name(), src.as_ref());
        assert_eq!(&buf[pkt.dst_name_range()], dst.wire());
        assert_eq!(&buf[pkt.src_name_range()], src.wire());
        assert_eq!(pkt.fields().count(), 1);
        assert_eq!(pkt.packet_type(), PacketType::Request);
        assert!(!pkt.no_nack());
    }

    #[test]
    fn mutators() {
        let dst: Name = "/a".parse().unwrap();
        let repr = sample(&dst, &dst, &[], 0);
        let mut buf = vec![0u8; repr.buffer_len()];
        let mut pkt = Packet::new_unchecked(&mut buf[..]);
        repr.emit(&mut pkt).unwrap();
        pkt.set_hop_limit(3);
        pkt.set_flow_label(7);
        pkt.set_flags(flags::NO_NACK | 0x80);
        pkt.set_packet_type(PacketType::Probe);
        let pkt = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!((pkt.hop_limit(), pkt.flow_label(), pkt.flags()), (3, 7, 0x81));
        assert!(pkt.no_nack());
        assert_eq!(pkt.packet_type(), PacketType::Probe);
    }

    #[test]
    fn emit_errors() {
        let dst: Name = "/a".parse().unwrap();
        let repr = sample(&dst, &dst, &[], 10);
        let mut small = vec![0u8; repr.buffer_len() - 1];
        assert_eq!(repr.emit_bytes(&mut small), Err(Error::BufferTooSmall));
        assert!(small.iter().all(|&b| b == 0));
        let bad_fields = [0u8, 2, 0, 0];
        let mut buf = vec![0u8; 64];
        assert_eq!(sample(&dst, &dst, &bad_fields, 0).emit_bytes(&mut buf), Err(Error::UnknownCriticalField(2)));
        assert_eq!(sample(&dst, &dst, &[0, 0x20, 0], 0).emit_bytes(&mut buf), Err(Error::BadField));
        let huge = sample(&dst, &dst, &[], 70_000);
        assert_eq!(huge.emit_bytes(&mut buf), Err(Error::BadTotalLength));
        let mut big_fields = vec![0u8; 65_530];
        tlv::emit(&mut big_fields, 0x20, &[0u8; 65_526]).unwrap();
        assert_eq!(sample(&dst, &dst, &big_fields, 0).emit_bytes(&mut buf), Err(Error::BadHeaderLength));
    }

    #[test]
    fn salvage_keeps_names_of_packets_with_bad_fields() {
        let dst: Name = "/svc".parse().unwrap();
        let src: Name = "/cli".parse().unwrap();
        let good = sample(&dst, &src, &[0, 0x20, 0, 0], 2);
        let mut buf = vec![0u8; good.buffer_len()];
        good.emit_bytes(&mut buf).unwrap();
        assert_eq!(salvage(&buf), Some(good));
        let field_type_low = 16 + 4 + 4 + 1;
        buf[field_type_low] = 0x21;
        assert_eq!(Packet::new_checked(&buf[..]).unwrap_err(), Error::UnknownCriticalField(0x21));
        let salvaged = salvage(&buf).unwrap();
        assert_eq!(salvaged, Repr { fields: &[], ..good });
        assert_eq!(salvaged.payload_len, 2);
        buf[16] = 0; // empty destination component: no salvage
        assert_eq!(salvage(&buf), None);
        assert_eq!(salvage(&buf[..10]), None);
    }

    #[test]
    fn hop_limit_rule() {
        assert_eq!(next_hop_limit(0), None);
        assert_eq!(next_hop_limit(1), None);
        assert_eq!(next_hop_limit(2), Some(1));
        assert_eq!(next_hop_limit(255), Some(254));
    }

    #[test]
    fn packet_type_bytes() {
        for b in 0..=255u8 {
            match PacketType::try_from(b) {
                Ok(t) => assert_eq!(u8::from(t), b),
                Err(e) => assert_eq!((b, e), (b, Error::BadPacketType(b))),
            }
        }
        assert_eq!(PacketType::Control.to_string(), "control");
    }
}
