//! Hierarchical service names: the routable identifiers of DMSC.
//!
//! DMSC forwards "based on unique microservice prefixes" instead of IP addresses and ports
//! [draft-li-dmsc-architecture §6.2]; a service prefix such as `/payments/charge` is a
//! sequence of opaque byte strings (*name components*). Longest-prefix matching happens on
//! whole components, never on bytes or bits.
//!
//! # Wire form
//! A name is a sequence of components, each a 1-byte length `L` (1..=255) followed by `L`
//! bytes. The root name `/` has zero components and an empty wire form. At most
//! [`MAX_COMPONENTS`] components and [`MAX_NAME_LEN`] bytes of wire form. The total length is
//! not part of the name: the enclosing header carries it (see `docs/protocol.md`).
//!
//! # URI form
//! `Display`/`FromStr` use `"/"` for the root and otherwise `"/" + components joined by "/"`,
//! each byte outside the RFC 3986 *unreserved* set (`ALPHA DIGIT - . _ ~`) written as `%XX`
//! (upper-case hex) [RFC 3986 §2.1, §2.3]. Parsing accepts `%xx` in either case, RFC 3986
//! `pchar` characters (unreserved, sub-delims, `:` and `@`) literally, ignores one trailing
//! `/`, and rejects empty components (`/a//b`), bad escapes and anything else with
//! [`Error::BadUri`]. Dot segments (`.`, `..`) are ordinary components: names are not paths
//! and are never normalised.
//!
//! # Design
//! [`NameRef`] is a validated, zero-copy, `Copy` view (one slice) used on the hot path:
//! parsing validates the whole name in one pass and never allocates, and the component
//! iterators are allocation-free. [`Name`] owns its wire bytes in a `Vec` and is used by the
//! control plane, the FIB builder and configuration. Both order and hash exactly like their
//! wire bytes, so `Name` can be looked up in a `HashMap<Name, _>` by `&[u8]` wire form
//! (`Name: Borrow<[u8]>`).
//!
//! Alternatives rejected: a 1-byte-length *TLV per component* as in NDN (type + varint length)
//! costs 1–3 bytes more per component and a type dispatch per component for no benefit inside
//! one administrative domain; a flat string with `/` separators would need escaping on the wire
//! and a byte scan to find component boundaries, which the FIB's per-component hashing makes
//! free with length bytes; storing the component count or a table of offsets in `NameRef`
//! would make it bigger than two words and must be recomputed from the bytes anyway.

use core::borrow::Borrow;
use core::fmt;
use core::str::FromStr;

use crate::Error;

/// Maximum number of components in a name.
pub const MAX_COMPONENTS: usize = 32;
/// Maximum length of one component, in bytes (the length byte's range).
pub const MAX_COMPONENT_LEN: usize = 255;
/// Maximum length of a name in wire form, in bytes (length bytes included).
pub const MAX_NAME_LEN: usize = 512;

/// Validates a wire-form name in one pass; returns its number of components.
///
/// Checks, in this order: total length <= 512 ([`Error::NameTooLong`]); then for each
/// component: length byte non-zero ([`Error::EmptyComponent`]), at most 32 components
/// ([`Error::TooManyComponents`]), the component ends within the name
/// ([`Error::BadNameLength`]).
#[inline]
fn validate(wire: &[u8]) -> Result<usize, Error> {
    if wire.len() > MAX_NAME_LEN {
        return Err(Error::NameTooLong);
    }
    let mut offset = 0usize;
    let mut count = 0usize;
    while offset < wire.len() {
        let len = wire[offset] as usize;
        if len == 0 {
            return Err(Error::EmptyComponent);
        }
        count += 1;
        if count > MAX_COMPONENTS {
            return Err(Error::TooManyComponents);
        }
        offset += 1 + len;
        if offset > wire.len() {
            return Err(Error::BadNameLength);
        }
    }
    Ok(count)
}

