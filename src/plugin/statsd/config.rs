//! statsd's `config`: Kong 3.9's schema (host, port, prefix, the `metrics` list with each
//! metric's stat type, sample rate and identifiers, `allow_status_codes`, `udp_packet_size`,
//! `use_tcp`, `hostname_in_prefix`, the identifier defaults, `tag_style`, `queue` and the
//! legacy `retry_count`, `queue_size`, `flush_timeout`) with its defaults and messages.

use serde::Deserialize;

use crate::config::errors::{join, ConfigErrors};
use crate::plugin::log_queue::settings::{self, Legacy, QueueSettings, RawQueue};
use crate::plugin::log_target;
use crate::plugin::plugin_config;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    host: Option<String>,
    port: Option<f64>,
    #[serde(default = "default_prefix")]
    prefix: String,
    metrics: Option<Vec<RawMetric>>,
    allow_status_codes: Option<Vec<String>>,
    #[serde(default)]
    udp_packet_size: f64,
    #[serde(default)]
    use_tcp: bool,
    #[serde(default)]
    hostname_in_prefix: bool,
    consumer_identifier_default: Option<String>,
    service_identifier_default: Option<String>,
    workspace_identifier_default: Option<String>,
    retry_count: Option<i64>,
    queue_size: Option<i64>,
    flush_timeout: Option<f64>,
    tag_style: Option<String>,
    #[serde(default)]
    queue: RawQueue,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetric {
    name: Option<String>,
    stat_type: Option<String>,
    sample_rate: Option<f64>,
    consumer_identifier: Option<String>,
    service_identifier: Option<String>,
    workspace_identifier: Option<String>,
}

fn default_prefix() -> String {
    "kong".to_owned()
}

/// Kong's metric names.
pub const METRIC_NAMES: [&str; 13] = [
    "kong_latency",
    "latency",
    "request_count",
    "request_per_user",
    "request_size",
    "response_size",
    "status_count",
    "status_count_per_user",
    "unique_users",
    "upstream_latency",
    "status_count_per_workspace",
    "status_count_per_user_per_route",
    "shdict_usage",
];

/// Kong's stat types and the letters statsd knows them by.
const STAT_TYPES: [(&str, &str); 6] = [
    ("counter", "c"),
    ("gauge", "g"),
    ("histogram", "h"),
    ("meter", "m"),
    ("set", "s"),
    ("timer", "ms"),
];

/// How a consumer is named in metric names and tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerIdentifier {
    ConsumerId,
    CustomId,
    Username,
}

/// How a service is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceIdentifier {
    ServiceId,
    ServiceName,
    ServiceHost,
    ServiceNameOrHost,
}

/// How the workspace is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkspaceIdentifier {
    WorkspaceId,
    WorkspaceName,
}

/// Kong's tag styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagStyle {
    Dogstatsd,
    Influxdb,
    Librato,
    Signalfx,
}

/// One entry of `metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: &'static str,
    /// The statsd type letter (`c`, `g`, `h`, `m`, `s`, `ms`).
    pub stat_type: &'static str,
    pub sample_rate: Option<f64>,
    pub consumer_identifier: Option<ConsumerIdentifier>,
    pub service_identifier: Option<ServiceIdentifier>,
    pub workspace_identifier: Option<WorkspaceIdentifier>,
}

/// A checked statsd config.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsdConfig {
    pub host: String,
    pub port: u16,
    pub prefix: String,
    pub metrics: Vec<Metric>,
    /// Inclusive status ranges; `None`: every status.
    pub allow_status_codes: Option<Vec<(u16, u16)>>,
    pub udp_packet_size: usize,
    pub use_tcp: bool,
    pub hostname_in_prefix: bool,
    pub consumer_identifier_default: ConsumerIdentifier,
    pub service_identifier_default: ServiceIdentifier,
    pub workspace_identifier_default: WorkspaceIdentifier,
    pub tag_style: Option<TagStyle>,
    pub queue: QueueSettings,
}

/// Kong's default `metrics`: every metric but the shared dictionaries', with its stat type
/// and a sample rate of 1 for counters.
fn default_metrics() -> Vec<Metric> {
    [
        ("request_count", "c"),
        ("latency", "ms"),
        ("request_size", "c"),
        ("status_count", "c"),
        ("response_size", "c"),
        ("unique_users", "s"),
        ("request_per_user", "c"),
        ("upstream_latency", "ms"),
        ("kong_latency", "ms"),
        ("status_count_per_user", "c"),
        ("status_count_per_workspace", "c"),
        ("status_count_per_user_per_route", "c"),
        ("shdict_usage", "g"),
    ]
    .into_iter()
    .map(|(name, stat_type)| Metric {
        name,
        stat_type,
        sample_rate: matches!(stat_type, "c" | "g").then_some(1.0),
        consumer_identifier: None,
        service_identifier: None,
        workspace_identifier: None,
    })
    .collect()
}

