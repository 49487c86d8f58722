//! Checks `upstreams[]` and `targets[]` entries and applies Kong's defaults. Target
//! addresses are resolved later, in `compile.rs`, like service hosts.

use std::time::Duration;

use super::entities::entity_id;
use super::errors::{join, ConfigErrors};
use super::upstream_model::{
    ActiveDef, HealthchecksDef, PassiveDef, TargetDef, UnhealthyDef, UpstreamDef,
};
use crate::balancer::{
    ActiveSettings, Algorithm, BalancerSettings, HashSource, HealthSettings, ProbeType, Thresholds,
};

/// Kong's default target port.
const DEFAULT_TARGET_PORT: u16 = 8000;
/// Kong's default target weight.
const DEFAULT_WEIGHT: u64 = 100;
/// Upper bound of intervals and timeouts, in seconds.
const MAX_SECONDS: f64 = 65_535.0;
/// Upper bound of success/failure counts.
const MAX_COUNT: u64 = 255;

/// An upstream with defaults applied; its targets are added in `compile.rs`.
pub struct UpstreamDraft {
    pub id: String,
    pub name: String,
    /// `targets` is still empty.
    pub settings: BalancerSettings,
}

/// A target with defaults applied; its host is resolved later.
pub struct TargetDraft {
    pub host: String,
    pub port: u16,
    pub weight: u32,
}

