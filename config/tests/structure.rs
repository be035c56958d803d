//! Structural errors — TOML syntax, unknown keys, missing keys, wrong types — reported with
//! the exact position and field path.

mod common;

use common::*;
use dmsc_config::ErrorKind::*;

#[test]
fn unterminated_string_is_a_syntax_error_without_path() {
    let e = one("[node]\nname = \"/a\nrole = \"sr\"\n", 2, 11, "", Syntax, "string");
    assert!(e.to_string().starts_with("test.toml:2:11: "), "{e}");
}

#[test]
fn duplicate_toml_key_is_a_syntax_error() {
    one("[node]\nname = \"/a\"\nname = \"/b\"\nrole = \"sr\"\n", 3, 1, "", Syntax, "duplicate key");
}

#[test]
fn bad_table_header_is_a_syntax_error() {
    let errs = errors("[node\nname = \"/a\"\n");
    assert_eq!(errs[0].kind, Syntax);
    assert_eq!(errs[0].line(), Some(1));
}

#[test]
fn unknown_keys_at_top_level_and_after_a_table_header() {
    one(&format!("{NODE_PORT}colour = 1\n"), 7, 1, "ports[0].colour", UnknownKey, "unknown field `colour`");
    one(&format!("verbose = true\n{NODE_PORT}"), 1, 1, "verbose", UnknownKey, "expected one of `node`");
}

#[test]
fn unknown_key_in_node() {
    one(
        "[node]\nname = \"/a\"\nrole = \"sr\"\nrouter_id = 3\n",
        4,
        1,
        "node.router_id",
        UnknownKey,
        "expected `name` or `role`",
    );
}

#[test]
fn unknown_key_in_dataplane_names_the_known_ones() {
    let e = one(&format!("{NODE_PORT}[dataplane]\nmtu = 1500\n"), 8, 1, "dataplane.mtu", UnknownKey, "`burst_size`");
    assert!(e.message.contains("`stats_interval_s`"));
}

#[test]
fn unknown_key_in_eal() {
    one(&format!("{NODE_PORT}[eal]\nargv = []\n"), 8, 1, "eal.argv", UnknownKey, "expected `args`");
}

#[test]
fn unknown_key_in_nested_array_of_tables() {
    let text = format!(
        "{NODE_PORT}  [[ports.neighbors]]\n  name = \"a\"\n  mac = \"02:00:00:00:00:01\"\n\
         [[ports]]\nname = \"p1\"\ndevice = \"net_ring1\"\n  [[ports.neighbors]]\n  name = \"b\"\n\
         \x20 mac = \"02:00:00:00:00:02\"\n  colour = \"red\"\n"
    );
    one(&text, 16, 3, "ports[1].neighbors[0].colour", UnknownKey, "expected `name` or `mac`");
}

#[test]
fn typo_in_inline_next_hop() {
    let text =
        format!("{NODE_PORT}[[routes]]\nprefix = \"/a\"\nnext_hops = [ {{ port = \"p0\", neighbour = \"n\" }} ]\n");
    one(&text, 9, 30, "routes[0].next_hops[0].neighbour", UnknownKey, "`neighbor`");
}

#[test]
fn empty_file_misses_node() {
    one("", 1, 1, "node", MissingKey, "missing field `node`");
    one("# only a comment\n", 1, 1, "node", MissingKey, "missing field `node`");
}

#[test]
fn file_without_node_table() {
    let errs = errors("[[ports]]\nname = \"p0\"\ndevice = \"net_ring0\"\n");
    assert_eq!(errs.len(), 1);
    assert_eq!((errs[0].path.as_str(), errs[0].kind), ("node", MissingKey));
}

#[test]
fn missing_role_points_at_node_header() {
    one("\n\n[node]\nname = \"/a\"\n", 3, 1, "node.role", MissingKey, "missing field `role`");
}

#[test]
fn missing_device_points_at_its_port() {
    let text = format!("{NODE_PORT}[[ports]]\nname = \"p1\"\n");
    one(&text, 7, 1, "ports[1].device", MissingKey, "missing field `device`");
}

#[test]
fn missing_neighbor_mac() {
    let text = format!("{NODE_PORT}  [[ports.neighbors]]\n  name = \"a\"\n");
    one(&text, 7, 3, "ports[0].neighbors[0].mac", MissingKey, "`mac`");
}

