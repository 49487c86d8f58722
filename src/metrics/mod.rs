//! Process-wide counters for `/metrics` and `/status`: connections, requests per route,
//! token cache, IdP calls, JWKS refreshes. Everything a request touches is an atomic in a
//! struct it already holds (its route's counters are resolved when the snapshot is built);
//! labels are only turned into text when scraped.

pub mod connections;
pub mod histogram;
pub mod idp_calls;
pub mod render;
pub mod route_counters;
pub mod status_app;
pub mod status_page;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::config::compiled::{CompiledConfig, Consumer};
use crate::oidc::token_cache::Lookup;
use crate::snapshot::Snapshot;

pub use idp_calls::{timed, timed_introspection, IdpEndpoint, IdpOutcome};
pub use route_counters::{RequestOutcome, ResponseSource, RouteMetrics};

/// Downstream connections of the proxy listeners (nginx's stub_status meaning).
#[derive(Debug, Default)]
pub struct Connections {
    /// Requests being served right now (nginx's `writing`: from the request header read to
    /// the log phase).
    pub requests_in_flight: AtomicU64,
    /// Connections that reached the proxy (after the TLS handshake, for TLS listeners).
    pub accepted: AtomicU64,
    /// Open right now.
    pub active: AtomicU64,
    /// Connections served to their end (closed).
    pub handled: AtomicU64,
}

/// The client_credentials token cache, over every plugin instance.
#[derive(Debug, Default)]
pub struct TokenCacheCounters {
    /// A usable token was in the cache (fresh, or stale while a refresh runs).
    pub hits: AtomicU64,
    /// No usable token: the request waited for a token request (its own or another's).
    pub misses: AtomicU64,
    /// The credentials were recently rejected by the IdP (answered without asking again).
    pub negative_hits: AtomicU64,
    /// Background refreshes started ahead of expiry.
    pub refreshes: AtomicU64,
    /// Entries removed to make room (the cache was full).
    pub evictions: AtomicU64,
    /// Dead entries (expired, no longer rejected) swept away.
    pub expirations: AtomicU64,
}

impl TokenCacheCounters {
    /// Counts one cache lookup by what it found.
    pub fn looked_up(&self, lookup: &Lookup) {
        let counter = match lookup {
            Lookup::Fresh(_) | Lookup::Stale(_) => &self.hits,
            Lookup::Rejected => &self.negative_hits,
            Lookup::Missing => &self.misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn refresh_started(&self) {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
    }

    pub fn evicted(&self) {
        self.evictions.fetch_add(1, Ordering::Relaxed);
    }

    pub fn expired(&self, removed: usize) {
        self.expirations
            .fetch_add(removed as u64, Ordering::Relaxed);
    }
}

/// Consumer label values, interned so a request carries a small number instead of text.
#[derive(Default)]
struct ConsumerLabels {
    by_name: HashMap<String, u32>,
    names: Vec<String>,
}

/// Everything counted in this process.
pub struct Metrics {
    pub connections: Connections,
    /// Requests finished on the proxy listeners.
    pub total_requests: AtomicU64,
    pub token_cache: TokenCacheCounters,
    pub idp: idp_calls::IdpCalls,
    /// JWKS (and discovery) refreshes: `[succeeded, failed]`.
    pub jwks_refreshes: [AtomicU64; 2],
    /// Requests that matched no route (`service` and `route` labels empty, as Kong's).
    pub unrouted: Arc<RouteMetrics>,
    routes: Mutex<HashMap<(String, String), Arc<RouteMetrics>>>,
    consumers: Mutex<ConsumerLabels>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            connections: Connections::default(),
            total_requests: AtomicU64::new(0),
            token_cache: TokenCacheCounters::default(),
            idp: idp_calls::IdpCalls::default(),
            jwks_refreshes: Default::default(),
            unrouted: Arc::new(RouteMetrics::new(String::new(), String::new())),
            routes: Mutex::new(HashMap::new()),
            consumers: Mutex::new(ConsumerLabels::default()),
        }
    }
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::default)
}

/// The metric handles of one snapshot, by route index and consumer index.
#[derive(Default)]
pub struct SnapshotMetrics {
    pub routes: Vec<Arc<RouteMetrics>>,
    /// Interned consumer label (Kong's: the username) of each consumer in
    /// `config.consumers.list`; `None` for a consumer without a username.
    pub consumers: Vec<Option<u32>>,
}

impl SnapshotMetrics {
    /// The counters of route `index`, or of unrouted requests.
    pub fn route(&self, index: Option<usize>) -> &RouteMetrics {
        index
            .and_then(|i| self.routes.get(i))
            .unwrap_or(&global().unrouted)
    }
}

/// Kong's consumer label: the username, else the custom id, else the id.
pub fn consumer_label(consumer: &Consumer) -> &str {
    consumer
        .username
        .as_deref()
        .or(consumer.custom_id.as_deref())
        .unwrap_or(consumer.id.as_str())
}

