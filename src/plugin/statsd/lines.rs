//! The statsd lines of one request, as Kong's statsd plugin builds them: names scoped by
//! service (`<prefix>.service.<name>.request.count:1|c`) or, with `tag_style`, plain names
//! with the service, route, workspace, consumer, node and status as tags in that style.

use std::fmt::Write as _;

use super::config::{
    ConsumerIdentifier, Metric, ServiceIdentifier, StatsdConfig, TagStyle, WorkspaceIdentifier,
};
use crate::config::compiled::{CompiledRoute, CompiledService, Consumer};
use crate::plugin::log_serializer::{default_workspace_id, DEFAULT_WORKSPACE_NAME};

/// What the lines of a request are made of.
pub struct Facts<'a> {
    pub status: u16,
    pub request_size: u64,
    pub response_size: u64,
    /// Milliseconds.
    pub latency: u64,
    /// Milliseconds; `None` when no upstream answered (Kong's -1: not sent).
    pub upstream_latency: Option<u64>,
    pub kong_latency: u64,
    pub service: Option<&'a CompiledService>,
    pub route: Option<&'a CompiledRoute>,
    pub consumer: Option<&'a Consumer>,
}

fn consumer_name(consumer: Option<&Consumer>, by: ConsumerIdentifier) -> Option<&str> {
    let consumer = consumer?;
    match by {
        ConsumerIdentifier::ConsumerId => Some(&consumer.id),
        ConsumerIdentifier::CustomId => consumer.custom_id.as_deref(),
        ConsumerIdentifier::Username => consumer.username.as_deref(),
    }
}

fn service_name(service: &CompiledService, by: ServiceIdentifier) -> Option<&str> {
    match by {
        ServiceIdentifier::ServiceId => Some(&service.id),
        ServiceIdentifier::ServiceName => service.name.as_deref(),
        ServiceIdentifier::ServiceHost => Some(&service.host),
        ServiceIdentifier::ServiceNameOrHost => {
            Some(service.name.as_deref().unwrap_or(&service.host))
        }
    }
}

fn workspace_name(by: WorkspaceIdentifier) -> &'static str {
    match by {
        WorkspaceIdentifier::WorkspaceId => default_workspace_id(),
        WorkspaceIdentifier::WorkspaceName => DEFAULT_WORKSPACE_NAME,
    }
}

/// A number as Lua prints it (`1`, `0.5`).
fn lua_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// One line, in Kong's `create_statsd_message` shapes.
fn line(
    prefix: &str,
    stat: &str,
    value: &str,
    kind: &str,
    rate: Option<f64>,
    tags: Option<(&[(&str, String)], TagStyle)>,
) -> String {
    let rate = match rate {
        Some(rate) if rate != 1.0 => format!("|@{}", lua_number(rate)),
        _ => String::new(),
    };
    let Some((tags, style)) = tags else {
        return format!("{prefix}.{stat}:{value}|{kind}{rate}");
    };
    let (pair, separator) = match style {
        TagStyle::Dogstatsd => (":", ","),
        _ => ("=", ","),
    };
    let mut joined = String::new();
    for (index, (name, tag)) in tags.iter().enumerate() {
        if index > 0 {
            joined.push_str(separator);
        }
        let _ = write!(joined, "{name}{pair}{tag}");
    }
    match style {
        TagStyle::Dogstatsd => format!("{prefix}.{stat}:{value}|{kind}{rate}|#{joined}"),
        TagStyle::Influxdb => format!("{prefix}.{stat},{joined}:{value}|{kind}{rate}"),
        TagStyle::Librato => format!("{prefix}.{stat}#{joined}:{value}|{kind}{rate}"),
        TagStyle::Signalfx => format!("{prefix}.{stat}[{joined}]:{value}|{kind}{rate}"),
    }
}

/// Dots become underscores in names (Kong's `gsub(name, "\.", "_")`).
pub fn dotless(name: &str) -> String {
    name.replace('.', "_")
}

