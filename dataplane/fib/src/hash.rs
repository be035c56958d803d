//! Incremental hashing of name prefixes over the wire bytes.
//!
//! The hash of the `d`-component prefix is a chain: `h_0 = seed`,
//! `h_d = H(h_{d-1}, component d's wire bytes)` (length byte included), so one
//! pass over the name yields the hashes of all its prefixes — the name is in
//! cache already, this costs a few multiplies per component. `H` folds 16
//! bytes per 64×64→128-bit multiply (the "folded multiply" of wyhash and
//! foldhash); a component of at most 16 wire bytes is read with two masked
//! 8-byte loads, so there is no byte loop and (but near the end of the name)
//! no branch on its length.
//!
//! The hash only has to spread keys over the table: a FIB lookup verifies the
//! final node against the stored prefix bytes, so a collision can cost a probe
//! but never misroute. The seed is random per FIB build, so that precomputed
//! colliding names cannot target a published FIB.

const K0: u64 = 0x243f_6a88_85a3_08d3;
const K1: u64 = 0x1319_8a2e_0370_7344;
const K2: u64 = 0xa409_3822_299f_31d0;
const K3: u64 = 0x082e_fa98_ec4e_6c89;

/// 64×64→128 multiply, folded by xor of both halves.
#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = (a as u128).wrapping_mul(b as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

#[inline(always)]
pub(crate) fn rd(w: &[u8], i: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&w[i..i + 8]);
    u64::from_le_bytes(b)
}

/// Final mix of one component: `a`, `b` are its first and second 8 bytes
/// (zero-padded) or, past 16 bytes, its last 16 bytes; `n` its wire length.
#[inline(always)]
fn mix(state: u64, a: u64, b: u64, n: usize) -> u64 {
    fold_mul(state ^ a ^ K2, b ^ K3 ^ ((n as u64) << 56))
}

/// Extends the prefix hash `state` with the component occupying wire bytes
/// `w[off..end]` (its length byte and its bytes; `end - off >= 1`).
///
/// A component of at most 16 wire bytes with 16 readable bytes from `off`
/// (all but the last component or two of a name) takes the fast path: two
/// 8-byte loads, masked to the component, no branch on its length.
#[inline(always)]
pub(crate) fn extend(state: u64, w: &[u8], off: usize, end: usize) -> u64 {
    let n = end - off;
    if n <= 16 && off + 16 <= w.len() {
        let a = rd(w, off) & MASK_A[n];
        let b = rd(w, off + 8) & MASK_B[n];
        mix(state, a, b, n)
    } else {
        extend_slow(state, w, off, end)
    }
}

/// Low `min(n, 8)` bytes of a word, for `n` in `0..=16`.
const MASK_A: [u64; 17] = masks(0);
/// Low `clamp(n - 8, 0, 8)` bytes of a word, for `n` in `0..=16`.
const MASK_B: [u64; 17] = masks(8);

const fn masks(skip: usize) -> [u64; 17] {
    let mut m = [0u64; 17];
    let mut n = 0;
    while n <= 16 {
        let bytes = if n <= skip {
            0
        } else if n - skip >= 8 {
            8
        } else {
            n - skip
        };
        m[n] = if bytes == 8 { u64::MAX } else { (1u64 << (8 * bytes)) - 1 };
        n += 1;
    }
    m
}

/// Same function as [`extend`] for the end of the name and components longer
/// than 16 bytes.
#[inline(never)]
fn extend_slow(state: u64, w: &[u8], off: usize, end: usize) -> u64 {
    fold_bytes(state, &w[off..end])
}

/// The hash of `b` (any length) from `state`: zero-padded through a 16-byte
/// copy when shorter than 16 bytes, else 16 bytes per folded multiply with
/// the last 16 bytes read by overlapping loads (so no byte loop). For at most
/// 16 bytes it equals [`extend`]'s fast path on the same bytes.
#[inline(always)]
fn fold_bytes(state: u64, b: &[u8]) -> u64 {
    let n = b.len();
    if n <= 16 {
        let mut buf = [0u8; 16];
        buf[..n].copy_from_slice(b);
        return mix(state, rd(&buf, 0), rd(&buf, 8), n);
    }
    let mut s = state;
    let mut i = 0;
    while i + 16 < n {
        s = fold_mul(s ^ rd(b, i) ^ K0, rd(b, i + 8) ^ K1);
        i += 16;
    }
    mix(s, rd(b, n - 16), rd(b, n - 8), n)
}

