//! Kong's prometheus plugin (PRIORITY 13): its table entry and log phase. The families it
//! records (`kong_http_requests_total`, `kong_bandwidth_bytes`, the latency histograms) are
//! counted per route, as its switches say, and served on the status listener's `/metrics`
//! (`metrics::render`). A request no route matched is not counted, as in Kong.

pub mod config;

use std::sync::Arc;

use async_trait::async_trait;
use serde_yaml::Value;

use super::api::{Phases, Plugin, PluginConfig, Stateless};
use super::log_phase::LogPhase;
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::compiled::CompiledPlugin;
use crate::config::errors::ConfigErrors;
use config::PrometheusConfig;

pub const SPEC: PluginSpec = PluginSpec {
    name: "prometheus",
    priority: 13,
    version: KONG_PLUGIN_VERSION,
    authentication: false,
    compile,
};

fn compile(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Arc<dyn PluginConfig>> {
    let config = config::compile(config, path, errors)?;
    Some(Arc::new(Stateless(Arc::new(Prometheus(config)))))
}

/// A compiled prometheus instance (also its runtime).
#[derive(Debug, Clone)]
pub struct Prometheus(pub PrometheusConfig);

impl Prometheus {
    /// The prometheus config of `plugin`, when it is one.
    pub fn of(plugin: &CompiledPlugin) -> Option<&PrometheusConfig> {
        plugin
            .config
            .as_any()
            .downcast_ref::<Stateless<Prometheus>>()
            .map(|stateless| &stateless.0 .0)
    }
}

#[async_trait]
impl Plugin for Prometheus {
    fn phases(&self) -> Phases {
        Phases::LOG
    }

    fn log(&self, log: &LogPhase<'_>) {
        let config = &self.0;
        let Some(route) = log.state.route else {
            return;
        };
        let metrics = log.snapshot.metrics.route(Some(route));
        let finished = log.finished;
        let consumer = match (&log.state.consumer, config.per_consumer) {
            (Some(consumer), true) => log.snapshot.metrics.consumer_label(log.snapshot, consumer),
            _ => None,
        };
        if config.status_code_metrics && finished.status != 0 {
            metrics.record_status(finished.status, finished.source, consumer);
        }
        if config.latency_metrics {
            metrics.record_latencies(
                finished.request_latency,
                finished.upstream_latency,
                finished.gateway_latency,
            );
        }
        if config.bandwidth_metrics {
            metrics.record_bandwidth(consumer, log.request_size, log.response_size);
        }
    }
}
