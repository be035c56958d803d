//! Semantic checks: raw spanned layer → public validated types.
//!
//! Every check records its error in a [`Collector`] and goes on with a placeholder value,
//! so one pass reports every problem; the public [`Config`] is only built when none was
//! found. References (route → port → neighbour) are resolved against the names *as
//! written*, valid or not, so that one bad port name does not also produce an "unknown
//! port" error for every route that uses it.

use std::collections::{HashMap, HashSet};
use std::ops::{Range, RangeInclusive};
use std::path::Path;
use std::time::Duration;

use crate::error::{Collector, ConfigErrors, ErrorKind, Location};
use crate::raw::{Int, RawConfig, RawDataplane, RawEal, RawPort, RawRoute, S};
use crate::{
    defaults, limits, Config, Dataplane, Device, Dispatch, Eal, MacAddr, Name, Neighbor, Node, Port, Role, Route,
    RouteNextHop,
};

/// EAL options that select lcores; `dataplane.lcores` owns them.
const LCORE_OPTIONS: [&str; 5] = ["-l", "-c", "--lcores", "--main-lcore", "--master-lcore"];

/// `base_dir`: the directory a relative `routes_file` is resolved against; `None` refuses
/// `routes_file` (the fuzzing entry point must not read arbitrary files).
pub(crate) fn validate(
    raw: &RawConfig,
    text: &str,
    origin: &str,
    base_dir: Option<&Path>,
) -> Result<Config, ConfigErrors> {
    let mut c = Collector::new(text, origin);
    let node = node(&mut c, raw);
    let eal = eal(&mut c, raw.eal.as_ref().map(|e| e.get_ref()));
    let mut dataplane = dataplane(&mut c, raw.dataplane.as_ref().map(|d| d.get_ref()));
    let ports = ports(&mut c, raw, &eal);
    let routes = routes(&mut c, raw);
    let routing = crate::routing::routing(&mut c, raw.routing.as_ref());
    let management = crate::routing::management(&mut c, raw.management.as_ref(), &node);
    size_default_pool(raw, &mut dataplane, &ports);
    mbuf_pool(&mut c, raw, &dataplane, &ports);
    if let (Some(f), None) = (&raw.routes_file, base_dir) {
        c.push(f.span(), "routes_file", ErrorKind::Conflict, "routes_file is not supported here".to_owned());
    }
    c.finish()?;
    let mut routes = routes;
    if let (Some(f), Some(base)) = (&raw.routes_file, base_dir) {
        routes.extend(routes_file(raw, f, text, origin, base, &ports, &routes)?);
    }
    Ok(Config { node, eal, dataplane, ports, routes, routing, management })
}

/// Loads the routes file named by `f` (relative to `base`), checked against the validated
/// ports and the `[[routes]]` already accepted.
fn routes_file(
    raw: &RawConfig,
    f: &S<String>,
    text: &str,
    origin: &str,
    base: &Path,
    ports: &[Port],
    routes: &[Route],
) -> Result<Vec<Route>, ConfigErrors> {
    let list: &[S<RawRoute>] = raw.routes.as_ref().map_or(&[], |r| r.get_ref());
    let existing: HashMap<Name, String> = routes
        .iter()
        .zip(list)
        .map(|(r, raw_r)| {
            let line = Location::from_offset(text, raw_r.get_ref().prefix.span().start).line;
            (r.prefix.clone(), format!("{origin}:{line}"))
        })
        .collect();
    let path = base.join(f.get_ref());
    let key_error = |message: String| crate::ConfigError {
        origin: origin.to_owned(),
        location: Some(Location::from_offset(text, f.span().start)),
        path: "routes_file".to_owned(),
        kind: ErrorKind::Io,
        message,
    };
    crate::routes_file::load(&path, ports, &existing, key_error).map_err(ConfigErrors::new)
}

/// Lower bound on the mbuf pool; see [`Config::min_mbufs`].
pub(crate) fn min_mbufs(dp: &Dataplane, rx_queues: impl Iterator<Item = u64>) -> u64 {
    let lcores = dp.lcores.len() as u64;
    let rings: u64 = rx_queues.map(|q| q * u64::from(dp.rx_descriptors) + lcores * u64::from(dp.tx_descriptors)).sum();
    rings + lcores * (u64::from(dp.mbuf_cache) + dp.burst_size as u64)
}

