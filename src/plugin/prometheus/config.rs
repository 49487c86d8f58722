//! prometheus's `config`: Kong 3.9's switches, every one off by default.

use serde::Deserialize;

use crate::config::errors::ConfigErrors;
use crate::plugin::plugin_config;

/// A checked prometheus config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrometheusConfig {
    /// Fill the `consumer` label of `kong_http_requests_total` and `kong_bandwidth_bytes`.
    pub per_consumer: bool,
    /// Count `kong_http_requests_total`.
    pub status_code_metrics: bool,
    /// Observe `kong_request_latency_ms`, `kong_upstream_latency_ms`, `kong_kong_latency_ms`.
    pub latency_metrics: bool,
    /// Count `kong_bandwidth_bytes`.
    pub bandwidth_metrics: bool,
    /// Export `kong_upstream_target_health`.
    pub upstream_health_metrics: bool,
    /// Kong's AI metrics: accepted; no AI plugin runs here, so there is nothing to count.
    pub ai_metrics: bool,
}

/// Parses and checks the `config` of the plugin at `path`.
pub fn compile(
    config: Option<serde_yaml::Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<PrometheusConfig> {
    plugin_config::parse(config, path, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<PrometheusConfig, Vec<(String, String)>> {
        plugin_config::check_config(compile, yaml)
    }

    #[test]
    fn every_switch_is_off_by_default() {
        assert_eq!(check("{}").unwrap(), PrometheusConfig::default());
        let all = check(
            "{per_consumer: true, status_code_metrics: true, latency_metrics: true, \
             bandwidth_metrics: true, upstream_health_metrics: true, ai_metrics: null}",
        )
        .unwrap();
        assert!(all.per_consumer && all.status_code_metrics && all.latency_metrics);
        assert!(all.bandwidth_metrics && all.upstream_health_metrics && !all.ai_metrics);
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_refused_at_their_path() {
        let errors = check("{per_consumer: maybe}").unwrap_err();
        assert_eq!(errors[0].0, "plugins[0].config.per_consumer", "{errors:?}");
        let errors = check("{export_all: true}").unwrap_err();
        assert_eq!(errors[0].0, "plugins[0].config.export_all", "{errors:?}");
        assert_eq!(errors[0].1, "unknown field");
    }
}
