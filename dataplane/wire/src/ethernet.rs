//! Ethernet II framing for DMSC.
//!
//! DMSC packets ride directly on Ethernet II: destination MAC (6 bytes), source MAC (6),
//! EtherType (2, big-endian), then the DMSC packet. The EtherType is configurable and defaults
//! to [`DEFAULT_ETHERTYPE`] `0x88B5`, the first of the two EtherTypes IEEE 802 reserves for
//! local experimental use [IEEE Std 802, local experimental EtherTypes 88-B5 and 88-B6]: a
//! real deployment would register its own.
//!
//! v1 has no VLAN support: a frame with an 802.1Q tag has EtherType `0x8100` at offset 12 and
//! is therefore "not DMSC" (it does not match the configured EtherType). Ethernet pads short
//! frames to 60 bytes (64 with the FCS); the DMSC header's total length tells where the packet
//! ends, so [`Frame::payload`] returns everything after the header, padding included, and the
//! DMSC parser ignores the trailing bytes.
//!
//! The shape follows smoltcp's `EthernetFrame`: a zero-copy [`Frame`] view with named field
//! ranges and a [`Repr`] with `parse`/`emit`/`buffer_len`. Alternatives rejected: a
//! `#[repr(C, packed)]` header struct cast over the buffer needs `unsafe` and alignment care;
//! copying the header out on every packet is a needless 14-byte copy.

use core::fmt;
use core::str::FromStr;

use crate::Error;

/// Length of the Ethernet II header in bytes (no VLAN tag, no FCS).
pub const HEADER_LEN: usize = 14;
/// Default EtherType of DMSC: IEEE 802 "local experimental EtherType 1".
pub const DEFAULT_ETHERTYPE: u16 = 0x88B5;
/// EtherType of an IEEE 802.1Q VLAN tag; such frames are not DMSC in v1.
pub const ETHERTYPE_VLAN: u16 = 0x8100;

/// Byte ranges of the Ethernet II header fields.
pub mod field {
    use core::ops::Range;
    /// Destination MAC address.
    pub const DST: Range<usize> = 0..6;
    /// Source MAC address.
    pub const SRC: Range<usize> = 6..12;
    /// EtherType, big-endian.
    pub const ETHERTYPE: Range<usize> = 12..14;
    /// Start of the payload.
    pub const PAYLOAD: usize = 14;
}

/// A 48-bit IEEE 802 MAC address. `Display`/`Debug`: `02:00:00:00:00:01` (lower-case hex);
/// `FromStr` accepts `:` or `-` as separator and either case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// `ff:ff:ff:ff:ff:ff`.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);
    /// `00:00:00:00:00:00`.
    pub const ZERO: MacAddr = MacAddr([0; 6]);

    /// Copies the address out of the first 6 bytes of `bytes`.
    ///
    /// # Panics
    /// If `bytes` is shorter than 6 bytes.
    pub fn from_bytes(bytes: &[u8]) -> MacAddr {
        let mut a = [0u8; 6];
        a.copy_from_slice(&bytes[..6]);
        MacAddr(a)
    }

    /// The 6 address bytes.
    pub fn as_bytes(&self) -> &[u8; 6] {
        &self.0
    }

    /// True if the individual/group bit (least significant bit of the first octet) is set;
    /// the broadcast address is multicast.
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// True for `ff:ff:ff:ff:ff:ff`.
    pub fn is_broadcast(&self) -> bool {
        *self == MacAddr::BROADCAST
    }

    /// True if not multicast.
    pub fn is_unicast(&self) -> bool {
        !self.is_multicast()
    }

    /// True if the locally administered bit (second least significant bit of the first
    /// octet) is set.
    pub fn is_local(&self) -> bool {
        self.0[0] & 0x02 != 0
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = &self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", a[0], a[1], a[2], a[3], a[4], a[5])
    }
}

impl fmt::Debug for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for MacAddr {
    type Err = Error;

    /// Parses six 2-digit hex octets separated by `:` or `-` (one separator kind throughout).
    ///
    /// # Errors
    /// [`Error::BadMacAddr`].
    fn from_str(s: &str) -> Result<MacAddr, Error> {
        let b = s.as_bytes();
        if b.len() != 17 {
            return Err(Error::BadMacAddr);
        }
        let sep = b[2];
        if sep != b':' && sep != b'-' {
            return Err(Error::BadMacAddr);
        }
        let mut out = [0u8; 6];
        for (i, octet) in out.iter_mut().enumerate() {
            let at = i * 3;
            if i > 0 && b[at - 1] != sep {
                return Err(Error::BadMacAddr);
            }
            let hi = hex(b[at]).ok_or(Error::BadMacAddr)?;
            let lo = hex(b[at + 1]).ok_or(Error::BadMacAddr)?;
            *octet = hi << 4 | lo;
        }
        Ok(MacAddr(out))
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// A zero-copy view of an Ethernet II frame.
///
/// Accessors on a frame built with [`Frame::new_unchecked`] panic if the buffer is shorter
/// than [`HEADER_LEN`]; [`Frame::new_checked`] rules that out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Wraps a buffer without any check.
    #[inline]
    pub fn new_unchecked(buffer: T) -> Frame<T> {
        Frame { buffer }
    }

    /// Wraps a buffer after checking it holds at least the 14-byte header.
    ///
    /// # Errors
    /// [`Error::Truncated`].
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Frame<T>, Error> {
        let frame = Frame::new_unchecked(buffer);
        frame.check_len()?;
        Ok(frame)
    }

    /// Checks the buffer holds at least the header.
    ///
    /// # Errors
    /// [`Error::Truncated`].
    #[inline]
    pub fn check_len(&self) -> Result<(), Error> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Destination MAC address.
    #[inline]
    pub fn dst_addr(&self) -> MacAddr {
        MacAddr::from_bytes(&self.buffer.as_ref()[field::DST])
    }

    /// Source MAC address.
    #[inline]
    pub fn src_addr(&self) -> MacAddr {
        MacAddr::from_bytes(&self.buffer.as_ref()[field::SRC])
    }

    /// EtherType (host order).
    #[inline]
    pub fn ethertype(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::ETHERTYPE];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// Everything after the 14-byte header, Ethernet padding included.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Frame<T> {
    /// Sets the destination MAC address.
    #[inline]
    pub fn set_dst_addr(&mut self, addr: MacAddr) {
        self.buffer.as_mut()[field::DST].copy_from_slice(&addr.0)
    }

    /// Sets the source MAC address.
    #[inline]
    pub fn set_src_addr(&mut self, addr: MacAddr) {
        self.buffer.as_mut()[field::SRC].copy_from_slice(&addr.0)
    }

    /// Sets the EtherType.
    #[inline]
    pub fn set_ethertype(&mut self, ethertype: u16) {
        self.buffer.as_mut()[field::ETHERTYPE].copy_from_slice(&ethertype.to_be_bytes())
    }

    /// Mutable view of everything after the header.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD..]
    }
}