/// "line 12" for an earlier definition, or "line 12, column 30" when `current` is on the
/// same line (inline arrays and tables).
fn first_at(c: &Collector<'_>, first: &Range<usize>, current: &Range<usize>) -> String {
    let f = Location::from_offset(c.text, first.start);
    if f.line == Location::from_offset(c.text, current.start).line {
        format!("line {}, column {}", f.line, f.column)
    } else {
        format!("line {}", f.line)
    }
}

/// An optional integer key: `default` when absent, range-checked otherwise.
pub(crate) fn int<T: TryFrom<i64>>(
    c: &mut Collector<'_>,
    value: &Option<S<Int>>,
    path: &str,
    range: RangeInclusive<i64>,
    default: T,
) -> T {
    let Some(v) = value else { return default };
    let x = v.get_ref().0;
    if !range.contains(&x) {
        c.push(
            v.span(),
            path,
            ErrorKind::OutOfRange,
            format!("{x} is out of range (allowed: {}..={})", range.start(), range.end()),
        );
        return default;
    }
    T::try_from(x).unwrap_or(default)
}

/// Port and neighbour names: 1..=32 characters from `[a-zA-Z0-9_-]`.
fn label(c: &mut Collector<'_>, s: &S<String>, path: &str, what: &str) -> String {
    let v = s.get_ref();
    let ok = !v.is_empty()
        && v.len() <= limits::MAX_LABEL_LEN
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        c.push(
            s.span(),
            path,
            ErrorKind::InvalidValue,
            format!("invalid {what} name {v:?}: use 1 to {} characters from [a-zA-Z0-9_-]", limits::MAX_LABEL_LEN),
        );
    }
    v.clone()
}

fn name(c: &mut Collector<'_>, s: &S<String>, path: &str) -> Option<Name> {
    match s.get_ref().parse::<Name>() {
        Ok(n) => Some(n),
        Err(e) => {
            c.push(
                s.span(),
                path,
                ErrorKind::InvalidValue,
                format!("invalid name {:?}: {e}{}", s.get_ref(), name_hint(e)),
            );
            None
        }
    }
}

/// Extra guidance for URI syntax errors, whose wire error alone says little.
fn name_hint(e: dmsc_wire::Error) -> &'static str {
    match e {
        dmsc_wire::Error::BadUri | dmsc_wire::Error::EmptyComponent => {
            " (expected \"/\" then non-empty components separated by \"/\", e.g. \"/payments/charge\"; \
             bytes other than A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = : @ must be written %XX)"
        }
        _ => "",
    }
}

fn node(c: &mut Collector<'_>, raw: &RawConfig) -> Node {
    let n = raw.node.get_ref();
    let node_name = match name(c, &n.name, "node.name") {
        Some(v) if v.is_empty() => {
            c.push(
                n.name.span(),
                "node.name",
                ErrorKind::InvalidValue,
                "the node name must not be the root name \"/\"".to_owned(),
            );
            v
        }
        Some(v) => v,
        None => Name::root(),
    };
    let role = n.role.get_ref().parse().unwrap_or_else(|_| {
        c.push(
            n.role.span(),
            "node.role",
            ErrorKind::InvalidValue,
            format!(
                "unknown role {:?}: expected \"sr\" (Service Router) or \"sg\" (Service Gateway)",
                n.role.get_ref()
            ),
        );
        Role::Sr
    });
    Node { name: node_name, role }
}

fn eal(c: &mut Collector<'_>, raw: Option<&RawEal>) -> Eal {
    let Some(args) = raw.and_then(|e| e.args.as_ref()) else {
        return Eal::default();
    };
    let mut out = Vec::new();
    for (i, a) in args.get_ref().iter().enumerate() {
        let path = format!("eal.args[{i}]");
        let v = a.get_ref();
        let option = v.split_once('=').map_or(v.as_str(), |(o, _)| o);
        let sets_lcores =
            LCORE_OPTIONS.contains(&option) || ((v.starts_with("-l") || v.starts_with("-c")) && !v.starts_with("--"));
        if v.is_empty() {
            c.push(a.span(), &path, ErrorKind::InvalidValue, "empty EAL argument".to_owned());
        } else if sets_lcores {
            c.push(
                a.span(),
                &path,
                ErrorKind::Conflict,
                format!("EAL argument {v:?} selects lcores; set `dataplane.lcores` instead"),
            );
        }
        out.push(v.clone());
    }
    Eal { args: out }
}

