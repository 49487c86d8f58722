//! opentelemetry's `config`: Kong 3.9's schema (`traces_endpoint`, the deprecated `endpoint`,
//! `headers`, `resource_attributes`, `queue` with its 200-span batches, the legacy
//! `batch_span_count` and `batch_flush_delay`, the three timeouts,
//! `http_response_header_for_traceid`, `header_type`, `sampling_rate`, `propagation`) and its
//! messages. Log export (`logs_endpoint`, and the later `access_logs` and `metrics`) is
//! refused by name; `sampling_strategy` is accepted at the value that is Kong 3.9's behaviour.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::propagation::Propagation;
use crate::config::errors::{join, ConfigErrors};
use crate::plugin::key_auth::config::is_header_name;
use crate::plugin::log_queue::settings::{self, Legacy, QueueSettings, RawQueue};
use crate::plugin::log_target::millis;
use crate::plugin::plugin_config;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    traces_endpoint: Option<String>,
    endpoint: Option<String>,
    logs_endpoint: Option<String>,
    access_logs: Option<serde_yaml::Value>,
    access_logs_endpoint: Option<String>,
    metrics: Option<serde_yaml::Value>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    resource_attributes: BTreeMap<String, serde_yaml::Value>,
    queue: Option<RawQueue>,
    batch_span_count: Option<i64>,
    batch_flush_delay: Option<f64>,
    #[serde(default = "default_connect_timeout")]
    connect_timeout: f64,
    #[serde(default = "default_io_timeout")]
    send_timeout: f64,
    #[serde(default = "default_io_timeout")]
    read_timeout: f64,
    http_response_header_for_traceid: Option<String>,
    header_type: Option<String>,
    sampling_rate: Option<f64>,
    sampling_strategy: Option<String>,
    propagation: Option<serde_yaml::Value>,
}

fn default_connect_timeout() -> f64 {
    1000.0
}

fn default_io_timeout() -> f64 {
    5000.0
}

/// A checked opentelemetry config.
#[derive(Debug, Clone)]
pub struct OpenTelemetryConfig {
    pub traces_endpoint: url::Url,
    pub headers: Vec<(String, String)>,
    /// Added to (and overriding) Kong's `service.name`, `service.version`,
    /// `service.instance.id`.
    pub resource_attributes: Vec<(String, String)>,
    pub queue: QueueSettings,
    pub connect_timeout: Duration,
    /// Send and read timeouts together: the whole export.
    pub export_timeout: Duration,
    pub http_response_header_for_traceid: Option<http::HeaderName>,
    pub sampling_rate: Option<f64>,
    pub propagation: std::sync::Arc<Propagation>,
    /// Kong's queue name for the traces: the instance's parameters.
    pub queue_name: String,
}

fn url_field(text: &str, at: String, errors: &mut ConfigErrors) -> Option<url::Url> {
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Some(url),
        Ok(url) if url.host().is_some() => {
            errors.push(
                at,
                format!("unsupported scheme '{}' (http or https)", url.scheme()),
            );
            None
        }
        _ => {
            errors.push(at, "missing host in url");
            None
        }
    }
}

