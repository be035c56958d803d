//! TLV fields: the extensible part of the DMSC header, after the two names.
//!
//! Each field is `type` (u16, big-endian), `length` (u16, big-endian, value bytes only), then
//! `length` value bytes. Fields fill the header exactly up to the header length; there is no
//! padding and no field count.
//!
//! # Criticality
//! Following the NDN packet format v0.3 evolvability rule [NDN Packet Format v0.3,
//! "Considerations for Evolvability of TLV-Based Encoding"], a type is *critical* when it is
//! below 32 or odd. A packet carrying an unknown critical field is malformed and dropped; an
//! unknown non-critical field is skipped (and forwarded unchanged). This lets a later version
//! add optional fields that old routers carry transparently, and mandatory ones that old
//! routers refuse instead of misinterpreting.
//!
//! # Known types (v1)
//! - [`NACK_REASON`] `0x0001`: 1 byte, a [`crate::nack::NackReason`].
//! - [`NACKED_NAME`] `0x0003`: the wire form of the nacked packet's destination name.
//!
//! Both are *accepted* in every packet type (so the structural check does not depend on the
//! packet type) but only *interpreted* in Nack packets, by [`crate::nack::NackRepr`], which
//! also validates their values.
//!
//! Alternatives rejected: NDN's variable-length type/length numbers (1, 3, 5 or 9 bytes) save
//! a byte or two but add a branch per number; fixed 2+2 bytes keep the header parse a straight
//! line, and header length is bounded by 65535 anyway.

use crate::Error;

/// NACK_REASON: 1-byte nack reason (see [`crate::nack::NackReason`]).
pub const NACK_REASON: u16 = 0x0001;
/// NACKED_NAME: destination name (wire form) of the packet being nacked.
pub const NACKED_NAME: u16 = 0x0003;
/// Length of a field's type + length head, in bytes.
pub const HEAD_LEN: usize = 4;

/// NDN's criticality rule: a type below 32, or odd, is critical.
#[inline]
pub fn is_critical(typ: u16) -> bool {
    typ < 32 || typ & 1 == 1
}

/// True for the field types this implementation knows ([`NACK_REASON`], [`NACKED_NAME`]).
#[inline]
pub fn is_known(typ: u16) -> bool {
    matches!(typ, NACK_REASON | NACKED_NAME)
}

/// Wire length in bytes of a field whose value has `value_len` bytes.
#[inline]
pub const fn wire_len(value_len: usize) -> usize {
    HEAD_LEN + value_len
}

/// One decoded field: its type and value bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Field<'a> {
    /// Field type.
    pub typ: u16,
    /// Value bytes (without the type and length head).
    pub value: &'a [u8],
}

impl Field<'_> {
    /// Wire length in bytes (head + value).
    #[inline]
    pub fn wire_len(&self) -> usize {
        wire_len(self.value.len())
    }

    /// Writes this field at the start of `out`; returns the bytes written.
    ///
    /// # Errors
    /// [`Error::BadField`] if the value is longer than 65535 bytes, [`Error::BufferTooSmall`]
    /// if `out` is shorter than [`Field::wire_len`].
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, Error> {
        emit(out, self.typ, self.value)
    }
}

/// Writes one field (`typ`, `value`) at the start of `out`; returns the bytes written.
///
/// # Errors
/// [`Error::BadField`] if `value` is longer than 65535 bytes, [`Error::BufferTooSmall`] if
/// `out` is shorter than `4 + value.len()`.
pub fn emit(out: &mut [u8], typ: u16, value: &[u8]) -> Result<usize, Error> {
    let len = u16::try_from(value.len()).map_err(|_| Error::BadField)?;
    let total = wire_len(value.len());
    let out = out.get_mut(..total).ok_or(Error::BufferTooSmall)?;
    out[0..2].copy_from_slice(&typ.to_be_bytes());
    out[2..4].copy_from_slice(&len.to_be_bytes());
    out[HEAD_LEN..].copy_from_slice(value);
    Ok(total)
}

