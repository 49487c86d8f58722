//! Kong's ring-balancer for `upstreams`: picks a healthy target of an upstream by round
//! robin, consistent hashing or least connections, and tracks target health from passive
//! reports and active probes.
//!
//! Targets given by IP are fixed when the config is compiled; targets given by name expand
//! into one entry per address their name resolves to at run time (`targets.rs`), rebuilt
//! when the answer changes. Health, round-robin position and connection counts are runtime
//! state behind atomics and small mutexes; health follows each address.

mod active_check;
mod consistent_hash;
mod hash_key;
mod health;
mod least_connections;
mod round_robin;
pub mod settings;
mod targets;

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use self::health::{Checker, Event, TargetHealth};
use self::targets::{same_target, Targets};

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
pub fn carry_over_health(previous: &[Arc<Balancer>], next: &[Arc<Balancer>]) {
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
    /// The health of the target picked (reports go there even if the targets are rebuilt).
    health: Arc<TargetHealth>,
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
    /// The current expansion of the targets (a lock-free read per request).
    current: ArcSwap<Targets>,
    /// One rebuild at a time.
    rebuilding: Mutex<()>,
}

impl Balancer {
    pub fn new(settings: BalancerSettings) -> Self {
        Balancer {
            current: ArcSwap::from_pointee(Targets::build(&settings, None)),
            rebuilding: Mutex::new(()),
            settings,
        }
    }

    /// The current targets, rebuilt first when a target's name resolves differently now.
    fn state(&self) -> Arc<Targets> {
        let state = self.current.load_full();
        if !state.outdated(&self.settings) {
            return state;
        }
        // Another request rebuilding: use the current one meanwhile.
        let Ok(_one) = self.rebuilding.try_lock() else {
            return state;
        };
        let state = self.current.load_full();
        if !state.outdated(&self.settings) {
            return state;
        }
        let next = Arc::new(Targets::build(&self.settings, Some(&state)));
        log::info!(
            "upstream {}: {} target addresses after a DNS change",
            self.settings.name,
            next.list.len()
        );
        self.current.store(Arc::clone(&next));
        next
    }

    pub fn name(&self) -> &str {
        &self.settings.name
    }

