//! Kong's ring-balancer for `upstreams`: picks a healthy target of an upstream by round
//! robin, consistent hashing or least connections, and tracks target health from passive
//! reports and active probes.
//!
//! The targets are fixed when the config is compiled; health, round-robin position and
//! connection counts are runtime state behind atomics and small mutexes.

mod active_check;
mod consistent_hash;
mod hash_key;
mod health;
mod least_connections;
mod round_robin;
pub mod settings;

use self::consistent_hash::Ring;
use self::health::{Checker, Event, TargetHealth};
use self::least_connections::LeastConnections;
use self::round_robin::RoundRobin;

pub use self::active_check::run_active_checks;
pub use self::hash_key::HashInput;
pub use self::least_connections::ConnectionLease;
pub use self::settings::{
    ActiveSettings, Algorithm, BalancerSettings, HashSource, HealthSettings, ProbeType, TargetInfo,
    Thresholds,
};

/// Carries target health from the upstreams of a replaced config to the same-named
/// upstreams of the new one (health lives beside the config, not in it). Only upstreams
/// whose active checks can heal a target take it over: otherwise nothing could ever heal one that
/// passive checks disabled, and a reload is the operator's way to re-enable it (Kong's
/// Admin API `/healthy` is not part of this data plane).
pub fn carry_over_health(previous: &[std::sync::Arc<Balancer>], next: &[std::sync::Arc<Balancer>]) {
    for balancer in next.iter().filter(|b| b.active_checks_heal()) {
        if let Some(old) = previous
            .iter()
            .find(|old| old.name().eq_ignore_ascii_case(balancer.name()))
        {
            balancer.adopt_health(old);
        }
    }
}

/// The target chosen for one attempt.
#[derive(Debug)]
pub struct Pick {
    /// Index into [`Balancer::targets`].
    pub target: usize,
    pub address: std::net::SocketAddr,
    /// The target's host as written, for the Host header.
    pub host: String,
    pub port: u16,
    /// Least-connections: counts this connection while alive.
    pub lease: Option<ConnectionLease>,
    /// `hash_on: cookie`: the `Set-Cookie` value to send when the request had none.
    pub set_cookie: Option<String>,
}

/// The passive health check outcome of one proxied attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassiveOutcome {
    /// The upstream answered with this status.
    Status(u16),
    /// Could not connect, or the connection broke.
    TcpFailure,
    Timeout,
}

/// One upstream: its targets and their runtime state. `Send + Sync`.
#[derive(Debug)]
pub struct Balancer {
    settings: BalancerSettings,
    weights: Vec<u32>,
    health: Vec<TargetHealth>,
    round_robin: RoundRobin,
    least_connections: LeastConnections,
    ring: Option<Ring>,
}

impl Balancer {
    pub fn new(settings: BalancerSettings) -> Self {
        let n = settings.targets.len();
        let weights: Vec<u32> = settings.targets.iter().map(|t| t.weight).collect();
        let ring = (settings.algorithm == Algorithm::ConsistentHashing).then(|| {
            let identities: Vec<(String, u32)> = settings
                .targets
                .iter()
                .map(|t| (format!("{}:{}", t.host, t.port), t.weight))
                .collect();
            Ring::new(&identities, settings.slots)
        });
        Balancer {
            weights,
            health: (0..n).map(|_| TargetHealth::default()).collect(),
            round_robin: RoundRobin::new(n),
            least_connections: LeastConnections::new(n),
            ring,
            settings,
        }
    }

    pub fn name(&self) -> &str {
        &self.settings.name
    }

    /// The upstream's `host_header`, if set.
    pub fn host_header(&self) -> Option<&str> {
        self.settings.host_header.as_deref()
    }

    pub fn settings(&self) -> &BalancerSettings {
        &self.settings
    }

