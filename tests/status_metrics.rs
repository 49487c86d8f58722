//! The status listener of the real binary: `/status`, `/status/ready` and `/metrics` after
//! known traffic through the real IdP (oidc-provider) and the real httpbin.
//!
//! Needs `tests/setup.sh` first.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::*;

/// `/metrics` as series (name and labels, exactly as rendered) to value.
fn scrape(gateway: &Gateway) -> BTreeMap<String, f64> {
    let response = http::get(&gateway.status_url("/metrics"), &[]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = response.text();
    let mut series = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample line: {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|e| panic!("bad value in {line:?}: {e}"));
        assert!(
            series.insert(name.to_owned(), value).is_none(),
            "duplicate series {name}"
        );
    }
    series
}

fn value(series: &BTreeMap<String, f64>, name: &str) -> f64 {
    *series.get(name).unwrap_or_else(|| {
        let family = name.split('{').next().unwrap_or(name);
        let similar: Vec<&String> = series.keys().filter(|k| k.starts_with(family)).collect();
        panic!("no series {name}; series of that family: {similar:#?}")
    })
}

/// Checks one histogram: Kong's buckets for that family (13 for the request and upstream
/// latencies, 17 for the others) plus `+Inf`, never decreasing, `+Inf` equal to `_count`;
/// returns the count.
fn histogram_count(series: &BTreeMap<String, f64>, name: &str, labels: &str) -> f64 {
    let bounds = match name {
        "kong_request_latency_ms" | "kong_upstream_latency_ms" => 13,
        _ => 17,
    };
    let prefix = format!("{name}_bucket{{{labels},le=\"");
    let mut buckets: Vec<(f64, f64)> = series
        .iter()
        .filter_map(|(k, v)| {
            let bound = k.strip_prefix(&prefix)?.strip_suffix("\"}")?;
            let bound = if bound == "+Inf" {
                f64::INFINITY
            } else {
                bound.parse().ok()?
            };
            Some((bound, *v))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(
        buckets.len(),
        bounds + 1,
        "Kong's buckets and +Inf for {prefix}"
    );
    for pair in buckets.windows(2) {
        assert!(
            pair[0].1 <= pair[1].1,
            "{name}{{{labels}}} not cumulative: {buckets:?}"
        );
    }
    let count = value(series, &format!("{name}_count{{{labels}}}"));
    assert_eq!(
        buckets.last().map(|b| b.1),
        Some(count),
        "{name}: +Inf != count"
    );
    assert!(value(series, &format!("{name}_sum{{{labels}}}")) >= 0.0);
    count
}

/// Kong's configuration hash of `text`: the first 32 hex digits of its SHA-256.
fn config_hash(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn wait_ready(gateway: &Gateway) {
    let ready = poll(Duration::from_secs(15), Duration::from_millis(100), || {
        let response = http::get(&gateway.status_url("/status/ready"), &[]);
        (response.status == 200).then_some(response)
    })
    .expect("/status/ready did not answer 200 within 15 s");
    assert_eq!(ready.json()["message"], "ready");
}

const SERVICE: &str = "service=\"httpbin-service\",route=\"oidc-route\",workspace=\"default\"";

fn requests_total(code: u16, source: &str, consumer: &str) -> String {
    format!(
        "kong_http_requests_total{{service=\"httpbin-service\",route=\"oidc-route\",code=\"{code}\",source=\"{source}\",workspace=\"default\",consumer=\"{consumer}\"}}"
    )
}

#[test]
fn counters_status_and_readiness_after_known_traffic() {
    let idp = RealIdp::start(IdpOptions::default());
    let httpbin = Httpbin::start();
    let dead_port = ports::free_port();
    // The reference config plus a balanced service whose second target refuses connections,
    // and a global prometheus plugin with every switch on.
    let yaml = kong::config(&idp, &httpbin, &[]).replace(
        "consumers:\n",
        &format!(
            "- name: balanced\n  host: pool\n  routes:\n  - name: balanced-route\n    paths: [/balanced]\n\
upstreams:\n- name: pool\n  healthchecks:\n    passive:\n      unhealthy:\n        tcp_failures: 1\n  \
targets:\n  - target: 127.0.0.1:{}\n  - target: 127.0.0.1:{dead_port}\n\
plugins:\n- name: prometheus\n  config: {{per_consumer: true, status_code_metrics: true, \
latency_metrics: true, bandwidth_metrics: true, upstream_health_metrics: true}}\n\
consumers:\n",
            httpbin.port()
        ),
    );
    let before_start = SystemTime::now();
    let gateway = Gateway::start(&yaml);
    wait_ready(&gateway);

    let basic = http::basic(KONG_ID, KONG_SECRET);
    for _ in 0..5 {
        let response = http::get(
            &gateway.url("/oidc-route/get"),
            &[("Authorization", &basic)],
        );
        assert_eq!(response.status, 200, "{}", response.text());
    }
    let refused = http::get(&gateway.url("/oidc-route/get"), &[]);
    assert_eq!(refused.status, 401, "{}", refused.text());
    for _ in 0..4 {
        let response = http::get(&gateway.url("/balanced/get"), &[]);
        assert_eq!(response.status, 200, "{}", response.text());
    }
    assert_eq!(http::get(&gateway.url("/nowhere"), &[]).status, 404);

    // A request is counted just after its response is sent, and every test request closes
    // its connection: wait until all eleven are counted and no connection is left open.
    let status = poll(Duration::from_secs(5), Duration::from_millis(20), || {
        let status = http::get(&gateway.status_url("/status"), &[]).json();
        let server = &status["server"];
        (server["total_requests"] == 11 && server["connections_active"] == 0).then_some(status)
    })
    .unwrap_or_else(|| {
        let status = http::get(&gateway.status_url("/status"), &[]).text();
        panic!("requests not all counted or connections left open: {status}")
    });
    let series = scrape(&gateway);
    assert_eq!(
        value(&series, &requests_total(200, "service", KONG_ID)),
        5.0
    );
    assert_eq!(value(&series, &requests_total(401, "kong", "")), 1.0);
    // As in Kong, a request no route matched is not in the per-route families.
    assert!(
        !series.keys().any(|k| k.contains("code=\"404\"")),
        "{series:#?}"
    );
    let ingress = value(
        &series,
        "kong_bandwidth_bytes{service=\"httpbin-service\",route=\"oidc-route\",direction=\"ingress\",workspace=\"default\",consumer=\"kong_id\"}",
    );
    assert!(ingress > 5.0 * 40.0, "five requests' headers: {ingress}");
    assert_eq!(
        value(
            &series,
            "kong_http_requests_total{service=\"balanced\",route=\"balanced-route\",code=\"200\",source=\"service\",workspace=\"default\",consumer=\"\"}"
        ),
        4.0
    );
    assert_eq!(
        histogram_count(&series, "kong_request_latency_ms", SERVICE),
        6.0
    );
    assert_eq!(
        histogram_count(&series, "kong_upstream_latency_ms", SERVICE),
        5.0
    );
    assert_eq!(
        histogram_count(&series, "kong_kong_latency_ms", SERVICE),
        6.0
    );

    // One token request for five requests: one miss, four hits, one successful IdP call.
    assert_eq!(value(&series, "oidc_gateway_token_cache_misses_total"), 1.0);
    assert_eq!(value(&series, "oidc_gateway_token_cache_hits_total"), 4.0);
    assert_eq!(value(&series, "oidc_gateway_token_cache_entries"), 1.0);
    assert_eq!(
        value(
            &series,
            "oidc_gateway_idp_requests_total{endpoint=\"token\",outcome=\"success\"}"
        ),
        1.0
    );
    assert_eq!(idp.stats().for_client(KONG_ID), 1);
    assert_eq!(
        histogram_count(&series, "oidc_gateway_idp_latency_ms", "endpoint=\"token\""),
        1.0
    );
    assert!(
        value(
            &series,
            "oidc_gateway_idp_requests_total{endpoint=\"jwks\",outcome=\"success\"}"
        ) >= 1.0
    );
    assert!(
        value(
            &series,
            "oidc_gateway_jwks_refreshes_total{outcome=\"succeeded\"}"
        ) >= 1.0
    );
    assert_eq!(value(&series, "oidc_gateway_ready"), 1.0);
    assert_eq!(
        value(
            &series,
            "oidc_gateway_config_reloads_total{outcome=\"failed\"}"
        ),
        0.0
    );

    // The refused target was marked unhealthy by the passive check; the other stays healthy.
    let health = |port: u16, state: &str| {
        value(
            &series,
            &format!(
                "kong_upstream_target_health{{upstream=\"pool\",target=\"127.0.0.1:{port}\",address=\"127.0.0.1:{port}\",state=\"{state}\",subsystem=\"http\"}}"
            ),
        )
    };
    assert_eq!(health(dead_port, "unhealthy"), 1.0);
    assert_eq!(health(dead_port, "healthy"), 0.0);
    assert_eq!(health(httpbin.port(), "healthy"), 1.0);
    assert_eq!(health(httpbin.port(), "healthchecks_off"), 0.0);

    assert_eq!(status["server"]["total_requests"], 11, "{status}");
    let accepted = status["server"]["connections_accepted"]
        .as_u64()
        .unwrap_or(0);
    assert!(accepted >= 11, "{status}");
    assert_eq!(
        status["server"]["connections_handled"].as_u64(),
        Some(accepted),
        "{status}"
    );
    assert_eq!(status["configuration_hash"], config_hash(&yaml), "{status}");
    let loaded_at = status["configuration_loaded_at"].as_u64().unwrap_or(0);
    let started = before_start.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!((started..=now).contains(&loaded_at), "{status}");
    assert_eq!(status["ready"], true, "{status}");
    assert!(
        status["memory"]["resident_bytes"].as_u64().unwrap_or(0) > 0,
        "{status}"
    );
    let nginx = |state: &str| {
        let suffix = format!(",subsystem=\"http\",state=\"{state}\"}}");
        series
            .iter()
            .find(|(k, _)| {
                k.starts_with("kong_nginx_connections_total{node_id=\"") && k.ends_with(&suffix)
            })
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("no {state} connections series"))
    };
    assert!(nginx("accepted") >= 11.0);
    assert_eq!(nginx("total"), 11.0);
    assert_eq!(value(&series, "kong_datastore_reachable"), 1.0);
    assert!(series
        .keys()
        .any(|k| k.starts_with("kong_node_info{node_id=\"")));

    assert_eq!(http::get(&gateway.status_url("/other"), &[]).status, 404);
}

#[test]
fn not_ready_until_the_idp_keys_are_fetched() {
    let closed = ports::free_port();
    let yaml = format!(
        r#"_format_version: "3.0"
services:
- name: svc
  url: http://127.0.0.1:{closed}
  routes:
  - name: protected
    paths: [/p]
    plugins:
    - name: openid-connect
      config:
        auth_methods: [client_credentials]
        issuer: http://127.0.0.1:{closed}/realms/kong
        consumer_optional: true
"#
    );
    let gateway = Gateway::start(&yaml);
    // The refresher keeps failing against the closed port.
    let failed = poll(Duration::from_secs(10), Duration::from_millis(100), || {
        let series = scrape(&gateway);
        (value(
            &series,
            "oidc_gateway_jwks_refreshes_total{outcome=\"failed\"}",
        ) >= 1.0)
            .then_some(series)
    })
    .expect("no failed JWKS refresh counted");
    assert_eq!(value(&failed, "oidc_gateway_ready"), 0.0);
    assert!(
        value(
            &failed,
            "oidc_gateway_idp_requests_total{endpoint=\"discovery\",outcome=\"error\"}"
        ) >= 1.0
    );
    let ready = http::get(&gateway.status_url("/status/ready"), &[]);
    assert_eq!(ready.status, 503, "{}", ready.text());
    let message = ready.json()["message"].as_str().unwrap_or("").to_owned();
    assert!(message.contains("identity provider"), "{message}");
    assert_eq!(
        http::get(&gateway.status_url("/status"), &[]).json()["ready"],
        false
    );

    // A configuration without identity providers is ready at once.
    let plain = Gateway::start(&format!(
        "_format_version: \"3.0\"\nservices:\n- name: svc\n  url: http://127.0.0.1:{closed}\n"
    ));
    let ready = http::get(&plain.status_url("/status/ready"), &[]);
    assert_eq!(ready.status, 200, "{}", ready.text());
}
