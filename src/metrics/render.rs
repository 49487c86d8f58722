//! The Prometheus text exposition (format 0.0.4) of every counter, written on each scrape.
//!
//! Kong's metric names where Kong's prometheus plugin has one; ours start `oidc_gateway_`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use super::histogram::{HistogramSnapshot, BUCKETS_MS};
use super::idp_calls::{IdpEndpoint, IdpOutcome};
use super::route_counters::RouteMetrics;
use super::status_page::{readiness, token_cache_entries};
use super::Metrics;
use crate::balancer::Balancer;
use crate::snapshot::SnapshotStore;

/// Kong's `workspace` label; this data plane has one workspace.
const WORKSPACE: &str = "default";

/// The whole `/metrics` body.
pub fn render(store: &SnapshotStore) -> String {
    let metrics = super::global();
    let snapshot = store.current();
    let mut out = String::with_capacity(16 * 1024);
    let routes = metrics.all_routes();
    requests(&mut out, metrics, &routes);
    latencies(&mut out, &routes);
    connections(&mut out, metrics);
    target_health(&mut out, &snapshot.config.upstreams);
    configuration(&mut out, store, &snapshot);
    token_cache(&mut out, metrics, token_cache_entries(&snapshot));
    idp(&mut out, metrics);
    redis_failures(&mut out);
    out
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

fn requests(out: &mut String, metrics: &Metrics, routes: &[Arc<RouteMetrics>]) {
    header(
        out,
        "kong_http_requests_total",
        "counter",
        "HTTP status codes per consumer/service/route in Kong",
    );
    let consumers = metrics.consumer_names();
    let mut overflow = 0;
    for route in routes {
        overflow += load(&route.overflow);
        for (labels, count) in route.requests() {
            let consumer = labels
                .consumer
                .and_then(|c| consumers.get(c as usize))
                .map_or("", String::as_str);
            let _ = writeln!(
                out,
                "kong_http_requests_total{{service=\"{}\",route=\"{}\",code=\"{}\",source=\"{}\",workspace=\"{WORKSPACE}\",consumer=\"{}\"}} {count}",
                escaped(&route.service),
                escaped(&route.route),
                labels.code,
                labels.source().label(),
                escaped(consumer),
            );
        }
    }
    header(
        out,
        "oidc_gateway_metrics_label_overflow_total",
        "counter",
        "Requests not counted in kong_http_requests_total: too many label combinations on one route",
    );
    let _ = writeln!(out, "oidc_gateway_metrics_label_overflow_total {overflow}");
}

fn histogram(out: &mut String, name: &str, labels: &str, snapshot: &HistogramSnapshot) {
    let separator = if labels.is_empty() { "" } else { "," };
    for (bound, count) in BUCKETS_MS.iter().zip(snapshot.cumulative.iter()) {
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
    let c = &metrics.connections;
    for (state, value) in [
        ("accepted", load(&c.accepted)),
        ("active", load(&c.active)),
        ("handled", load(&c.handled)),
    ] {
        let _ = writeln!(
            out,
            "kong_nginx_connections_total{{subsystem=\"http\",state=\"{state}\"}} {value}"
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
        "kong_nginx_requests_total{{subsystem=\"http\"}} {}",
        load(&metrics.total_requests)
    );
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