    /// Best healthy target not in `excluded` (target indexes already tried for this
    /// request); `None` = no healthy target (the proxy answers 503 "failure to get a peer
    /// from the ring-balancer").
    pub fn select(&self, request: &HashInput<'_>, excluded: &[usize]) -> Option<Pick> {
        if !self.upstream_healthy() {
            return None;
        }
        let eligible = |i: usize| {
            self.weights.get(i).is_some_and(|w| *w > 0)
                && self.is_healthy(i)
                && !excluded.contains(&i)
        };
        let mut set_cookie = None;
        let target = match self.settings.algorithm {
            Algorithm::RoundRobin => self.round_robin.pick(&self.weights, eligible)?,
            Algorithm::LeastConnections => self.least_connections.pick(&self.weights, eligible)?,
            Algorithm::ConsistentHashing => {
                let key = match hash_key::extract(&self.settings.hash_on, request) {
                    Some(key) => Some(key),
                    None => match &self.settings.hash_on {
                        HashSource::Cookie { name, path } => {
                            let value = hash_key::new_cookie_value();
                            set_cookie = Some(format!("{name}={value}; Path={path}"));
                            Some(value)
                        }
                        _ => hash_key::extract(&self.settings.hash_fallback, request),
                    },
                };
                match (key, &self.ring) {
                    (Some(key), Some(ring)) => ring.pick(key.as_bytes(), eligible)?,
                    _ => self.round_robin.pick(&self.weights, eligible)?,
                }
            }
        };
        let info = self.settings.targets.get(target)?;
        let lease = match self.settings.algorithm {
            Algorithm::LeastConnections => self.least_connections.lease(target),
            _ => None,
        };
        Some(Pick {
            target,
            address: info.address,
            host: info.host.clone(),
            port: info.port,
            lease,
            set_cookie,
        })
    }

    /// Passive health check outcome of one proxied attempt.
    pub fn report(&self, target: usize, outcome: PassiveOutcome) {
        let event = match outcome {
            PassiveOutcome::Status(status) => Event::Status(status),
            PassiveOutcome::TcpFailure => Event::TcpFailure,
            PassiveOutcome::Timeout => Event::Timeout,
        };
        self.record(target, Checker::Passive, event);
    }

    /// Records an observation and logs a change of health.
    fn record(&self, target: usize, checker: Checker, event: Event) {
        let Some(health) = self.health.get(target) else {
            return;
        };
        let thresholds = match checker {
            Checker::Active => &self.settings.healthchecks.active.thresholds,
            Checker::Passive => &self.settings.healthchecks.passive,
        };
        if let Some(healthy) = health.record(checker, thresholds, event) {
            if let Some(info) = self.settings.targets.get(target) {
                let state = if healthy { "healthy" } else { "unhealthy" };
                let by = match checker {
                    Checker::Active => "active",
                    Checker::Passive => "passive",
                };
                log::warn!(
                    "upstream {}: target {}:{} is now {state} ({by} health check)",
                    self.settings.name,
                    info.host,
                    info.port
                );
            }
        }
    }

    /// For tests and metrics: address, host, port and weight of each target.
    pub fn targets(&self) -> &[TargetInfo] {
        &self.settings.targets
    }

    pub fn is_healthy(&self, target: usize) -> bool {
        self.health
            .get(target)
            .is_some_and(TargetHealth::is_healthy)
    }

    /// Whether active probes run (a non-zero healthy or unhealthy interval).
    pub fn has_active_checks(&self) -> bool {
        let active = &self.settings.healthchecks.active;
        !active.healthy_interval.is_zero() || !active.unhealthy_interval.is_zero()
    }

    /// Takes over the health of the targets `previous` also has (same host, port and
    /// address), so a reload neither forgets an unhealthy target nor waits for it again.
    pub fn adopt_health(&self, previous: &Balancer) {
        for (i, target) in self.settings.targets.iter().enumerate() {
            let old = previous.settings.targets.iter().position(|t| {
                t.host == target.host && t.port == target.port && t.address == target.address
            });
            if let (Some(j), Some(health)) = (old, self.health.get(i)) {
                health.set_healthy(previous.is_healthy(j));
            }
        }
    }

    /// Whether active checks probe unhealthy targets and count successes towards healing.
    fn active_checks_heal(&self) -> bool {
        let active = &self.settings.healthchecks.active;
        !active.unhealthy_interval.is_zero() && active.thresholds.successes > 0
    }

    /// `healthchecks.threshold`: whether enough of the total weight is healthy.
    fn upstream_healthy(&self) -> bool {
        let threshold = self.settings.healthchecks.threshold;
        if threshold <= 0.0 {
            return true;
        }
        let total: u64 = self.weights.iter().map(|w| u64::from(*w)).sum();
        if total == 0 {
            return false;
        }
        let healthy: u64 = self
            .weights
            .iter()
            .enumerate()
            .filter(|(i, _)| self.is_healthy(*i))
            .map(|(_, w)| u64::from(*w))
            .sum();
        healthy as f64 * 100.0 / total as f64 >= threshold
    }
}
