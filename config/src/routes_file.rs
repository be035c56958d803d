//! The routes file: static routes one per line, for FIBs too large for `[[routes]]`.
//!
//! A configuration may name a plain-text file with `routes_file = "routes.txt"` (a relative
//! path is relative to the configuration file's directory). Each non-blank line is one
//! route with one next hop:
//!
//! ```text
//! # PREFIX             PORT  NEIGHBOR  [COST]
//! /svc01/method02/ab   p1    sr2       10
//! /svc01/method03      p1    sr2
//! ```
//!
//! Fields are separated by spaces or tabs; `#` starts a comment that runs to the end of the
//! line. `COST` defaults to [`crate::defaults::COST`] and must be in [`crate::limits::COST`].
//! Every prefix appears once, in the file and among the `[[routes]]` tables together
//! (a duplicate is an error naming both places). The routes are appended to
//! [`crate::Config::routes`] after the `[[routes]]` ones, in file order.
//!
//! Errors read `FILE:LINE:COL: `routes_file`: MESSAGE`, all of them collected (up to
//! [`MAX_ERRORS`], so that a wrong file of 10^6 lines does not print 10^6 lines).
//!
//! Why not TOML: 10^6 `[[routes]]` tables are ~80 MB of TOML and take tens of seconds to
//! deserialize with spans; this format is one pass over the bytes (about 1 s per 10^6
//! routes in a release build, dominated by name parsing and the duplicate check).
//! Rejected: several next hops per line (ECMP) — with an optional cost the fields are
//! ambiguous; ECMP routes stay in `[[routes]]`.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{ConfigError, ErrorKind, Location};
use crate::{defaults, limits, Name, Port, Route, RouteNextHop};

/// Most errors reported for one routes file; later ones are summarised in one message.
pub const MAX_ERRORS: usize = 100;

/// Field path used in routes-file errors.
const PATH: &str = "routes_file";

/// Parses routes-file `text` (named `origin` in errors) against the validated `ports`;
/// `existing` are the `[[routes]]` already accepted, with a description of where each is
/// defined (for duplicate messages).
pub(crate) fn parse(
    text: &str,
    origin: &str,
    ports: &[Port],
    existing: &HashMap<Name, String>,
) -> Result<Vec<Route>, Vec<ConfigError>> {
    let mut errors: Vec<ConfigError> = Vec::new();
    let mut suppressed = 0usize;
    let mut push = |errors: &mut Vec<ConfigError>, line: usize, column: usize, kind, message: String| {
        if errors.len() < MAX_ERRORS {
            errors.push(ConfigError {
                origin: origin.to_owned(),
                location: Some(Location { line, column }),
                path: PATH.to_owned(),
                kind,
                message,
            });
        } else {
            suppressed += 1;
        }
    };
    // Lines of this file's prefixes (for duplicate messages).
    let mut seen: HashMap<Name, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, raw_line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw_line.split('#').next().unwrap_or("");
        // Fields with their 1-based columns (byte columns: the format is ASCII; a non-ASCII
        // prefix is invalid anyway and reported at its start).
        let mut fields: [(&str, usize); 5] = [("", 0); 5];
        let mut n = 0;
        let mut rest = line;
        let mut offset = 0;
        loop {
            let trimmed = rest.trim_start_matches([' ', '\t', '\r']);
            offset += rest.len() - trimmed.len();
            if trimmed.is_empty() {
                break;
            }
            let end = trimmed.find([' ', '\t', '\r']).unwrap_or(trimmed.len());
            if n < fields.len() {
                fields[n] = (&trimmed[..end], offset + 1);
            }
            n += 1;
            offset += end;
            rest = &trimmed[end..];
        }
        if n == 0 {
            continue;
        }
        if !(3..=4).contains(&n) {
            push(
                &mut errors,
                line_no,
                1,
                ErrorKind::InvalidValue,
                format!("expected `PREFIX PORT NEIGHBOR [COST]`, found {n} fields"),
            );
            continue;
        }
        let (prefix_s, prefix_col) = fields[0];
        let prefix = match prefix_s.parse::<Name>() {
            Ok(p) => Some(p),
            Err(e) => {
                push(
                    &mut errors,
                    line_no,
                    prefix_col,
                    ErrorKind::InvalidValue,
                    format!("invalid name {prefix_s:?}: {e}"),
                );
                None
            }
        };
        let (port_s, port_col) = fields[1];
        let (neighbor_s, neighbor_col) = fields[2];
        match ports.iter().find(|p| p.name == port_s) {
            None => push(
                &mut errors,
                line_no,
                port_col,
                ErrorKind::UnknownReference,
                format!(
                    "unknown port {port_s:?} (defined ports: {})",
                    ports.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ),
            Some(p) if p.neighbor(neighbor_s).is_none() => push(
                &mut errors,
                line_no,
                neighbor_col,
                ErrorKind::UnknownReference,
                format!(
                    "port {port_s:?} has no neighbor {neighbor_s:?} (its neighbors: {})",
                    p.neighbors.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ),
            Some(_) => {}
        }
        let cost = if n == 4 {
            let (cost_s, cost_col) = fields[3];
            match cost_s.parse::<i64>() {
                Ok(c) if limits::COST.contains(&c) => c as u32,
                Ok(c) => {
                    push(
                        &mut errors,
                        line_no,
                        cost_col,
                        ErrorKind::OutOfRange,
                        format!("cost {c} out of range {}..={}", limits::COST.start(), limits::COST.end()),
                    );
                    defaults::COST
                }
                Err(_) => {
                    push(
                        &mut errors,
                        line_no,
                        cost_col,
                        ErrorKind::InvalidValue,
                        format!("invalid cost {cost_s:?}: expected an integer"),
                    );
                    defaults::COST
                }
            }
        } else {
            defaults::COST
        };
        let Some(prefix) = prefix else { continue };
        if let Some(at) = existing.get(&prefix) {
            push(
                &mut errors,
                line_no,
                prefix_col,
                ErrorKind::Duplicate,
                format!("duplicate route prefix {prefix} (also in {at})"),
            );
            continue;
        }
        if let Some(first) = seen.get(&prefix) {
            push(
                &mut errors,
                line_no,
                prefix_col,
                ErrorKind::Duplicate,
                format!("duplicate route prefix {prefix} (first defined at line {first})"),
            );
            continue;
        }
        seen.insert(prefix.clone(), line_no);
        out.push(Route {
            prefix,
            next_hops: vec![RouteNextHop { port: port_s.to_owned(), neighbor: neighbor_s.to_owned(), cost }],
        });
    }
    if suppressed > 0 {
        errors.push(ConfigError {
            origin: origin.to_owned(),
            location: Some(Location { line: text.lines().count().max(1), column: 1 }),
            path: PATH.to_owned(),
            kind: ErrorKind::InvalidValue,
            message: format!("{suppressed} more errors not shown"),
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Reads `path` (already resolved against the configuration's directory) and parses it.
/// An unreadable file is one [`ErrorKind::Io`] error at the `routes_file` key
/// (`key_error` builds it from the message).
pub(crate) fn load(
    path: &Path,
    ports: &[Port],
    existing: &HashMap<Name, String>,
    key_error: impl FnOnce(String) -> ConfigError,
) -> Result<Vec<Route>, Vec<ConfigError>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![key_error(format!("cannot read routes file {}: {e}", path.display()))])?;
    parse(&text, &path.display().to_string(), ports, existing)
}