fn dataplane(c: &mut Collector<'_>, raw: Option<&RawDataplane>) -> Dataplane {
    let d = Dataplane::default();
    let Some(r) = raw else { return d };
    let lcores = match &r.lcores {
        None => d.lcores,
        Some(list) if list.get_ref().is_empty() => {
            c.push(list.span(), "dataplane.lcores", ErrorKind::Empty, "at least one lcore is required".to_owned());
            d.lcores
        }
        Some(list) => {
            let mut seen: HashMap<u32, Range<usize>> = HashMap::new();
            let mut out = Vec::new();
            for (i, l) in list.get_ref().iter().enumerate() {
                let path = format!("dataplane.lcores[{i}]");
                let id: u32 = int(c, &Some(l.clone()), &path, limits::LCORE_ID, u32::MAX);
                if id == u32::MAX {
                    continue;
                }
                if let Some(first) = seen.get(&id) {
                    let at = first_at(c, first, &l.span());
                    c.push(
                        l.span(),
                        &path,
                        ErrorKind::Duplicate,
                        format!("duplicate lcore {id} (first listed at {at})"),
                    );
                } else {
                    seen.insert(id, l.span());
                }
                out.push(id);
            }
            out
        }
    };
    let ethertype = match &r.ethertype {
        None => d.ethertype,
        Some(v) => {
            let x = v.get_ref().0;
            let vlan = u16::try_from(x).is_ok_and(|t| limits::VLAN_ETHERTYPES.contains(&t));
            if !limits::ETHERTYPE.contains(&x) || vlan {
                let why = if vlan {
                    "a VLAN tag type (the forwarder does not parse VLAN tags)".to_owned()
                } else {
                    "not an EtherType (allowed: 0x0600..=0xFFFF)".to_owned()
                };
                c.push(
                    v.span(),
                    "dataplane.ethertype",
                    ErrorKind::OutOfRange,
                    format!("ethertype {} is {why}", hex(x)),
                );
                d.ethertype
            } else {
                x as u16
            }
        }
    };
    let burst_size = int(c, &r.burst_size, "dataplane.burst_size", limits::BURST_SIZE, d.burst_size);
    let mbufs = int(c, &r.mbufs, "dataplane.mbufs", limits::MBUFS, d.mbufs);
    let mbuf_cache = int(c, &r.mbuf_cache, "dataplane.mbuf_cache", limits::MBUF_CACHE, d.mbuf_cache);
    let descriptors = |c: &mut Collector<'_>, v: &Option<S<Int>>, path: &str, default: u16| {
        let n: u16 = int(c, v, path, limits::DESCRIPTORS, default);
        if !n.is_power_of_two() {
            if let Some(v) = v {
                c.push(v.span(), path, ErrorKind::OutOfRange, format!("{n} is not a power of two"));
            }
            return default;
        }
        n
    };
    let rx_descriptors = descriptors(c, &r.rx_descriptors, "dataplane.rx_descriptors", d.rx_descriptors);
    let tx_descriptors = descriptors(c, &r.tx_descriptors, "dataplane.tx_descriptors", d.tx_descriptors);
    let idle_polls_before_sleep = int(
        c,
        &r.idle_polls_before_sleep,
        "dataplane.idle_polls_before_sleep",
        limits::IDLE_POLLS_BEFORE_SLEEP,
        d.idle_polls_before_sleep,
    );
    let idle_sleep_us: u64 =
        int(c, &r.idle_sleep_us, "dataplane.idle_sleep_us", limits::IDLE_SLEEP_US, defaults::IDLE_SLEEP_US);
    let name_cache = int(c, &r.name_cache, "dataplane.name_cache", limits::NAME_CACHE, d.name_cache);
    let nack_rate_per_s =
        int(c, &r.nack_rate_per_s, "dataplane.nack_rate_per_s", limits::NACK_RATE_PER_S, d.nack_rate_per_s);
    let nack_burst = int(c, &r.nack_burst, "dataplane.nack_burst", limits::NACK_BURST, d.nack_burst);
    let nack_hop_limit =
        int(c, &r.nack_hop_limit, "dataplane.nack_hop_limit", limits::NACK_HOP_LIMIT, d.nack_hop_limit);
    let stats_interval_s: u64 =
        int(c, &r.stats_interval_s, "dataplane.stats_interval_s", limits::STATS_INTERVAL_S, defaults::STATS_INTERVAL_S);
    let control_nice = int(c, &r.control_nice, "dataplane.control_nice", limits::CONTROL_NICE, d.control_nice);
    Dataplane {
        lcores,
        ethertype,
        burst_size,
        mbufs,
        mbuf_cache,
        rx_descriptors,
        tx_descriptors,
        idle_polls_before_sleep,
        idle_sleep: Duration::from_micros(idle_sleep_us),
        name_cache,
        nack_rate_per_s,
        nack_burst,
        nack_hop_limit,
        stats_interval: (stats_interval_s > 0).then(|| Duration::from_secs(stats_interval_s)),
        control_nice,
    }
}

