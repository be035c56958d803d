//! Zero-copy views of the fixed parts of a routing PDU: the 16-byte PDU header
//! ([`Packet`]) and the 44-byte authentication trailer ([`Trailer`]), smoltcp
//! style: named field ranges in [`field`] and [`trailer_field`],
//! `new_unchecked`/`new_checked`, accessors reading big-endian integers with
//! `from_be_bytes`. Bytes are never cast to structs.
//!
//! The layouts are specified in docs/routing.md §3 and §7.

use core::ops::Range;

use super::{Error, AUTH_TRAILER_BYTES, PDU_HEADER_BYTES};

/// Byte offsets of the PDU header fields.
pub mod field {
    use core::ops::Range;
    /// Version (u8), [`super::super::VERSION`].
    pub const VERSION: usize = 0;
    /// Signaling type (u8), [`super::super::SIGNALING_TYPE`].
    pub const SIGNALING_TYPE: usize = 1;
    /// PDU type (u8), [`super::PduType`].
    pub const PDU_TYPE: usize = 2;
    /// Flags (u8), [`super::flags`].
    pub const FLAGS: usize = 3;
    /// PDU length (u16 BE): header + body + trailer, bytes.
    pub const LENGTH: Range<usize> = 4..6;
    /// Reserved (u16), 0.
    pub const RESERVED: Range<usize> = 6..8;
    /// Sender router id (u64 BE), never 0.
    pub const SENDER: Range<usize> = 8..16;
    /// Start of the body.
    pub const BODY: usize = 16;
}

/// Byte offsets of the authentication trailer fields, from the trailer's start.
pub mod trailer_field {
    use core::ops::Range;
    /// Key id (u16 BE).
    pub const KEY_ID: Range<usize> = 0..2;
    /// Reserved (u16), 0.
    pub const RESERVED: Range<usize> = 2..4;
    /// Cryptographic sequence number (u64 BE) [RFC 7474 §4].
    pub const CRYPTO_SEQ: Range<usize> = 4..12;
    /// HMAC-SHA256 over the PDU from offset 0 through the crypto seq.
    pub const MAC: Range<usize> = 12..44;
}

/// Header flag bits.
pub mod flags {
    /// An authentication trailer ends the PDU.
    pub const AUTH: u8 = 0x01;
    /// Bits defined by version 1; any other bit set is rejected ([`super::Error::BadFlags`]).
    pub const DEFINED: u8 = AUTH;
}

/// The PDU type byte.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PduType {
    /// [`crate::types::Hello`].
    Hello = 1,
    /// [`crate::types::Lsu`].
    Lsu = 2,
    /// [`crate::types::Csnp`].
    Csnp = 3,
    /// [`crate::types::Psnp`].
    Psnp = 4,
}

impl TryFrom<u8> for PduType {
    type Error = Error;

    /// # Errors
    /// [`Error::BadPduType`] for values other than 1..=4.
    fn try_from(b: u8) -> Result<PduType, Error> {
        Ok(match b {
            1 => PduType::Hello,
            2 => PduType::Lsu,
            3 => PduType::Csnp,
            4 => PduType::Psnp,
            other => return Err(Error::BadPduType(other)),
        })
    }
}

fn be16(b: &[u8], r: Range<usize>) -> u16 {
    let mut a = [0u8; 2];
    a.copy_from_slice(&b[r]);
    u16::from_be_bytes(a)
}

fn be64(b: &[u8], r: Range<usize>) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[r]);
    u64::from_be_bytes(a)
}

