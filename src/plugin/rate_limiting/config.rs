//! rate-limiting's `config`: Kong's schema (the six periods, `limit_by`, `policy`, the
//! `redis` record and its older `redis_*` shorthands, headers and error settings) with its
//! entity checks and messages.

use serde::Deserialize;

use std::time::Duration;

use super::windows::Period;
use crate::config::errors::{join, ConfigErrors};
use crate::plugin::plugin_config;
use crate::redis::settings::RedisSettings;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    second: Option<f64>,
    minute: Option<f64>,
    hour: Option<f64>,
    day: Option<f64>,
    month: Option<f64>,
    year: Option<f64>,
    #[serde(default = "default_limit_by")]
    limit_by: String,
    header_name: Option<String>,
    path: Option<String>,
    #[serde(default = "default_policy")]
    policy: String,
    #[serde(default = "yes")]
    fault_tolerant: bool,
    #[serde(default)]
    redis: Option<RawRedis>,
    #[serde(default)]
    hide_client_headers: bool,
    #[serde(default = "default_error_code")]
    error_code: f64,
    #[serde(default = "default_error_message")]
    error_message: String,
    #[serde(default = "default_sync_rate")]
    sync_rate: f64,
    // Kong's deprecated shorthands for the `redis` record.
    redis_host: Option<String>,
    redis_port: Option<u16>,
    redis_password: Option<String>,
    redis_username: Option<String>,
    redis_ssl: Option<bool>,
    redis_ssl_verify: Option<bool>,
    redis_server_name: Option<String>,
    redis_timeout: Option<u64>,
    redis_database: Option<i64>,
}

/// Kong's shared `redis` record (`kong/tools/redis/schema.lua`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRedis {
    host: Option<String>,
    port: Option<u16>,
    timeout: Option<u64>,
    connect_timeout: Option<u64>,
    send_timeout: Option<u64>,
    read_timeout: Option<u64>,
    username: Option<String>,
    password: Option<String>,
    database: Option<i64>,
    ssl: Option<bool>,
    ssl_verify: Option<bool>,
    server_name: Option<String>,
}

fn default_limit_by() -> String {
    "consumer".into()
}
fn default_policy() -> String {
    "local".into()
}
fn yes() -> bool {
    true
}
fn default_error_code() -> f64 {
    429.0
}
fn default_error_message() -> String {
    "API rate limit exceeded".into()
}
fn default_sync_rate() -> f64 {
    -1.0
}

/// What a request is counted by (Kong's `limit_by`); each falls back to the client address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitBy {
    Consumer,
    Credential,
    Ip,
    Service,
    Header(String),
    Path(String),
}

/// A checked rate-limiting config.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitingConfig {
    /// The configured limits, shortest period first.
    pub limits: Vec<(Period, u64)>,
    pub limit_by: LimitBy,
    pub fault_tolerant: bool,
    pub hide_client_headers: bool,
    pub error_code: u16,
    pub error_message: String,
    /// The `redis` policy's server; `None` for `local`.
    pub redis: Option<RedisSettings>,
}

const LIMIT_BY: [&str; 6] = ["consumer", "credential", "ip", "service", "header", "path"];