fn ports(c: &mut Collector<'_>, raw: &RawConfig, eal: &Eal) -> Vec<Port> {
    let list: &[S<RawPort>] = raw.ports.as_ref().map_or(&[], |p| p.get_ref());
    if list.is_empty() {
        let span = raw.ports.as_ref().map_or(0..0, |p| p.span());
        c.push(span, "ports", ErrorKind::Empty, "at least one [[ports]] entry is required".to_owned());
        return Vec::new();
    }
    let no_pci = eal.args.iter().any(|a| a == "--no-pci");
    let eal_devices = eal_devices(&eal.args);
    let mut names: HashMap<&str, Range<usize>> = HashMap::new();
    let mut devices: HashMap<String, Range<usize>> = HashMap::new();
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let path = format!("ports[{i}]");
        if i == limits::MAX_PORTS {
            c.push(
                p.span(),
                &path,
                ErrorKind::OutOfRange,
                format!("too many ports: DPDK supports at most {}", limits::MAX_PORTS),
            );
        }
        let r = p.get_ref();
        let port_name = label(c, &r.name, &format!("{path}.name"), "port");
        match names.get(port_name.as_str()) {
            Some(first) => {
                let at = first_at(c, first, &r.name.span());
                c.push(
                    r.name.span(),
                    &format!("{path}.name"),
                    ErrorKind::Duplicate,
                    format!("duplicate port name {port_name:?} (first defined at {at})"),
                );
            }
            None => {
                names.insert(r.name.get_ref(), r.name.span());
            }
        }
        let device = device(c, r, &path, no_pci, &mut devices);
        if let Some(j) =
            eal_devices.iter().find(|(_, name)| !name.is_empty() && name == device.dpdk_name()).map(|(j, _)| *j)
        {
            c.push(
                r.device.span(),
                &format!("{path}.device"),
                ErrorKind::Conflict,
                format!(
                    "device {:?} is also given in eal.args[{j}]; remove it there (dmscd adds the EAL arguments of every port's device)",
                    device.dpdk_name()
                ),
            );
        }
        let rx_queues = int(c, &r.rx_queues, &format!("{path}.rx_queues"), limits::RX_QUEUES, defaults::RX_QUEUES);
        let mtu = int(c, &r.mtu, &format!("{path}.mtu"), limits::MTU, defaults::MTU);
        let dispatch = match &r.dispatch {
            None => Dispatch::Queues,
            Some(s) => s.get_ref().parse().unwrap_or_else(|_| {
                c.push(
                    s.span(),
                    &format!("{path}.dispatch"),
                    ErrorKind::InvalidValue,
                    format!("unknown dispatch mode {:?}: expected \"queues\" or \"flow-label\"", s.get_ref()),
                );
                Dispatch::Queues
            }),
        };
        let neighbors = neighbors(c, r, &path);
        let routing = r.routing.as_ref().is_some_and(|b| *b.get_ref());
        let metric = int(c, &r.metric, &format!("{path}.metric"), limits::LINK_METRIC, defaults::LINK_METRIC);
        if let (Some(m), false) = (&r.metric, routing) {
            c.push(
                m.span(),
                &format!("{path}.metric"),
                ErrorKind::Conflict,
                "metric is the routing protocol's link cost: it needs routing = true on this port".to_owned(),
            );
        }
        if routing && raw.routing.is_none() {
            let span = r.routing.as_ref().map_or(0..0, |b| b.span());
            c.push(
                span,
                &format!("{path}.routing"),
                ErrorKind::Conflict,
                "routing = true needs a [routing] section (router_id, ...)".to_owned(),
            );
        }
        out.push(Port { name: port_name, device, rx_queues, mtu, dispatch, neighbors, routing, metric });
    }
    out
}

