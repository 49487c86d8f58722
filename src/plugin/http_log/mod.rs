//! Kong's http-log plugin (PRIORITY 12): its table entry and log phase. Each request's log
//! object goes into the instance's queue (shared by instances with the same log server);
//! the queue's worker posts batches to `http_endpoint`.

pub mod config;
pub mod sender;

use std::sync::Arc;

use async_trait::async_trait;
use serde_yaml::Value;

use super::api::{Phases, Plugin, PluginConfig};
use super::log_phase::LogPhase;
use super::log_queue::{self, Queue, QueueId, Unusable};
use super::registry::PluginRegistry;
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::compiled::CompiledPlugin;
use crate::config::errors::ConfigErrors;
use config::HttpLogConfig;
use sender::HttpSender;

pub const SPEC: PluginSpec = PluginSpec {
    name: "http-log",
    priority: 12,
    version: KONG_PLUGIN_VERSION,
    authentication: false,
    compile,
};

fn compile(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Arc<dyn PluginConfig>> {
    Some(Arc::new(HttpLogPluginConfig(config::compile(
        config, path, errors,
    )?)))
}

/// A compiled http-log instance.
#[derive(Debug)]
pub struct HttpLogPluginConfig(pub HttpLogConfig);

/// The queue an http-log instance logs into (Kong's tag: `http-log plugin <id>`).
pub fn instance_queue(config: &HttpLogConfig, plugin: &str, id: &str) -> Arc<Queue> {
    let tag = format!("{plugin} plugin {id}");
    let endpoint = &config.http_endpoint;
    let label = format!(
        "{}://{}:{}{}",
        endpoint.scheme(),
        endpoint.host_str().unwrap_or(""),
        endpoint.port_or_known_default().unwrap_or(0),
        endpoint.path()
    );
    let id = QueueId {
        name: &config.queue_name,
        log_tag: &tag,
        label: &label,
    };
    log_queue::queue(&id, &config.queue, || match HttpSender::new(config) {
        Ok(sender) => Arc::new(sender),
        Err(error) => Arc::new(Unusable(format!("log server client: {error}"))),
    })
}

impl PluginConfig for HttpLogPluginConfig {
    fn build(&self, _registry: &PluginRegistry) -> Arc<dyn Plugin> {
        Arc::new(HttpLog(instance_queue(&self.0, SPEC.name, "")))
    }

    fn build_instance(
        &self,
        _registry: &PluginRegistry,
        instance: &CompiledPlugin,
    ) -> Arc<dyn Plugin> {
        Arc::new(HttpLog(instance_queue(&self.0, SPEC.name, &instance.id)))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// An http-log instance at run time.
pub struct HttpLog(Arc<Queue>);

#[async_trait]
impl Plugin for HttpLog {
    fn phases(&self) -> Phases {
        Phases::LOG
    }

    fn log(&self, log: &LogPhase<'_>) {
        self.0.enqueue(log.log_object().to_owned());
    }
}
