//! Kong's udp-log plugin (PRIORITY 8): each request's log object, JSON, as one datagram to
//! `host:port`. Kong sends from a timer with no queue; here entries go through a bounded
//! queue (`QueueSettings::immediate`), so nothing waits on the network in a request.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_yaml::Value;

use super::api::{Phases, Plugin, PluginConfig};
use super::log_phase::LogPhase;
use super::log_queue::{self, Queue, QueueId, QueueSettings};
use super::log_sockets::udp::{Packing, UdpSender};
use super::log_target::{self, host_port, millis};
use super::plugin_config;
use super::registry::PluginRegistry;
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::compiled::CompiledPlugin;
use crate::config::errors::{join, ConfigErrors};

pub const SPEC: PluginSpec = PluginSpec {
    name: "udp-log",
    priority: 8,
    version: KONG_PLUGIN_VERSION,
    authentication: false,
    compile,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    host: Option<String>,
    port: Option<f64>,
    #[serde(default = "default_timeout")]
    timeout: f64,
    #[serde(default)]
    custom_fields_by_lua: BTreeMap<String, Value>,
}

fn default_timeout() -> f64 {
    10_000.0
}

fn compile(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Arc<dyn PluginConfig>> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let base = join(path, "config");
    let at = |field: &str| join(&base, field);
    let before = errors.len();
    log_target::refuse_lua_fields(
        &raw.custom_fields_by_lua,
        at("custom_fields_by_lua"),
        errors,
    );
    let host = log_target::host(raw.host.as_deref(), at("host"), errors);
    let port = log_target::port(raw.port, at("port"), errors);
    if errors.len() > before {
        return None;
    }
    Some(Arc::new(UdpLogConfig {
        host: host?,
        port: port?,
        timeout: millis(raw.timeout),
    }))
}

/// A compiled udp-log instance.
#[derive(Debug)]
pub struct UdpLogConfig {
    pub host: String,
    pub port: u16,
    pub timeout: Duration,
}

impl UdpLogConfig {
    fn queue(&self, id: &str) -> Arc<Queue> {
        let label = format!("udp://{}", host_port(&self.host, self.port));
        let name = format!("udp-log:{label}:{}", self.timeout.as_millis());
        let tag = format!("udp-log plugin {id}");
        let id = QueueId {
            name: &name,
            log_tag: &tag,
            label: &label,
        };
        log_queue::queue(&id, &QueueSettings::immediate(), || {
            Arc::new(UdpSender::new(
                &self.host,
                self.port,
                self.timeout,
                Packing::PerEntry,
            ))
        })
    }
}

impl PluginConfig for UdpLogConfig {
    fn build(&self, _registry: &PluginRegistry) -> Arc<dyn Plugin> {
        Arc::new(UdpLog(self.queue("")))
    }

    fn build_instance(
        &self,
        _registry: &PluginRegistry,
        instance: &CompiledPlugin,
    ) -> Arc<dyn Plugin> {
        Arc::new(UdpLog(self.queue(&instance.id)))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A udp-log instance at run time.
pub struct UdpLog(Arc<Queue>);

impl Plugin for UdpLog {
    fn phases(&self) -> Phases {
        Phases::LOG
    }

    fn log(&self, log: &LogPhase<'_>) {
        self.0.enqueue(log.log_object().to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<Arc<dyn PluginConfig>, Vec<(String, String)>> {
        plugin_config::check_config(compile, yaml)
    }

    #[test]
    fn kongs_schema_and_messages() {
        let config = check("{host: 127.0.0.1, port: 9999}").unwrap();
        let config = config.as_any().downcast_ref::<UdpLogConfig>().unwrap();
        assert_eq!(config.timeout, Duration::from_secs(10));
        let errors = check("{port: 9999, tls: true}").unwrap_err();
        assert_eq!(errors[0].0, "plugins[0].config.tls");
        let errors = check("{port: 9999}").unwrap_err();
        assert_eq!(
            errors,
            vec![(
                "plugins[0].config.host".into(),
                "required field missing".into()
            )]
        );
    }
}
