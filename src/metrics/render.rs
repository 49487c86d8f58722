//! The Prometheus text exposition (format 0.0.4) of every counter, written on each scrape.
//!
//! Kong's metric names and labels where Kong's prometheus plugin has one (the per-route
//! families hold what the plugin recorded, as its switches said); ours start
//! `oidc_gateway_`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use super::histogram::HistogramSnapshot;
use super::idp_calls::{IdpEndpoint, IdpOutcome};
use super::route_counters::RouteMetrics;
use super::status_page::{readiness, token_cache_entries};
use super::Metrics;
use crate::balancer::Balancer;
use crate::plugin::prometheus::Prometheus;
use crate::snapshot::SnapshotStore;

/// Kong's `workspace` label; this data plane has one workspace.
const WORKSPACE: &str = "default";

/// The whole `/metrics` body.
pub fn render(store: &SnapshotStore) -> String {
    let metrics = super::global();
    let snapshot = store.current();
    let mut out = String::with_capacity(16 * 1024);
    let routes = metrics.all_routes();
    let consumers = metrics.consumer_names();
    requests(&mut out, &routes, &consumers);
    bandwidth(&mut out, &routes, &consumers);
    latencies(&mut out, &routes);
    connections(&mut out, metrics);
    node(&mut out);
    if exports_upstream_health(&snapshot) {
        target_health(&mut out, &snapshot.config.upstreams);
    }
    configuration(&mut out, store, &snapshot);
    token_cache(&mut out, metrics, token_cache_entries(&snapshot));
    idp(&mut out, metrics);
    redis_failures(&mut out);
    log_queues(&mut out);
    out
}

/// The log plugins' queues, by log server (queues to one server summed).
fn log_queues(out: &mut String) {
    let mut servers: std::collections::BTreeMap<&str, [u64; 4]> = Default::default();
    let queues = crate::plugin::log_queue::all();
    for queue in &queues {
        let c = &queue.counters;
        let sums = servers.entry(queue.label.as_str()).or_default();
        for (sum, value) in sums.iter_mut().zip([
            queue.len() as u64,
            load(&c.sent),
            load(&c.dropped),
            load(&c.lost),
        ]) {
            *sum += value;
        }
    }
    header(
        out,
        "oidc_gateway_log_queue_entries",
        "gauge",
        "Log entries waiting in the log plugins' queues, by log server",
    );
    for (server, [waiting, ..]) in &servers {
        let _ = writeln!(
            out,
            "oidc_gateway_log_queue_entries{{server=\"{}\"}} {waiting}",
            escaped(server)
        );
    }
    header(
        out,
        "oidc_gateway_log_queue_entries_total",
        "counter",
        "Log entries by what became of them: sent, dropped (queue full), lost (max_retry_time)",
    );
    for (server, [_, sent, dropped, lost]) in &servers {
        for (outcome, value) in [("sent", sent), ("dropped", dropped), ("lost", lost)] {
            let _ = writeln!(
                out,
                "oidc_gateway_log_queue_entries_total{{server=\"{}\",outcome=\"{outcome}\"}} {value}",
                escaped(server)
            );
        }
    }
}