/// Devices that `[eal].args` creates or allow-lists itself (`--vdev X`, `--vdev=X`, `-a X`,
/// `--allow X`, `--allow=X`, `-aX`), as (index of the value in args, DPDK name).
fn eal_devices(args: &[String]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let value = match a.as_str() {
            "--vdev" | "-a" | "--allow" => args.get(i + 1).map(|v| (i + 1, v.as_str())),
            _ => a
                .strip_prefix("--vdev=")
                .or_else(|| a.strip_prefix("--allow="))
                .or_else(|| a.strip_prefix("-a").filter(|v| !v.is_empty() && !v.starts_with('-')))
                .map(|v| (i, v)),
        };
        if let Some((j, v)) = value {
            let name = v.split(',').next().unwrap_or("");
            let name = match name.parse::<Device>() {
                Ok(d) => d.dpdk_name().to_owned(),
                Err(_) => name.to_owned(),
            };
            out.push((j, name));
        }
    }
    out
}

fn device(
    c: &mut Collector<'_>,
    r: &RawPort,
    path: &str,
    no_pci: bool,
    seen: &mut HashMap<String, Range<usize>>,
) -> Device {
    let path = format!("{path}.device");
    let s = &r.device;
    match s.get_ref().parse::<Device>() {
        Err(e) => {
            c.push(s.span(), &path, ErrorKind::InvalidValue, format!("invalid device {:?}: {e}", s.get_ref()));
            Device::Pci(String::new())
        }
        Ok(d) => {
            if let Some(first) = seen.get(d.dpdk_name()) {
                let at = first_at(c, first, &s.span());
                c.push(
                    s.span(),
                    &path,
                    ErrorKind::Duplicate,
                    format!(
                        "duplicate device {:?} (first used at {at}); each port needs its own DPDK device",
                        d.dpdk_name()
                    ),
                );
            } else {
                seen.insert(d.dpdk_name().to_owned(), s.span());
            }
            if no_pci && d.is_pci() {
                c.push(
                    s.span(),
                    &path,
                    ErrorKind::Conflict,
                    format!("PCI device {:?} cannot be used with \"--no-pci\" in eal.args", d.dpdk_name()),
                );
            }
            d
        }
    }
}

fn neighbors(c: &mut Collector<'_>, r: &RawPort, port_path: &str) -> Vec<Neighbor> {
    let list: &[S<_>] = r.neighbors.as_ref().map_or(&[], |n| n.get_ref());
    let mut names: HashMap<&str, Range<usize>> = HashMap::new();
    let mut macs: HashMap<MacAddr, Range<usize>> = HashMap::new();
    let mut out = Vec::new();
    for (j, n) in list.iter().enumerate() {
        let path = format!("{port_path}.neighbors[{j}]");
        let n = n.get_ref();
        let nb_name = label(c, &n.name, &format!("{path}.name"), "neighbor");
        match names.get(nb_name.as_str()) {
            Some(first) => {
                let at = first_at(c, first, &n.name.span());
                c.push(
                    n.name.span(),
                    &format!("{path}.name"),
                    ErrorKind::Duplicate,
                    format!("duplicate neighbor name {nb_name:?} on this port (first defined at {at})"),
                );
            }
            None => {
                names.insert(n.name.get_ref(), n.name.span());
            }
        }
        let mac_path = format!("{path}.mac");
        let text = n.mac.get_ref();
        let mac = match text.parse::<MacAddr>() {
            Err(e) => {
                c.push(
                    n.mac.span(),
                    &mac_path,
                    ErrorKind::InvalidValue,
                    format!("invalid MAC address {text:?}: {e} (expected six hex octets such as 02:00:00:00:00:01)"),
                );
                MacAddr::default()
            }
            Ok(m) if m.is_multicast() => {
                let why = if m == MacAddr::BROADCAST {
                    "the broadcast address"
                } else {
                    "a multicast address (least significant bit of the first octet set)"
                };
                c.push(
                    n.mac.span(),
                    &mac_path,
                    ErrorKind::InvalidValue,
                    format!("invalid MAC address {text:?}: a neighbor MAC must be unicast, this is {why}"),
                );
                m
            }
            Ok(m) if m == MacAddr::ZERO => {
                c.push(
                    n.mac.span(),
                    &mac_path,
                    ErrorKind::InvalidValue,
                    format!("invalid MAC address {text:?}: the all-zero address is not a station address"),
                );
                m
            }
            Ok(m) => {
                if let Some(first) = macs.get(&m) {
                    let at = first_at(c, first, &n.mac.span());
                    c.push(
                        n.mac.span(),
                        &mac_path,
                        ErrorKind::Duplicate,
                        format!("duplicate MAC address {m} on this port (first used at {at})"),
                    );
                } else {
                    macs.insert(m, n.mac.span());
                }
                m
            }
        };
        out.push(Neighbor { name: nb_name, mac });
    }
    out
}

