//! The routing PDU codec and its HMAC-SHA256 authentication: the bytes of the
//! Service Prefix LSA protocol (signaling type 2) [draft-li-dmsc-architecture
//! §4.1, §6.1 steps 3–5]. The format is specified byte by byte in
//! `docs/routing.md`; its worked examples are the golden tests of
//! `tests/wire.rs`.
//!
//! A routing PDU is the payload of a DMSC *Control* packet (docs/protocol.md
//! §5): link-local, never forwarded. It is a 16-byte header ([`packet`]), a
//! body per PDU type ([`body`]: Hello, LSU, CSNP, PSNP) and, when the link is
//! authenticated, a 44-byte trailer: key id, a 64-bit cryptographic sequence
//! number [RFC 7474 §4] and an HMAC-SHA256 over every preceding byte of the
//! PDU [RFC 5310 §3; RFC 4868 for HMAC-SHA-256].
//!
//! # Decisions
//! - **Strict, canonical encoding.** Reserved fields must be 0, unknown flag
//!   bits, enum values and lengths that disagree are errors, and nothing may
//!   follow the PDU length. Any accepted PDU re-encodes to the same bytes (the
//!   fuzz check relies on it). Extensions bump [`VERSION`]; routers of one
//!   domain are upgraded together, so tolerance buys nothing here, unlike the
//!   data-plane TLVs.
//! - **Authenticate first, parse second**: the MAC is verified before the body
//!   is looked at, so an attacker without the key reaches only the 16-byte
//!   header checks. The MAC is compared in constant time (`hmac`'s
//!   `verify_slice`, built on `subtle`).
//! - **Replay protection is not here**: decode returns the crypto sequence
//!   number in [`AuthInfo`]; the router keeps the last one per neighbour and
//!   drops smaller or equal ones [RFC 7474 §4].
//! - **LSA checksum**: Fletcher-16 (the ISO 8473 / IS-IS family) over the
//!   encoded LSA minus its remaining lifetime and checksum [ISO 10589 §7.3.11]:
//!   it protects LSAs while they sit in LSDBs and travel through routers,
//!   which the per-hop HMAC does not. We store the two running sums instead of
//!   the ISO 8473 "check bytes that zero the sum", which would need the field
//!   inside the summed region; detection power is the same.
//! - **Purges**: an LSA with remaining lifetime 0 has no body (length 0) and
//!   its checksum is not verified [ISO 10589 §7.3.16.4]. A lifetime-0 LSA with a
//!   body is *rejected* (`Invalid`), as is a non-zero lifetime without a body:
//!   one representation per meaning. The router turns an aged-out LSA into a
//!   purge (drops its body) before flooding it.
//!
//! Alternatives rejected: IS-IS TLVs (self-describing, but every field would
//! need type/length bytes and skip rules that this closed, versioned protocol
//! does not need); a serde format such as CBOR (no byte-level spec an
//! independent implementation could follow, and no canonical form to
//! authenticate); keyed SHA-256 without HMAC (length-extension attacks).

use dmsc_wire::ethernet::MacAddr;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::types::{AuthInfo, Lsa, Pdu, PduBody, RouterId};

pub mod body;
pub mod fuzzing;
pub mod packet;

#[cfg(test)]
mod tests;

use packet::{flags, Packet, PduType, Trailer};

/// Protocol version carried in byte 0.
pub const VERSION: u8 = 1;
/// Signaling type carried in byte 1: Type 2 = Service Prefix LSA
/// [draft-li-dmsc-architecture §4.1].
pub const SIGNALING_TYPE: u8 = 2;
/// Largest PDU (payload of a DMSC Control packet) a router emits or accepts,
/// bytes: fits a 1500-byte MTU with the Ethernet and DMSC headers.
pub const MAX_PDU_BYTES: usize = 1400;
/// Destination MAC of hellos (locally administered multicast, "DMSC" + 0x02).
pub const ALL_ROUTERS_MAC: MacAddr = MacAddr([0x03, 0x44, 0x4d, 0x53, 0x43, 0x02]);
/// PDU header size, bytes.
pub const PDU_HEADER_BYTES: usize = 16;
/// Authentication trailer size, bytes: key id(2) reserved(2) crypto seq(8) HMAC-SHA256(32).
pub const AUTH_TRAILER_BYTES: usize = 44;
/// Size of one [`crate::types::LsaSummary`] in a CSNP or PSNP, bytes.
pub const SUMMARY_BYTES: usize = body::SUMMARY_BYTES;
/// A CSNP without entries (header, range start and end, count), bytes; add
/// [`SUMMARY_BYTES`] per entry and [`AUTH_TRAILER_BYTES`] when authenticated.
pub const CSNP_FIXED_BYTES: usize = PDU_HEADER_BYTES + 2 * body::LSA_ID_BYTES + 2;
/// A PSNP without entries (header, count), bytes; add [`SUMMARY_BYTES`] per
/// entry and [`AUTH_TRAILER_BYTES`] when authenticated.
pub const PSNP_FIXED_BYTES: usize = PDU_HEADER_BYTES + 2;
/// An LSU without LSAs (header, count), bytes; add [`lsa_encoded_len`] per LSA
/// and [`AUTH_TRAILER_BYTES`] when authenticated.
pub const LSU_FIXED_BYTES: usize = PDU_HEADER_BYTES + 2;

