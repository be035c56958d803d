//! Configuration errors with file positions and field paths.
//!
//! Every problem found in a configuration file becomes one [`ConfigError`]: the file name
//! (`origin`), the 1-based line and column of the offending key or value, the field path
//! (`ports[1].neighbors[0].mac`), a coarse [`ErrorKind`] and a human message. [`ConfigErrors`]
//! carries *all* of them, sorted by position, so that an operator fixes a file in one pass
//! instead of one `dmscd` start per typo.
//!
//! Positions come from the byte spans that the `toml` crate records for every key and value
//! (`toml::Spanned`, `toml::de::Error::span()`), converted to line and column here. Columns
//! count Unicode scalar values, not bytes, like most editors.
//!
//! Rejected alternatives: `anyhow`/boxed errors (callers and tests could not match on the
//! kind or position), and stopping at the first error (what plain `serde` does; fine for
//! structural errors, which the raw layer cannot recover from, but the semantic checks —
//! ranges, names, references — are all collected).
//!
//! Unlike the data-plane error enums these are not `Copy`: they carry the file name and a
//! message, and they are built once at start-up, never on the forwarding path.

use std::fmt;
use std::ops::Range;

/// A 1-based position in the configuration text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// Line number, starting at 1.
    pub line: usize,
    /// Column number in characters (Unicode scalar values), starting at 1.
    pub column: usize,
}

impl Location {
    /// Position of byte offset `offset` in `text` (clamped to the end of the text).
    ///
    /// A `\r` of a CRLF line ending belongs to its line, so columns are the same for LF and
    /// CRLF files.
    pub fn from_offset(text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location { line: before.matches('\n').count() + 1, column: before[line_start..].chars().count() + 1 }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// What kind of problem a [`ConfigError`] reports. For matching in code and tests; the
/// message carries the details.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The file could not be read (`load` only). No location.
    Io,
    /// The text is not valid TOML (unterminated string, duplicate key, bad table header...).
    Syntax,
    /// A key that the schema does not know (`deny_unknown_fields`).
    UnknownKey,
    /// A required key is absent (`node.name`, `ports[0].device`, ...).
    MissingKey,
    /// A value has the wrong TOML type (string where an integer is expected, ...).
    WrongType,
    /// A value has the right type but is malformed: a name, MAC address, device string,
    /// port or neighbour name, role, dispatch mode, EAL argument.
    InvalidValue,
    /// An integer outside its documented range.
    OutOfRange,
    /// A second port, device, neighbour, route prefix, lcore or next hop with the same
    /// identity as an earlier one.
    Duplicate,
    /// A route next hop naming a port or neighbour that is not defined.
    UnknownReference,
    /// A list that must not be empty is empty (`lcores`, `ports`, `next_hops`).
    Empty,
    /// Values that are fine alone but not together (mbuf pool too small for the rings,
    /// a PCI port with `--no-pci`, an EAL argument that `dataplane.lcores` owns...).
    Conflict,
}

/// One problem in a configuration file.
///
/// Display: `FILE:LINE:COL: `PATH`: MESSAGE`; the position is left out when there is none
/// ([`ErrorKind::Io`]) and the path when the error is not tied to a key (TOML syntax errors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file name given to [`crate::parse`] or [`crate::load`].
    pub origin: String,
    /// Where the offending key or value starts; `None` only for [`ErrorKind::Io`].
    pub location: Option<Location>,
    /// Field path such as `ports[1].neighbors[0].mac` (indices 0-based); empty for syntax
    /// and I/O errors.
    pub path: String,
    /// Coarse classification.
    pub kind: ErrorKind,
    /// Human-readable description, without position or path.
    pub message: String,
}

impl ConfigError {
    /// Line of the error (1-based), if it has a position.
    pub fn line(&self) -> Option<usize> {
        self.location.map(|l| l.line)
    }

