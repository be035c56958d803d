//! The raw serde layer: the file's structure, with the span of every value.
//!
//! `serde` checks only what it must to build these types — known keys
//! (`deny_unknown_fields`), required keys and TOML types. Everything with a rule beyond
//! that (names, MAC addresses, devices, ranges, uniqueness, references) is kept as a
//! `Spanned` string or integer and checked by `validate`, which can then report *all* such
//! problems with their positions instead of stopping at the first, as serde does.
//! Integers are read as `i64` (TOML's integer type) so that a negative or too large value is
//! reported with the field's documented range rather than as a serde type mismatch.

use serde::Deserialize;
use toml::Spanned;

pub(crate) type S<T> = Spanned<T>;

/// A TOML integer. Separate from `i64` only for the error message: serde would say
/// "expected i64", this says "expected an integer".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Int(pub i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Int, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v).map(Int).map_err(|_| E::custom(format!("integer {v} is too large")))
            }
            fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Int, E> {
                i64::try_from(v).map(Int).map_err(|_| E::custom(format!("integer {v} is too large")))
            }
            fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Int, E> {
                i64::try_from(v).map(Int).map_err(|_| E::custom(format!("integer {v} is too large")))
            }
        }
        d.deserialize_i64(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub node: S<RawNode>,
    #[serde(default)]
    pub eal: Option<S<RawEal>>,
    #[serde(default)]
    pub dataplane: Option<S<RawDataplane>>,
    #[serde(default)]
    pub ports: Option<S<Vec<S<RawPort>>>>,
    #[serde(default)]
    pub routes: Option<S<Vec<S<RawRoute>>>>,
    #[serde(default)]
    pub routes_file: Option<S<String>>,
    #[serde(default)]
    pub routing: Option<S<crate::routing::RawRouting>>,
    #[serde(default)]
    pub management: Option<S<crate::routing::RawManagement>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNode {
    pub name: S<String>,
    pub role: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEal {
    #[serde(default)]
    pub args: Option<S<Vec<S<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDataplane {
    #[serde(default)]
    pub lcores: Option<S<Vec<S<Int>>>>,
    #[serde(default)]
    pub ethertype: Option<S<Int>>,
    #[serde(default)]
    pub burst_size: Option<S<Int>>,
    #[serde(default)]
    pub mbufs: Option<S<Int>>,
    #[serde(default)]
    pub mbuf_cache: Option<S<Int>>,
    #[serde(default)]
    pub rx_descriptors: Option<S<Int>>,
    #[serde(default)]
    pub tx_descriptors: Option<S<Int>>,
    #[serde(default)]
    pub idle_polls_before_sleep: Option<S<Int>>,
    #[serde(default)]
    pub idle_sleep_us: Option<S<Int>>,
    pub name_cache: Option<S<Int>>,
    #[serde(default)]
    pub nack_rate_per_s: Option<S<Int>>,
    #[serde(default)]
    pub nack_burst: Option<S<Int>>,
    #[serde(default)]
    pub nack_hop_limit: Option<S<Int>>,
    #[serde(default)]
    pub stats_interval_s: Option<S<Int>>,
    #[serde(default)]
    pub control_nice: Option<S<Int>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPort {
    pub name: S<String>,
    pub device: S<String>,
    #[serde(default)]
    pub rx_queues: Option<S<Int>>,
    #[serde(default)]
    pub mtu: Option<S<Int>>,
    #[serde(default)]
    pub dispatch: Option<S<String>>,
    #[serde(default)]
    pub neighbors: Option<S<Vec<S<RawNeighbor>>>>,
    #[serde(default)]
    pub routing: Option<S<bool>>,
    #[serde(default)]
    pub metric: Option<S<Int>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNeighbor {
    pub name: S<String>,
    pub mac: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRoute {
    pub prefix: S<String>,
    pub next_hops: S<Vec<S<RawNextHop>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNextHop {
    pub port: S<String>,
    pub neighbor: S<String>,
    #[serde(default)]
    pub cost: Option<S<Int>>,
}