/// A validated zero-copy view of a name in wire form. Two words, `Copy`, never allocates.
///
/// Equality, ordering and hashing are those of the wire bytes. Every `NameRef` handed out by
/// this crate's checked constructors is valid; the accessors never panic, even on a view
/// obtained from an unchecked packet (they then yield garbage but stay in bounds).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameRef<'a> {
    wire: &'a [u8],
}

impl<'a> NameRef<'a> {
    /// The root name `/` (zero components, empty wire form).
    pub const ROOT: NameRef<'static> = NameRef { wire: &[] };

    /// Validates `wire` as a complete name in wire form (see the module docs) and returns a
    /// view of it. One pass, no allocation.
    ///
    /// # Errors
    /// [`Error::NameTooLong`], [`Error::EmptyComponent`], [`Error::TooManyComponents`],
    /// [`Error::BadNameLength`].
    #[inline]
    pub fn parse(wire: &'a [u8]) -> Result<NameRef<'a>, Error> {
        validate(wire)?;
        Ok(NameRef { wire })
    }

    /// Wraps bytes that the caller has already validated (e.g. by `Packet::new_checked`).
    #[inline]
    pub(crate) fn from_validated(wire: &'a [u8]) -> NameRef<'a> {
        NameRef { wire }
    }

    /// The wire form (length-prefixed components, no overall length).
    #[inline]
    pub fn wire(&self) -> &'a [u8] {
        self.wire
    }

    /// Length of the wire form in bytes (0 for the root).
    #[inline]
    pub fn wire_len(&self) -> usize {
        self.wire.len()
    }

    /// Number of components (0 for the root). Walks the length bytes: at most 32 steps.
    #[inline]
    pub fn len(&self) -> usize {
        self.components().count()
    }

    /// True for the root name `/`.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.wire.is_empty()
    }

    /// True for the root name `/` (same as [`NameRef::is_empty`]).
    #[inline]
    pub fn is_root(&self) -> bool {
        self.wire.is_empty()
    }

    /// Iterator over the components' bytes (without their length bytes), first to last.
    #[inline]
    pub fn components(&self) -> Components<'a> {
        Components { rest: self.wire }
    }

    /// The `index`-th component (0-based), or `None` past the last one.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&'a [u8]> {
        self.components().nth(index)
    }

    /// Iterator over the wire offsets at which each component ends: the `k`-th item is
    /// `prefix_wire_len(k + 1)`, so `&wire()[..end]` is the wire form of the `k+1`-component
    /// prefix. This is what a FIB that hashes prefixes incrementally needs; no allocation.
    #[inline]
    pub fn component_ends(&self) -> ComponentEnds<'a> {
        ComponentEnds { wire: self.wire, offset: 0 }
    }

    /// Calls `f(end)` for each component end offset, in order (same values as
    /// [`NameRef::component_ends`]).
    #[inline]
    pub fn for_each_component_end<F: FnMut(usize)>(&self, f: F) {
        self.component_ends().for_each(f)
    }

    /// Wire length in bytes of the prefix made of the first `n` components. `n` greater than
    /// [`NameRef::len`] gives the whole name's wire length (it never panics).
    #[inline]
    pub fn prefix_wire_len(&self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        self.component_ends().take(n).last().unwrap_or(0)
    }

    /// The prefix made of the first `n` components (the whole name if `n >= len()`).
    #[inline]
    pub fn prefix(&self, n: usize) -> NameRef<'a> {
        NameRef { wire: &self.wire[..self.prefix_wire_len(n)] }
    }

    /// True if `prefix` is a prefix of `self` on whole components (every name starts with
    /// the root and with itself). For valid names this is a byte-prefix test on the wire
    /// forms: equal leading bytes imply equal component boundaries.
    #[inline]
    pub fn starts_with(&self, prefix: NameRef<'_>) -> bool {
        self.wire.starts_with(prefix.wire)
    }

    /// Copies the name into an owned [`Name`] (allocates).
    #[allow(clippy::wrong_self_convention, clippy::should_implement_trait)]
    pub fn to_owned(&self) -> Name {
        Name { wire: self.wire.to_vec() }
    }
}