/// Validates a fields area in one pass: every field's head and value lie within `fields`, and
/// no field is both unknown and critical.
///
/// # Errors
/// [`Error::BadField`] (a head or value runs past the end), [`Error::UnknownCriticalField`]
/// (the first such type, in order).
#[inline]
pub fn check(fields: &[u8]) -> Result<(), Error> {
    let mut rest = fields;
    while !rest.is_empty() {
        if rest.len() < HEAD_LEN {
            return Err(Error::BadField);
        }
        let typ = u16::from_be_bytes([rest[0], rest[1]]);
        let len = u16::from_be_bytes([rest[2], rest[3]]) as usize;
        let end = HEAD_LEN + len;
        if end > rest.len() {
            return Err(Error::BadField);
        }
        if is_critical(typ) && !is_known(typ) {
            return Err(Error::UnknownCriticalField(typ));
        }
        rest = &rest[end..];
    }
    Ok(())
}

/// Value of the first field of type `typ`, if any. Stops at the first malformed field.
#[inline]
pub fn find(fields: &[u8], typ: u16) -> Option<&[u8]> {
    FieldIter::new(fields).find(|f| f.typ == typ).map(|f| f.value)
}

/// Iterator over the fields of a fields area, in wire order. On a malformed area (only
/// possible for bytes that did not pass [`check`]) it stops at the first bad field instead of
/// panicking.
#[derive(Clone, Debug)]
pub struct FieldIter<'a> {
    rest: &'a [u8],
}

impl<'a> FieldIter<'a> {
    /// Iterates over `fields` (raw TLV bytes).
    #[inline]
    pub fn new(fields: &'a [u8]) -> FieldIter<'a> {
        FieldIter { rest: fields }
    }

    /// The bytes not yet iterated over.
    #[inline]
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for FieldIter<'a> {
    type Item = Field<'a>;

    #[inline]
    fn next(&mut self) -> Option<Field<'a>> {
        let rest = self.rest;
        if rest.len() < HEAD_LEN {
            self.rest = &[];
            return None;
        }
        let typ = u16::from_be_bytes([rest[0], rest[1]]);
        let len = u16::from_be_bytes([rest[2], rest[3]]) as usize;
        let Some(value) = rest.get(HEAD_LEN..HEAD_LEN + len) else {
            self.rest = &[];
            return None;
        };
        self.rest = &rest[HEAD_LEN + len..];
        Some(Field { typ, value })
    }
}

impl core::iter::FusedIterator for FieldIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criticality_follows_ndn() {
        for t in 0..32 {
            assert!(is_critical(t));
        }
        assert!(!is_critical(32));
        assert!(is_critical(33));
        assert!(!is_critical(0x1000));
        assert!(is_critical(0xffff));
    }

    #[test]
    fn emit_iterate_find() {
        let mut buf = [0u8; 32];
        let mut at = emit(&mut buf, NACK_REASON, &[2]).unwrap();
        at += Field { typ: 0x0020, value: b"xy" }.emit(&mut buf[at..]).unwrap();
        at += emit(&mut buf[at..], NACKED_NAME, &[1, b'a']).unwrap();
        let area = &buf[..at];
        assert_eq!(area, &[0, 1, 0, 1, 2, 0, 0x20, 0, 2, b'x', b'y', 0, 3, 0, 2, 1, b'a']);
        assert_eq!(check(area), Ok(()));
        let fields: Vec<_> = FieldIter::new(area).collect();
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[1], Field { typ: 0x20, value: b"xy" });
        assert_eq!(find(area, NACKED_NAME), Some(&[1, b'a'][..]));
        assert_eq!(find(area, 0x22), None);
    }

    #[test]
    fn check_errors() {
        assert_eq!(check(&[0, 1, 0]), Err(Error::BadField));
        assert_eq!(check(&[0, 1, 0, 2, 9]), Err(Error::BadField));
        assert_eq!(check(&[0, 2, 0, 0]), Err(Error::UnknownCriticalField(2)));
        assert_eq!(check(&[0, 0x21, 0, 0]), Err(Error::UnknownCriticalField(0x21)));
        assert_eq!(check(&[0, 0x22, 0, 1, 7]), Ok(()));
        assert_eq!(check(&[]), Ok(()));
        let mut it = FieldIter::new(&[0, 0x22, 0, 0, 0, 1, 0, 9]);
        assert_eq!(it.next(), Some(Field { typ: 0x22, value: &[] }));
        assert_eq!(it.next(), None);
        assert!(it.remaining().is_empty());
    }

    #[test]
    fn emit_errors() {
        assert_eq!(emit(&mut [0u8; 4], 0x20, &[1]), Err(Error::BufferTooSmall));
        let big = vec![0u8; 65536];
        assert_eq!(emit(&mut vec![0u8; 70000], 0x20, &big), Err(Error::BadField));
    }
}
