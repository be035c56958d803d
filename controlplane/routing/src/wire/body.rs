//! Parse and emit of the PDU bodies (the `Repr` half of the codec): the
//! types of [`crate::types`] are the representations, and this module holds
//! one `parse_*`/`emit_*` pair per structure. Layouts: docs/routing.md §4–§6.
//!
//! Parsing goes through [`Reader`], a cursor whose every read is bounds
//! checked and fails with [`Error::BadLength`]: the PDU length already
//! matched the buffer, so a body that needs more bytes than it has is
//! inconsistent, not truncated. Every structure must consume its bytes
//! exactly (no trailing bytes). Counts are checked against the remaining
//! bytes before anything is allocated.

use dmsc_wire::name::Name;

use super::Error;
use crate::types::{
    AdjState, Csnp, Hello, Link, Lsa, LsaBody, LsaHeader, LsaId, LsaKind, LsaSummary, Lsu, NodeLsa, PrefixEntry, Psnp,
    Role, RouterId,
};

/// Encoded size of an [`LsaId`]: kind(1) reserved(1) fragment(2) origin(8).
pub const LSA_ID_BYTES: usize = 12;
/// Encoded size of an [`LsaSummary`]: id(12) seq(8) remaining lifetime(2) checksum(2).
pub const SUMMARY_BYTES: usize = LSA_ID_BYTES + 12;
/// Encoded size of an LSA header inside an LSU: a summary then the body length(2).
pub const LSA_HEADER_BYTES: usize = SUMMARY_BYTES + 2;
/// Fixed part of a hello body: role(1) state(1) hold time(2) neighbour(8) hostname length(1).
pub const HELLO_FIXED_BYTES: usize = 13;
/// One link in a node LSA: neighbour(8) metric(4).
pub const LINK_BYTES: usize = 12;
/// Fixed part of one prefix entry: metric(4) name length(2).
pub const PREFIX_FIXED_BYTES: usize = 6;
/// Largest link metric (24 bits, as IS-IS wide metrics [RFC 5305 §3.7]).
pub const MAX_LINK_METRIC: u32 = 0x00FF_FFFF;
/// Largest hostname, bytes (its length is one byte on the wire).
pub const MAX_HOSTNAME_BYTES: usize = 255;

/// Offset of the remaining-lifetime field in a summary / LSA header.
const LIFETIME_OFF: usize = LSA_ID_BYTES + 8;

/// A bounds-checked big-endian reader over a body.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes, or [`Error::BadLength`].
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).ok_or(Error::BadLength)?;
        let s = self.bytes.get(self.pos..end).ok_or(Error::BadLength)?;
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.array::<1>()?[0])
    }

    /// A big-endian u16.
    pub fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// A big-endian u32.
    pub fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A big-endian u64.
    pub fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// [`Error::BadLength`] unless every byte was read.
    pub fn finish(&self) -> Result<(), Error> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(Error::BadLength)
        }
    }

    /// Reads a count and checks that `count * min_item_bytes` bytes remain.
    fn count(&mut self, min_item_bytes: usize) -> Result<usize, Error> {
        let n = usize::from(self.u16()?);
        if n.saturating_mul(min_item_bytes) > self.remaining() {
            return Err(Error::BadLength);
        }
        Ok(n)
    }
}

fn role_from(b: u8) -> Result<Role, Error> {
    match b {
        1 => Ok(Role::Sg),
        2 => Ok(Role::Sr),
        _ => Err(Error::Invalid("role not 1 (SG) or 2 (SR)")),
    }
}

fn role_to(r: Role) -> u8 {
    match r {
        Role::Sg => 1,
        Role::Sr => 2,
    }
}

fn state_from(b: u8) -> Result<AdjState, Error> {
    match b {
        0 => Ok(AdjState::Down),
        1 => Ok(AdjState::Init),
        2 => Ok(AdjState::Up),
        _ => Err(Error::Invalid("adjacency state not 0..=2")),
    }
}