fn one_of<T: Copy>(
    value: Option<&str>,
    choices: &[(&str, T)],
    path: String,
    errors: &mut ConfigErrors,
) -> Option<Option<T>> {
    let Some(value) = value else {
        return Some(None);
    };
    match choices.iter().find(|(name, _)| *name == value) {
        Some((_, choice)) => Some(Some(*choice)),
        None => {
            let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
            errors.push(path, format!("expected one of: {}", names.join(", ")));
            None
        }
    }
}

const CONSUMER_IDENTIFIERS: [(&str, ConsumerIdentifier); 3] = [
    ("consumer_id", ConsumerIdentifier::ConsumerId),
    ("custom_id", ConsumerIdentifier::CustomId),
    ("username", ConsumerIdentifier::Username),
];

const SERVICE_IDENTIFIERS: [(&str, ServiceIdentifier); 4] = [
    ("service_id", ServiceIdentifier::ServiceId),
    ("service_name", ServiceIdentifier::ServiceName),
    ("service_host", ServiceIdentifier::ServiceHost),
    ("service_name_or_host", ServiceIdentifier::ServiceNameOrHost),
];

const WORKSPACE_IDENTIFIERS: [(&str, WorkspaceIdentifier); 2] = [
    ("workspace_id", WorkspaceIdentifier::WorkspaceId),
    ("workspace_name", WorkspaceIdentifier::WorkspaceName),
];

const TAG_STYLES: [(&str, TagStyle); 4] = [
    ("dogstatsd", TagStyle::Dogstatsd),
    ("influxdb", TagStyle::Influxdb),
    ("librato", TagStyle::Librato),
    ("signalfx", TagStyle::Signalfx),
];

fn metric(raw: RawMetric, path: &str, errors: &mut ConfigErrors) -> Option<Metric> {
    let at = |field: &str| join(path, field);
    let before = errors.len();
    let name = match raw.name.as_deref() {
        None => {
            errors.push(at("name"), "required field missing");
            None
        }
        Some(name) => METRIC_NAMES
            .iter()
            .copied()
            .find(|known| *known == name)
            .or_else(|| {
                errors.push(
                    at("name"),
                    format!("expected one of: {}", METRIC_NAMES.join(", ")),
                );
                None
            }),
    };
    let stat_type = match raw.stat_type.as_deref() {
        None => {
            errors.push(at("stat_type"), "required field missing");
            None
        }
        Some(stat_type) => one_of(Some(stat_type), &STAT_TYPES, at("stat_type"), errors).flatten(),
    };
    if let Some(rate) = raw.sample_rate {
        if rate <= 0.0 {
            errors.push(at("sample_rate"), "value must be greater than 0");
        }
    } else if matches!(stat_type, Some("c" | "g")) {
        errors.push(at("sample_rate"), "required field missing");
    }
    let consumer = one_of(
        raw.consumer_identifier.as_deref(),
        &CONSUMER_IDENTIFIERS,
        at("consumer_identifier"),
        errors,
    );
    let service = one_of(
        raw.service_identifier.as_deref(),
        &SERVICE_IDENTIFIERS,
        at("service_identifier"),
        errors,
    );
    let workspace = one_of(
        raw.workspace_identifier.as_deref(),
        &WORKSPACE_IDENTIFIERS,
        at("workspace_identifier"),
        errors,
    );
    if errors.len() > before {
        return None;
    }
    Some(Metric {
        name: name?,
        stat_type: stat_type?,
        sample_rate: raw.sample_rate,
        consumer_identifier: consumer?,
        service_identifier: service?,
        workspace_identifier: workspace?,
    })
}

/// `200-299` as Kong's `^[0-9]+-[0-9]+$` accepts it.
fn status_range(text: &str) -> Option<(u16, u16)> {
    let (low, high) = text.split_once('-')?;
    let number = |part: &str| {
        (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u16>().unwrap_or(u16::MAX))
    };
    Some((number(low)?, number(high)?))
}