fn routes(c: &mut Collector<'_>, raw: &RawConfig) -> Vec<Route> {
    // Port name → its neighbour names, as written (first definition wins on duplicates).
    let mut topology: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut port_order: Vec<&str> = Vec::new();
    for p in raw.ports.as_ref().map_or(&[][..], |p| p.get_ref()) {
        let p = p.get_ref();
        let name = p.name.get_ref().as_str();
        if topology.contains_key(name) {
            continue;
        }
        port_order.push(name);
        let nbs = p.neighbors.as_ref().map_or(&[][..], |n| n.get_ref());
        topology.insert(name, nbs.iter().map(|n| n.get_ref().name.get_ref().as_str()).collect());
    }
    let list: &[S<RawRoute>] = raw.routes.as_ref().map_or(&[], |r| r.get_ref());
    let mut prefixes: HashMap<Name, Range<usize>> = HashMap::new();
    let mut out = Vec::new();
    for (i, r) in list.iter().enumerate() {
        let path = format!("routes[{i}]");
        let r = r.get_ref();
        let prefix = name(c, &r.prefix, &format!("{path}.prefix"));
        if let Some(p) = &prefix {
            if let Some(first) = prefixes.get(p) {
                let at = first_at(c, first, &r.prefix.span());
                c.push(
                    r.prefix.span(),
                    &format!("{path}.prefix"),
                    ErrorKind::Duplicate,
                    format!("duplicate route prefix {p} (first defined at {at})"),
                );
            } else {
                prefixes.insert(p.clone(), r.prefix.span());
            }
        }
        if r.next_hops.get_ref().is_empty() {
            c.push(
                r.next_hops.span(),
                &format!("{path}.next_hops"),
                ErrorKind::Empty,
                "a route needs at least one next hop".to_owned(),
            );
        }
        let mut pairs: HashMap<(&str, &str), Range<usize>> = HashMap::new();
        let mut hops = Vec::new();
        for (k, h) in r.next_hops.get_ref().iter().enumerate() {
            let hop_path = format!("{path}.next_hops[{k}]");
            let span = h.span();
            let h = h.get_ref();
            let port = h.port.get_ref().as_str();
            let neighbor = h.neighbor.get_ref().as_str();
            match topology.get(port) {
                None => c.push(
                    h.port.span(),
                    &format!("{hop_path}.port"),
                    ErrorKind::UnknownReference,
                    format!("unknown port {port:?} (defined ports: {})", list_names(port_order.iter().copied())),
                ),
                Some(nbs) if !nbs.contains(neighbor) => {
                    let mut known: Vec<&str> = nbs.iter().copied().collect();
                    known.sort_unstable();
                    c.push(
                        h.neighbor.span(),
                        &format!("{hop_path}.neighbor"),
                        ErrorKind::UnknownReference,
                        format!(
                            "port {port:?} has no neighbor {neighbor:?} (its neighbors: {})",
                            list_names(known.into_iter())
                        ),
                    );
                }
                Some(_) => {}
            }
            if let Some(first) = pairs.get(&(port, neighbor)) {
                let at = first_at(c, first, &span);
                c.push(
                    span.clone(),
                    &hop_path,
                    ErrorKind::Duplicate,
                    format!("duplicate next hop (port {port:?}, neighbor {neighbor:?}) in this route (first at {at})"),
                );
            } else {
                pairs.insert((port, neighbor), span);
            }
            let cost = int(c, &h.cost, &format!("{hop_path}.cost"), limits::COST, defaults::COST);
            hops.push(RouteNextHop { port: port.to_owned(), neighbor: neighbor.to_owned(), cost });
        }
        out.push(Route { prefix: prefix.unwrap_or_else(Name::root), next_hops: hops });
    }
    out
}

