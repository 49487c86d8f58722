//! http-log's `config`: Kong 3.9's schema (`http_endpoint`, `method`, `content_type`,
//! `timeout`, `keepalive`, `headers`, `queue` and the legacy `retry_count`, `queue_size`,
//! `flush_timeout`) and its messages. `custom_fields_by_lua` runs Lua and is refused by name.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::config::errors::{join, ConfigErrors};
use crate::plugin::key_auth::config::is_header_name;
use crate::plugin::log_queue::settings::{self, Legacy, QueueSettings, RawQueue};
use crate::plugin::log_target::{self, millis};
use crate::plugin::plugin_config;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    http_endpoint: Option<String>,
    #[serde(default = "default_method")]
    method: String,
    #[serde(default = "default_content_type")]
    content_type: String,
    #[serde(default = "default_timeout")]
    timeout: f64,
    #[serde(default = "default_keepalive")]
    keepalive: f64,
    retry_count: Option<i64>,
    queue_size: Option<i64>,
    flush_timeout: Option<f64>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    queue: RawQueue,
    #[serde(default)]
    custom_fields_by_lua: BTreeMap<String, serde_yaml::Value>,
}

fn default_method() -> String {
    "POST".to_owned()
}

fn default_content_type() -> String {
    "application/json".to_owned()
}

fn default_timeout() -> f64 {
    10_000.0
}

fn default_keepalive() -> f64 {
    60_000.0
}

/// A checked http-log config.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpLogConfig {
    pub http_endpoint: url::Url,
    pub method: http::Method,
    pub content_type: String,
    pub timeout: Duration,
    pub keepalive: Duration,
    /// Sent with every batch (never `Host`, `Content-Type` or `Content-Length`).
    pub headers: Vec<(String, String)>,
    pub queue: QueueSettings,
    /// Kong's queue name: the log server's parameters, legacy ones included, so instances
    /// with the same server share one queue.
    pub queue_name: String,
}