/// Hash of a whole name's wire bytes, `w` of any length (see [`fold_bytes`]).
/// For [`crate::LookupCache`], which verifies every hit against the stored
/// bytes.
#[inline(always)]
pub(crate) fn name_hash(seed: u64, w: &[u8]) -> u64 {
    fold_bytes(seed, w)
}

/// Byte equality, 8 bytes at a time (the prefixes compared are short, so a
/// `memcmp` call would dominate).
#[inline(always)]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a == b;
    }
    let mut diff = rd(a, n - 8) ^ rd(b, n - 8);
    let mut i = 0;
    while i + 8 < n {
        diff |= rd(a, i) ^ rd(b, i);
        i += 8;
    }
    diff == 0
}

/// Per-build seed from the standard library's random hasher keys.
pub(crate) fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x6d73_635f_6669_6221);
    h.finish() | 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use dmsc_wire::name::Name;

    fn chain(seed: u64, name: &Name) -> Vec<u64> {
        let w = name.wire();
        let mut s = seed;
        let mut off = 0;
        let mut out = vec![s];
        for end in name.as_ref().component_ends() {
            s = extend(s, w, off, end);
            out.push(s);
            off = end;
        }
        out
    }

    #[test]
    fn prefix_hash_depends_only_on_prefix_bytes() {
        // Same prefix inside different (longer / shorter) wires, at every
        // component length class (short, 9..=16, > 16 bytes).
        for len in [1usize, 3, 7, 8, 9, 15, 16, 17, 40, 255] {
            let c = vec![b'x'; len];
            let a = Name::from_components([c.as_slice(), b"tail"]).unwrap();
            let b = Name::from_components([c.as_slice()]).unwrap();
            let d = Name::from_components([c.as_slice(), b"other-much-longer-tail-component"]).unwrap();
            let (ha, hb, hd) = (chain(7, &a), chain(7, &b), chain(7, &d));
            assert_eq!(ha[1], hb[1], "len {len}");
            assert_eq!(ha[1], hd[1], "len {len}");
            assert_ne!(ha[2], hd[2]);
        }
    }

    #[test]
    fn fast_and_slow_paths_agree() {
        for len in 1..=40usize {
            for other in [1usize, 5, 14, 15, 16, 30] {
                let c: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
                let o = vec![7u8; other];
                for name in [[&c, &o], [&o, &c]] {
                    let w = Name::from_components(name).unwrap();
                    let w = w.wire();
                    let mid = 1 + name[0].len();
                    for (off, end) in [(0, mid), (mid, w.len())] {
                        let fast = extend(3, w, off, end);
                        assert_eq!(fast, extend_slow(3, w, off, end), "{len} {other} {off}");
                    }
                }
            }
        }
    }

    #[test]
    fn bytes_eq_matches_slice_eq() {
        let a: Vec<u8> = (0..40).collect();
        for n in 0..40 {
            for flip in 0..n {
                let mut b = a[..n].to_vec();
                assert!(bytes_eq(&a[..n], &b));
                b[flip] ^= 1;
                assert!(!bytes_eq(&a[..n], &b), "n {n} flip {flip}");
            }
            assert!(!bytes_eq(&a[..n], &a[..n + 1]));
        }
    }

    #[test]
    fn distinct_prefixes_rarely_collide() {
        let mut seen = std::collections::HashSet::new();
        let mut n = 0;
        for i in 0..200u32 {
            for j in 0..100u32 {
                let name = Name::from_components([format!("s{i}"), format!("{j}"), "x".into()]).unwrap();
                let h = chain(12345, &name);
                seen.insert(h[2]);
                n += 1;
            }
        }
        assert_eq!(seen.len(), n);
        // Component boundaries matter: /ab != /a/b.
        let ab = Name::from_components([b"ab"]).unwrap();
        let a_b = Name::from_components([b"a", b"b"]).unwrap();
        assert_ne!(chain(1, &ab)[1], chain(1, &a_b)[2]);
    }
}