/// Parses and checks the `config` of the plugin at `path`.
pub fn compile(
    config: Option<serde_yaml::Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<RateLimitingConfig> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let at = join(path, "config");
    let before = errors.len();
    let values = [
        (Period::Second, raw.second),
        (Period::Minute, raw.minute),
        (Period::Hour, raw.hour),
        (Period::Day, raw.day),
        (Period::Month, raw.month),
        (Period::Year, raw.year),
    ];
    let mut limits = Vec::new();
    for (period, value) in values {
        let Some(value) = value else { continue };
        if value <= 0.0 {
            errors.push(join(&at, period.name()), "value must be greater than 0");
        } else {
            // Kong compares `usage < limit` on numbers: a fractional limit admits its ceiling.
            limits.push((period, value.ceil().min(u64::MAX as f64) as u64));
        }
    }
    if values.iter().all(|(_, v)| v.is_none()) {
        errors.push(
            at.clone(),
            "at least one of these fields must be non-empty: 'config.second', 'config.minute', \
             'config.hour', 'config.day', 'config.month', 'config.year'",
        );
    }
    if let Some(message) = periods_order(&values) {
        errors.push(at.clone(), message);
    }
    let limit_by = match raw.limit_by.as_str() {
        "consumer" => Some(LimitBy::Consumer),
        "credential" => Some(LimitBy::Credential),
        "ip" => Some(LimitBy::Ip),
        "service" => Some(LimitBy::Service),
        "header" => required(&raw.header_name, &at, "header_name", errors).map(LimitBy::Header),
        "path" => required(&raw.path, &at, "path", errors).map(LimitBy::Path),
        _ => {
            errors.push(
                join(&at, "limit_by"),
                format!("expected one of: {}", LIMIT_BY.join(", ")),
            );
            None
        }
    };
    if let Some(header) = &raw.header_name {
        if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
            errors.push(join(&at, "header_name"), format!("bad header name '{header}', allowed characters are A-Z, a-z, 0-9, '_', and '-'"));
        }
    }
    if let Some(limit_path) = &raw.path {
        if !limit_path.starts_with('/') {
            errors.push(join(&at, "path"), "should start with: /");
        }
    }
    let redis = check_policy(&raw, &at, errors);
    if raw.error_code <= 0.0
        || raw.error_code.fract() != 0.0
        || !(100.0..=599.0).contains(&raw.error_code)
    {
        errors.push(
            join(&at, "error_code"),
            "value should be between 100 and 599",
        );
    }
    let config = RateLimitingConfig {
        limits,
        limit_by: limit_by?,
        fault_tolerant: raw.fault_tolerant,
        hide_client_headers: raw.hide_client_headers,
        error_code: raw.error_code as u16,
        error_message: raw.error_message,
        redis,
    };
    (errors.len() == before).then_some(config)
}

fn required(
    value: &Option<String>,
    at: &str,
    field: &str,
    errors: &mut ConfigErrors,
) -> Option<String> {
    match value {
        Some(value) => Some(value.clone()),
        None => {
            errors.push(join(at, field), "required field missing");
            None
        }
    }
}

/// Kong's check that a longer period never allows fewer requests than a shorter one.
fn periods_order(values: &[(Period, Option<f64>)]) -> Option<String> {
    for (i, (lower, v1)) in values.iter().enumerate() {
        let Some(v1) = v1 else { continue };
        for (upper, v2) in &values[i + 1..] {
            if let Some(v2) = v2 {
                if v2 < v1 {
                    return Some(format!(
                        "The limit for {}({v2:.1}) cannot be lower than the limit for {}({v1:.1})",
                        upper.name(),
                        lower.name()
                    ));
                }
            }
        }
    }
    None
}