/// Failed Redis calls (connects, timeouts, errors); requests went on without Redis.
fn redis_failures(out: &mut String) {
    header(
        out,
        "oidc_gateway_redis_failures_total",
        "counter",
        "Redis calls that failed (the plugins fell back: rate-limiting's fault_tolerant)",
    );
    let _ = writeln!(
        out,
        "oidc_gateway_redis_failures_total {}",
        load(crate::redis::failures())
    );
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A label value with `\`, `"` and newlines escaped.
fn escaped(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains(['\\', '"', '\n']) {
        value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
            .into()
    } else {
        value.into()
    }
}

fn load(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// Whether a prometheus instance of the configuration has `upstream_health_metrics` on
/// (Kong exports `kong_upstream_target_health` only then).
fn exports_upstream_health(snapshot: &crate::snapshot::Snapshot) -> bool {
    snapshot
        .config
        .plugins
        .iter()
        .filter_map(Prometheus::of)
        .any(|config| config.upstream_health_metrics)
}

fn consumer_name(consumers: &[String], consumer: Option<u32>) -> &str {
    consumer
        .and_then(|c| consumers.get(c as usize))
        .map_or("", String::as_str)
}

fn requests(out: &mut String, routes: &[Arc<RouteMetrics>], consumers: &[String]) {
    header(
        out,
        "kong_http_requests_total",
        "counter",
        "HTTP status codes per consumer/service/route in Kong",
    );
    let mut overflow = 0;
    for route in routes {
        overflow += load(&route.overflow);
        for (labels, count) in route.requests() {
            let _ = writeln!(
                out,
                "kong_http_requests_total{{service=\"{}\",route=\"{}\",code=\"{}\",source=\"{}\",workspace=\"{WORKSPACE}\",consumer=\"{}\"}} {count}",
                escaped(&route.service),
                escaped(&route.route),
                labels.code,
                labels.source().prometheus_label(),
                escaped(consumer_name(consumers, labels.consumer)),
            );
        }
    }
    header(
        out,
        "oidc_gateway_metrics_label_overflow_total",
        "counter",
        "Requests not counted in kong_http_requests_total or kong_bandwidth_bytes: too many label combinations on one route",
    );
    let _ = writeln!(out, "oidc_gateway_metrics_label_overflow_total {overflow}");
}

fn bandwidth(out: &mut String, routes: &[Arc<RouteMetrics>], consumers: &[String]) {
    header(
        out,
        "kong_bandwidth_bytes",
        "counter",
        "Total bandwidth (ingress/egress) throughput in bytes",
    );
    for route in routes {
        for (direction, consumer, bytes) in route.bandwidth() {
            let _ = writeln!(
                out,
                "kong_bandwidth_bytes{{service=\"{}\",route=\"{}\",direction=\"{}\",workspace=\"{WORKSPACE}\",consumer=\"{}\"}} {bytes}",
                escaped(&route.service),
                escaped(&route.route),
                direction.label(),
                escaped(consumer_name(consumers, consumer)),
            );
        }
    }
}

fn histogram(out: &mut String, name: &str, labels: &str, snapshot: &HistogramSnapshot) {
    let separator = if labels.is_empty() { "" } else { "," };
    for (bound, count) in snapshot.bounds.iter().zip(snapshot.cumulative.iter()) {
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{separator}le=\"{bound}\"}} {count}"
        );
    }
    let count = snapshot.count();
    let _ = writeln!(
        out,
        "{name}_bucket{{{labels}{separator}le=\"+Inf\"}} {count}"
    );
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", snapshot.sum_ms);
    let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
}

/// Reads one of a route's histograms.
type ReadHistogram = fn(&RouteMetrics) -> HistogramSnapshot;

fn latencies(out: &mut String, routes: &[Arc<RouteMetrics>]) {
    let kinds: [(&str, &str, ReadHistogram); 3] = [
        (
            "kong_request_latency_ms",
            "Total latency incurred during requests for each service/route in Kong",
            |r| r.request_latency.snapshot(),
        ),
        (
            "kong_upstream_latency_ms",
            "Latency added by upstream response for each service/route in Kong",
            |r| r.upstream_latency.snapshot(),
        ),
        (
            "kong_kong_latency_ms",
            "Latency added by Kong and enabled plugins for each service/route in Kong",
            |r| r.gateway_latency.snapshot(),
        ),
    ];
    for (name, help, read) in kinds {
        header(out, name, "histogram", help);
        for route in routes {
            let snapshot = read(route);
            if snapshot.count() == 0 {
                continue;
            }
            let labels = format!(
                "service=\"{}\",route=\"{}\",workspace=\"{WORKSPACE}\"",
                escaped(&route.service),
                escaped(&route.route)
            );
            histogram(out, name, &labels, &snapshot);
        }
    }
}

fn connections(out: &mut String, metrics: &Metrics) {
    header(
        out,
        "kong_nginx_connections_total",
        "gauge",
        "Number of connections by subsystem",
    );
    let node_id = node_id();
    let c = &metrics.connections;
    let active = load(&c.active);
    let writing = load(&c.requests_in_flight);
    let total = load(&metrics.total_requests);
    // No `reading` state: Pingora reads a request header before the gateway sees it.
    for (state, value) in [
        ("accepted", load(&c.accepted)),
        ("active", active),
        ("handled", load(&c.handled)),
        ("total", total),
        ("writing", writing),
        ("waiting", active.saturating_sub(writing)),
    ] {
        let _ = writeln!(
            out,
            "kong_nginx_connections_total{{node_id=\"{node_id}\",subsystem=\"http\",state=\"{state}\"}} {value}"
        );
    }
    header(
        out,
        "kong_nginx_requests_total",
        "gauge",
        "Number of requests total",
    );
    let _ = writeln!(
        out,
        "kong_nginx_requests_total{{node_id=\"{node_id}\",subsystem=\"http\"}} {total}"
    );
}

/// This process's node id (a v4 UUID, new at each start, as a DB-less Kong without a
/// persisted prefix has).
pub fn node_id() -> &'static str {
    static NODE_ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NODE_ID.get_or_init(crate::plugin::correlation_id::generator::uuid_v4)
}