    /// Waits (each at most `limit`) for the first answer of target names never looked up
    /// yet (right after start or a reload); returns at once otherwise.
    pub async fn wait_first_answers(&self, limit: std::time::Duration) {
        for name in self.settings.targets.iter().filter_map(|t| t.dns.as_ref()) {
            if name.is_pending() {
                name.wait_first_answer(limit).await;
            }
        }
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
        let state = self.state();
        if !upstream_healthy(&state, self.settings.healthchecks.threshold) {
            return None;
        }
        let eligible = |i: usize| {
            state.weights.get(i).is_some_and(|w| *w > 0)
                && state.health.get(i).is_some_and(|h| h.is_healthy())
                && !excluded.contains(&i)
        };
        let mut set_cookie = None;
        let target = match self.settings.algorithm {
            Algorithm::RoundRobin => state.round_robin.pick(&state.weights, eligible)?,
            Algorithm::LeastConnections => {
                state.least_connections.pick(&state.weights, eligible)?
            }
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
                match (key, &state.ring) {
                    (Some(key), Some(ring)) => ring.pick(key.as_bytes(), eligible)?,
                    _ => state.round_robin.pick(&state.weights, eligible)?,
                }
            }
        };
        let info = state.list.get(target)?;
        let lease = match self.settings.algorithm {
            Algorithm::LeastConnections => state.least_connections.lease(target),
            _ => None,
        };
        Some(Pick {
            target,
            address: info.address,
            host: info.host.clone(),
            port: info.port,
            lease,
            set_cookie,
            health: Arc::clone(state.health.get(target)?),
        })
    }

    /// Passive health check outcome of the attempt that went to `pick`.
    pub fn report_pick(&self, pick: &Pick, outcome: PassiveOutcome) {
        let label = format!("{}:{} ({})", pick.host, pick.port, pick.address);
        self.record_on(&pick.health, &label, Checker::Passive, event_of(outcome));
    }

    /// Passive health check outcome of one proxied attempt to target `target` (an index
    /// into [`Balancer::targets`]).
    pub fn report(&self, target: usize, outcome: PassiveOutcome) {
        self.record(target, Checker::Passive, event_of(outcome));
    }

    /// Records an observation about target `target` of the current targets.
    fn record(&self, target: usize, checker: Checker, event: Event) {
        let state = self.state();
        let (Some(health), Some(info)) = (state.health.get(target), state.list.get(target)) else {
            return;
        };
        let label = format!("{}:{} ({})", info.host, info.port, info.address);
        self.record_on(health, &label, checker, event);
    }

    /// Records an observation about `target` (found in the current targets by host, port
    /// and address: the targets may have been rebuilt since it was probed).
    fn record_for(&self, target: &TargetInfo, checker: Checker, event: Event) {
        let state = self.state();
        if let Some(i) = state.list.iter().position(|t| same_target(t, target)) {
            self.record(i, checker, event);
        }
    }

    /// Records an observation and logs a change of health.
    fn record_on(&self, health: &TargetHealth, label: &str, checker: Checker, event: Event) {
        let thresholds = match checker {
            Checker::Active => &self.settings.healthchecks.active.thresholds,
            Checker::Passive => &self.settings.healthchecks.passive,
        };
        if let Some(healthy) = health.record(checker, thresholds, event) {
            let state = if healthy { "healthy" } else { "unhealthy" };
            let by = match checker {
                Checker::Active => "active",
                Checker::Passive => "passive",
            };
            log::warn!(
                "upstream {}: target {label} is now {state} ({by} health check)",
                self.settings.name,
            );
        }
    }

    /// The current targets (names expanded to their addresses): address, host, port and
    /// weight of each; indexes are those of [`Pick::target`] and [`Balancer::is_healthy`].
    pub fn targets(&self) -> Vec<TargetInfo> {
        self.state().list.clone()
    }

    pub fn is_healthy(&self, target: usize) -> bool {
        self.state()
            .health
            .get(target)
            .is_some_and(|h| h.is_healthy())
    }

    /// Whether active probes run (a non-zero healthy or unhealthy interval).
    pub fn has_active_checks(&self) -> bool {
        let active = &self.settings.healthchecks.active;
        !active.healthy_interval.is_zero() || !active.unhealthy_interval.is_zero()
    }

    /// Takes over the health of the targets `previous` also has (same host, port and
    /// address), so a reload neither forgets an unhealthy target nor waits for it again.
    pub fn adopt_health(&self, previous: &Balancer) {
        let old = previous.state();
        let new = self.state();
        for (target, health) in new.list.iter().zip(&new.health) {
            if let Some(j) = old.list.iter().position(|t| same_target(t, target)) {
                if let Some(old_health) = old.health.get(j) {
                    health.set_healthy(old_health.is_healthy());
                }
            }
        }
    }

    /// Whether active checks probe unhealthy targets and count successes towards healing.
    fn active_checks_heal(&self) -> bool {
        let active = &self.settings.healthchecks.active;
        !active.unhealthy_interval.is_zero() && active.thresholds.successes > 0
    }
}

fn event_of(outcome: PassiveOutcome) -> Event {
    match outcome {
        PassiveOutcome::Status(status) => Event::Status(status),
        PassiveOutcome::TcpFailure => Event::TcpFailure,
        PassiveOutcome::Timeout => Event::Timeout,
    }
}

/// `healthchecks.threshold`: whether enough of the total weight is healthy.
fn upstream_healthy(state: &Targets, threshold: f64) -> bool {
    if threshold <= 0.0 {
        return true;
    }
    let total: u64 = state.weights.iter().map(|w| u64::from(*w)).sum();
    if total == 0 {
        return false;
    }
    let healthy: u64 = state
        .weights
        .iter()
        .zip(&state.health)
        .filter(|(_, h)| h.is_healthy())
        .map(|(w, _)| u64::from(*w))
        .sum();
    healthy as f64 * 100.0 / total as f64 >= threshold
}