/// Parses and checks the `config` of the plugin at `path`.
pub fn compile(
    config: Option<serde_yaml::Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<HttpLogConfig> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let base = join(path, "config");
    let at = |field: &str| join(&base, field);
    let before = errors.len();
    log_target::refuse_lua_fields(
        &raw.custom_fields_by_lua,
        at("custom_fields_by_lua"),
        errors,
    );
    let endpoint = match raw.http_endpoint.as_deref() {
        None => {
            errors.push(at("http_endpoint"), "required field missing");
            None
        }
        Some(text) => match url::Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Some(url)
            }
            Ok(url) if url.host().is_none() => {
                errors.push(at("http_endpoint"), "missing host in url");
                None
            }
            Ok(url) => {
                errors.push(
                    at("http_endpoint"),
                    format!("unsupported scheme '{}' (http or https)", url.scheme()),
                );
                None
            }
            Err(_) => {
                errors.push(at("http_endpoint"), "missing host in url");
                None
            }
        },
    };
    let method = match raw.method.as_str() {
        "POST" | "PUT" | "PATCH" => http::Method::from_bytes(raw.method.as_bytes()).ok(),
        _ => {
            errors.push(at("method"), "expected one of: POST, PUT, PATCH");
            None
        }
    };
    if !matches!(
        raw.content_type.as_str(),
        "application/json" | "application/json; charset=utf-8"
    ) {
        errors.push(
            at("content_type"),
            "expected one of: application/json, application/json; charset=utf-8",
        );
    }
    for name in raw.headers.keys() {
        let lower = name.to_ascii_lowercase();
        let place = format!("{}.{name}", at("headers"));
        if !is_header_name(name) {
            errors.push(
                place,
                format!(
                    "bad header name '{name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'"
                ),
            );
        } else if let Some(banned) = match lower.as_str() {
            "host" => Some("Host"),
            "content-length" => Some("Content-Length"),
            "content-type" => Some("Content-Type"),
            _ => None,
        } {
            errors.push(place, format!("cannot contain '{banned}' header"));
        }
    }
    if let Some(url) = &endpoint {
        let has_userinfo = !url.username().is_empty() || url.password().is_some();
        if has_userinfo
            && raw
                .headers
                .keys()
                .any(|name| name.eq_ignore_ascii_case("authorization"))
        {
            errors.push(
                base.clone(),
                "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed",
            );
        }
    }
    for (field, value) in [("timeout", raw.timeout), ("keepalive", raw.keepalive)] {
        if value < 0.0 {
            errors.push(at(field), "value must be greater than or equal to 0");
        }
    }
    let legacy = Legacy {
        batch_size: raw.queue_size.map(|size| (size, 1)),
        flush_delay: raw.flush_timeout.map(|delay| (delay, 2.0)),
    };
    let queue = settings::compile(raw.queue, &legacy, &at("queue"), errors);
    if errors.len() > before {
        return None;
    }
    let (endpoint, method, queue) = (endpoint?, method?, queue?);
    let optional = |value: Option<String>| value.unwrap_or_else(|| "nil".to_owned());
    let queue_name = format!(
        "{}:{}:{}:{}:{}:{}:{}:{}",
        endpoint,
        method,
        raw.content_type,
        raw.timeout,
        raw.keepalive,
        optional(raw.retry_count.map(|n| n.to_string())),
        optional(raw.queue_size.map(|n| n.to_string())),
        optional(raw.flush_timeout.map(|n| n.to_string())),
    );
    Some(HttpLogConfig {
        http_endpoint: endpoint,
        method,
        content_type: raw.content_type,
        timeout: millis(raw.timeout),
        keepalive: millis(raw.keepalive),
        headers: raw.headers.into_iter().collect(),
        queue,
        queue_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<HttpLogConfig, Vec<(String, String)>> {
        plugin_config::check_config(compile, yaml)
    }

    #[test]
    fn kongs_defaults_and_a_real_export() {
        let config = check("{http_endpoint: 'http://127.0.0.1:9/logs'}").unwrap();
        assert_eq!(config.method, http::Method::POST);
        assert_eq!(config.content_type, "application/json");
        assert_eq!(config.timeout, Duration::from_secs(10));
        assert_eq!(config.keepalive, Duration::from_secs(60));
        assert_eq!(config.queue, QueueSettings::default());
        // As Kong's exports write it (11-Neit272...): legacy fields null, a queue record.
        let config = check(
            "{custom_fields_by_lua: null, flush_timeout: null, headers: null, \
             http_endpoint: 'http://host.docker.internal:4000/logs', keepalive: 60000, method: POST, \
             queue: {initial_retry_delay: 0.01, max_batch_size: 1, max_bytes: null, \
             max_coalescing_delay: 1, max_entries: 10000, max_retry_delay: 60, max_retry_time: 60}, \
             queue_size: null, retry_count: null, timeout: 10000}",
        )
        .unwrap();
        assert_eq!(config.queue.max_entries, 10_000);
    }

    #[test]
    fn kongs_messages_at_their_paths() {
        let errors = check("{method: GET}").unwrap_err();
        assert_eq!(
            errors,
            vec![
                (
                    "plugins[0].config.http_endpoint".to_owned(),
                    "required field missing".to_owned()
                ),
                (
                    "plugins[0].config.method".to_owned(),
                    "expected one of: POST, PUT, PATCH".to_owned()
                ),
            ]
        );
        let errors =
            check("{http_endpoint: 'http://127.0.0.1/', headers: {Host: a, Content-Type: b}}")
                .unwrap_err();
        assert_eq!(errors[0].0, "plugins[0].config.headers.Content-Type");
        assert_eq!(errors[0].1, "cannot contain 'Content-Type' header");
        assert_eq!(errors[1].1, "cannot contain 'Host' header");
        let errors =
            check("{http_endpoint: 'http://u:p@127.0.0.1/', headers: {Authorization: 'Basic x'}}")
                .unwrap_err();
        assert!(
            errors[0]
                .1
                .contains("both an 'Authorization' header and user info"),
            "{errors:?}"
        );
        let errors = check("{http_endpoint: 'http://a/', custom_fields_by_lua: {x: 'return 1'}}")
            .unwrap_err();
        assert_eq!(errors[0].0, "plugins[0].config.custom_fields_by_lua");
        assert!(errors[0].1.contains("Lua"), "{errors:?}");
        let errors = check("{http_endpoint: 'http://a/', queue: {max_batch_size: 0}}").unwrap_err();
        assert_eq!(errors[0].0, "plugins[0].config.queue.max_batch_size");
    }

    #[test]
    fn instances_with_the_same_server_share_a_queue_name() {
        let a = check("{http_endpoint: 'http://127.0.0.1:9/logs', queue: {max_batch_size: 5}}")
            .unwrap();
        let b = check("{http_endpoint: 'http://127.0.0.1:9/logs'}").unwrap();
        let c = check("{http_endpoint: 'http://127.0.0.1:9/logs', method: PUT}").unwrap();
        assert_eq!(a.queue_name, b.queue_name);
        assert_ne!(a.queue_name, c.queue_name);
    }
}