impl TargetDraft {
    /// `host:port`, what duplicates are detected on.
    pub fn identity(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

pub fn upstream_draft(
    def: &UpstreamDef,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<UpstreamDraft> {
    let before = errors.len();
    let at = |field: &str| join(path, field);
    let name = match def.name.as_deref() {
        Some(name) if is_hostname(name) => name.to_owned(),
        Some(_) => {
            errors.push(at("name"), "invalid value: expected a host name");
            String::new()
        }
        None => {
            errors.push(at("name"), "missing field");
            String::new()
        }
    };
    let id = entity_id(def.id.as_deref(), "upstreams", &name, path, errors);

    let hash_on = hash_source(def, true, path, errors);
    let hash_fallback = hash_source(def, false, path, errors);
    check_hash_pair(def, &hash_on, &hash_fallback, path, errors);
    let algorithm = match def.algorithm.as_deref() {
        None if hash_on != HashSource::None => Algorithm::ConsistentHashing,
        None | Some("round-robin") => Algorithm::RoundRobin,
        Some("consistent-hashing") => Algorithm::ConsistentHashing,
        Some("least-connections") => Algorithm::LeastConnections,
        Some(other @ ("latency" | "sticky-sessions")) => {
            errors.push(
                at("algorithm"),
                format!("unsupported value '{other}': round-robin, consistent-hashing and least-connections are implemented"),
            );
            Algorithm::RoundRobin
        }
        Some(_) => {
            errors.push(
                at("algorithm"),
                "invalid value: expected one of round-robin, consistent-hashing, least-connections",
            );
            Algorithm::RoundRobin
        }
    };
    let slots = def.slots.unwrap_or(10_000);
    if !(10..=65_536).contains(&slots) {
        errors.push(at("slots"), "invalid value: expected 10..=65536");
    }
    if let Some(host) = &def.host_header {
        if !is_hostname(host) {
            errors.push(at("host_header"), "invalid value: expected a host name");
        }
    }
    let default = HealthchecksDef::default();
    let healthchecks = healthchecks(
        def.healthchecks.as_ref().unwrap_or(&default),
        &at("healthchecks"),
        errors,
    );
    (errors.len() == before).then(|| UpstreamDraft {
        id,
        name: name.clone(),
        settings: BalancerSettings {
            name,
            host_header: def.host_header.clone(),
            algorithm,
            hash_on,
            hash_fallback,
            slots,
            healthchecks,
            targets: Vec::new(),
        },
    })
}

/// `hash_on` (primary) or `hash_fallback` with the fields it needs.
fn hash_source(
    def: &UpstreamDef,
    primary: bool,
    path: &str,
    errors: &mut ConfigErrors,
) -> HashSource {
    let (field, value, header, query_arg) = if primary {
        (
            "hash_on",
            def.hash_on.as_deref(),
            ("hash_on_header", def.hash_on_header.as_deref()),
            ("hash_on_query_arg", def.hash_on_query_arg.as_deref()),
        )
    } else {
        (
            "hash_fallback",
            def.hash_fallback.as_deref(),
            ("hash_fallback_header", def.hash_fallback_header.as_deref()),
            (
                "hash_fallback_query_arg",
                def.hash_fallback_query_arg.as_deref(),
            ),
        )
    };
    let required = |(name, value): (&str, Option<&str>), errors: &mut ConfigErrors| match value
        .filter(|v| !v.is_empty())
    {
        Some(v) => Some(v.to_owned()),
        None => {
            errors.push(
                join(path, name),
                format!(
                    "missing field: required when {field} is '{}'",
                    value_or(def, primary)
                ),
            );
            None
        }
    };
    match value.unwrap_or("none") {
        "none" => HashSource::None,
        "consumer" => HashSource::Consumer,
        "ip" => HashSource::Ip,
        "path" => HashSource::Path,
        "header" => match required(header, errors) {
            Some(name) if http::HeaderName::from_bytes(name.as_bytes()).is_ok() => {
                HashSource::Header(name.to_ascii_lowercase())
            }
            Some(_) => {
                errors.push(
                    join(path, header.0),
                    "invalid value: expected a header name",
                );
                HashSource::None
            }
            None => HashSource::None,
        },
        "query_arg" => required(query_arg, errors)
            .map(HashSource::QueryArg)
            .unwrap_or(HashSource::None),
        "cookie" if primary => {
            let cookie = required(("hash_on_cookie", def.hash_on_cookie.as_deref()), errors);
            let cookie_path = def
                .hash_on_cookie_path
                .clone()
                .unwrap_or_else(|| "/".to_owned());
            if !cookie_path.starts_with('/') || cookie_path.contains([';', ' ', ',']) {
                errors.push(
                    join(path, "hash_on_cookie_path"),
                    "invalid value: expected a path starting with '/'",
                );
            }
            let valid_name = |c: &str| {
                c.bytes()
                    .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
            };
            match cookie {
                Some(name) if valid_name(&name) => HashSource::Cookie {
                    name,
                    path: cookie_path,
                },
                Some(_) => {
                    errors.push(
                        join(path, "hash_on_cookie"),
                        "invalid value: expected a cookie name",
                    );
                    HashSource::None
                }
                None => HashSource::None,
            }
        }
        "cookie" => {
            errors.push(
                join(path, field),
                "invalid value: 'cookie' is only allowed as hash_on",
            );
            HashSource::None
        }
        "uri_capture" => {
            errors.push(
                join(path, field),
                "unsupported value 'uri_capture': regex route captures are not implemented",
            );
            HashSource::None
        }
        _ => {
            errors.push(
                join(path, field),
                "invalid value: expected one of none, consumer, ip, header, cookie, path, query_arg",
            );
            HashSource::None
        }
    }
}

fn value_or(def: &UpstreamDef, primary: bool) -> &str {
    let value = if primary {
        def.hash_on.as_deref()
    } else {
        def.hash_fallback.as_deref()
    };
    value.unwrap_or("none")
}

/// Kong's rules between `hash_on` and `hash_fallback`.
fn check_hash_pair(
    def: &UpstreamDef,
    on: &HashSource,
    fallback: &HashSource,
    path: &str,
    errors: &mut ConfigErrors,
) {
    let at = join(path, "hash_fallback");
    let fallback_set = def.hash_fallback.as_deref().is_some_and(|f| f != "none");
    if !fallback_set {
        return;
    }
    match on {
        HashSource::None => errors.push(at, "invalid value: must be 'none' when hash_on is 'none'"),
        HashSource::Cookie { .. } => {
            errors.push(at, "invalid value: must be 'none' when hash_on is 'cookie'")
        }
        HashSource::Header(a) => {
            if matches!(fallback, HashSource::Header(b) if a == b) {
                errors.push(
                    join(path, "hash_fallback_header"),
                    "invalid value: must differ from hash_on_header",
                );
            }
        }
        HashSource::QueryArg(a) => {
            if matches!(fallback, HashSource::QueryArg(b) if a == b) {
                errors.push(
                    join(path, "hash_fallback_query_arg"),
                    "invalid value: must differ from hash_on_query_arg",
                );
            }
        }
        _ if on == fallback => errors.push(at, "invalid value: must differ from hash_on"),
        _ => {}
    }
}

fn healthchecks(def: &HealthchecksDef, path: &str, errors: &mut ConfigErrors) -> HealthSettings {
    let default_active = ActiveDef::default();
    let default_passive = PassiveDef::default();
    let threshold = def.threshold.unwrap_or(0.0);
    if !(0.0..=100.0).contains(&threshold) {
        errors.push(join(path, "threshold"), "invalid value: expected 0..=100");
    }
    HealthSettings {
        active: active(
            def.active.as_ref().unwrap_or(&default_active),
            &join(path, "active"),
            errors,
        ),
        passive: passive(
            def.passive.as_ref().unwrap_or(&default_passive),
            &join(path, "passive"),
            errors,
        ),
        threshold,
    }
}

fn active(def: &ActiveDef, path: &str, errors: &mut ConfigErrors) -> ActiveSettings {
    let mut settings = ActiveSettings::default();
    let at = |field: &str| join(path, field);
    settings.probe = match def.kind.as_deref().unwrap_or("http") {
        "http" => ProbeType::Http,
        "https" => ProbeType::Https,
        "tcp" => ProbeType::Tcp,
        "grpc" | "grpcs" => {
            errors.push(
                at("type"),
                "unsupported value: grpc health checks are not implemented",
            );
            ProbeType::Http
        }
        _ => {
            errors.push(
                at("type"),
                "invalid value: expected one of http, https, tcp",
            );
            ProbeType::Http
        }
    };
    if let Some(timeout) = def.timeout {
        settings.timeout = seconds(timeout, &at("timeout"), errors);
    }
    if let Some(concurrency) = def.concurrency {
        if !(1..=2_147_483_648).contains(&concurrency) {
            errors.push(at("concurrency"), "invalid value: expected 1..=2147483648");
        }
        settings.concurrency = usize::try_from(concurrency).unwrap_or(usize::MAX);
    }
    if let Some(http_path) = &def.http_path {
        if !http_path.starts_with('/') || http_path.contains(|c: char| c.is_whitespace()) {
            errors.push(
                at("http_path"),
                "invalid value: expected a path starting with '/'",
            );
        }
        settings.http_path = http_path.clone();
    }
    settings.https_verify_certificate = def.https_verify_certificate.unwrap_or(true);
    if let Some(sni) = &def.https_sni {
        if !is_hostname(sni) {
            errors.push(at("https_sni"), "invalid value: expected a host name");
        }
        settings.https_sni = Some(sni.clone());
    }
    if let Some(headers) = &def.headers {
        for (name, values) in headers {
            let header_path = join(&at("headers"), name);
            if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                errors.push(&header_path, "invalid value: expected a header name");
            }
            for (i, value) in values.iter().enumerate() {
                if http::HeaderValue::from_str(value).is_err() || value.contains(['\r', '\n']) {
                    errors.push(
                        format!("{header_path}[{i}]"),
                        "invalid value: not a valid header value",
                    );
                }
            }
        }
        settings.headers = headers.clone();
    }
    let healthy = def.healthy.clone().unwrap_or_default();
    let unhealthy: UnhealthyDef = def.unhealthy.clone().unwrap_or_default();
    let healthy_path = at("healthy");
    let unhealthy_path = at("unhealthy");
    if let Some(interval) = healthy.interval {
        settings.healthy_interval = seconds(interval, &join(&healthy_path, "interval"), errors);
    }
    if let Some(interval) = unhealthy.interval {
        settings.unhealthy_interval = seconds(interval, &join(&unhealthy_path, "interval"), errors);
    }
    let t = &mut settings.thresholds;
    statuses(
        healthy.http_statuses.as_ref(),
        &mut t.healthy_statuses,
        &healthy_path,
        errors,
    );
    count(
        healthy.successes,
        &mut t.successes,
        &healthy_path,
        "successes",
        errors,
    );
    statuses(
        unhealthy.http_statuses.as_ref(),
        &mut t.unhealthy_statuses,
        &unhealthy_path,
        errors,
    );
    count(
        unhealthy.tcp_failures,
        &mut t.tcp_failures,
        &unhealthy_path,
        "tcp_failures",
        errors,
    );
    count(
        unhealthy.timeouts,
        &mut t.timeouts,
        &unhealthy_path,
        "timeouts",
        errors,
    );
    count(
        unhealthy.http_failures,
        &mut t.http_failures,
        &unhealthy_path,
        "http_failures",
        errors,
    );
    settings
}

fn passive(def: &PassiveDef, path: &str, errors: &mut ConfigErrors) -> Thresholds {
    let mut t = Thresholds::default();
    match def.kind.as_deref().unwrap_or("http") {
        "http" | "https" | "tcp" => {}
        "grpc" | "grpcs" => errors.push(
            join(path, "type"),
            "unsupported value: grpc health checks are not implemented",
        ),
        _ => errors.push(
            join(path, "type"),
            "invalid value: expected one of http, https, tcp",
        ),
    }
    let healthy = def.healthy.clone().unwrap_or_default();
    let unhealthy = def.unhealthy.clone().unwrap_or_default();
    let healthy_path = join(path, "healthy");
    let unhealthy_path = join(path, "unhealthy");
    statuses(
        healthy.http_statuses.as_ref(),
        &mut t.healthy_statuses,
        &healthy_path,
        errors,
    );
    count(
        healthy.successes,
        &mut t.successes,
        &healthy_path,
        "successes",
        errors,
    );
    statuses(
        unhealthy.http_statuses.as_ref(),
        &mut t.unhealthy_statuses,
        &unhealthy_path,
        errors,
    );
    count(
        unhealthy.tcp_failures,
        &mut t.tcp_failures,
        &unhealthy_path,
        "tcp_failures",
        errors,
    );
    count(
        unhealthy.timeouts,
        &mut t.timeouts,
        &unhealthy_path,
        "timeouts",
        errors,
    );
    count(
        unhealthy.http_failures,
        &mut t.http_failures,
        &unhealthy_path,
        "http_failures",
        errors,
    );
    t
}

/// Kong's interval/timeout: seconds, fractions allowed, 0..=65535.
fn seconds(value: f64, path: &str, errors: &mut ConfigErrors) -> Duration {
    if value.is_finite() && (0.0..=MAX_SECONDS).contains(&value) {
        Duration::from_secs_f64(value)
    } else {
        errors.push(path, "invalid value: expected 0..=65535 seconds");
        Duration::ZERO
    }
}

fn statuses(value: Option<&Vec<u64>>, out: &mut Vec<u16>, base: &str, errors: &mut ConfigErrors) {
    let Some(list) = value else { return };
    out.clear();
    for (i, status) in list.iter().enumerate() {
        match u16::try_from(*status) {
            Ok(s) if (100..=999).contains(&s) => out.push(s),
            _ => errors.push(
                format!("{}[{i}]", join(base, "http_statuses")),
                "invalid value: expected an HTTP status 100..=999",
            ),
        }
    }
}

fn count(value: Option<u64>, out: &mut u32, base: &str, field: &str, errors: &mut ConfigErrors) {
    let Some(value) = value else { return };
    if value > MAX_COUNT {
        errors.push(join(base, field), "invalid value: expected 0..=255");
    }
    *out = u32::try_from(value.min(MAX_COUNT)).unwrap_or(0);
}

pub fn target_draft(def: &TargetDef, path: &str, errors: &mut ConfigErrors) -> Option<TargetDraft> {
    let before = errors.len();
    let at = |field: &str| join(path, field);
    if let Some(id) = def.id.as_deref() {
        entity_id(Some(id), "targets", path, path, errors);
    }
    let (host, port) = match def.target.as_deref() {
        Some(target) => match split_target(target) {
            Some(parts) => parts,
            None => {
                errors.push(
                    at("target"),
                    "invalid value: expected host, host:port or [ipv6]:port",
                );
                (String::new(), 0)
            }
        },
        None => {
            errors.push(at("target"), "missing field");
            (String::new(), 0)
        }
    };
    let weight = def.weight.unwrap_or(DEFAULT_WEIGHT);
    if weight > 65_535 {
        errors.push(at("weight"), "invalid value: expected 0..=65535");
    }
    (errors.len() == before).then(|| TargetDraft {
        host,
        port,
        weight: u32::try_from(weight).unwrap_or(0),
    })
}

/// `host[:port]` / `[v6][:port]` / bare IPv6 -> (host without brackets, port).
fn split_target(target: &str) -> Option<(String, u16)> {
    let port_of = |p: &str| p.parse::<u16>().ok().filter(|p| *p > 0);
    if let Some(rest) = target.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        host.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => DEFAULT_TARGET_PORT,
            _ => port_of(after.strip_prefix(':')?)?,
        };
        return Some((host.to_owned(), port));
    }
    if target.parse::<std::net::Ipv6Addr>().is_ok() {
        return Some((target.to_owned(), DEFAULT_TARGET_PORT));
    }
    let (host, port) = match target.split_once(':') {
        Some((host, port)) => (host, port_of(port)?),
        None => (target, DEFAULT_TARGET_PORT),
    };
    is_hostname(host).then(|| (host.to_owned(), port))
}

/// Letters, digits, '-', '_' and '.', in non-empty labels (IPv4 literals pass too).
fn is_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split() {
        assert_eq!(split_target("a.b"), Some(("a.b".into(), 8000)));
        assert_eq!(split_target("a.b:81"), Some(("a.b".into(), 81)));
        assert_eq!(split_target("10.0.0.1:1"), Some(("10.0.0.1".into(), 1)));
        assert_eq!(split_target("[::1]:90"), Some(("::1".into(), 90)));
        assert_eq!(split_target("[::1]"), Some(("::1".into(), 8000)));
        assert_eq!(split_target("::1"), Some(("::1".into(), 8000)));
        assert_eq!(split_target("a:0"), None);
        assert_eq!(split_target("a:x"), None);
        assert_eq!(split_target("a/b:1"), None);
        assert_eq!(split_target(""), None);
    }
}