/// A view of a routing PDU (the payload of a DMSC Control packet).
///
/// Accessors of a view built with [`Packet::new_unchecked`] panic on a buffer
/// shorter than 16 bytes (and [`Packet::body`]/[`Packet::trailer`] on one
/// shorter than the PDU length); [`Packet::new_checked`] rules that out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without any check.
    pub fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps a buffer after [`Packet::check`].
    ///
    /// # Errors
    /// As [`Packet::check`].
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        let p = Packet::new_unchecked(buffer);
        p.check()?;
        Ok(p)
    }

    /// Checks the header, in this order: at least 16 bytes ([`Error::Truncated`]);
    /// version ([`Error::BadVersion`]); signaling type ([`Error::BadSignalingType`]);
    /// PDU type ([`Error::BadPduType`]); flags ([`Error::BadFlags`]); PDU length
    /// below 16, or below 16 + 44 with the auth flag ([`Error::BadLength`]); PDU
    /// length above [`super::MAX_PDU_BYTES`] ([`Error::TooLong`]); PDU length above
    /// the buffer length ([`Error::Truncated`]); PDU length below it
    /// ([`Error::BadLength`]: no trailing bytes); reserved not 0
    /// ([`Error::Invalid`]); sender 0 ([`Error::Invalid`]). The body and trailer
    /// contents are not checked here.
    ///
    /// Any truncation of a PDU whose header is valid yields [`Error::Truncated`].
    pub fn check(&self) -> Result<(), Error> {
        let b = self.buffer.as_ref();
        if b.len() < PDU_HEADER_BYTES {
            return Err(Error::Truncated);
        }
        if b[field::VERSION] != super::VERSION {
            return Err(Error::BadVersion(b[field::VERSION]));
        }
        if b[field::SIGNALING_TYPE] != super::SIGNALING_TYPE {
            return Err(Error::BadSignalingType(b[field::SIGNALING_TYPE]));
        }
        PduType::try_from(b[field::PDU_TYPE])?;
        let fl = b[field::FLAGS];
        if fl & !flags::DEFINED != 0 {
            return Err(Error::BadFlags(fl));
        }
        let len = usize::from(be16(b, field::LENGTH));
        let min = if fl & flags::AUTH != 0 { PDU_HEADER_BYTES + AUTH_TRAILER_BYTES } else { PDU_HEADER_BYTES };
        if len < min {
            return Err(Error::BadLength);
        }
        if len > super::MAX_PDU_BYTES {
            return Err(Error::TooLong);
        }
        if len > b.len() {
            return Err(Error::Truncated);
        }
        if len < b.len() {
            return Err(Error::BadLength);
        }
        if be16(b, field::RESERVED) != 0 {
            return Err(Error::Invalid("pdu header reserved field not zero"));
        }
        if be64(b, field::SENDER) == 0 {
            return Err(Error::Invalid("sender router id 0"));
        }
        Ok(())
    }

    /// Version byte.
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VERSION]
    }

    /// Signaling type byte.
    pub fn signaling_type(&self) -> u8 {
        self.buffer.as_ref()[field::SIGNALING_TYPE]
    }

    /// Raw PDU type byte.
    pub fn pdu_type_raw(&self) -> u8 {
        self.buffer.as_ref()[field::PDU_TYPE]
    }

    /// Flags byte.
    pub fn flags(&self) -> u8 {
        self.buffer.as_ref()[field::FLAGS]
    }

    /// True when the auth flag is set.
    pub fn has_auth(&self) -> bool {
        self.flags() & flags::AUTH != 0
    }

    /// PDU length field, bytes.
    pub fn pdu_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::LENGTH)
    }

    /// Sender router id (raw; 0 is rejected by [`Packet::check`]).
    pub fn sender(&self) -> u64 {
        be64(self.buffer.as_ref(), field::SENDER)
    }

    /// Byte range of the body: from 16 to the PDU length minus the trailer, if any.
    pub fn body_range(&self) -> Range<usize> {
        let end = usize::from(self.pdu_len()) - if self.has_auth() { AUTH_TRAILER_BYTES } else { 0 };
        field::BODY..end
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.buffer.as_ref()[self.body_range()]
    }

    /// The trailer, if the auth flag is set.
    pub fn trailer(&self) -> Option<Trailer<&[u8]>> {
        if !self.has_auth() {
            return None;
        }
        let end = usize::from(self.pdu_len());
        Some(Trailer::new_unchecked(&self.buffer.as_ref()[end - AUTH_TRAILER_BYTES..end]))
    }

    /// The bytes the HMAC covers: offset 0 through the crypto seq (all but the last 32).
    pub fn authenticated_bytes(&self) -> &[u8] {
        let end = usize::from(self.pdu_len());
        &self.buffer.as_ref()[..end - (AUTH_TRAILER_BYTES - trailer_field::MAC.start)]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Writes the 16 header bytes (reserved = 0).
    pub fn emit_header(&mut self, pdu_type: PduType, flags: u8, pdu_len: u16, sender: u64) {
        let b = self.buffer.as_mut();
        b[field::VERSION] = super::VERSION;
        b[field::SIGNALING_TYPE] = super::SIGNALING_TYPE;
        b[field::PDU_TYPE] = pdu_type as u8;
        b[field::FLAGS] = flags;
        b[field::LENGTH].copy_from_slice(&pdu_len.to_be_bytes());
        b[field::RESERVED].copy_from_slice(&[0, 0]);
        b[field::SENDER].copy_from_slice(&sender.to_be_bytes());
    }
}

/// A view of the 44-byte authentication trailer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trailer<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Trailer<T> {
    /// Wraps a buffer of at least 44 bytes (accessors panic otherwise).
    pub fn new_unchecked(buffer: T) -> Trailer<T> {
        Trailer { buffer }
    }

    /// Wraps a buffer after checking it has at least 44 bytes.
    ///
    /// # Errors
    /// [`Error::Truncated`] for fewer than 44 bytes.
    pub fn new_checked(buffer: T) -> Result<Trailer<T>, Error> {
        if buffer.as_ref().len() < AUTH_TRAILER_BYTES {
            return Err(Error::Truncated);
        }
        Ok(Trailer { buffer })
    }

    /// Key id.
    pub fn key_id(&self) -> u16 {
        be16(self.buffer.as_ref(), trailer_field::KEY_ID)
    }

    /// Reserved field (must be 0).
    pub fn reserved(&self) -> u16 {
        be16(self.buffer.as_ref(), trailer_field::RESERVED)
    }

    /// Cryptographic sequence number.
    pub fn crypto_seq(&self) -> u64 {
        be64(self.buffer.as_ref(), trailer_field::CRYPTO_SEQ)
    }

    /// The 32 MAC bytes.
    pub fn mac(&self) -> &[u8] {
        &self.buffer.as_ref()[trailer_field::MAC]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Trailer<T> {
    /// Writes key id, reserved = 0 and crypto seq (not the MAC).
    pub fn emit_head(&mut self, key_id: u16, crypto_seq: u64) {
        let b = self.buffer.as_mut();
        b[trailer_field::KEY_ID].copy_from_slice(&key_id.to_be_bytes());
        b[trailer_field::RESERVED].copy_from_slice(&[0, 0]);
        b[trailer_field::CRYPTO_SEQ].copy_from_slice(&crypto_seq.to_be_bytes());
    }

    /// Writes the 32 MAC bytes.
    pub fn set_mac(&mut self, mac: &[u8; 32]) {
        self.buffer.as_mut()[trailer_field::MAC].copy_from_slice(mac);
    }
}
