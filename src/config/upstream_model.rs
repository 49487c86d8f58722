//! Kong `upstreams[]` and `targets[]` entries as written in the file. Defaults and
//! validation are in `upstream.rs`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_yaml::Value;

/// An `upstreams[]` entry (its nested `targets` are taken out first, see `parse.rs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamDef {
    pub id: Option<String>,
    /// Required; a host name, which a service's `host` names to use this upstream.
    pub name: Option<String>,
    /// Kong default "round-robin".
    pub algorithm: Option<String>,
    /// Kong default "none".
    pub hash_on: Option<String>,
    /// Kong default "none".
    pub hash_fallback: Option<String>,
    pub hash_on_header: Option<String>,
    pub hash_fallback_header: Option<String>,
    pub hash_on_cookie: Option<String>,
    /// Kong default "/".
    pub hash_on_cookie_path: Option<String>,
    pub hash_on_query_arg: Option<String>,
    pub hash_fallback_query_arg: Option<String>,
    pub hash_on_uri_capture: Option<String>,
    pub hash_fallback_uri_capture: Option<String>,
    /// Kong default 10000, 10..=65536.
    pub slots: Option<u32>,
    pub host_header: Option<String>,
    /// Kong default false; `true` (the SRV name as upstream Host) is refused.
    pub use_srv_name: Option<bool>,
    pub healthchecks: Option<HealthchecksDef>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// `healthchecks`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthchecksDef {
    pub active: Option<ActiveDef>,
    pub passive: Option<PassiveDef>,
    /// Kong default 0 (percent of the total weight).
    pub threshold: Option<f64>,
}

/// `healthchecks.active`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActiveDef {
    /// Kong default "http".
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Seconds, Kong default 1.
    pub timeout: Option<f64>,
    /// Kong default 10.
    pub concurrency: Option<u64>,
    /// Kong default "/".
    pub http_path: Option<String>,
    /// Kong default true.
    pub https_verify_certificate: Option<bool>,
    pub https_sni: Option<String>,
    pub headers: Option<BTreeMap<String, Vec<String>>>,
    pub healthy: Option<HealthyDef>,
    pub unhealthy: Option<UnhealthyDef>,
}

/// `healthchecks.passive`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassiveDef {
    /// Kong default "http".
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub healthy: Option<PassiveHealthyDef>,
    pub unhealthy: Option<PassiveUnhealthyDef>,
}

/// `healthchecks.active.healthy`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthyDef {
    /// Seconds (fractions allowed); 0 = healthy targets are not probed.
    pub interval: Option<f64>,
    pub http_statuses: Option<Vec<u64>>,
    pub successes: Option<u64>,
}

/// `healthchecks.active.unhealthy`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnhealthyDef {
    /// Seconds (fractions allowed); 0 = unhealthy targets are not probed.
    pub interval: Option<f64>,
    pub http_statuses: Option<Vec<u64>>,
    pub tcp_failures: Option<u64>,
    pub timeouts: Option<u64>,
    pub http_failures: Option<u64>,
}

/// `healthchecks.passive.healthy`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassiveHealthyDef {
    pub http_statuses: Option<Vec<u64>>,
    pub successes: Option<u64>,
}

/// `healthchecks.passive.unhealthy`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassiveUnhealthyDef {
    pub http_statuses: Option<Vec<u64>>,
    pub tcp_failures: Option<u64>,
    pub timeouts: Option<u64>,
    pub http_failures: Option<u64>,
}

/// A `targets[]` entry, nested in an upstream or at the top level.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetDef {
    pub id: Option<String>,
    /// `host`, `host:port`, `ip:port` or `[ipv6]:port`; Kong's default port is 8000.
    pub target: Option<String>,
    /// Kong default 100, 0..=65535; 0 disables the target.
    pub weight: Option<u64>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Top-level targets only: the upstream's name or id.
    pub upstream: Option<Value>,
}