type HmacSha256 = Hmac<Sha256>;

/// One authentication key [RFC 5310 §3: key id + algorithm + secret; the
/// algorithm is always HMAC-SHA256 here].
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    /// Key id carried in the trailer.
    pub id: u16,
    /// The shared secret (any length ≥ 1; HMAC hashes longer ones).
    pub secret: Vec<u8>,
    /// This key signs outgoing PDUs (at most one key per chain).
    pub send: bool,
    /// PDUs signed with this key are accepted.
    pub accept: bool,
}

/// The keys of one routing domain (or link). Empty = no authentication: PDUs
/// are sent without trailer and PDUs with one are rejected.
///
/// Key rollover (docs/routing.md §8): add the new key as accept-only on every
/// router; then make it the send key everywhere; then remove the old key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keychain {
    keys: Vec<Key>,
}

impl Keychain {
    /// Builds a keychain.
    ///
    /// # Errors
    /// [`KeychainError::DuplicateId`], [`KeychainError::MultipleSendKeys`],
    /// [`KeychainError::EmptySecret`], [`KeychainError::NoSendKey`] (a
    /// non-empty chain must be able to sign).
    pub fn new(keys: Vec<Key>) -> Result<Keychain, KeychainError> {
        for (i, k) in keys.iter().enumerate() {
            if k.secret.is_empty() {
                return Err(KeychainError::EmptySecret(k.id));
            }
            if keys[..i].iter().any(|o| o.id == k.id) {
                return Err(KeychainError::DuplicateId(k.id));
            }
        }
        match keys.iter().filter(|k| k.send).count() {
            0 if !keys.is_empty() => Err(KeychainError::NoSendKey),
            0 | 1 => Ok(Keychain { keys }),
            _ => Err(KeychainError::MultipleSendKeys),
        }
    }

    /// No authentication.
    pub fn none() -> Keychain {
        Keychain::default()
    }

    /// True when authentication is off.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key that signs outgoing PDUs (`None` iff the chain is empty).
    pub fn send_key(&self) -> Option<&Key> {
        self.keys.iter().find(|k| k.send)
    }

    /// The key with this id, if it exists and accepts.
    pub fn accept_key(&self, id: u16) -> Option<&Key> {
        self.keys.iter().find(|k| k.id == id && k.accept)
    }

    /// All keys, in configuration order.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }
}

/// Why a keychain is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeychainError {
    /// Two keys share this id.
    #[error("duplicate key id {0}")]
    DuplicateId(u16),
    /// More than one key has `send`.
    #[error("more than one send key")]
    MultipleSendKeys,
    /// This key's secret is empty.
    #[error("key {0} has an empty secret")]
    EmptySecret(u16),
    /// The chain has keys but none with `send`.
    #[error("keychain has keys but no send key")]
    NoSendKey,
}