/// The lines for one request.
pub fn lines(
    config: &StatsdConfig,
    prefix: &str,
    hostname: &str,
    facts: &Facts<'_>,
) -> Vec<String> {
    let mut out = Vec::new();
    let status = facts.status.to_string();
    for metric in &config.metrics {
        let consumer_by = metric
            .consumer_identifier
            .unwrap_or(config.consumer_identifier_default);
        let service_by = metric
            .service_identifier
            .unwrap_or(config.service_identifier_default);
        let workspace_by = metric
            .workspace_identifier
            .unwrap_or(config.workspace_identifier_default);
        let consumer = consumer_name(facts.consumer, consumer_by);
        if let Some(style) = config.tag_style {
            let tags = tags(facts, service_by, workspace_by, consumer, hostname, &status);
            if let Some((stat, value)) = plain_value(metric, facts) {
                let tags = tags.as_deref().map(|tags| (tags, style));
                out.push(line(
                    prefix,
                    stat,
                    &value,
                    metric.stat_type,
                    metric.sample_rate,
                    tags,
                ));
            }
            // Kong skips the per-user, per-status and per-workspace metrics in tag mode.
            continue;
        }
        let scope = match facts.service {
            Some(service) => match service_name(service, service_by) {
                Some(name) => format!("service.{}", dotless(name)),
                None => "service.unnamed".to_owned(),
            },
            None => "global.unmatched".to_owned(),
        };
        let counter = |stat: String| line(prefix, &stat, "1", "c", metric.sample_rate, None);
        match metric.name {
            "unique_users" => {
                if let Some(consumer) = consumer {
                    out.push(line(
                        prefix,
                        &format!("{scope}.user.uniques"),
                        consumer,
                        "s",
                        None,
                        None,
                    ));
                }
            }
            "request_per_user" => {
                if let Some(consumer) = consumer {
                    out.push(counter(format!("{scope}.user.{consumer}.request.count")));
                }
            }
            "status_count" => out.push(counter(format!("{scope}.status.{status}"))),
            "status_count_per_user" => {
                if let Some(consumer) = consumer {
                    out.push(counter(format!("{scope}.user.{consumer}.status.{status}")));
                }
            }
            "status_count_per_workspace" => out.push(counter(format!(
                "{scope}.workspace.{}.status.{status}",
                workspace_name(workspace_by)
            ))),
            "status_count_per_user_per_route" => {
                if let (Some(consumer), Some(route)) = (consumer, facts.route) {
                    out.push(counter(format!(
                        "route.{}.user.{consumer}.status.{status}",
                        route.id
                    )));
                }
            }
            // No shared dictionaries on this data plane: nothing to report.
            "shdict_usage" => {}
            _ => {
                if let Some((stat, value)) = plain_value(metric, facts) {
                    out.push(line(
                        prefix,
                        &format!("{scope}.{stat}"),
                        &value,
                        metric.stat_type,
                        metric.sample_rate,
                        None,
                    ));
                }
            }
        }
    }
    out
}

/// The stat name and value of the metrics that are one number of the request.
fn plain_value(metric: &Metric, facts: &Facts<'_>) -> Option<(&'static str, String)> {
    let (stat, value) = match metric.name {
        "request_count" => ("request.count", 1),
        "request_size" => ("request.size", facts.request_size),
        "response_size" => ("response.size", facts.response_size),
        "latency" => ("latency", facts.latency),
        "upstream_latency" => ("upstream_latency", facts.upstream_latency?),
        "kong_latency" => ("kong_latency", facts.kong_latency),
        _ => return None,
    };
    Some((stat, value.to_string()))
}

/// Kong's tags for a request; `None` (lines without tags) when it has no service.
fn tags(
    facts: &Facts<'_>,
    service_by: ServiceIdentifier,
    workspace_by: WorkspaceIdentifier,
    consumer: Option<&str>,
    hostname: &str,
    status: &str,
) -> Option<Vec<(&'static str, String)>> {
    let service = service_name(facts.service?, service_by)?;
    let mut tags = vec![("service", service.to_owned())];
    if let Some(route) = facts.route {
        tags.push((
            "route",
            route.name.clone().unwrap_or_else(|| route.id.clone()),
        ));
    }
    tags.push(("workspace", workspace_name(workspace_by).to_owned()));
    if let Some(consumer) = consumer {
        tags.push(("consumer", consumer.to_owned()));
    }
    tags.push(("node", hostname.to_owned()));
    tags.push(("status", status.to_owned()));
    Some(tags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::plugin_config;

    fn config(yaml: &str) -> StatsdConfig {
        plugin_config::check_config(super::super::config::compile, yaml).unwrap()
    }

    #[test]
    fn kongs_line_shapes_for_each_tag_style() {
        let tags = vec![("service", "s".to_owned()), ("status", "200".to_owned())];
        let shapes = [
            (
                TagStyle::Dogstatsd,
                "kong.latency:5|ms|#service:s,status:200",
            ),
            (TagStyle::Influxdb, "kong.latency,service=s,status=200:5|ms"),
            (TagStyle::Librato, "kong.latency#service=s,status=200:5|ms"),
            (
                TagStyle::Signalfx,
                "kong.latency[service=s,status=200]:5|ms",
            ),
        ];
        for (style, expected) in shapes {
            assert_eq!(
                line("kong", "latency", "5", "ms", None, Some((&tags, style))),
                expected
            );
        }
        assert_eq!(
            line("kong", "a.b", "1", "c", Some(0.5), None),
            "kong.a.b:1|c|@0.5"
        );
        assert_eq!(
            line("kong", "a.b", "1", "c", Some(1.0), None),
            "kong.a.b:1|c"
        );
    }

    #[test]
    fn unmatched_requests_log_under_global_unmatched_without_upstream_latency() {
        let config = config(
            "{metrics: [{name: request_count, stat_type: counter, sample_rate: 1}, \
                             {name: upstream_latency, stat_type: timer}, \
                             {name: status_count, stat_type: counter, sample_rate: 1}, \
                             {name: request_per_user, stat_type: counter, sample_rate: 1}]}",
        );
        let facts = Facts {
            status: 404,
            request_size: 80,
            response_size: 120,
            latency: 1,
            upstream_latency: None,
            kong_latency: 1,
            service: None,
            route: None,
            consumer: None,
        };
        assert_eq!(
            lines(&config, "kong", "host", &facts),
            [
                "kong.global.unmatched.request.count:1|c",
                "kong.global.unmatched.status.404:1|c"
            ]
        );
    }
}
