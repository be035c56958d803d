//! Writes the hand-made seed inputs of the fuzz corpus: valid packets (the golden examples of
//! `docs/protocol.md` and variations), truncations, one input per error variant, and edge
//! cases at the limits. Each file is named by the FNV-1a-64 hash of its contents (hex), so
//! re-running is idempotent and never duplicates a seed.
//!
//! ```text
//! cargo run -p dmsc-wire --example fuzz_seeds -- fuzz/corpus
//! ```
//!
//! The fuzzer then grows the corpus and `cargo fuzz cmin` minimises it (see `fuzz/README.md`).

use std::path::{Path, PathBuf};

use dmsc_wire::field;
use dmsc_wire::nack::{self, NackReason};
use dmsc_wire::name::Name;
use dmsc_wire::packet::{flags, PacketType, Repr};

fn fnv1a64(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn write(dir: &Path, target: &str, data: &[u8]) -> std::io::Result<()> {
    let dir: PathBuf = dir.join(target);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(format!("seed-{:016x}", fnv1a64(data))), data)
}

fn name(uri: &str) -> Name {
    uri.parse().expect("seed names are valid")
}

#[allow(clippy::too_many_arguments)]
fn packet(t: PacketType, hop: u8, fl: u8, flow: u32, dst: &Name, src: &Name, fields: &[u8], payload: &[u8]) -> Vec<u8> {
    let repr = Repr {
        packet_type: t,
        hop_limit: hop,
        flags: fl,
        flow_label: flow,
        dst: dst.as_ref(),
        src: src.as_ref(),
        fields,
        payload_len: payload.len(),
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit_bytes(&mut buf).expect("seed packets are valid");
    buf[repr.header_len()..].copy_from_slice(payload);
    buf
}

fn tlv(typ: u16, value: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; field::wire_len(value.len())];
    field::emit(&mut buf, typ, value).expect("fits");
    buf
}

fn set16(buf: &mut [u8], at: usize, v: u16) {
    buf[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

fn ether(ethertype: u16, payload: &[u8], pad_to: usize) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    if f.len() < pad_to {
        f.resize(pad_to, 0);
    }
    f
}

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".into()));
    let (b4, a1, router) = (name("/B/4/echo"), name("/A/1"), name("/sr/1"));
    let max_components = Name::from_components(vec![b"c"; 32]).unwrap();
    let max_len = Name::from_components([vec![b'x'; 255], vec![b'y'; 255]]).unwrap();

    // --- header ---
    let request = packet(PacketType::Request, 64, 0, 0x1234_5678, &b4, &a1, &[], b"hello");
    let request_repr = Repr::parse_bytes(&request).unwrap();
    let mut nack_bytes = vec![0u8; 128];
    let n = nack::emit_nack(&request_repr, NackReason::NoRoute, router.as_ref(), 64, &mut nack_bytes).unwrap();
    nack_bytes.truncate(n);
    let probe = packet(
        PacketType::Probe,
        32,
        flags::NO_NACK,
        0,
        &name("/payments/charge"),
        &Name::root(),
        &tlv(0x0100, &[0xab]),
        b"",
    );
    let mut headers: Vec<Vec<u8>> = vec![request.clone(), nack_bytes.clone(), probe];
    for t in [PacketType::Response, PacketType::Control] {
        headers.push(packet(t, 1, 0x80, 7, &a1, &b4, &[], b"x"));
    }
    headers.push(packet(PacketType::Request, 0, 0, 0, &max_components, &max_len, &[], b""));
    let mut fields = tlv(field::NACK_REASON, &[2]);
    fields.extend(tlv(0x0020, b"opt"));
    fields.extend(tlv(field::NACKED_NAME, b4.wire()));
    headers.push(packet(PacketType::Nack, 3, flags::NO_NACK, 1, &a1, &Name::root(), &fields, b"pl"));
    headers.push(packet(PacketType::Nack, 3, 0, 1, &a1, &a1, &tlv(field::NACK_REASON, &[9]), b""));
    let mut padded = request.clone();
    padded.extend_from_slice(&[0; 12]);
    headers.push(padded);
    for cut in [0, 1, 15, 16, 20, 33] {
        headers.push(request[..cut].to_vec());
    }
    // One input per packet error variant.
    let mut bad = request.clone();
    bad[0] = 2; // BadVersion
    headers.push(bad);
    let mut bad = request.clone();
    bad[1] = 5; // BadPacketType
    headers.push(bad);
    let mut bad = request.clone();
    set16(&mut bad, 4, 20); // BadHeaderLength
    headers.push(bad);
    let mut bad = request.clone();
    set16(&mut bad, 6, 28); // BadTotalLength
    headers.push(bad);
    let mut bad = request.clone();
    bad[20] = 9; // BadNameLength
    headers.push(bad);
    let mut bad = request.clone();
    bad[16] = 0; // EmptyComponent
    headers.push(bad);
    let mut bad = request.clone();
    set16(&mut bad, 12, 513); // NameTooLong
    headers.push(bad);
    let mut bad = packet(PacketType::Request, 5, 0, 0, &a1, &a1, &tlv(0x0020, &[]), b"");
    let type_low = bad.len() - 3;
    bad[type_low] = 0x21; // UnknownCriticalField(0x21)
    headers.push(bad.clone());
    let last = bad.len() - 1;
    bad[last] = 1; // BadField: the value runs past the header
    headers.push(bad);
    for h in &headers {
        write(&dir, "header", h)?;
    }

    // --- name ---
    let names: Vec<Vec<u8>> = vec![
        Vec::new(),
        b4.wire().to_vec(),
        name("/payments/charge").wire().to_vec(),
        max_components.wire().to_vec(),
        max_len.wire().to_vec(),
        name("/a%00%ff/%2F").wire().to_vec(),
        vec![0],
        vec![2, b'a'],
        [1u8, b'c'].repeat(33),
        vec![1; 513],
    ];
    for w in &names {
        write(&dir, "name", w)?;
    }

    // --- uri ---
    let long_component = format!("/{}", "x".repeat(256));
    let many = "/c".repeat(33);
    let uris: Vec<&[u8]> = vec![
        b"/",
        b"/B/4/echo",
        b"/a%2fb/%00%FF/",
        b"/x:y@z!$&'()*+,;=",
        b"//",
        b"/a//b",
        b"/%",
        b"/%g0",
        b"relative",
        b"/a b",
        b"/\xff\xfe",
        long_component.as_bytes(),
        many.as_bytes(),
    ];
    let uri_count = uris.len();
    for u in uris {
        write(&dir, "uri", u)?;
    }

    // --- frame ---
    let mut vlan = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0x00, 0x05, 0x88, 0xb5];
    vlan.extend_from_slice(&request);
    let frames: Vec<Vec<u8>> = vec![
        ether(0x88b5, &request, 60),
        ether(0x88b5, &nack_bytes, 60),
        ether(0x0800, &[0x45, 0, 0, 20], 60),
        vlan,
        vec![0xff; 13],
        ether(0x88b5, &request[..10], 0),
    ];
    for f in &frames {
        write(&dir, "frame", f)?;
    }
    println!(
        "wrote {} header, {} name, {} uri, {} frame seeds under {}",
        headers.len(),
        names.len(),
        uri_count,
        frames.len(),
        dir.display()
    );
    Ok(())
}
