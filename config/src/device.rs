//! DPDK device strings: virtual devices (`net_tap0,iface=dmsc0`) and PCI addresses.
//!
//! A port's `device` key names the DPDK ethdev that backs it. Two forms are accepted:
//!
//! * a **virtual device** `net_<driver><N>[,key=value...]`, e.g. `net_tap0,iface=dmsc0`,
//!   `net_pcap0,rx_pcap=in.pcap`, `net_ring0`. The part before the first comma is the
//!   device name, which DPDK also uses as the ethdev name; the rest are the driver's
//!   `rte_kvargs` arguments, passed verbatim. It becomes `--vdev <string>` on the EAL
//!   command line.
//! * a **PCI address** `DDDD:BB:DD.F` or `BB:DD.F` (hex; domain 0000 implied), e.g.
//!   `0000:01:00.0`. It becomes `-a 0000:01:00.0` (the EAL allow-list), and DPDK names the
//!   ethdev after the full address, which is why [`Device::dpdk_name`] normalises to lower
//!   case with a 4-digit domain.
//!
//! The daemon finds each port's DPDK port id by [`Device::dpdk_name`]
//! (`rte_eth_dev_get_port_by_name`), so the name must be exactly what DPDK will register.
//!
//! Rejected alternatives: accepting any string and letting EAL fail at start-up (its errors
//! name neither the file nor the port), and a separate `driver`/`args` table (the vdev
//! string is what every DPDK guide and `dpdk-testpmd` command line shows, so operators can
//! paste it). PCI device arguments (`0000:01:00.0,key=value`) are rejected: [`Device::Pci`]
//! holds only the address, and an extra `-a` with arguments in `[eal].args` would duplicate
//! the allow-list entry. Supporting them means giving `Device::Pci` an argument string.

use std::fmt;
use std::str::FromStr;

/// The DPDK device behind a port. Parse with [`str::parse`]; [`fmt::Display`] gives back
/// the device string (PCI addresses normalised).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Device {
    /// A virtual device created with `--vdev`.
    Vdev {
        /// The device name before the first comma, e.g. `net_tap0`; also the ethdev name.
        driver_name: String,
        /// The driver arguments after the first comma, verbatim (may be empty), e.g.
        /// `iface=dmsc0` or `rx_pcap=in.pcap,tx_pcap=out.pcap`. Relative file paths are
        /// opened by DPDK relative to the daemon's working directory.
        args: String,
    },
    /// A PCI device, normalised `DDDD:BB:DD.F` in lower case, e.g. `0000:01:00.0`.
    Pci(String),
}

/// Why a device string was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// The string is empty.
    #[error("empty device string")]
    Empty,
    /// Leading or trailing white space (EAL would keep it as part of the name or value).
    #[error("leading or trailing white space")]
    Whitespace,
    /// Neither a `net_` virtual device nor a PCI address.
    #[error("expected a virtual device `net_<driver><N>[,key=value...]` or a PCI address `DDDD:BB:DD.F`")]
    Unrecognised,
    /// The vdev name has characters other than `a-z`, `0-9` and `_`.
    #[error("virtual device names use only lower-case letters, digits and `_` (e.g. `net_tap0`)")]
    BadVdevName,
    /// The vdev name has no driver between `net_` and the instance number.
    #[error("missing driver name after `net_` (e.g. `net_tap0`)")]
    MissingDriver,
    /// The vdev name does not end with an instance number (`net_tap` instead of `net_tap0`).
    #[error("virtual device name must end with an instance number (e.g. `net_tap0`)")]
    MissingInstance,
    /// An empty `key=value` item (`net_tap0,,iface=x` or a trailing comma).
    #[error("empty device argument (stray comma)")]
    EmptyArgument,
    /// A device argument key with characters other than `A-Za-z0-9_-` (memif has `socket-abstract`), or no key before `=`.
    #[error("device argument keys use only letters, digits, `_` and `-`")]
    BadArgumentKey,
    /// `[` and `]` do not pair up in the arguments (`rte_kvargs` list syntax).
    #[error("unbalanced `[` `]` in device arguments")]
    UnbalancedBrackets,
    /// A malformed PCI address.
    #[error("bad PCI address: expected `DDDD:BB:DD.F` or `BB:DD.F` in hex, device <= 1f, function <= 7")]
    BadPciAddress,
    /// Arguments after a PCI address.
    #[error("arguments after a PCI address are not supported")]
    PciArguments,
}