    /// Column of the error (1-based, in characters), if it has a position.
    pub fn column(&self) -> Option<usize> {
        self.location.map(|l| l.column)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.origin)?;
        if let Some(loc) = self.location {
            write!(f, "{loc}:")?;
        }
        if !self.path.is_empty() {
            write!(f, " `{}`:", self.path)?;
        }
        write!(f, " {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// All the problems found in one configuration file; never empty. Sorted by position
/// (errors without a position first), then in the order they were found.
///
/// Display: one [`ConfigError`] per line, no trailing newline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigErrors {
    errors: Vec<ConfigError>,
}

impl ConfigErrors {
    /// Wraps a non-empty list, sorting it by position (stable).
    ///
    /// # Panics
    /// If `errors` is empty: a `ConfigErrors` always reports at least one problem.
    pub fn new(mut errors: Vec<ConfigError>) -> ConfigErrors {
        assert!(!errors.is_empty(), "ConfigErrors must not be empty");
        errors.sort_by_key(|e| e.location);
        ConfigErrors { errors }
    }

    /// The errors, sorted by position.
    pub fn errors(&self) -> &[ConfigError] {
        &self.errors
    }

    /// Number of errors (at least 1).
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Always `false`; present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Iterator over the errors.
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.errors.iter()
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Collects errors while validating one file.
pub(crate) struct Collector<'a> {
    pub text: &'a str,
    pub origin: &'a str,
    pub errors: Vec<ConfigError>,
}

impl<'a> Collector<'a> {
    pub fn new(text: &'a str, origin: &'a str) -> Self {
        Collector { text, origin, errors: Vec::new() }
    }

    /// Records an error at the start of byte span `span`.
    pub fn push(&mut self, span: Range<usize>, path: &str, kind: ErrorKind, message: String) {
        self.errors.push(ConfigError {
            origin: self.origin.to_owned(),
            location: Some(Location::from_offset(self.text, span.start)),
            path: path.to_owned(),
            kind,
            message,
        });
    }

    pub fn finish(self) -> Result<(), ConfigErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors::new(self.errors))
        }
    }
}

/// Turns a `toml` error (syntax or serde structure) into a [`ConfigError`], recovering the
/// field path from the error span: the document is re-parsed into `toml::de::DeTable`, which
/// keeps the span of every key and value, and the narrowest key or value containing the
/// error start names the path. `missing field `x`` errors point at the enclosing table, so
/// the missing key is appended to its path.
pub(crate) fn from_toml_error(text: &str, origin: &str, err: &toml::de::Error) -> ConfigError {
    let message = plain_words(&err.message().trim().replace('\n', "; "));
    let span = err.span();
    let syntax = toml::de::DeTable::parse(text);
    let (kind, path) = match &syntax {
        Err(_) => (ErrorKind::Syntax, String::new()),
        Ok(doc) => {
            let kind = if message.starts_with("unknown field") {
                ErrorKind::UnknownKey
            } else if message.starts_with("missing field") {
                ErrorKind::MissingKey
            } else if message.starts_with("invalid type") || message.starts_with("invalid length") {
                ErrorKind::WrongType
            } else {
                ErrorKind::InvalidValue
            };
            let mut path = match &span {
                Some(span) => path_at(doc.get_ref(), span.start),
                None => String::new(),
            };
            if kind == ErrorKind::MissingKey {
                if let Some(field) = backticked(&message) {
                    // toml reports a missing top-level key with an empty span at offset 0,
                    // where the lookup would find the first table instead of the root.
                    if span.as_ref().map_or(true, |s| s.is_empty()) {
                        path.clear();
                    }
                    path = join_key(&path, field);
                }
            }
            (kind, path)
        }
    };
    ConfigError {
        origin: origin.to_owned(),
        location: Some(Location::from_offset(text, span.map_or(0, |s| s.start))),
        path,
        kind,
        message,
    }
}

/// Rewrites serde's vocabulary in TOML's: "map" → "table", "sequence" → "array", and the
/// internal raw struct names → "a table".
fn plain_words(msg: &str) -> String {
    let mut out = msg
        .replace("invalid type: map", "invalid type: table")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("expected a sequence", "expected an array")
        .replace("expected a map", "expected a table");
    while let Some(at) = out.find("struct Raw") {
        let end = out[at + "struct ".len()..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map_or(out.len(), |e| at + "struct ".len() + e);
        let article_at = out[..at].ends_with("expected ");
        out.replace_range(at..end, if article_at { "a table" } else { "table" });
    }
    out
}

/// The first `...`-quoted word in `msg`.
fn backticked(msg: &str) -> Option<&str> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(&msg[start..start + len])
}