/// Parses and checks the `config` of the plugin at `path`.
pub fn compile(
    config: Option<serde_yaml::Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<StatsdConfig> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let base = join(path, "config");
    let at = |field: &str| join(&base, field);
    let before = errors.len();
    let host = log_target::host(
        Some(raw.host.as_deref().unwrap_or("localhost")),
        at("host"),
        errors,
    );
    let port = log_target::port(Some(raw.port.unwrap_or(8125.0)), at("port"), errors);
    let metrics = match raw.metrics {
        None => Some(default_metrics()),
        Some(list) => list
            .into_iter()
            .enumerate()
            .map(|(index, raw)| metric(raw, &format!("{}[{index}]", at("metrics")), errors))
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Option<Vec<_>>>(),
    };
    let allow_status_codes = raw.allow_status_codes.map(|list| {
        list.iter()
            .enumerate()
            .filter_map(|(index, text)| {
                status_range(text).or_else(|| {
                    errors.push(
                        format!("{}[{index}]", at("allow_status_codes")),
                        format!("invalid value: {text}"),
                    );
                    None
                })
            })
            .collect::<Vec<_>>()
    });
    if !(0.0..=65507.0).contains(&raw.udp_packet_size) {
        errors.push(at("udp_packet_size"), "value should be between 0 and 65507");
    }
    let consumer_default = one_of(
        Some(
            raw.consumer_identifier_default
                .as_deref()
                .unwrap_or("custom_id"),
        ),
        &CONSUMER_IDENTIFIERS,
        at("consumer_identifier_default"),
        errors,
    );
    let service_default = one_of(
        Some(
            raw.service_identifier_default
                .as_deref()
                .unwrap_or("service_name_or_host"),
        ),
        &SERVICE_IDENTIFIERS,
        at("service_identifier_default"),
        errors,
    );
    let workspace_default = one_of(
        Some(
            raw.workspace_identifier_default
                .as_deref()
                .unwrap_or("workspace_id"),
        ),
        &WORKSPACE_IDENTIFIERS,
        at("workspace_identifier_default"),
        errors,
    );
    let tag_style = one_of(
        raw.tag_style.as_deref(),
        &TAG_STYLES,
        at("tag_style"),
        errors,
    );
    let _ = raw.retry_count; // Kong: "no longer works", accepted for old exports.
    let legacy = Legacy {
        batch_size: raw.queue_size.map(|size| (size, 1)),
        flush_delay: raw.flush_timeout.map(|delay| (delay, 2.0)),
    };
    let queue = settings::compile(raw.queue, &legacy, &at("queue"), errors);
    if errors.len() > before {
        return None;
    }
    Some(StatsdConfig {
        host: host?,
        port: port?,
        prefix: raw.prefix,
        metrics: metrics?,
        allow_status_codes,
        udp_packet_size: raw.udp_packet_size as usize,
        use_tcp: raw.use_tcp,
        hostname_in_prefix: raw.hostname_in_prefix,
        consumer_identifier_default: consumer_default.flatten()?,
        service_identifier_default: service_default.flatten()?,
        workspace_identifier_default: workspace_default.flatten()?,
        tag_style: tag_style?,
        queue: queue?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<StatsdConfig, Vec<(String, String)>> {
        plugin_config::check_config(compile, yaml)
    }

    #[test]
    fn kongs_defaults_and_an_export() {
        let config = check("{}").unwrap();
        assert_eq!((config.host.as_str(), config.port), ("localhost", 8125));
        assert_eq!(config.prefix, "kong");
        assert_eq!(config.metrics.len(), 13);
        assert_eq!(config.metrics[1].stat_type, "ms");
        assert_eq!(
            config.consumer_identifier_default,
            ConsumerIdentifier::CustomId
        );
        assert_eq!(
            config.service_identifier_default,
            ServiceIdentifier::ServiceNameOrHost
        );
        assert_eq!(config.tag_style, None);
        // As 12-jesperancinha writes it.
        let config = check(
            "{host: graphite, port: 8125, prefix: statsd, metrics: [\
             {name: request_count, sample_rate: 1, stat_type: counter}, \
             {name: request_size, sample_rate: 1, stat_type: histogram}, \
             {name: response_size, sample_rate: 1, stat_type: histogram}]}",
        )
        .unwrap();
        assert_eq!(config.metrics[1].stat_type, "h");
        assert_eq!(config.host, "graphite");
    }

    #[test]
    fn kongs_messages_at_their_paths() {
        let errors = check(
            "{metrics: [{name: nope, stat_type: counter, sample_rate: 1}, {name: latency, stat_type: counter}], \
             allow_status_codes: ['200-299', '2xx'], udp_packet_size: 70000, tag_style: statsite}",
        )
        .unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "plugins[0].config.metrics[0].name",
                "plugins[0].config.metrics[1].sample_rate",
                "plugins[0].config.allow_status_codes[1]",
                "plugins[0].config.udp_packet_size",
                "plugins[0].config.tag_style",
            ]
        );
        assert_eq!(errors[1].1, "required field missing");
        assert_eq!(errors[2].1, "invalid value: 2xx");
        assert_eq!(
            errors[4].1,
            "expected one of: dogstatsd, influxdb, librato, signalfx"
        );
    }
}