impl Device {
    /// The EAL arguments that make DPDK create this device: `["--vdev", "net_tap0,iface=x"]`
    /// for a virtual device, `["-a", "0000:01:00.0"]` for a PCI device.
    pub fn eal_args(&self) -> Vec<String> {
        match self {
            Device::Vdev { .. } => vec!["--vdev".to_owned(), self.to_string()],
            Device::Pci(addr) => vec!["-a".to_owned(), addr.clone()],
        }
    }

    /// The name DPDK gives the ethdev (`rte_eth_dev_get_port_by_name`): the vdev name
    /// (`net_tap0`) or the normalised PCI address (`0000:01:00.0`).
    pub fn dpdk_name(&self) -> &str {
        match self {
            Device::Vdev { driver_name, .. } => driver_name,
            Device::Pci(addr) => addr,
        }
    }

    /// The driver part of a vdev name (`tap` for `net_tap0`); `None` for PCI devices.
    pub fn vdev_driver(&self) -> Option<&str> {
        match self {
            Device::Vdev { driver_name, .. } => {
                Some(driver_name["net_".len()..].trim_end_matches(|c: char| c.is_ascii_digit()))
            }
            Device::Pci(_) => None,
        }
    }

    /// `true` for [`Device::Pci`].
    pub fn is_pci(&self) -> bool {
        matches!(self, Device::Pci(_))
    }

    /// `true` for a memif virtual device with `role=client` (DPDK's default
    /// role is `server`): the port dials its server's socket when it starts,
    /// and the daemon reconnects it when its link stays down.
    pub fn is_memif_client(&self) -> bool {
        match self {
            Device::Vdev { args, .. } => {
                self.vdev_driver() == Some("memif") && args.split(',').any(|kv| kv == "role=client")
            }
            Device::Pci(_) => false,
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Vdev { driver_name, args } if args.is_empty() => f.write_str(driver_name),
            Device::Vdev { driver_name, args } => write!(f, "{driver_name},{args}"),
            Device::Pci(addr) => f.write_str(addr),
        }
    }
}

impl FromStr for Device {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Device, DeviceError> {
        if s.is_empty() {
            return Err(DeviceError::Empty);
        }
        if s.trim() != s {
            return Err(DeviceError::Whitespace);
        }
        let (name, args) = match s.split_once(',') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        if let Some(rest) = name.strip_prefix("net_") {
            if !rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                return Err(DeviceError::BadVdevName);
            }
            let driver = rest.trim_end_matches(|c: char| c.is_ascii_digit());
            if driver.len() == rest.len() {
                return Err(if rest.is_empty() { DeviceError::MissingDriver } else { DeviceError::MissingInstance });
            }
            if driver.trim_matches('_').is_empty() {
                return Err(DeviceError::MissingDriver);
            }
            let args = args.unwrap_or("");
            if !args.is_empty() || s.ends_with(',') {
                check_kvargs(args)?;
            }
            return Ok(Device::Vdev { driver_name: name.to_owned(), args: args.to_owned() });
        }
        let addr = parse_pci(name).ok_or(if name.contains(':') {
            DeviceError::BadPciAddress
        } else {
            DeviceError::Unrecognised
        })?;
        if args.is_some() {
            return Err(DeviceError::PciArguments);
        }
        Ok(Device::Pci(addr))
    }
}

/// Checks `key[=value],key[=value]...` as `rte_kvargs` splits it: commas inside `[...]`
/// belong to a list value.
fn check_kvargs(args: &str) -> Result<(), DeviceError> {
    let mut depth = 0usize;
    let mut start = 0;
    let mut items = Vec::new();
    for (i, c) in args.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.checked_sub(1).ok_or(DeviceError::UnbalancedBrackets)?,
            ',' if depth == 0 => {
                items.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(DeviceError::UnbalancedBrackets);
    }
    items.push(&args[start..]);
    for item in items {
        if item.is_empty() {
            return Err(DeviceError::EmptyArgument);
        }
        let key = item.split_once('=').map_or(item, |(k, _)| k);
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err(DeviceError::BadArgumentKey);
        }
    }
    Ok(())
}

