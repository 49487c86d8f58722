//! Kong's opentelemetry plugin (PRIORITY 14): in the access phase the trace context is taken
//! from the incoming headers (`propagation`, `header_type`), sampled as Kong samples it and
//! injected into the upstream request; the response may carry the trace id
//! (`http_response_header_for_traceid`); at the end the request's spans (with Kong's
//! `tracing_instrumentations`) go through Kong's queue to the OTLP/HTTP traces endpoint.

pub mod config;
pub mod exporter;
pub mod instrumentations;
pub mod otlp;
pub mod propagation;
pub mod trace;

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use pingora::http::ResponseHeader;
use serde_yaml::Value;

use super::api::{Access, Phases, Plugin, PluginConfig, RequestState};
use super::log_phase::LogPhase;
use super::log_queue::{self, Queue, QueueId, Unusable};
use super::registry::PluginRegistry;
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::compiled::CompiledPlugin;
use crate::config::errors::ConfigErrors;
use crate::respond::ErrorResponse;
use config::OpenTelemetryConfig;
use exporter::OtlpSender;
use instrumentations::Tracing;
use propagation::InjectContext;
use trace::{sampling_decision, TraceContext};

pub const SPEC: PluginSpec = PluginSpec {
    name: "opentelemetry",
    priority: 14,
    version: KONG_PLUGIN_VERSION,
    authentication: false,
    compile,
};

fn compile(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Arc<dyn PluginConfig>> {
    Some(Arc::new(OpenTelemetryPluginConfig(config::compile(
        config, path, errors,
    )?)))
}

/// A compiled opentelemetry instance.
#[derive(Debug)]
pub struct OpenTelemetryPluginConfig(pub OpenTelemetryConfig);

impl OpenTelemetryPluginConfig {
    fn runtime(&self, registry: &PluginRegistry, id: &str) -> Arc<dyn Plugin> {
        let config = &self.0;
        let endpoint = &config.traces_endpoint;
        let label = format!(
            "{}://{}:{}{}",
            endpoint.scheme(),
            endpoint.host_str().unwrap_or(""),
            endpoint.port_or_known_default().unwrap_or(0),
            endpoint.path()
        );
        let tag = format!("opentelemetry plugin {id}");
        let name = format!("{}:traces", config.queue_name);
        let queue_id = QueueId {
            name: &name,
            log_tag: &tag,
            label: &label,
        };
        let queue = log_queue::queue(&queue_id, &config.queue, || match OtlpSender::new(config) {
            Ok(sender) => Arc::new(sender),
            Err(error) => Arc::new(Unusable(format!("traces exporter: {error}"))),
        });
        let tracing = registry.settings().tracing;
        Arc::new(OpenTelemetry {
            rate: config.sampling_rate.unwrap_or(tracing.sampling_rate),
            tracing,
            config: config.clone(),
            queue,
        })
    }
}

impl PluginConfig for OpenTelemetryPluginConfig {
    fn build(&self, registry: &PluginRegistry) -> Arc<dyn Plugin> {
        self.runtime(registry, "")
    }

    fn build_instance(
        &self,
        registry: &PluginRegistry,
        instance: &CompiledPlugin,
    ) -> Arc<dyn Plugin> {
        self.runtime(registry, &instance.id)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// An opentelemetry instance at run time.
pub struct OpenTelemetry {
    config: OpenTelemetryConfig,
    tracing: Tracing,
    /// The plugin's `sampling_rate`, else `tracing_sampling_rate`.
    rate: f64,
    queue: Arc<Queue>,
}

const PHASES: Phases = Phases {
    access: true,
    header_filter: true,
    body_filter: false,
    log: true,
};

impl OpenTelemetry {
    /// The request's trace, begun now if the access phase did not run (an earlier plugin
    /// answered).
    fn trace<'a>(&self, state: &'a mut RequestState) -> &'a TraceContext {
        state
            .extensions
            .get_or_insert_with(|| TraceContext::fresh(&self.tracing, self.rate))
    }
}

#[async_trait]
impl Plugin for OpenTelemetry {
    fn phases(&self) -> Phases {
        PHASES
    }

    async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        let propagation = &self.config.propagation;
        let extracted = propagation.extract(&access.session.req_header().headers);
        let trace_id = extracted.trace_id.unwrap_or_else(trace::random_id);
        let sampled = sampling_decision(
            extracted.sampled,
            !self.tracing.request,
            self.rate,
            &trace_id,
        );
        let trace = TraceContext {
            trace_id,
            root_span_id: trace::random_id(),
            root_parent: extracted.span_id.or(extracted.parent_id),
            balancer_span_id: self.tracing.balancer.then(trace::random_id),
            sampled,
        };
        let context = InjectContext {
            trace_id,
            span_id: trace.upstream_parent(),
            sampled,
            flags: extracted.flags.unwrap_or(0) | u8::from(sampled),
        };
        let (set, clear) = propagation.inject(&extracted, &context);
        let request = access.session.req_header_mut();
        for name in clear {
            request.remove_header(name.as_str());
        }
        for (name, value) in set {
            if request.insert_header(name, value).is_err() {
                log::debug!("opentelemetry: a trace header could not be set");
            }
        }
        access.state.extensions.insert(trace);
        Ok(())
    }

    fn header_filter(&self, state: &mut RequestState, response: &mut ResponseHeader) {
        let Some(header) = self.config.http_response_header_for_traceid.clone() else {
            return;
        };
        let trace_id = trace::hex(&self.trace(state).trace_id);
        if response.append_header(header, trace_id).is_err() {
            log::debug!("opentelemetry: the trace id header could not be set");
        }
    }

    fn log(&self, log: &LogPhase<'_>) {
        if !self.tracing.request {
            return;
        }
        let fresh;
        let trace = match log.state.extensions.get::<TraceContext>() {
            Some(trace) => trace,
            None => {
                fresh = TraceContext::fresh(&self.tracing, self.rate);
                &fresh
            }
        };
        if !trace.sampled {
            return;
        }
        let engine = base64::engine::general_purpose::STANDARD;
        for span in trace::spans(trace, log, &self.tracing) {
            self.queue.enqueue(engine.encode(otlp::encode_span(&span)));
        }
    }
}
