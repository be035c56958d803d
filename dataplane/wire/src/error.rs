//! The one error type of the DMSC wire layer.
//!
//! Every parser and emitter in this crate returns [`Error`]: a small `Copy` enum that never
//! allocates, so the forwarder can count drops per variant on the hot path (see
//! [`Error::index`] for a dense counter index). Variants carry at most one byte or one field
//! type so that the enum stays two machine words wide at most.
//!
//! Alternatives rejected: one error enum per module (name, packet, field, nack) would force
//! `From` conversions at every layer boundary for no gain, because a name error *is* a packet
//! error when it occurs inside a header; a `Box<dyn Error>` or a `String` allocates.

/// Why a buffer is not a valid DMSC frame, packet, name, field or URI, or why an emitter could
/// not write one. See `docs/protocol.md` for the rule behind each variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Error {
    /// The buffer ends before a length it announces (fixed header, total length, Ethernet
    /// header). Truncating a valid packet at any byte always yields this error.
    #[error("buffer truncated")]
    Truncated,
    /// Version byte other than [`crate::packet::VERSION`].
    #[error("unsupported DMSC version {0}")]
    BadVersion(u8),
    /// Packet type byte outside 0..=4.
    #[error("unknown DMSC packet type {0}")]
    BadPacketType(u8),
    /// Header length smaller than 16 + destination name length + source name length, or
    /// (when emitting) larger than 65535.
    #[error("bad DMSC header length")]
    BadHeaderLength,
    /// Total length smaller than the header length, or (when emitting) larger than 65535.
    #[error("bad DMSC total length")]
    BadTotalLength,
    /// A name component length byte runs past the end of the name.
    #[error("name component runs past the name length")]
    BadNameLength,
    /// A name component of length zero (wire form) or an empty URI component.
    #[error("empty name component")]
    EmptyComponent,
    /// A name component longer than 255 bytes (only possible when building a name).
    #[error("name component longer than 255 bytes")]
    ComponentTooLong,
    /// More than 32 name components.
    #[error("more than 32 name components")]
    TooManyComponents,
    /// A name longer than 512 bytes in wire form.
    #[error("name longer than 512 wire bytes")]
    NameTooLong,
    /// A TLV field whose 4-byte head or value runs past the end of the fields area, or a known
    /// field whose value has the wrong shape (e.g. a NACK_REASON that is not 1 byte).
    #[error("malformed TLV field")]
    BadField,
    /// A field type this implementation does not know and whose type is critical
    /// (type < 32 or odd).
    #[error("unknown critical field type {0:#06x}")]
    UnknownCriticalField(u16),
    /// A string that is not a name in URI form.
    #[error("malformed name URI")]
    BadUri,
    /// A string that is not a MAC address `xx:xx:xx:xx:xx:xx` (or with `-`).
    #[error("malformed MAC address")]
    BadMacAddr,
    /// The output buffer is shorter than what the emitter must write.
    #[error("output buffer too small")]
    BufferTooSmall,
    /// [`crate::nack::NackRepr::parse`] was given a packet whose type is not Nack.
    #[error("not a nack packet")]
    NotNack,
    /// A nack without a required field (NACK_REASON or NACKED_NAME).
    #[error("nack lacks field type {0:#06x}")]
    MissingField(u16),
    /// A NACK_REASON value outside 1..=4.
    #[error("unknown nack reason {0}")]
    BadNackReason(u8),
    /// [`crate::nack::emit_nack`] was asked to nack a packet that must never be nacked
    /// (see [`crate::nack::may_nack`]).
    #[error("this packet must not be nacked")]
    NackForbidden,
}

impl Error {
    /// Number of variants; [`Error::index`] is always below it.
    pub const COUNT: usize = 19;

    /// A dense index in `0..Error::COUNT`, for per-error drop counters kept in an array on the
    /// hot path (no hashing, no allocation).
    pub fn index(&self) -> usize {
        match self {
            Error::Truncated => 0,
            Error::BadVersion(_) => 1,
            Error::BadPacketType(_) => 2,
            Error::BadHeaderLength => 3,
            Error::BadTotalLength => 4,
            Error::BadNameLength => 5,
            Error::EmptyComponent => 6,
            Error::ComponentTooLong => 7,
            Error::TooManyComponents => 8,
            Error::NameTooLong => 9,
            Error::BadField => 10,
            Error::UnknownCriticalField(_) => 11,
            Error::BadUri => 12,
            Error::BadMacAddr => 13,
            Error::BufferTooSmall => 14,
            Error::NotNack => 15,
            Error::MissingField(_) => 16,
            Error::BadNackReason(_) => 17,
            Error::NackForbidden => 18,
        }
    }

    /// A short stable snake_case label for the variant (metrics names, logs), without the
    /// payload byte.
    pub fn label(&self) -> &'static str {
        match self {
            Error::Truncated => "truncated",
            Error::BadVersion(_) => "bad_version",
            Error::BadPacketType(_) => "bad_packet_type",
            Error::BadHeaderLength => "bad_header_length",
            Error::BadTotalLength => "bad_total_length",
            Error::BadNameLength => "bad_name_length",
            Error::EmptyComponent => "empty_component",
            Error::ComponentTooLong => "component_too_long",
            Error::TooManyComponents => "too_many_components",
            Error::NameTooLong => "name_too_long",
            Error::BadField => "bad_field",
            Error::UnknownCriticalField(_) => "unknown_critical_field",
            Error::BadUri => "bad_uri",
            Error::BadMacAddr => "bad_mac_addr",
            Error::BufferTooSmall => "buffer_too_small",
            Error::NotNack => "not_nack",
            Error::MissingField(_) => "missing_field",
            Error::BadNackReason(_) => "bad_nack_reason",
            Error::NackForbidden => "nack_forbidden",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Error; Error::COUNT] = [
        Error::Truncated,
        Error::BadVersion(2),
        Error::BadPacketType(9),
        Error::BadHeaderLength,
        Error::BadTotalLength,
        Error::BadNameLength,
        Error::EmptyComponent,
        Error::ComponentTooLong,
        Error::TooManyComponents,
        Error::NameTooLong,
        Error::BadField,
        Error::UnknownCriticalField(0x20),
        Error::BadUri,
        Error::BadMacAddr,
        Error::BufferTooSmall,
        Error::NotNack,
        Error::MissingField(1),
        Error::BadNackReason(0),
        Error::NackForbidden,
    ];

    #[test]
    fn indices_are_dense_and_labels_unique() {
        let mut seen = [false; Error::COUNT];
        let mut labels = std::collections::HashSet::new();
        for e in ALL {
            assert!(!seen[e.index()], "duplicate index for {e:?}");
            seen[e.index()] = true;
            assert!(labels.insert(e.label()), "duplicate label for {e:?}");
            assert!(!e.to_string().is_empty());
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn error_is_small() {
        assert!(std::mem::size_of::<Error>() <= 4);
    }
}