/// `0x88B5`-style rendering, decimal for negative values.
fn hex(x: i64) -> String {
    if x < 0 {
        x.to_string()
    } else {
        format!("{x:#06X}").replace("0X", "0x")
    }
}

fn list_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<String> = names.map(|n| format!("{n:?}")).collect();
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
    }
}

/// When `dataplane.mbufs` is not set, the pool is sized for the layout: the
/// default (8191) or, if the rings need more, the next 2^n − 1 (the mempool's
/// best size) that fills every ring, cache and burst. An explicit value is
/// kept as written and checked by [`mbuf_pool`].
fn size_default_pool(raw: &RawConfig, dp: &mut Dataplane, ports: &[Port]) {
    let explicit = raw.dataplane.as_ref().is_some_and(|d| d.get_ref().mbufs.is_some());
    if explicit || ports.is_empty() {
        return;
    }
    let need = min_mbufs(dp, ports.iter().map(|p| u64::from(p.rx_queues)));
    if need > u64::from(dp.mbufs) {
        let sized = (need + 1).next_power_of_two() - 1;
        dp.mbufs = sized.min(*limits::MBUFS.end() as u64) as u32;
    }
}

/// Cross-checks of the mbuf pool against the mempool rules and the ring sizes. Only run
/// when the values involved passed their own checks, to avoid follow-on errors.
fn mbuf_pool(c: &mut Collector<'_>, raw: &RawConfig, dp: &Dataplane, ports: &[Port]) {
    let r = raw.dataplane.as_ref();
    let had_errors =
        |c: &Collector<'_>, prefixes: &[&str]| c.errors.iter().any(|e| prefixes.iter().any(|p| e.path.starts_with(p)));
    // Where to report a problem with `key`: the key's value, else the [dataplane] header,
    // else the top of the file.
    let span_of = |key: fn(&RawDataplane) -> &Option<S<Int>>| -> Range<usize> {
        match r {
            Some(d) => key(d.get_ref()).as_ref().map_or(d.span(), |v| v.span()),
            None => 0..0,
        }
    };
    if had_errors(c, &["dataplane.mbufs", "dataplane.mbuf_cache"]) {
        return;
    }
    if u64::from(dp.mbuf_cache) * 3 > u64::from(dp.mbufs) * 2 {
        c.push(
            span_of(|d| &d.mbuf_cache),
            "dataplane.mbuf_cache",
            ErrorKind::Conflict,
            format!(
                "mbuf_cache {} is too large for {} mbufs: the mempool needs mbuf_cache * 1.5 <= mbufs",
                dp.mbuf_cache, dp.mbufs
            ),
        );
        return;
    }
    if ports.is_empty()
        || had_errors(
            c,
            &["dataplane.lcores", "dataplane.rx_descriptors", "dataplane.tx_descriptors", "dataplane.burst_size"],
        )
        || c.errors.iter().any(|e| e.path.ends_with(".rx_queues"))
    {
        return;
    }
    let need = min_mbufs(dp, ports.iter().map(|p| u64::from(p.rx_queues)));
    if u64::from(dp.mbufs) < need {
        c.push(
            span_of(|d| &d.mbufs),
            "dataplane.mbufs",
            ErrorKind::Conflict,
            format!(
                "{} mbufs cannot fill every ring: this layout needs at least {need} \
                 (per port rx_queues * rx_descriptors + lcores * tx_descriptors, \
                 plus lcores * (mbuf_cache + burst_size)); raise mbufs or lower the ring sizes",
                dp.mbufs
            ),
        );
    }
}
