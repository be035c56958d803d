//! DMSC wire format v1: what a Service Router or Service Gateway reads and writes per packet.
//!
//! DMSC (Distributed Micro Service Communication) forwards microservice traffic "no longer
//! based on traditional IP addresses and ports, but on unique microservice prefixes"
//! [draft-li-dmsc-architecture §6.2]. The draft specifies the architecture, not bytes; this
//! crate is the byte-level encoding this router uses, specified in full in
//! `docs/protocol.md`:
//!
//! - [`ethernet`]: Ethernet II framing (EtherType `0x88B5` by default), [`ethernet::MacAddr`].
//! - [`name`]: hierarchical service names ([`name::NameRef`] zero-copy, [`name::Name`]
//!   owned), wire form and URI form.
//! - [`packet`]: the DMSC header (16 fixed bytes, destination and source names, TLV fields)
//!   as a zero-copy [`packet::Packet`] view and a [`packet::Repr`].
//! - [`field`]: the TLV fields and NDN-style criticality.
//! - [`nack`]: building and parsing nacks, and the rule for when a router may send one.
//! - [`error`]: the one small `Copy` error type, [`Error`].
//! - [`fuzzing`]: the fuzz checks, also run on the committed corpus by `cargo test`.
//!
//! Everything follows smoltcp's style: views over `T: AsRef<[u8]>` with named field offsets,
//! `new_unchecked`/`new_checked`, and `Repr` types with `parse`/`emit`/`buffer_len`. Checked
//! parsing validates a whole packet in one pass and never allocates; there is no `unsafe`.
//!
//! ```
//! use dmsc_wire::name::Name;
//! use dmsc_wire::packet::{Packet, PacketType, Repr};
//!
//! let dst: Name = "/B/4/echo".parse().unwrap();
//! let src: Name = "/A/1".parse().unwrap();
//! let repr = Repr {
//!     packet_type: PacketType::Request, hop_limit: 64, flags: 0, flow_label: 7,
//!     dst: dst.as_ref(), src: src.as_ref(), fields: &[], payload_len: 2,
//! };
//! let mut buf = vec![0u8; repr.buffer_len()];
//! let mut pkt = Packet::new_unchecked(&mut buf[..]);
//! repr.emit(&mut pkt).unwrap();
//! pkt.payload_mut().copy_from_slice(b"hi");
//!
//! let pkt = Packet::new_checked(&buf[..]).unwrap();
//! assert_eq!(pkt.dst_name().to_string(), "/B/4/echo");
//! assert_eq!(pkt.payload(), b"hi");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod ethernet;
pub mod field;
pub mod fuzzing;
pub mod nack;
pub mod name;
pub mod packet;

pub use error::Error;