/// Parses and checks the `config` of the plugin at `path`.
pub fn compile(
    config: Option<serde_yaml::Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<OpenTelemetryConfig> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let base = join(path, "config");
    let at = |field: &str| join(&base, field);
    let before = errors.len();
    for (field, set) in [
        ("logs_endpoint", raw.logs_endpoint.is_some()),
        ("access_logs_endpoint", raw.access_logs_endpoint.is_some()),
        (
            "access_logs",
            raw.access_logs
                .as_ref()
                .is_some_and(|v| v.get("endpoint").is_some_and(|e| !e.is_null())),
        ),
        (
            "metrics",
            raw.metrics
                .as_ref()
                .is_some_and(|v| v.get("endpoint").is_some_and(|e| !e.is_null())),
        ),
    ] {
        if set {
            errors.push(
                at(field),
                "OpenTelemetry logs and metrics are not exported by this data plane (traces are): \
                 remove it",
            );
        }
    }
    let endpoint = match raw.traces_endpoint.as_deref().or(raw.endpoint.as_deref()) {
        Some(text) => url_field(text, at("traces_endpoint"), errors),
        None => {
            errors.push(
                base.clone(),
                "at least one of these fields must be non-empty: 'traces_endpoint', 'logs_endpoint'",
            );
            None
        }
    };
    for name in raw.headers.keys() {
        if !is_header_name(name) {
            errors.push(
                format!("{}.{name}", at("headers")),
                format!(
                    "bad header name '{name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'"
                ),
            );
        }
    }
    let mut resource_attributes = Vec::new();
    for (name, value) in &raw.resource_attributes {
        let place = format!("{}.{name}", at("resource_attributes"));
        match value {
            serde_yaml::Value::String(text) if text.is_empty() => {
                errors.push(place, "required field missing")
            }
            serde_yaml::Value::String(text) => {
                resource_attributes.push((name.clone(), text.clone()))
            }
            _ => errors.push(place, "expected a string"),
        }
    }
    if let Some(rate) = raw.sampling_rate {
        if !(0.0..=1.0).contains(&rate) {
            errors.push(at("sampling_rate"), "value should be between 0 and 1");
        }
    }
    match raw.sampling_strategy.as_deref() {
        None | Some("parent_drop_probability_fallback") => {}
        Some(_) => errors.push(
            at("sampling_strategy"),
            "only parent_drop_probability_fallback (Kong 3.9's sampling) is available on this data plane",
        ),
    }
    for (field, value) in [
        ("connect_timeout", raw.connect_timeout),
        ("send_timeout", raw.send_timeout),
        ("read_timeout", raw.read_timeout),
    ] {
        if !(0.0..=2_147_483_646.0).contains(&value) {
            errors.push(at(field), "value should be between 0 and 2147483646");
        }
    }
    let trace_header = match raw.http_response_header_for_traceid.as_deref() {
        None => None,
        Some(name) => match http::HeaderName::from_bytes(name.as_bytes()) {
            Ok(header) => Some(header),
            Err(_) => {
                errors.push(
                    at("http_response_header_for_traceid"),
                    format!("'{name}' is not a valid header"),
                );
                None
            }
        },
    };
    let mut problems = Vec::new();
    let propagation = Propagation::compile(
        raw.propagation.as_ref(),
        raw.header_type.as_deref(),
        &base,
        &mut problems,
    );
    for (place, message) in problems {
        errors.push(place, message);
    }
    let legacy = Legacy {
        batch_size: raw.batch_span_count.map(|n| (n, 200)),
        flush_delay: raw.batch_flush_delay.map(|d| (d, 3.0)),
    };
    let raw_queue = raw.queue.unwrap_or(RawQueue {
        max_batch_size: 200,
        ..RawQueue::default()
    });
    let queue = settings::compile(raw_queue, &legacy, &at("queue"), errors);
    if errors.len() > before {
        return None;
    }
    let traces_endpoint = endpoint?;
    let queue_name = format!(
        "opentelemetry:{traces_endpoint}:{}:{}:{}",
        raw.connect_timeout, raw.send_timeout, raw.read_timeout
    );
    Some(OpenTelemetryConfig {
        traces_endpoint,
        headers: raw.headers.into_iter().collect(),
        resource_attributes,
        queue: queue?,
        connect_timeout: millis(raw.connect_timeout),
        export_timeout: millis(raw.send_timeout + raw.read_timeout),
        http_response_header_for_traceid: trace_header,
        sampling_rate: raw.sampling_rate,
        propagation: std::sync::Arc::new(propagation?),
        queue_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<OpenTelemetryConfig, Vec<(String, String)>> {
        plugin_config::check_config(compile, yaml)
    }

    #[test]
    fn kongs_defaults_and_an_export() {
        let config = check("{traces_endpoint: 'http://127.0.0.1:4318/v1/traces'}").unwrap();
        assert_eq!(config.queue.max_batch_size, 200);
        assert_eq!(config.connect_timeout, Duration::from_secs(1));
        assert_eq!(config.export_timeout, Duration::from_secs(10));
        assert_eq!(config.sampling_rate, None);
        // The deprecated `endpoint`.
        let config = check("{endpoint: 'http://127.0.0.1:4318/v1/traces'}").unwrap();
        assert_eq!(config.traces_endpoint.port(), Some(4318));
        // As 01-eugenetan01 exports it.
        assert!(check(
            "{batch_flush_delay: null, batch_span_count: null, connect_timeout: 1000, header_type: b3, \
             headers: null, http_response_header_for_traceid: x-kong-traceid, logs_endpoint: null, \
             propagation: {clear: null, default_format: w3c, extract: null, inject: null}, \
             queue: {concurrency_limit: 1, initial_retry_delay: 0.01, max_batch_size: 200, max_bytes: null, \
             max_coalescing_delay: 1, max_entries: 10000, max_retry_delay: 60, max_retry_time: 60}, \
             read_timeout: 5000, resource_attributes: null, sampling_rate: null, send_timeout: 5000, \
             traces_endpoint: 'http://jaeger-collector.observability.svc:4318/v1/traces'}"
        )
        .is_ok());
    }

    #[test]
    fn kongs_messages_and_refusals_at_their_paths() {
        let errors = check("{}").unwrap_err();
        assert_eq!(errors[0].0, "plugins[0].config");
        assert!(errors[0].1.contains("traces_endpoint"), "{errors:?}");
        let errors = check(
            "{traces_endpoint: 'http://a/', logs_endpoint: 'http://a/logs', sampling_rate: 2, \
             resource_attributes: {service.name: ''}}",
        )
        .unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "plugins[0].config.logs_endpoint",
                "plugins[0].config.resource_attributes.service.name",
                "plugins[0].config.sampling_rate",
            ]
        );
    }
}