/// Why a PDU could not be encoded or decoded. Each variant has a stable
/// counter name ([`Error::counter_name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Fewer bytes than the header, or than the PDU length says.
    #[error("truncated PDU")]
    Truncated,
    /// Version byte is not [`VERSION`].
    #[error("unsupported version {0}")]
    BadVersion(u8),
    /// Signaling type byte is not [`SIGNALING_TYPE`].
    #[error("not a routing PDU: signaling type {0}")]
    BadSignalingType(u8),
    /// PDU type byte is not 1..=4.
    #[error("unknown PDU type {0}")]
    BadPduType(u8),
    /// Undefined flag bits set.
    #[error("undefined flags {0:#04x}")]
    BadFlags(u8),
    /// A length or count disagrees with the bytes (too small for the trailer,
    /// bytes after the PDU length, a body shorter or longer than its contents).
    #[error("inconsistent length")]
    BadLength,
    /// The keychain is non-empty and the PDU has no trailer.
    #[error("authentication required but PDU has no trailer")]
    MissingAuth,
    /// The keychain is empty and the PDU has a trailer.
    #[error("PDU authenticated but authentication is off")]
    UnexpectedAuth,
    /// The trailer's key id is not in the keychain or does not accept.
    #[error("unknown or non-accepting key id {0}")]
    UnknownKey(u16),
    /// The HMAC does not verify.
    #[error("HMAC verification failed")]
    BadMac,
    /// A non-purge LSA's checksum does not match its content.
    #[error("LSA checksum mismatch")]
    BadLsaChecksum,
    /// A prefix is not a valid DMSC name in wire form.
    #[error("invalid prefix name")]
    BadName,
    /// A hostname is not UTF-8, or longer than 255 bytes (encode).
    #[error("hostname not UTF-8 or longer than 255 bytes")]
    BadHostname,
    /// A link metric is 0 or above 0xFFFFFF.
    #[error("link metric outside 1..=16777215")]
    BadMetric,
    /// Any other value that is not allowed (the reason is in the text).
    #[error("invalid PDU: {0}")]
    Invalid(&'static str),
    /// Longer than [`MAX_PDU_BYTES`].
    #[error("PDU longer than {MAX_PDU_BYTES} bytes")]
    TooLong,
}

impl Error {
    /// Stable snake_case name for a per-variant drop counter, e.g. `"bad_mac"`.
    pub fn counter_name(&self) -> &'static str {
        match self {
            Error::Truncated => "truncated",
            Error::BadVersion(_) => "bad_version",
            Error::BadSignalingType(_) => "bad_signaling_type",
            Error::BadPduType(_) => "bad_pdu_type",
            Error::BadFlags(_) => "bad_flags",
            Error::BadLength => "bad_length",
            Error::MissingAuth => "missing_auth",
            Error::UnexpectedAuth => "unexpected_auth",
            Error::UnknownKey(_) => "unknown_key",
            Error::BadMac => "bad_mac",
            Error::BadLsaChecksum => "bad_lsa_checksum",
            Error::BadName => "bad_name",
            Error::BadHostname => "bad_hostname",
            Error::BadMetric => "bad_metric",
            Error::Invalid(_) => "invalid",
            Error::TooLong => "too_long",
        }
    }
}

/// HMAC accepts keys of any length, so this never fails in practice; the
/// error keeps the codec panic-free regardless.
fn mac_for(key: &Key) -> Result<HmacSha256, Error> {
    HmacSha256::new_from_slice(&key.secret).map_err(|_| Error::Invalid("hmac key"))
}

/// Encodes `pdu`; with `key` Some, appends the auth trailer (key id,
/// `crypto_seq`, HMAC-SHA256). The key's `send` flag is not consulted: the
/// caller chooses the key (normally [`Keychain::send_key`]).
///
/// # Errors
/// [`Error::TooLong`] if the result exceeds [`MAX_PDU_BYTES`];
/// [`Error::BadHostname`], [`Error::BadMetric`] or [`Error::Invalid`] for a
/// value the format cannot carry or that decode would reject (hostname over 255
/// bytes, router id 0, LSA seq 0, lifetime/body mismatch, CSNP entry outside
/// its range...). LSA checksums are written as given, not recomputed.
pub fn encode(pdu: &Pdu, key: Option<&Key>, crypto_seq: u64) -> Result<Vec<u8>, Error> {
    if pdu.sender.0 == 0 {
        return Err(Error::Invalid("sender router id 0"));
    }
    let mut out = Vec::with_capacity(256);
    out.resize(PDU_HEADER_BYTES, 0);
    let pdu_type = match &pdu.body {
        PduBody::Hello(h) => {
            body::emit_hello(&mut out, h)?;
            PduType::Hello
        }
        PduBody::Lsu(l) => {
            body::emit_lsu(&mut out, l)?;
            PduType::Lsu
        }
        PduBody::Csnp(c) => {
            body::emit_csnp(&mut out, c)?;
            PduType::Csnp
        }
        PduBody::Psnp(p) => {
            body::emit_psnp(&mut out, p)?;
            PduType::Psnp
        }
    };
    let total = out.len() + if key.is_some() { AUTH_TRAILER_BYTES } else { 0 };
    if total > MAX_PDU_BYTES {
        return Err(Error::TooLong);
    }
    let fl = if key.is_some() { flags::AUTH } else { 0 };
    // total <= 1400, so the cast is lossless.
    Packet::new_unchecked(&mut out[..]).emit_header(pdu_type, fl, total as u16, pdu.sender.0);
    if let Some(key) = key {
        let start = out.len();
        out.resize(total, 0);
        Trailer::new_unchecked(&mut out[start..]).emit_head(key.id, crypto_seq);
        let mut mac = mac_for(key)?;
        mac.update(&out[..total - 32]);
        let tag: [u8; 32] = mac.finalize().into_bytes().into();
        Trailer::new_unchecked(&mut out[start..]).set_mac(&tag);
    }
    Ok(out)
}