/// Parses `DDDD:BB:DD.F` or `BB:DD.F` (hex; domain up to 8 digits) into the normalised form.
fn parse_pci(s: &str) -> Option<String> {
    fn hex(s: &str, max_digits: usize) -> Option<u32> {
        if s.is_empty() || s.len() > max_digits || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(s, 16).ok()
    }
    let (bdf, func) = s.split_once('.')?;
    let parts: Vec<&str> = bdf.split(':').collect();
    let (domain, bus, dev) = match parts.as_slice() {
        [d, b, v] => (hex(d, 8)?, *b, *v),
        [b, v] => (0, *b, *v),
        _ => return None,
    };
    if bus.len() != 2 || dev.len() != 2 || func.len() != 1 {
        return None;
    }
    let (bus, dev, func) = (hex(bus, 2)?, hex(dev, 2)?, hex(func, 1)?);
    if dev > 0x1f || func > 7 {
        return None;
    }
    Some(format!("{domain:04x}:{bus:02x}:{dev:02x}.{func:x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vdev(name: &str, args: &str) -> Device {
        Device::Vdev { driver_name: name.into(), args: args.into() }
    }

    #[test]
    fn memif_clients() {
        let d = |s: &str| s.parse::<Device>().unwrap();
        assert!(d("net_memif0,role=client,id=0,socket=/run/l.sock").is_memif_client());
        assert!(d("net_memif3,socket=/run/l.sock,role=client").is_memif_client());
        assert!(!d("net_memif0,role=server,socket=/run/l.sock").is_memif_client());
        assert!(!d("net_memif0,socket=/run/l.sock").is_memif_client(), "server is the default role");
        assert!(!d("net_tap0,role=client").is_memif_client());
        assert!(!d("0000:01:00.0").is_memif_client());
    }

    #[test]
    fn parses_vdevs() {
        assert_eq!("net_tap0,iface=dmsc0".parse(), Ok(vdev("net_tap0", "iface=dmsc0")));
        assert_eq!("net_ring12".parse(), Ok(vdev("net_ring12", "")));
        assert_eq!(
            "net_pcap1,rx_pcap=in/a b.pcap,tx_pcap=out.pcap".parse(),
            Ok(vdev("net_pcap1", "rx_pcap=in/a b.pcap,tx_pcap=out.pcap"))
        );
        assert_eq!("net_af_packet0,iface=eth1".parse::<Device>().unwrap().vdev_driver(), Some("af_packet"));
        assert_eq!("net_bonding0,slave=[a,b],mode=1".parse(), Ok(vdev("net_bonding0", "slave=[a,b],mode=1")));
    }

    #[test]
    fn rejects_bad_vdevs() {
        use DeviceError::*;
        let cases = [
            ("", Empty),
            (" net_tap0", Whitespace),
            ("net_tap0 ", Whitespace),
            ("tap0", Unrecognised),
            ("eth0", Unrecognised),
            ("net_Tap0", BadVdevName),
            ("net_tap-0", BadVdevName),
            ("net_tap", MissingInstance),
            ("net_", MissingDriver),
            ("net_0", MissingDriver),
            ("net__1", MissingDriver),
            ("net_tap0,", EmptyArgument),
            ("net_tap0,,iface=x", EmptyArgument),
            ("net_tap0,=x", BadArgumentKey),
            ("net_tap0,if ace=x", BadArgumentKey),
            ("net_bonding0,slave=[a,b", UnbalancedBrackets),
            ("net_bonding0,slave=a]", UnbalancedBrackets),
        ];
        for (s, want) in cases {
            assert_eq!(s.parse::<Device>(), Err(want), "{s:?}");
        }
    }

    #[test]
    fn parses_and_normalises_pci() {
        assert_eq!("0000:01:00.0".parse(), Ok(Device::Pci("0000:01:00.0".into())));
        assert_eq!("01:00.1".parse(), Ok(Device::Pci("0000:01:00.1".into())));
        assert_eq!("0000:AF:1F.7".parse(), Ok(Device::Pci("0000:af:1f.7".into())));
        assert_eq!("10000:00:02.0".parse(), Ok(Device::Pci("10000:00:02.0".into())));
        for bad in [
            "0000:01:00",
            "0000:01:20.0",
            "0000:01:00.8",
            "1:00.0",
            "0000:001:00.0",
            "00:00:01:00.0",
            "0000:0g:00.0",
            "12345678a:00:00.0",
        ] {
            assert_eq!(bad.parse::<Device>(), Err(DeviceError::BadPciAddress), "{bad:?}");
        }
        assert_eq!("0000:01:00.0,x=1".parse::<Device>(), Err(DeviceError::PciArguments));
    }

    #[test]
    fn eal_args_and_names() {
        let t: Device = "net_tap0,iface=dmsc0".parse().unwrap();
        assert_eq!(t.eal_args(), ["--vdev", "net_tap0,iface=dmsc0"]);
        assert_eq!(t.dpdk_name(), "net_tap0");
        assert_eq!(t.to_string(), "net_tap0,iface=dmsc0");
        assert!(!t.is_pci());
        let p: Device = "3b:00.1".parse().unwrap();
        assert_eq!(p.eal_args(), ["-a", "0000:3b:00.1"]);
        assert_eq!(p.dpdk_name(), "0000:3b:00.1");
        assert_eq!(p.vdev_driver(), None);
        assert!(p.is_pci());
    }
}