impl fmt::Display for NameRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_uri(self.wire, f)
    }
}

impl fmt::Debug for NameRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_uri(self.wire, f)
    }
}

/// Iterator over the components of a name, see [`NameRef::components`].
#[derive(Clone, Debug)]
pub struct Components<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Components<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, tail) = self.rest.split_first()?;
        let len = len as usize;
        if len > tail.len() {
            // Only reachable through an unchecked packet: stop instead of panicking.
            self.rest = &[];
            return None;
        }
        let (component, rest) = tail.split_at(len);
        self.rest = rest;
        Some(component)
    }
}

impl core::iter::FusedIterator for Components<'_> {}

/// Iterator over component end offsets, see [`NameRef::component_ends`].
#[derive(Clone, Debug)]
pub struct ComponentEnds<'a> {
    wire: &'a [u8],
    offset: usize,
}

impl Iterator for ComponentEnds<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        let len = *self.wire.get(self.offset)? as usize;
        let end = self.offset + 1 + len;
        if end > self.wire.len() {
            // Only reachable through an unchecked packet: stop instead of panicking.
            self.offset = self.wire.len();
            return None;
        }
        self.offset = end;
        Some(end)
    }
}

impl core::iter::FusedIterator for ComponentEnds<'_> {}

/// An owned name: its wire bytes in a `Vec`. Equality, ordering and hashing are those of the
/// wire bytes (so `Name: Borrow<[u8]>` is sound). `Default` is the root name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Name {
    wire: Vec<u8>,
}

impl Name {
    /// The root name `/`.
    pub fn root() -> Name {
        Name { wire: Vec::new() }
    }

    /// Builds a name from its components' bytes (not URI-escaped).
    ///
    /// # Errors
    /// [`Error::EmptyComponent`], [`Error::ComponentTooLong`], [`Error::TooManyComponents`],
    /// [`Error::NameTooLong`].
    pub fn from_components<I>(components: I) -> Result<Name, Error>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let mut name = Name::root();
        for component in components {
            name.push(component.as_ref())?;
        }
        Ok(name)
    }

    /// Appends one component.
    ///
    /// # Errors
    /// [`Error::EmptyComponent`] (empty `component`), [`Error::ComponentTooLong`] (> 255
    /// bytes), [`Error::TooManyComponents`] (already 32), [`Error::NameTooLong`] (wire form
    /// would exceed 512 bytes). On error the name is unchanged.
    pub fn push(&mut self, component: &[u8]) -> Result<(), Error> {
        if component.is_empty() {
            return Err(Error::EmptyComponent);
        }
        if component.len() > MAX_COMPONENT_LEN {
            return Err(Error::ComponentTooLong);
        }
        if self.len() >= MAX_COMPONENTS {
            return Err(Error::TooManyComponents);
        }
        if self.wire.len() + 1 + component.len() > MAX_NAME_LEN {
            return Err(Error::NameTooLong);
        }
        self.wire.push(component.len() as u8);
        self.wire.extend_from_slice(component);
        Ok(())
    }

    /// Removes the last component and returns `true`, or returns `false` for the root.
    pub fn pop(&mut self) -> bool {
        let n = self.len();
        if n == 0 {
            return false;
        }
        let keep = self.as_ref().prefix_wire_len(n - 1);
        self.wire.truncate(keep);
        true
    }

    /// A zero-copy view of this name.
    #[allow(clippy::should_implement_trait)]
    #[inline]
    pub fn as_ref(&self) -> NameRef<'_> {
        NameRef { wire: &self.wire }
    }

    /// Validates and copies a name in wire form (same checks as [`NameRef::parse`]).
    pub fn from_wire(wire: &[u8]) -> Result<Name, Error> {
        Ok(NameRef::parse(wire)?.to_owned())
    }

    /// Parses the URI form (same as `str::parse`), see the module docs.
    ///
    /// # Errors
    /// [`Error::BadUri`] for syntax errors (no leading `/`, empty component, bad escape,
    /// character outside RFC 3986 `pchar`), and [`Error::ComponentTooLong`],
    /// [`Error::TooManyComponents`], [`Error::NameTooLong`] for limits.
    pub fn from_uri(uri: &str) -> Result<Name, Error> {
        parse_uri(uri)
    }

    /// The wire form.
    #[inline]
    pub fn wire(&self) -> &[u8] {
        &self.wire
    }

    /// Consumes the name, returning its wire form.
    pub fn into_wire(self) -> Vec<u8> {
        self.wire
    }

    /// Number of components (0 for the root).
    #[inline]
    pub fn len(&self) -> usize {
        self.as_ref().len()
    }

    /// True for the root name.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.wire.is_empty()
    }

    /// True for the root name (same as [`Name::is_empty`]).
    #[inline]
    pub fn is_root(&self) -> bool {
        self.wire.is_empty()
    }

    /// Iterator over the components' bytes.
    pub fn components(&self) -> Components<'_> {
        self.as_ref().components()
    }

    /// True if `prefix` is a prefix of this name on whole components.
    pub fn starts_with(&self, prefix: NameRef<'_>) -> bool {
        self.as_ref().starts_with(prefix)
    }
}