fn state_to(s: AdjState) -> u8 {
    match s {
        AdjState::Down => 0,
        AdjState::Init => 1,
        AdjState::Up => 2,
    }
}

fn kind_from(b: u8) -> Result<LsaKind, Error> {
    match b {
        1 => Ok(LsaKind::Node),
        2 => Ok(LsaKind::Prefix),
        _ => Err(Error::Invalid("lsa kind not 1 (node) or 2 (prefix)")),
    }
}

fn kind_to(k: LsaKind) -> u8 {
    match k {
        LsaKind::Node => 1,
        LsaKind::Prefix => 2,
    }
}

fn parse_hostname(r: &mut Reader<'_>) -> Result<String, Error> {
    let len = usize::from(r.u8()?);
    let bytes = r.take(len)?;
    core::str::from_utf8(bytes).map(str::to_owned).map_err(|_| Error::BadHostname)
}

fn emit_hostname(out: &mut Vec<u8>, hostname: &str) -> Result<(), Error> {
    let len = u8::try_from(hostname.len()).map_err(|_| Error::BadHostname)?;
    out.push(len);
    out.extend_from_slice(hostname.as_bytes());
    Ok(())
}

fn count_to_u16(n: usize) -> Result<u16, Error> {
    u16::try_from(n).map_err(|_| Error::TooLong)
}

/// Parses a hello body (the whole body slice).
pub fn parse_hello(body: &[u8]) -> Result<Hello, Error> {
    let mut r = Reader::new(body);
    let role = role_from(r.u8()?)?;
    let state = state_from(r.u8()?)?;
    let hold_time_s = r.u16()?;
    let neighbor = match r.u64()? {
        0 => None,
        id => Some(RouterId(id)),
    };
    let hostname = parse_hostname(&mut r)?;
    r.finish()?;
    Ok(Hello { hostname, role, hold_time_s, state, neighbor })
}

/// Appends a hello body.
pub fn emit_hello(out: &mut Vec<u8>, h: &Hello) -> Result<(), Error> {
    out.push(role_to(h.role));
    out.push(state_to(h.state));
    out.extend_from_slice(&h.hold_time_s.to_be_bytes());
    let neighbor = match h.neighbor {
        None => 0,
        Some(RouterId(0)) => return Err(Error::Invalid("hello neighbor router id 0")),
        Some(RouterId(id)) => id,
    };
    out.extend_from_slice(&neighbor.to_be_bytes());
    emit_hostname(out, &h.hostname)
}

/// Parses an LSA id; `origin_may_be_zero` only for CSNP range bounds.
pub fn parse_lsa_id(r: &mut Reader<'_>, origin_may_be_zero: bool) -> Result<LsaId, Error> {
    let kind = kind_from(r.u8()?)?;
    if r.u8()? != 0 {
        return Err(Error::Invalid("lsa id reserved byte not zero"));
    }
    let fragment = r.u16()?;
    let origin = r.u64()?;
    if origin == 0 && !origin_may_be_zero {
        return Err(Error::Invalid("lsa origin router id 0"));
    }
    Ok(LsaId { kind, origin: RouterId(origin), fragment })
}

/// Appends an LSA id.
pub fn emit_lsa_id(out: &mut Vec<u8>, id: &LsaId, origin_may_be_zero: bool) -> Result<(), Error> {
    if id.origin.0 == 0 && !origin_may_be_zero {
        return Err(Error::Invalid("lsa origin router id 0"));
    }
    out.push(kind_to(id.kind));
    out.push(0);
    out.extend_from_slice(&id.fragment.to_be_bytes());
    out.extend_from_slice(&id.origin.0.to_be_bytes());
    Ok(())
}