/// Appends a key to a field path, quoting keys that are not bare identifiers.
pub(crate) fn join_key(path: &str, key: &str) -> String {
    let bare = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let key = if bare { key.to_owned() } else { format!("{key:?}") };
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

/// Field path of the narrowest key or value whose span contains byte `offset`.
fn path_at(root: &toml::de::DeTable<'_>, offset: usize) -> String {
    struct Best {
        len: usize,
        path: String,
    }
    fn consider(best: &mut Option<Best>, span: Range<usize>, offset: usize, path: &str) {
        let hit = span.contains(&offset) || (span.is_empty() && span.start == offset);
        let narrower = match best {
            Some(b) => span.len() <= b.len,
            None => true,
        };
        if hit && narrower {
            *best = Some(Best { len: span.len(), path: path.to_owned() });
        }
    }
    fn walk(v: &toml::de::DeValue<'_>, path: &str, offset: usize, best: &mut Option<Best>) {
        match v {
            toml::de::DeValue::Table(t) => {
                for (k, v) in t.iter() {
                    let p = join_key(path, k.get_ref());
                    consider(best, k.span(), offset, &p);
                    consider(best, v.span(), offset, &p);
                    walk(v.get_ref(), &p, offset, best);
                }
            }
            toml::de::DeValue::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    let p = format!("{path}[{i}]");
                    consider(best, v.span(), offset, &p);
                    walk(v.get_ref(), &p, offset, best);
                }
            }
            _ => {}
        }
    }
    let mut best = None;
    for (k, v) in root.iter() {
        let p = join_key("", k.get_ref());
        consider(&mut best, k.span(), offset, &p);
        consider(&mut best, v.span(), offset, &p);
        walk(v.get_ref(), &p, offset, &mut best);
    }
    best.map(|b| b.path).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_chars() {
        let t = "ab\nçd = 1\r\nxyz";
        assert_eq!(Location::from_offset(t, 0), Location { line: 1, column: 1 });
        assert_eq!(Location::from_offset(t, 1), Location { line: 1, column: 2 });
        assert_eq!(Location::from_offset(t, 3), Location { line: 2, column: 1 });
        // 'ç' is two bytes; 'd' is the second character.
        assert_eq!(Location::from_offset(t, 5), Location { line: 2, column: 2 });
        assert_eq!(Location::from_offset(t, 12), Location { line: 3, column: 1 });
        assert_eq!(Location::from_offset(t, 999), Location { line: 3, column: 4 });
        // Inside a multi-byte character: rounds down to its start.
        assert_eq!(Location::from_offset(t, 4), Location { line: 2, column: 1 });
    }

    #[test]
    fn join_key_quotes_odd_keys() {
        assert_eq!(join_key("", "node"), "node");
        assert_eq!(join_key("ports[0]", "mac"), "ports[0].mac");
        assert_eq!(join_key("a", "b c"), "a.\"b c\"");
    }

    #[test]
    fn display_formats() {
        let e = ConfigError {
            origin: "f.toml".into(),
            location: Some(Location { line: 3, column: 7 }),
            path: "ports[1].mtu".into(),
            kind: ErrorKind::OutOfRange,
            message: "too big".into(),
        };
        assert_eq!(e.to_string(), "f.toml:3:7: `ports[1].mtu`: too big");
        let io = ConfigError { location: None, path: String::new(), kind: ErrorKind::Io, ..e.clone() };
        assert_eq!(io.to_string(), "f.toml: too big");
        let all = ConfigErrors::new(vec![e.clone(), io.clone()]);
        assert_eq!(all.errors()[0], io);
        assert_eq!(all.to_string(), format!("{io}\n{e}"));
    }
}