/// `kong_node_info`, `kong_datastore_reachable` (DB-less: no datastore to lose, always 1,
/// as Kong's `off` strategy reports) and the process's memory.
fn node(out: &mut String) {
    let node_id = node_id();
    header(
        out,
        "kong_node_info",
        "gauge",
        "Kong Node metadata information",
    );
    let _ = writeln!(
        out,
        "kong_node_info{{node_id=\"{node_id}\",version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    header(
        out,
        "kong_datastore_reachable",
        "gauge",
        "Datastore reachable from Kong, 0 is unreachable",
    );
    let _ = writeln!(out, "kong_datastore_reachable 1");
    if let Some(resident) = resident_bytes() {
        header(
            out,
            "kong_memory_workers_lua_vms_bytes",
            "gauge",
            "Allocated bytes in worker Lua VM (here: the process's resident memory; one process, no Lua)",
        );
        let _ = writeln!(
            out,
            "kong_memory_workers_lua_vms_bytes{{node_id=\"{node_id}\",pid=\"{}\",kong_subsystem=\"http\"}} {resident}",
            std::process::id()
        );
    }
}

/// The process's resident set size, from `/proc/self/statm` (Linux).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Kong's states; the target's current one has the value 1.
const HEALTH_STATES: [&str; 4] = ["healthchecks_off", "healthy", "unhealthy", "dns_error"];

fn target_health(out: &mut String, upstreams: &[Arc<Balancer>]) {
    header(
        out,
        "kong_upstream_target_health",
        "gauge",
        "Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.",
    );
    for balancer in upstreams {
        let passive = &balancer.settings().healthchecks.passive;
        let checked = balancer.has_active_checks()
            || passive.tcp_failures > 0
            || passive.timeouts > 0
            || passive.http_failures > 0;
        for (index, target) in balancer.targets().iter().enumerate() {
            let current = match (checked, balancer.is_healthy(index)) {
                (false, _) => "healthchecks_off",
                (true, true) => "healthy",
                (true, false) => "unhealthy",
            };
            for state in HEALTH_STATES {
                let _ = writeln!(
                    out,
                    "kong_upstream_target_health{{upstream=\"{}\",target=\"{}:{}\",address=\"{}\",state=\"{state}\",subsystem=\"http\"}} {}",
                    escaped(balancer.name()),
                    escaped(&target.host),
                    target.port,
                    target.address,
                    u8::from(state == current),
                );
            }
        }
    }
}