/// Authenticates, then parses one PDU (exactly `bytes`: the DMSC Control
/// packet's payload).
///
/// Order: header checks ([`Packet::check`]); then authentication: keychain
/// empty and trailer present → [`Error::UnexpectedAuth`]; keychain non-empty
/// and no trailer → [`Error::MissingAuth`]; key id unknown or not accepting →
/// [`Error::UnknownKey`]; HMAC mismatch (constant-time compare) →
/// [`Error::BadMac`]; trailer reserved ≠ 0 → [`Error::Invalid`]; then the body
/// (every non-purge LSA's checksum is verified, [`Error::BadLsaChecksum`]).
///
/// Returns the PDU and, when authenticated, the key id and crypto sequence
/// number. Replay checking (crypto_seq strictly increasing per sender) is the
/// router's job.
///
/// # Errors
/// Every [`Error`] variant except none: see above and [`Packet::check`].
pub fn decode(bytes: &[u8], keychain: &Keychain) -> Result<(Pdu, Option<AuthInfo>), Error> {
    let pkt = Packet::new_checked(bytes)?;
    let auth = match (pkt.trailer(), keychain.is_empty()) {
        (Some(_), true) => return Err(Error::UnexpectedAuth),
        (None, false) => return Err(Error::MissingAuth),
        (None, true) => None,
        (Some(t), false) => {
            let key = keychain.accept_key(t.key_id()).ok_or(Error::UnknownKey(t.key_id()))?;
            let mut mac = mac_for(key)?;
            mac.update(pkt.authenticated_bytes());
            mac.verify_slice(t.mac()).map_err(|_| Error::BadMac)?;
            if t.reserved() != 0 {
                return Err(Error::Invalid("auth trailer reserved field not zero"));
            }
            Some(AuthInfo { key_id: t.key_id(), crypto_seq: t.crypto_seq() })
        }
    };
    let b = pkt.body();
    let body = match PduType::try_from(pkt.pdu_type_raw())? {
        PduType::Hello => PduBody::Hello(body::parse_hello(b)?),
        PduType::Lsu => PduBody::Lsu(body::parse_lsu(b)?),
        PduType::Csnp => PduBody::Csnp(body::parse_csnp(b)?),
        PduType::Psnp => PduBody::Psnp(body::parse_psnp(b)?),
    };
    Ok((Pdu { sender: RouterId(pkt.sender()), body }, auth))
}

/// The LSA checksum: Fletcher-16 (sums modulo 255, ISO 8473 / IS-IS family)
/// over the LSA's encoding (docs/routing.md §6) excluding the remaining
/// lifetime and the checksum field, as `(sum2 << 8) | sum1`. Independent of
/// `lsa.header.checksum` and `lsa.header.remaining_lifetime_s`; the originator
/// sets `header.checksum` to this.
pub fn lsa_checksum(lsa: &Lsa) -> u16 {
    body::checksum_of_encoded(&body::lsa_bytes_lenient(lsa))
}

/// Encoded size of one LSA inside an LSU, bytes (26-byte header + body).
pub fn lsa_encoded_len(lsa: &Lsa) -> usize {
    body::lsa_bytes_lenient(lsa).len()
}

impl core::fmt::Debug for Key {
    /// Never prints the secret, only its length: keychains end up in logs.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("secret", &format_args!("<{} bytes>", self.secret.len()))
            .field("send", &self.send)
            .field("accept", &self.accept)
            .finish()
    }
}
