//! Checks an upstream's `healthchecks` and applies Kong's defaults (active checks off,
//! every threshold 0).

use std::time::Duration;

use super::errors::{join, ConfigErrors};
use super::upstream::is_hostname;
use super::upstream_model::{ActiveDef, HealthchecksDef, PassiveDef, UnhealthyDef};
use crate::balancer::{ActiveSettings, HealthSettings, ProbeType, Thresholds};

/// Upper bound of intervals and timeouts, in seconds.
const MAX_SECONDS: f64 = 65_535.0;
/// Upper bound of success/failure counts.
const MAX_COUNT: u64 = 255;

pub fn healthchecks(
    def: &HealthchecksDef,
    path: &str,
    errors: &mut ConfigErrors,
) -> HealthSettings {
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
    let fields = ThresholdFields {
        healthy_statuses: healthy.http_statuses.as_ref(),
        successes: healthy.successes,
        unhealthy_statuses: unhealthy.http_statuses.as_ref(),
        tcp_failures: unhealthy.tcp_failures,
        timeouts: unhealthy.timeouts,
        http_failures: unhealthy.http_failures,
    };
    let t = &mut settings.thresholds;
    read_thresholds(&fields, t, &healthy_path, &unhealthy_path, errors);
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
    let fields = ThresholdFields {
        healthy_statuses: healthy.http_statuses.as_ref(),
        successes: healthy.successes,
        unhealthy_statuses: unhealthy.http_statuses.as_ref(),
        tcp_failures: unhealthy.tcp_failures,
        timeouts: unhealthy.timeouts,
        http_failures: unhealthy.http_failures,
    };
    read_thresholds(&fields, &mut t, &healthy_path, &unhealthy_path, errors);
    t
}

/// The threshold fields active and passive checks share, as written.
struct ThresholdFields<'a> {
    healthy_statuses: Option<&'a Vec<u64>>,
    successes: Option<u64>,
    unhealthy_statuses: Option<&'a Vec<u64>>,
    tcp_failures: Option<u64>,
    timeouts: Option<u64>,
    http_failures: Option<u64>,
}

/// Checks `fields` and writes those given over the defaults in `t`.
fn read_thresholds(
    fields: &ThresholdFields<'_>,
    t: &mut Thresholds,
    healthy_path: &str,
    unhealthy_path: &str,
    errors: &mut ConfigErrors,
) {
    statuses(
        fields.healthy_statuses,
        &mut t.healthy_statuses,
        healthy_path,
        errors,
    );
    count(
        fields.successes,
        &mut t.successes,
        healthy_path,
        "successes",
        errors,
    );
    statuses(
        fields.unhealthy_statuses,
        &mut t.unhealthy_statuses,
        unhealthy_path,
        errors,
    );
    let counts = [
        (fields.tcp_failures, &mut t.tcp_failures, "tcp_failures"),
        (fields.timeouts, &mut t.timeouts, "timeouts"),
        (fields.http_failures, &mut t.http_failures, "http_failures"),
    ];
    for (value, out, field) in counts {
        count(value, out, unhealthy_path, field, errors);
    }
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