/// `policy` and what goes with it: `cluster` needs Kong's database; `redis` needs a host
/// (the record or its older `redis_*` shorthands); `sync_rate` is only for `redis`.
fn check_policy(raw: &RawConfig, at: &str, errors: &mut ConfigErrors) -> Option<RedisSettings> {
    if raw.policy != "redis" && raw.sync_rate != -1.0 {
        errors.push(at, "sync_rate can only be used with the redis policy");
    }
    match raw.policy.as_str() {
        "local" => return None,
        "redis" => {}
        "cluster" => {
            errors.push(
                join(at, "policy"),
                "policy 'cluster' keeps counters in Kong's database, which a DB-less data plane does not have: use 'local' or 'redis'",
            );
            return None;
        }
        _ => {
            errors.push(join(at, "policy"), "expected one of: local, redis");
            return None;
        }
    }
    if raw.sync_rate != -1.0 {
        errors.push(
            join(at, "sync_rate"),
            "batched counting (sync_rate other than -1) is not implemented on this data plane: use -1",
        );
    }
    let record = raw.redis.as_ref();
    let field = |f: fn(&RawRedis) -> Option<String>| record.and_then(f);
    let host = field(|r| r.host.clone()).or_else(|| raw.redis_host.clone());
    let redis_at = join(at, "redis");
    let Some(host) = host else {
        errors.push(join(&redis_at, "host"), "required field missing");
        return None;
    };
    if record
        .and_then(|r| r.ssl)
        .or(raw.redis_ssl)
        .unwrap_or(false)
    {
        errors.push(
            join(&redis_at, "ssl"),
            "TLS to Redis is not implemented on this data plane yet",
        );
    }
    let _ = (record.and_then(|r| r.ssl_verify), raw.redis_ssl_verify);
    let _ = (field(|r| r.server_name.clone()), &raw.redis_server_name);
    let timeout = record
        .and_then(|r| r.timeout)
        .or(raw.redis_timeout)
        .unwrap_or(2000);
    let ms = |value: Option<u64>| Duration::from_millis(value.unwrap_or(timeout).max(1));
    Some(RedisSettings {
        host,
        port: record
            .and_then(|r| r.port)
            .or(raw.redis_port)
            .unwrap_or(6379),
        username: field(|r| r.username.clone()).or_else(|| raw.redis_username.clone()),
        password: field(|r| r.password.clone())
            .or_else(|| raw.redis_password.clone())
            .filter(|p| !p.is_empty()),
        database: record
            .and_then(|r| r.database)
            .or(raw.redis_database)
            .unwrap_or(0),
        connect_timeout: ms(record.and_then(|r| r.connect_timeout)),
        command_timeout: ms(record.and_then(|r| r.read_timeout.max(r.send_timeout))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<RateLimitingConfig, Vec<(String, String)>> {
        crate::plugin::plugin_config::check_config(compile, yaml)
    }

    #[test]
    fn defaults_and_limits() {
        let c = check("{minute: 5, hour: 100}").unwrap();
        assert_eq!(c.limits, [(Period::Minute, 5), (Period::Hour, 100)]);
        assert_eq!(c.limit_by, LimitBy::Consumer);
        assert!(c.fault_tolerant && !c.hide_client_headers);
        assert_eq!(
            (c.error_code, c.error_message.as_str()),
            (429, "API rate limit exceeded")
        );
        let c = check("{second: 1, limit_by: header, header_name: X-Tenant, policy: local, redis: {host: null, port: 6379}, redis_timeout: 2000}").unwrap();
        assert_eq!(c.limit_by, LimitBy::Header("X-Tenant".into()));
        assert_eq!(
            check("{minute: 2.5}").unwrap().limits,
            [(Period::Minute, 3)]
        );
    }

    #[test]
    fn kongs_checks_and_messages() {
        let one = |yaml: &str| check(yaml).unwrap_err().remove(0);
        assert_eq!(
            one("{}").1,
            "at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'"
        );
        assert_eq!(
            one("{minute: 10, hour: 5}"),
            (
                "plugins[0].config".into(),
                "The limit for hour(5.0) cannot be lower than the limit for minute(10.0)".into()
            )
        );
        assert_eq!(one("{minute: 0}").0, "plugins[0].config.minute");
        assert_eq!(
            one("{minute: 1, limit_by: header}"),
            (
                "plugins[0].config.header_name".into(),
                "required field missing".into()
            )
        );
        assert_eq!(
            one("{minute: 1, limit_by: path}").0,
            "plugins[0].config.path"
        );
        assert_eq!(
            one("{minute: 1, limit_by: planet}").0,
            "plugins[0].config.limit_by"
        );
        assert!(one("{minute: 1, policy: cluster}").1.contains("database"));
        assert_eq!(
            one("{minute: 1, policy: redis}"),
            (
                "plugins[0].config.redis.host".into(),
                "required field missing".into()
            )
        );
        assert_eq!(
            one("{minute: 1, policy: redis, redis: {host: r, ssl: true}}").0,
            "plugins[0].config.redis.ssl"
        );
        let c = check("{minute: 1, policy: redis, redis_host: r.test, redis_port: 6380, redis_password: pw, redis_timeout: 50}").unwrap();
        let redis = c.redis.unwrap();
        assert_eq!(
            (redis.host.as_str(), redis.port, redis.password.as_deref()),
            ("r.test", 6380, Some("pw"))
        );
        assert_eq!(redis.command_timeout, Duration::from_millis(50));
        assert!(!format!("{redis:?}").contains("pw"));
        assert_eq!(
            one("{minute: 1, sync_rate: 10}").1,
            "sync_rate can only be used with the redis policy"
        );
        assert_eq!(
            one("{minute: 1, error_code: 0}").0,
            "plugins[0].config.error_code"
        );
        assert_eq!(
            one("{minute: 1, colour: red}").0,
            "plugins[0].config.colour"
        );
        assert_eq!(
            one("{minute: 1, redis: {hots: x}}").0,
            "plugins[0].config.redis.hots"
        );
    }
}
