//! Unit tests of the wire module's internals (the bulk is in `tests/wire.rs`).

use super::body::{checksum_of_encoded, Reader};
use super::packet::{Packet, PduType, Trailer};
use super::*;

#[test]
fn fletcher16_known_values() {
    // Short inputs are summed whole (nothing to exclude): the textbook
    // Fletcher-16 check values.
    assert_eq!(checksum_of_encoded(b"abcde"), 0xc8f0);
    assert_eq!(checksum_of_encoded(b"abcdef"), 0x2057);
    assert_eq!(checksum_of_encoded(b"abcdefgh"), 0x0627);
    // Bytes 20..24 (lifetime, checksum) are excluded.
    let mut lsa = [7u8; 30];
    let c = checksum_of_encoded(&lsa);
    lsa[20..24].copy_from_slice(&[1, 2, 3, 4]);
    assert_eq!(checksum_of_encoded(&lsa), c);
    lsa[24] = 8;
    assert_ne!(checksum_of_encoded(&lsa), c);
}

#[test]
fn reader_is_bounds_checked() {
    let mut r = Reader::new(&[1, 2, 3]);
    assert_eq!(r.u16(), Ok(0x0102));
    assert_eq!(r.u16(), Err(Error::BadLength));
    assert_eq!(r.remaining(), 1);
    assert_eq!(r.finish(), Err(Error::BadLength));
    assert_eq!(r.take(usize::MAX), Err(Error::BadLength));
    assert_eq!(r.u8(), Ok(3));
    assert_eq!(r.finish(), Ok(()));
    assert_eq!(r.u64(), Err(Error::BadLength));
}

#[test]
fn packet_view_accessors() {
    let (_, pdu, _) = fuzzing::examples().remove(5);
    let bytes = encode(&pdu, Some(&fuzzing::example_key()), 0x0102_0304_0506_0708).unwrap();
    let p = Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!((p.version(), p.signaling_type(), p.pdu_type_raw()), (VERSION, SIGNALING_TYPE, PduType::Hello as u8));
    assert!(p.has_auth());
    assert_eq!(usize::from(p.pdu_len()), bytes.len());
    assert_eq!(p.sender(), 1);
    assert_eq!(p.body_range(), 16..bytes.len() - AUTH_TRAILER_BYTES);
    assert_eq!(p.authenticated_bytes().len(), bytes.len() - 32);
    let t = p.trailer().unwrap();
    assert_eq!((t.key_id(), t.reserved(), t.crypto_seq()), (1, 0, 0x0102_0304_0506_0708));
    assert_eq!(t.mac(), &bytes[bytes.len() - 32..]);
    assert_eq!(Trailer::new_checked(&bytes[..43]).err(), Some(Error::Truncated));
    assert_eq!(PduType::try_from(4), Ok(PduType::Psnp));
}

#[test]
fn debug_never_prints_secrets() {
    let k = Key { id: 7, secret: vec![0x5a; 20], send: true, accept: true };
    let chain = Keychain::new(vec![k.clone()]).unwrap();
    for text in [format!("{k:?}"), format!("{chain:?}")] {
        assert!(text.contains("<20 bytes>"), "{text}");
        assert!(!text.contains("90"), "secret byte 0x5a = 90 leaked: {text}");
    }
}