/// Parses one 24-byte summary (also the first 24 bytes of an LSA header).
pub fn parse_summary(r: &mut Reader<'_>) -> Result<LsaSummary, Error> {
    let id = parse_lsa_id(r, false)?;
    let seq = r.u64()?;
    let remaining_lifetime_s = r.u16()?;
    let checksum = r.u16()?;
    Ok(LsaHeader { id, seq, remaining_lifetime_s, checksum })
}

/// Appends one 24-byte summary.
pub fn emit_summary(out: &mut Vec<u8>, s: &LsaSummary) -> Result<(), Error> {
    emit_lsa_id(out, &s.id, false)?;
    out.extend_from_slice(&s.seq.to_be_bytes());
    out.extend_from_slice(&s.remaining_lifetime_s.to_be_bytes());
    out.extend_from_slice(&s.checksum.to_be_bytes());
    Ok(())
}

fn parse_summaries(r: &mut Reader<'_>) -> Result<Vec<LsaSummary>, Error> {
    let n = r.count(SUMMARY_BYTES)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(parse_summary(r)?);
    }
    Ok(v)
}

fn emit_summaries(out: &mut Vec<u8>, entries: &[LsaSummary]) -> Result<(), Error> {
    out.extend_from_slice(&count_to_u16(entries.len())?.to_be_bytes());
    entries.iter().try_for_each(|s| emit_summary(out, s))
}

/// Checks the CSNP range rules shared by parse and emit.
fn check_csnp(c: &Csnp) -> Result<(), Error> {
    if c.start > c.end {
        return Err(Error::Invalid("csnp range start after end"));
    }
    if c.entries.iter().any(|e| e.id < c.start || e.id > c.end) {
        return Err(Error::Invalid("csnp entry outside its range"));
    }
    Ok(())
}

/// Parses a CSNP body.
pub fn parse_csnp(body: &[u8]) -> Result<Csnp, Error> {
    let mut r = Reader::new(body);
    let start = parse_lsa_id(&mut r, true)?;
    let end = parse_lsa_id(&mut r, true)?;
    let entries = parse_summaries(&mut r)?;
    r.finish()?;
    let c = Csnp { start, end, entries };
    check_csnp(&c)?;
    Ok(c)
}

/// Appends a CSNP body.
pub fn emit_csnp(out: &mut Vec<u8>, c: &Csnp) -> Result<(), Error> {
    check_csnp(c)?;
    emit_lsa_id(out, &c.start, true)?;
    emit_lsa_id(out, &c.end, true)?;
    emit_summaries(out, &c.entries)
}

/// Parses a PSNP body.
pub fn parse_psnp(body: &[u8]) -> Result<Psnp, Error> {
    let mut r = Reader::new(body);
    let entries = parse_summaries(&mut r)?;
    r.finish()?;
    Ok(Psnp { entries })
}

/// Appends a PSNP body.
pub fn emit_psnp(out: &mut Vec<u8>, p: &Psnp) -> Result<(), Error> {
    emit_summaries(out, &p.entries)
}

/// Parses an LSU body. Each non-purge LSA's checksum is verified
/// ([`Error::BadLsaChecksum`]).
pub fn parse_lsu(body: &[u8]) -> Result<Lsu, Error> {
    let mut r = Reader::new(body);
    let n = r.count(LSA_HEADER_BYTES)?;
    let mut lsas = Vec::with_capacity(n);
    for _ in 0..n {
        lsas.push(parse_lsa(&mut r)?);
    }
    r.finish()?;
    Ok(Lsu { lsas })
}

/// Appends an LSU body.
pub fn emit_lsu(out: &mut Vec<u8>, l: &Lsu) -> Result<(), Error> {
    out.extend_from_slice(&count_to_u16(l.lsas.len())?.to_be_bytes());
    l.lsas.iter().try_for_each(|lsa| emit_lsa(out, lsa))
}