#[test]
fn missing_next_hops_and_missing_next_hop_port() {
    one(&format!("{NODE_PORT}[[routes]]\nprefix = \"/a\"\n"), 7, 1, "routes[0].next_hops", MissingKey, "`next_hops`");
    let text = format!("{NODE_PORT}[[routes]]\nprefix = \"/a\"\nnext_hops = [ {{ neighbor = \"n\" }} ]\n");
    one(&text, 9, 15, "routes[0].next_hops[0].port", MissingKey, "`port`");
}

#[test]
fn string_where_integer_expected() {
    one(&format!("{NODE_PORT}mtu = \"big\"\n"), 7, 7, "ports[0].mtu", WrongType, "expected an integer");
}

#[test]
fn float_where_integer_expected() {
    one(
        &format!("{NODE_PORT}[dataplane]\nburst_size = 3.5\n"),
        8,
        14,
        "dataplane.burst_size",
        WrongType,
        "floating point",
    );
}

#[test]
fn integer_where_array_expected() {
    one(&format!("{NODE_PORT}[dataplane]\nlcores = 0\n"), 8, 10, "dataplane.lcores", WrongType, "expected an array");
}

#[test]
fn array_element_of_wrong_type() {
    one(
        &format!("{NODE_PORT}[dataplane]\nlcores = [0, \"1\"]\n"),
        8,
        14,
        "dataplane.lcores[1]",
        WrongType,
        "expected an integer",
    );
    one(&format!("{NODE_PORT}[eal]\nargs = [\"--no-pci\", 7]\n"), 8, 21, "eal.args[1]", WrongType, "expected a string");
}

#[test]
fn string_where_table_expected_says_table() {
    let e = one("node = \"sr1\"\n", 1, 8, "node", WrongType, "expected a table");
    assert!(!e.message.contains("Raw"), "internal type name leaked: {e}");
}

#[test]
fn table_where_array_expected_says_table_and_array() {
    let text = format!("{NODE_PORT}neighbors = {{ name = \"a\", mac = \"02:00:00:00:00:01\" }}\n");
    let e = one(&text, 7, 13, "ports[0].neighbors", WrongType, "invalid type: table, expected an array");
    assert!(!e.message.contains("map") && !e.message.contains("sequence"), "{e}");
}

#[test]
fn boolean_where_string_expected() {
    one("[node]\nname = true\nrole = \"sr\"\n", 2, 8, "node.name", WrongType, "expected a string");
}

#[test]
fn integer_beyond_i64() {
    let text = format!("{NODE_PORT}[[routes]]\nprefix = \"/a\"\nnext_hops = [ {{ port = \"p0\", neighbor = \"n\", cost = 99999999999999999999 }} ]\n");
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{}", render(&errs));
    assert_eq!(errs[0].path, "routes[0].next_hops[0].cost");
    assert_eq!(errs[0].line(), Some(9));
}

#[test]
fn keys_under_the_wrong_table() {
    // `ports = []` after [node] belongs to the node table in TOML.
    one("[node]\nname = \"/a\"\nrole = \"sr\"\nports = []\n", 4, 1, "node.ports", UnknownKey, "unknown field `ports`");
}

#[test]
fn crlf_line_endings_give_the_same_positions() {
    let text = format!("{NODE_PORT}mtu = \"big\"\n").replace('\n', "\r\n");
    one(&text, 7, 7, "ports[0].mtu", WrongType, "expected an integer");
    let text = format!("{NODE_PORT}mtu = 20\n").replace('\n', "\r\n");
    one(&text, 7, 7, "ports[0].mtu", OutOfRange, "68..=9600");
}

#[test]
fn columns_count_characters_not_bytes() {
    // "é" is two bytes in UTF-8 but one column.
    let text = format!("{NODE}[[ports]]\nname = \"p0\"\ndevice = \"net_ring0\" # é\nmtu = 1\n");
    one(&text, 7, 7, "ports[0].mtu", OutOfRange, "");
    let text = "[node]\nname = \"/é\" ; role = \"sr\"\n";
    let errs = errors(text);
    assert_eq!(errs[0].kind, Syntax);
    assert_eq!((errs[0].line(), errs[0].column()), (Some(2), Some(13)));
}