impl Borrow<[u8]> for Name {
    fn borrow(&self) -> &[u8] {
        &self.wire
    }
}

impl<'a> From<NameRef<'a>> for Name {
    fn from(name: NameRef<'a>) -> Name {
        name.to_owned()
    }
}

impl<'a> From<&'a Name> for NameRef<'a> {
    fn from(name: &'a Name) -> NameRef<'a> {
        name.as_ref()
    }
}

impl PartialEq<NameRef<'_>> for Name {
    fn eq(&self, other: &NameRef<'_>) -> bool {
        self.wire == other.wire
    }
}

impl PartialEq<Name> for NameRef<'_> {
    fn eq(&self, other: &Name) -> bool {
        self.wire == other.wire.as_slice()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_uri(&self.wire, f)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_uri(&self.wire, f)
    }
}

impl FromStr for Name {
    type Err = Error;

    fn from_str(s: &str) -> Result<Name, Error> {
        parse_uri(s)
    }
}

/// RFC 3986 §2.3 unreserved: kept literally in the URI form.
#[inline]
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 §3.3 `pchar` minus `pct-encoded`: accepted literally when parsing.
#[inline]
fn is_literal_pchar(b: u8) -> bool {
    is_unreserved(b)
        || matches!(b, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':' | b'@')
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Writes the URI form of a wire-form name. Runs of unreserved bytes are written in one call.
fn write_uri(wire: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let name = NameRef { wire };
    let mut wrote_any = false;
    for component in name.components() {
        wrote_any = true;
        f.write_str("/")?;
        let mut run_start = 0;
        for (i, &b) in component.iter().enumerate() {
            if !is_unreserved(b) {
                if run_start < i {
                    write_ascii(&component[run_start..i], f)?;
                }
                let esc = [b'%', HEX_UPPER[(b >> 4) as usize], HEX_UPPER[(b & 0xf) as usize]];
                write_ascii(&esc, f)?;
                run_start = i + 1;
            }
        }
        if run_start < component.len() {
            write_ascii(&component[run_start..], f)?;
        }
    }
    if !wrote_any {
        f.write_str("/")?;
    }
    Ok(())
}

/// Writes bytes known to be ASCII.
fn write_ascii(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match core::str::from_utf8(bytes) {
        Ok(s) => f.write_str(s),
        Err(_) => Err(fmt::Error),
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn parse_uri(uri: &str) -> Result<Name, Error> {
    let bytes = uri.as_bytes();
    let Some((&b'/', mut rest)) = bytes.split_first() else {
        return Err(Error::BadUri);
    };
    if rest.is_empty() {
        return Ok(Name::root());
    }
    if let Some((&b'/', init)) = rest.split_last() {
        rest = init;
        if rest.is_empty() {
            // "//": an empty component before the trailing slash.
            return Err(Error::BadUri);
        }
    }
    // Each component is decoded straight into the wire bytes behind a
    // placeholder length byte, into one buffer sized from the URI (a
    // component `/c` of the URI becomes a length byte and at most as many
    // bytes as `c`, so the wire form never needs more than `uri.len()`
    // bytes): one allocation per name, none per component. The checks and
    // their order are [`Name::push`]'s.
    let mut wire: Vec<u8> = Vec::with_capacity(bytes.len());
    for (components, segment) in rest.split(|&b| b == b'/').enumerate() {
        if segment.is_empty() {
            return Err(Error::BadUri);
        }
        let start = wire.len();
        wire.push(0);
        let mut i = 0;
        while i < segment.len() {
            let b = segment[i];
            if b == b'%' {
                let hi = segment.get(i + 1).copied().and_then(hex_value);
                let lo = segment.get(i + 2).copied().and_then(hex_value);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => wire.push(hi << 4 | lo),
                    _ => return Err(Error::BadUri),
                }
                i += 3;
            } else if is_literal_pchar(b) {
                wire.push(b);
                i += 1;
            } else {
                return Err(Error::BadUri);
            }
        }
        let len = wire.len() - start - 1;
        if len > MAX_COMPONENT_LEN {
            return Err(Error::ComponentTooLong);
        }
        if components >= MAX_COMPONENTS {
            return Err(Error::TooManyComponents);
        }
        if wire.len() > MAX_NAME_LEN {
            return Err(Error::NameTooLong);
        }
        wire[start] = len as u8;
    }
    let name = Name { wire };
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(uri: &str) -> Name {
        uri.parse().unwrap()
    }

    #[test]
    fn wire_form_of_two_components() {
        let name = n("/B/4");
        assert_eq!(name.wire(), &[1, b'B', 1, b'4']);
        assert_eq!(name.len(), 2);
        assert_eq!(name.to_string(), "/B/4");
    }

    #[test]
    fn root_is_empty() {
        let root = n("/");
        assert!(root.is_root() && root.is_empty());
        assert_eq!(root.wire(), &[] as &[u8]);
        assert_eq!(root.to_string(), "/");
        assert_eq!(root, Name::root());
        assert_eq!(root, Name::default());
        assert_eq!(NameRef::ROOT, root.as_ref());
    }

    #[test]
    fn escapes_and_trailing_slash() {
        let name = n("/a%2fb/c%20d/");
        assert_eq!(name.components().collect::<Vec<_>>(), vec![&b"a/b"[..], b"c d"]);
        assert_eq!(name.to_string(), "/a%2Fb/c%20d");
        assert_eq!(n("/x:y@z!"), Name::from_components(["x:y@z!"]).unwrap());
        assert_eq!(n("/x:y@z!").to_string(), "/x%3Ay%40z%21");
        assert_eq!(n("/~a-b_c.d").to_string(), "/~a-b_c.d");
    }

    #[test]
    fn bad_uris() {
        for bad in ["", "a", "a/b", "//", "/a//b", "//a", "/a%", "/a%4", "/a%zz", "/a b", "/é", "/a\n", "/a/b//"] {
            assert_eq!(bad.parse::<Name>(), Err(Error::BadUri), "{bad:?}");
        }
    }

    #[test]
    fn uri_limits() {
        let long = format!("/{}", "x".repeat(256));
        assert_eq!(long.parse::<Name>(), Err(Error::ComponentTooLong));
        let ok = format!("/{}", "x".repeat(255));
        assert_eq!(ok.parse::<Name>().unwrap().wire().len(), 256);
        let many = "/a".repeat(33);
        assert_eq!(many.parse::<Name>(), Err(Error::TooManyComponents));
        assert_eq!("/a".repeat(32).parse::<Name>().unwrap().len(), 32);
        let big = format!("/{0}/{0}/{1}", "x".repeat(200), "y".repeat(110));
        assert_eq!(big.parse::<Name>(), Err(Error::NameTooLong));
        let fits = format!("/{0}/{0}/{1}", "x".repeat(200), "y".repeat(109));
        assert_eq!(fits.parse::<Name>().unwrap().wire().len(), 512);
    }

    #[test]
    fn parse_wire_errors() {
        assert_eq!(NameRef::parse(&[0]), Err(Error::EmptyComponent));
        assert_eq!(NameRef::parse(&[1, b'a', 0]), Err(Error::EmptyComponent));
        assert_eq!(NameRef::parse(&[2, b'a']), Err(Error::BadNameLength));
        assert_eq!(NameRef::parse(&[1, b'a', 5, 1]), Err(Error::BadNameLength));
        assert_eq!(NameRef::parse(&[1u8, b'a'].repeat(33)), Err(Error::TooManyComponents));
        assert_eq!(NameRef::parse(&[0u8; 513]), Err(Error::NameTooLong));
        assert!(NameRef::parse(&[1u8, b'a'].repeat(32)).is_ok());
        assert!(NameRef::parse(&[]).unwrap().is_root());
    }

    #[test]
    fn prefixes_and_component_ends() {
        let name = n("/payments/charge/v2");
        let r = name.as_ref();
        assert_eq!(r.component_ends().collect::<Vec<_>>(), vec![9, 16, 19]);
        let mut ends = Vec::new();
        r.for_each_component_end(|e| ends.push(e));
        assert_eq!(ends, vec![9, 16, 19]);
        assert_eq!(r.prefix_wire_len(0), 0);
        assert_eq!(r.prefix_wire_len(2), 16);
        assert_eq!(r.prefix_wire_len(3), 19);
        assert_eq!(r.prefix_wire_len(99), 19);
        assert_eq!(r.prefix(2), n("/payments/charge").as_ref());
        assert_eq!(r.prefix(0), NameRef::ROOT);
        assert!(r.starts_with(n("/payments").as_ref()));
        assert!(r.starts_with(NameRef::ROOT));
        assert!(r.starts_with(r));
        assert!(!r.starts_with(n("/pay").as_ref()));
        assert!(!n("/payments").starts_with(r));
        assert_eq!(r.get(1), Some(&b"charge"[..]));
        assert_eq!(r.get(3), None);
    }

    #[test]
    fn push_pop_and_errors_leave_name_unchanged() {
        let mut name = n("/a");
        assert_eq!(name.push(b""), Err(Error::EmptyComponent));
        assert_eq!(name.push(&[7u8; 256]), Err(Error::ComponentTooLong));
        assert_eq!(name, n("/a"));
        name.push(b"b").unwrap();
        assert_eq!(name, n("/a/b"));
        assert!(name.pop());
        assert!(name.pop());
        assert!(!name.pop());
        assert!(name.is_root());
    }

    #[test]
    fn ordering_and_borrow_follow_wire_bytes() {
        use std::collections::HashMap;
        let a = n("/a");
        let ab = n("/a/b");
        let b = n("/b");
        assert!(a < ab && ab < b);
        let mut map = HashMap::new();
        map.insert(ab.clone(), 7);
        assert_eq!(map.get(ab.as_ref().wire()), Some(&7));
    }

    #[test]
    fn garbage_views_do_not_panic() {
        let r = NameRef::from_validated(&[3, b'a']);
        assert_eq!(r.components().count(), 0);
        assert_eq!(r.component_ends().count(), 0);
        assert_eq!(r.prefix_wire_len(5), 0);
        assert_eq!(r.to_string(), "/");
        let r = NameRef::from_validated(&[1, b'a', 9]);
        assert_eq!(r.len(), 1);
        assert_eq!(r.prefix(9).wire(), &[1, b'a']);
    }
}