fn configuration(out: &mut String, store: &SnapshotStore, snapshot: &crate::snapshot::Snapshot) {
    header(
        out,
        "kong_data_plane_config_hash",
        "gauge",
        "Config hash numeric value of the data plane (the first 13 hex digits of configuration_hash)",
    );
    let hash = &snapshot.config.source_hash;
    let numeric = u64::from_str_radix(hash.get(..13).unwrap_or(hash), 16).unwrap_or(0);
    let _ = writeln!(out, "kong_data_plane_config_hash {numeric}");
    header(
        out,
        "oidc_gateway_config_info",
        "gauge",
        "The configuration in use, by hash (always 1)",
    );
    let _ = writeln!(
        out,
        "oidc_gateway_config_info{{hash=\"{}\"}} 1",
        escaped(hash)
    );
    header(
        out,
        "oidc_gateway_config_loaded_timestamp_seconds",
        "gauge",
        "When the configuration in use was loaded (unix seconds)",
    );
    let loaded = snapshot
        .loaded_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let _ = writeln!(out, "oidc_gateway_config_loaded_timestamp_seconds {loaded}");
    header(
        out,
        "oidc_gateway_config_reloads_total",
        "counter",
        "Configuration reloads by outcome",
    );
    let reloads = store.reloads();
    for (outcome, counter) in [
        ("succeeded", &reloads.succeeded),
        ("failed", &reloads.failed),
    ] {
        let _ = writeln!(
            out,
            "oidc_gateway_config_reloads_total{{outcome=\"{outcome}\"}} {}",
            load(counter)
        );
    }
    header(
        out,
        "oidc_gateway_ready",
        "gauge",
        "1 when /status/ready answers 200",
    );
    let _ = writeln!(
        out,
        "oidc_gateway_ready {}",
        u8::from(readiness(store).is_ok())
    );
}

fn token_cache(out: &mut String, metrics: &Metrics, entries: usize) {
    let cache = &metrics.token_cache;
    for (name, help, counter) in [
        (
            "oidc_gateway_token_cache_hits_total",
            "client_credentials requests served a cached token",
            &cache.hits,
        ),
        (
            "oidc_gateway_token_cache_misses_total",
            "client_credentials requests that found no usable cached token",
            &cache.misses,
        ),
        (
            "oidc_gateway_token_cache_negative_hits_total",
            "client_credentials requests refused from the cache of recently rejected credentials",
            &cache.negative_hits,
        ),
        (
            "oidc_gateway_token_cache_refreshes_total",
            "Background token refreshes started ahead of expiry",
            &cache.refreshes,
        ),
        (
            "oidc_gateway_token_cache_evictions_total",
            "Token cache entries removed because the cache was full",
            &cache.evictions,
        ),
        (
            "oidc_gateway_token_cache_expirations_total",
            "Dead token cache entries swept away",
            &cache.expirations,
        ),
    ] {
        header(out, name, "counter", help);
        let _ = writeln!(out, "{name} {}", load(counter));
    }
    header(
        out,
        "oidc_gateway_token_cache_entries",
        "gauge",
        "Token cache entries of the configuration in use",
    );
    let _ = writeln!(out, "oidc_gateway_token_cache_entries {entries}");
}

fn idp(out: &mut String, metrics: &Metrics) {
    header(
        out,
        "oidc_gateway_idp_requests_total",
        "counter",
        "Calls to the identity provider by endpoint and outcome",
    );
    for endpoint in IdpEndpoint::ALL {
        for outcome in IdpOutcome::ALL {
            let _ = writeln!(
                out,
                "oidc_gateway_idp_requests_total{{endpoint=\"{}\",outcome=\"{}\"}} {}",
                endpoint.label(),
                outcome.label(),
                metrics.idp.count(endpoint, outcome)
            );
        }
    }
    header(
        out,
        "oidc_gateway_idp_latency_ms",
        "histogram",
        "Latency of calls to the identity provider by endpoint",
    );
    for endpoint in IdpEndpoint::ALL {
        if let Some(latency) = metrics.idp.latency(endpoint) {
            let labels = format!("endpoint=\"{}\"", endpoint.label());
            histogram(
                out,
                "oidc_gateway_idp_latency_ms",
                &labels,
                &latency.snapshot(),
            );
        }
    }
    header(
        out,
        "oidc_gateway_jwks_refreshes_total",
        "counter",
        "Refreshes of an identity provider's discovery document and signing keys, by outcome",
    );
    for (outcome, counter) in [
        ("succeeded", &metrics.jwks_refreshes[0]),
        ("failed", &metrics.jwks_refreshes[1]),
    ] {
        let _ = writeln!(
            out,
            "oidc_gateway_jwks_refreshes_total{{outcome=\"{outcome}\"}} {}",
            load(counter)
        );
    }
}