/// The LSA checksum over one encoded LSA (`bytes` = header + body): Fletcher-16
/// (sums modulo 255) over every byte except the remaining lifetime and the
/// checksum (offsets 20..24). Result: `(sum2 << 8) | sum1`.
pub fn checksum_of_encoded(bytes: &[u8]) -> u16 {
    let head = bytes.get(..LIFETIME_OFF).unwrap_or(bytes);
    let tail = bytes.get(SUMMARY_BYTES..).unwrap_or(&[]);
    let (mut s1, mut s2) = (0u32, 0u32);
    for &b in head.iter().chain(tail) {
        s1 = (s1 + u32::from(b)) % 255;
        s2 = (s2 + s1) % 255;
    }
    ((s2 << 8) | s1) as u16
}

fn check_lsa_shape(h: &LsaHeader, body: &LsaBody) -> Result<(), Error> {
    if h.seq == 0 {
        return Err(Error::Invalid("lsa sequence number 0"));
    }
    match (h.remaining_lifetime_s, body) {
        (0, LsaBody::Purged) => Ok(()),
        (0, _) => Err(Error::Invalid("lsa with lifetime 0 has a body")),
        (_, LsaBody::Purged) => Err(Error::Invalid("lsa with lifetime > 0 has no body")),
        (_, LsaBody::Node(_)) if h.id.kind != LsaKind::Node => {
            Err(Error::Invalid("lsa body kind differs from header kind"))
        }
        (_, LsaBody::Prefix(_)) if h.id.kind != LsaKind::Prefix => {
            Err(Error::Invalid("lsa body kind differs from header kind"))
        }
        _ => Ok(()),
    }
}

/// Parses one LSA (header + body) from an LSU.
pub fn parse_lsa(r: &mut Reader<'_>) -> Result<Lsa, Error> {
    // Keep the exact encoded bytes: the checksum runs over them.
    let start = r.pos;
    let header = parse_summary(r)?;
    let body_len = usize::from(r.u16()?);
    let body_bytes = r.take(body_len)?;
    let encoded = r.bytes.get(start..r.pos).ok_or(Error::BadLength)?;
    let body = if body_len == 0 && header.remaining_lifetime_s == 0 {
        LsaBody::Purged
    } else if body_len == 0 {
        return Err(Error::Invalid("lsa with lifetime > 0 has no body"));
    } else if header.remaining_lifetime_s == 0 {
        return Err(Error::Invalid("lsa with lifetime 0 has a body"));
    } else {
        match header.id.kind {
            LsaKind::Node => LsaBody::Node(parse_node(body_bytes)?),
            LsaKind::Prefix => LsaBody::Prefix(parse_prefixes(body_bytes)?),
        }
    };
    check_lsa_shape(&header, &body)?;
    if body != LsaBody::Purged && checksum_of_encoded(encoded) != header.checksum {
        return Err(Error::BadLsaChecksum);
    }
    Ok(Lsa { header, body })
}

/// Appends one LSA; `header.checksum` is written as given (not recomputed).
pub fn emit_lsa(out: &mut Vec<u8>, lsa: &Lsa) -> Result<(), Error> {
    check_lsa_shape(&lsa.header, &lsa.body)?;
    emit_summary(out, &lsa.header)?;
    let len_at = out.len();
    out.extend_from_slice(&[0, 0]);
    match &lsa.body {
        LsaBody::Node(n) => emit_node(out, n)?,
        LsaBody::Prefix(p) => emit_prefixes(out, p)?,
        LsaBody::Purged => {}
    }
    let body_len = u16::try_from(out.len() - len_at - 2).map_err(|_| Error::TooLong)?;
    out[len_at..len_at + 2].copy_from_slice(&body_len.to_be_bytes());
    Ok(())
}