impl Metrics {
    /// Resolves (creating where new) the counters of every route of `config`, reusing those
    /// of routes with the same service and route label, so counters survive reloads.
    pub fn for_config(&self, config: &CompiledConfig) -> SnapshotMetrics {
        let mut known = lock(&self.routes);
        let routes = config
            .routes
            .iter()
            .map(|route| {
                // Kong's labels: the service's name, else its host; a route without a
                // service has an empty one.
                let service = route
                    .service
                    .and_then(|i| config.services.get(i))
                    .map(|s| s.name.clone().unwrap_or_else(|| s.host.clone()))
                    .unwrap_or_default();
                let name = route.name.clone().unwrap_or_else(|| route.id.clone());
                known
                    .entry((service.clone(), name.clone()))
                    .or_insert_with(|| Arc::new(RouteMetrics::new(service, name)))
                    .clone()
            })
            .collect();
        drop(known);
        let mut labels = lock(&self.consumers);
        let consumers = config
            .consumers
            .list
            .iter()
            .map(|consumer| {
                // Kong's prometheus plugin labels a consumer with its username only.
                let name = consumer.username.as_deref()?;
                if let Some(id) = labels.by_name.get(name) {
                    return Some(*id);
                }
                let id = labels.names.len() as u32;
                labels.names.push(name.to_owned());
                labels.by_name.insert(name.to_owned(), id);
                Some(id)
            })
            .collect();
        SnapshotMetrics { routes, consumers }
    }

    /// Every route's counters ever created, unrouted first, then by service and route.
    pub fn all_routes(&self) -> Vec<Arc<RouteMetrics>> {
        let mut routes: Vec<Arc<RouteMetrics>> = lock(&self.routes).values().cloned().collect();
        routes.sort_by(|a, b| (&a.service, &a.route).cmp(&(&b.service, &b.route)));
        routes.insert(0, self.unrouted.clone());
        routes
    }

    /// The label value of an interned consumer.
    pub fn consumer_names(&self) -> Vec<String> {
        lock(&self.consumers).names.clone()
    }

    /// Counts one JWKS/discovery refresh of a provider.
    pub fn jwks_refreshed(&self, succeeded: bool) {
        let index = usize::from(!succeeded);
        if let Some(counter) = self.jwks_refreshes.get(index) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Counts one finished proxy request in `kong_nginx_requests_total` (the per-route families
/// are the prometheus plugin's, recorded in its log phase).
pub fn record_request() {
    global().total_requests.fetch_add(1, Ordering::Relaxed);
}

/// Counts a request in flight from its creation to its drop (nginx's `writing` state).
pub struct InFlight(());

impl InFlight {
    pub fn start() -> Self {
        global()
            .connections
            .requests_in_flight
            .fetch_add(1, Ordering::Relaxed);
        Self(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        global()
            .connections
            .requests_in_flight
            .fetch_sub(1, Ordering::Relaxed);
    }
}

impl SnapshotMetrics {
    /// The interned label of `consumer` in this snapshot (Kong's: its username).
    pub fn consumer_label(&self, snapshot: &Snapshot, consumer: &Consumer) -> Option<u32> {
        let index = snapshot.config.consumers.by_id.get(&consumer.id)?;
        self.consumers.get(*index).copied().flatten()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::compile_declarative_str;

    const YAML: &str = r#"_format_version: "3.0"
services:
- name: metrics-test-svc
  url: http://127.0.0.1:9
  routes:
  - name: metrics-test-a
    paths: [/a]
  - paths: [/b]
consumers:
- username: metrics-test-alice
- custom_id: metrics-test-bob
"#;

    #[test]
    fn counters_survive_a_reload_that_keeps_the_names() {
        let metrics = Metrics::default();
        let first = metrics.for_config(&compile_declarative_str(YAML).unwrap());
        let again = metrics.for_config(&compile_declarative_str(YAML).unwrap());
        assert_eq!(first.routes.len(), 2);
        for (a, b) in first.routes.iter().zip(&again.routes) {
            assert!(Arc::ptr_eq(a, b), "{} / {}", a.service, a.route);
        }
        assert_eq!(first.routes[0].route, "metrics-test-a");
        assert_eq!(first.routes[0].service, "metrics-test-svc");
        assert_eq!(first.consumers, again.consumers);
        let names = metrics.consumer_names();
        let label = |i: usize| names[first.consumers[i].unwrap() as usize].as_str();
        assert_eq!(label(0), "metrics-test-alice");
        assert_eq!(
            first.consumers[1], None,
            "no username: Kong's label is empty"
        );

        let renamed = YAML.replace("metrics-test-a", "metrics-test-c");
        let third = metrics.for_config(&compile_declarative_str(&renamed).unwrap());
        assert!(!Arc::ptr_eq(&third.routes[0], &first.routes[0]));
        assert!(Arc::ptr_eq(&third.routes[1], &first.routes[1]));
        assert_eq!(metrics.all_routes().len(), 4, "unrouted + three routes");
    }

    #[test]
    fn a_route_without_a_service_has_an_empty_service_label() {
        let yaml = format!("{YAML}routes:\n- name: metrics-test-orphan\n  paths: [/o]\n");
        let config = compile_declarative_str(&yaml).unwrap();
        let routes = Metrics::default().for_config(&config).routes;
        let orphan = routes.last().unwrap();
        assert_eq!(orphan.route, "metrics-test-orphan");
        assert_eq!(orphan.service, "");
    }
}