/// The decoded Ethernet II header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Source MAC address.
    pub src: MacAddr,
    /// Destination MAC address.
    pub dst: MacAddr,
    /// EtherType (host order).
    pub ethertype: u16,
}

impl Repr {
    /// Reads the header of a frame.
    ///
    /// # Errors
    /// [`Error::Truncated`] if the frame is shorter than 14 bytes.
    pub fn parse<T: AsRef<[u8]>>(frame: &Frame<T>) -> Result<Repr, Error> {
        frame.check_len()?;
        Ok(Repr { src: frame.src_addr(), dst: frame.dst_addr(), ethertype: frame.ethertype() })
    }

    /// Header length in bytes: always [`HEADER_LEN`].
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header into the first 14 bytes of the frame (the payload is untouched).
    ///
    /// # Panics
    /// If the frame's buffer is shorter than [`HEADER_LEN`] (like the [`Frame`] setters);
    /// size the buffer with [`Repr::buffer_len`] or check with [`Frame::check_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, frame: &mut Frame<T>) {
        frame.set_dst_addr(self.dst);
        frame.set_src_addr(self.src);
        frame.set_ethertype(self.ethertype);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_display_parse() {
        let m: MacAddr = "02:00:00:00:00:01".parse().unwrap();
        assert_eq!(m, MacAddr([2, 0, 0, 0, 0, 1]));
        assert_eq!(m.to_string(), "02:00:00:00:00:01");
        assert_eq!(format!("{m:?}"), "02:00:00:00:00:01");
        assert_eq!("AA-bb-CC-dd-EE-ff".parse::<MacAddr>().unwrap(), MacAddr([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]));
        for bad in [
            "",
            "02:00:00:00:00",
            "02:00:00:00:00:01:",
            "02-00:00:00:00:01",
            "0g:00:00:00:00:01",
            "02:00:00:00:00:1 ",
            "02.00.00.00.00.01",
            "+2:00:00:00:00:01",
        ] {
            assert_eq!(bad.parse::<MacAddr>(), Err(Error::BadMacAddr), "{bad:?}");
        }
    }

    #[test]
    fn mac_bits() {
        assert!(MacAddr::BROADCAST.is_multicast() && MacAddr::BROADCAST.is_broadcast());
        assert!(MacAddr([0x01, 0, 0x5e, 0, 0, 1]).is_multicast());
        let local = MacAddr([0x02, 0, 0, 0, 0, 1]);
        assert!(local.is_unicast() && local.is_local() && !local.is_broadcast());
        assert_eq!(MacAddr::default(), MacAddr::ZERO);
    }

    #[test]
    fn frame_round_trip() {
        let mut buf = [0u8; 20];
        let repr = Repr { dst: MacAddr::BROADCAST, src: MacAddr([2, 0, 0, 0, 0, 1]), ethertype: DEFAULT_ETHERTYPE };
        let mut frame = Frame::new_unchecked(&mut buf[..]);
        repr.emit(&mut frame);
        frame.payload_mut().copy_from_slice(b"abcdef");
        assert_eq!(&buf[..14], &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5]);
        let frame = Frame::new_checked(&buf[..]).unwrap();
        assert_eq!(Repr::parse(&frame).unwrap(), repr);
        assert_eq!(frame.payload(), b"abcdef");
        assert_eq!(repr.buffer_len(), HEADER_LEN);
    }

    #[test]
    fn short_frames() {
        assert_eq!(Frame::new_checked(&[0u8; 13][..]).unwrap_err(), Error::Truncated);
        assert!(Frame::new_checked(&[0u8; 14][..]).unwrap().payload().is_empty());
    }

    #[test]
    #[should_panic]
    fn emit_into_short_buffer_panics() {
        let repr = Repr { dst: MacAddr::ZERO, src: MacAddr::ZERO, ethertype: 1 };
        repr.emit(&mut Frame::new_unchecked(&mut [0u8; 13][..]));
    }
}