/// Encodes one LSA on its own without the value checks of [`emit_lsa`] (origin 0,
/// seq 0, lifetime/body mismatch, metrics are written as they are), so that
/// [`super::lsa_checksum`] and [`super::lsa_encoded_len`] are total functions.
/// Identical to [`emit_lsa`]'s output whenever that succeeds.
pub fn lsa_bytes_lenient(lsa: &Lsa) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    // Header fields never fail except origin 0; write them raw here.
    out.push(kind_to(lsa.header.id.kind));
    out.push(0);
    out.extend_from_slice(&lsa.header.id.fragment.to_be_bytes());
    out.extend_from_slice(&lsa.header.id.origin.0.to_be_bytes());
    out.extend_from_slice(&lsa.header.seq.to_be_bytes());
    out.extend_from_slice(&lsa.header.remaining_lifetime_s.to_be_bytes());
    out.extend_from_slice(&lsa.header.checksum.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    let _ = match &lsa.body {
        LsaBody::Node(n) => emit_node_lenient(&mut out, n),
        LsaBody::Prefix(p) => emit_prefixes(&mut out, p),
        LsaBody::Purged => Ok(()),
    };
    let body_len = (out.len() - LSA_HEADER_BYTES).min(usize::from(u16::MAX)) as u16;
    out[SUMMARY_BYTES..LSA_HEADER_BYTES].copy_from_slice(&body_len.to_be_bytes());
    out
}

fn check_link_metric(m: u32) -> Result<(), Error> {
    if m == 0 || m > MAX_LINK_METRIC {
        Err(Error::BadMetric)
    } else {
        Ok(())
    }
}

fn parse_node(body: &[u8]) -> Result<NodeLsa, Error> {
    let mut r = Reader::new(body);
    let role = role_from(r.u8()?)?;
    let hostname = parse_hostname(&mut r)?;
    let n = r.count(LINK_BYTES)?;
    let mut links = Vec::with_capacity(n);
    for _ in 0..n {
        let neighbor = r.u64()?;
        if neighbor == 0 {
            return Err(Error::Invalid("link neighbor router id 0"));
        }
        let metric = r.u32()?;
        check_link_metric(metric)?;
        links.push(Link { neighbor: RouterId(neighbor), metric });
    }
    r.finish()?;
    Ok(NodeLsa { hostname, role, links })
}

fn emit_node(out: &mut Vec<u8>, n: &NodeLsa) -> Result<(), Error> {
    for l in &n.links {
        if l.neighbor.0 == 0 {
            return Err(Error::Invalid("link neighbor router id 0"));
        }
        check_link_metric(l.metric)?;
    }
    emit_node_lenient(out, n)
}

/// Node body without the value checks (for the checksum of a bad LSA); only a
/// hostname over 255 bytes fails, and then nothing past the role is written
/// so the length stays meaningful.
fn emit_node_lenient(out: &mut Vec<u8>, n: &NodeLsa) -> Result<(), Error> {
    out.push(role_to(n.role));
    emit_hostname(out, &n.hostname)?;
    out.extend_from_slice(&count_to_u16(n.links.len())?.to_be_bytes());
    for l in &n.links {
        out.extend_from_slice(&l.neighbor.0.to_be_bytes());
        out.extend_from_slice(&l.metric.to_be_bytes());
    }
    Ok(())
}

fn parse_prefixes(body: &[u8]) -> Result<Vec<PrefixEntry>, Error> {
    let mut r = Reader::new(body);
    let n = r.count(PREFIX_FIXED_BYTES)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let metric = r.u32()?;
        let len = usize::from(r.u16()?);
        let prefix = Name::from_wire(r.take(len)?).map_err(|_| Error::BadName)?;
        v.push(PrefixEntry { prefix, metric });
    }
    r.finish()?;
    Ok(v)
}

fn emit_prefixes(out: &mut Vec<u8>, entries: &[PrefixEntry]) -> Result<(), Error> {
    out.extend_from_slice(&count_to_u16(entries.len())?.to_be_bytes());
    for e in entries {
        out.extend_from_slice(&e.metric.to_be_bytes());
        let wire = e.prefix.wire();
        out.extend_from_slice(&count_to_u16(wire.len())?.to_be_bytes());
        out.extend_from_slice(wire);
    }
    Ok(())
}
