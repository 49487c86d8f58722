//! What a balancer is built from: the upstream's checked settings with Kong's defaults applied.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::dns::DnsName;

/// Kong's `algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    RoundRobin,
    ConsistentHashing,
    LeastConnections,
}

/// Kong's `hash_on` / `hash_fallback`: where the hash input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashSource {
    None,
    Consumer,
    Ip,
    /// The header's name.
    Header(String),
    /// The cookie's name and the path of a generated cookie (Kong default "/").
    Cookie {
        name: String,
        path: String,
    },
    Path,
    /// The query argument's name.
    QueryArg(String),
}

/// Active probe kind (`healthchecks.active.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeType {
    Http,
    Https,
    Tcp,
}

/// Thresholds of one checker (active or passive). A count of 0 disables that rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Statuses counted as successes.
    pub healthy_statuses: Vec<u16>,
    /// Consecutive successes that make a target healthy.
    pub successes: u32,
    /// Statuses counted as HTTP failures.
    pub unhealthy_statuses: Vec<u16>,
    pub tcp_failures: u32,
    pub timeouts: u32,
    pub http_failures: u32,
}

/// `healthchecks.active`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveSettings {
    pub probe: ProbeType,
    pub timeout: Duration,
    pub concurrency: usize,
    pub http_path: String,
    pub https_verify_certificate: bool,
    pub https_sni: Option<String>,
    pub headers: BTreeMap<String, Vec<String>>,
    /// Probe interval of healthy targets; zero = not probed.
    pub healthy_interval: Duration,
    /// Probe interval of unhealthy targets; zero = not probed.
    pub unhealthy_interval: Duration,
    pub thresholds: Thresholds,
}

/// `healthchecks`.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthSettings {
    pub active: ActiveSettings,
    pub passive: Thresholds,
    /// Percentage (0..=100) of the total weight that must be healthy for the upstream to be.
    pub threshold: f64,
}

/// One target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// The IP literal's address; for a target given by name, one address it resolves to
    /// (in `Balancer::targets`; unused in the settings).
    pub address: SocketAddr,
    /// As written, for the Host header.
    pub host: String,
    pub port: u16,
    /// 0 = never picked.
    pub weight: u32,
    /// A target given by name: resolved at run time (`crate::dns`), one entry per address.
    pub dns: Option<Arc<DnsName>>,
}

/// Everything a [`crate::balancer::Balancer`] is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct BalancerSettings {
    pub name: String,
    pub host_header: Option<String>,
    pub algorithm: Algorithm,
    pub hash_on: HashSource,
    pub hash_fallback: HashSource,
    /// Ring size of consistent hashing (Kong default 10000).
    pub slots: u32,
    pub healthchecks: HealthSettings,
    pub targets: Vec<TargetInfo>,
}

impl Default for Thresholds {
    /// Kong's passive defaults.
    fn default() -> Self {
        let mut healthy_statuses: Vec<u16> = (200..=208).collect();
        healthy_statuses.push(226);
        healthy_statuses.extend(300..=308);
        Thresholds {
            healthy_statuses,
            successes: 0,
            unhealthy_statuses: vec![429, 500, 503],
            tcp_failures: 0,
            timeouts: 0,
            http_failures: 0,
        }
    }
}

impl Default for ActiveSettings {
    /// Kong's active defaults (checks off: both intervals are 0).
    fn default() -> Self {
        ActiveSettings {
            probe: ProbeType::Http,
            timeout: Duration::from_secs(1),
            concurrency: 10,
            http_path: "/".to_owned(),
            https_verify_certificate: true,
            https_sni: None,
            headers: BTreeMap::new(),
            healthy_interval: Duration::ZERO,
            unhealthy_interval: Duration::ZERO,
            thresholds: Thresholds {
                healthy_statuses: vec![200, 302],
                successes: 0,
                unhealthy_statuses: vec![429, 404, 500, 501, 502, 503, 504, 505],
                tcp_failures: 0,
                timeouts: 0,
                http_failures: 0,
            },
        }
    }
}

impl Default for HealthSettings {
    fn default() -> Self {
        HealthSettings {
            active: ActiveSettings::default(),
            passive: Thresholds::default(),
            threshold: 0.0,
        }
    }
}

impl BalancerSettings {
    /// Kong's defaults for an upstream named `name` with these targets.
    pub fn new(name: impl Into<String>, targets: Vec<TargetInfo>) -> Self {
        BalancerSettings {
            name: name.into(),
            host_header: None,
            algorithm: Algorithm::RoundRobin,
            hash_on: HashSource::None,
            hash_fallback: HashSource::None,
            slots: 10_000,
            healthchecks: HealthSettings::default(),
            targets,
        }
    }
}
