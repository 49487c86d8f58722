//! Kong's tcp-log plugin (PRIORITY 7): each request's log object, one JSON line, to a TCP
//! (optionally TLS) log server over a kept-alive connection. Kong sends from a timer with
//! no queue; here entries go through a bounded queue (`QueueSettings::immediate`) so that a
//! server that is down costs no request anything and its entries are retried.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_yaml::Value;

use super::api::{Phases, Plugin, PluginConfig};
use super::log_phase::LogPhase;
use super::log_queue::{self, Queue, QueueId, QueueSettings, Unusable};
use super::log_sockets::tcp::{TcpSender, TcpTarget};
use super::log_target::{self, host_port, millis};
use super::plugin_config;
use super::registry::PluginRegistry;
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::compiled::CompiledPlugin;
use crate::config::errors::{join, ConfigErrors};

pub const SPEC: PluginSpec = PluginSpec {
    name: "tcp-log",
    priority: 7,
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
    #[serde(default = "default_keepalive")]
    keepalive: f64,
    #[serde(default)]
    tls: bool,
    tls_sni: Option<String>,
    #[serde(default)]
    custom_fields_by_lua: BTreeMap<String, Value>,
}

fn default_timeout() -> f64 {
    10_000.0
}

fn default_keepalive() -> f64 {
    60_000.0
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
    Some(Arc::new(TcpLogConfig(TcpTarget {
        host: host?,
        port: port?,
        timeout: millis(raw.timeout),
        keepalive: millis(raw.keepalive),
        tls: raw.tls,
        tls_sni: raw.tls_sni,
    })))
}

/// A compiled tcp-log instance.
#[derive(Debug)]
pub struct TcpLogConfig(pub TcpTarget);

fn instance_queue(target: &TcpTarget, id: &str) -> Arc<Queue> {
    let scheme = if target.tls { "tls" } else { "tcp" };
    let label = format!("{scheme}://{}", host_port(&target.host, target.port));
    let name = format!(
        "tcp-log:{label}:{}:{}:{}",
        target.timeout.as_millis(),
        target.keepalive.as_millis(),
        target.tls_sni.as_deref().unwrap_or("")
    );
    let tag = format!("tcp-log plugin {id}");
    let id = QueueId {
        name: &name,
        log_tag: &tag,
        label: &label,
    };
    log_queue::queue(&id, &QueueSettings::immediate(), || {
        match TcpSender::new(target.clone()) {
            Ok(sender) => Arc::new(sender),
            Err(error) => Arc::new(Unusable(error)),
        }
    })
}

impl PluginConfig for TcpLogConfig {
    fn build(&self, _registry: &PluginRegistry) -> Arc<dyn Plugin> {
        Arc::new(TcpLog(instance_queue(&self.0, "")))
    }

    fn build_instance(
        &self,
        _registry: &PluginRegistry,
        instance: &CompiledPlugin,
    ) -> Arc<dyn Plugin> {
        Arc::new(TcpLog(instance_queue(&self.0, &instance.id)))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A tcp-log instance at run time.
pub struct TcpLog(Arc<Queue>);

impl Plugin for TcpLog {
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
    use std::time::Duration;

    fn check(yaml: &str) -> Result<Arc<dyn PluginConfig>, Vec<(String, String)>> {
        plugin_config::check_config(compile, yaml)
    }

    fn target(yaml: &str) -> TcpTarget {
        let config = check(yaml).unwrap();
        config
            .as_any()
            .downcast_ref::<TcpLogConfig>()
            .unwrap()
            .0
            .clone()
    }

    #[test]
    fn kongs_defaults_and_an_export() {
        let target = target("{host: 127.0.0.1, port: 5000}");
        assert_eq!(target.timeout, Duration::from_secs(10));
        assert_eq!(target.keepalive, Duration::from_secs(60));
        assert!(!target.tls);
        // As 19-vinodvinu103 exports it.
        assert!(check(
            "{custom_fields_by_lua: {}, host: 15.207.222.116, keepalive: 60000, port: 8990, \
             timeout: 10000, tls: false, tls_sni: null}"
        )
        .is_ok());
    }

    #[test]
    fn kongs_messages_at_their_paths() {
        let errors = check("{tls: true}").unwrap_err();
        assert_eq!(
            errors,
            vec![
                (
                    "plugins[0].config.host".into(),
                    "required field missing".into()
                ),
                (
                    "plugins[0].config.port".into(),
                    "required field missing".into()
                ),
            ]
        );
        let errors = check("{host: 'logs:5000', port: 99999}").unwrap_err();
        assert_eq!(errors[0].1, "must not have a port");
        assert_eq!(errors[1].1, "value should be between 0 and 65535");
        let errors =
            check("{host: a, port: 1, custom_fields_by_lua: {x: 'return 1'}}").unwrap_err();
        assert_eq!(errors[0].0, "plugins[0].config.custom_fields_by_lua");
    }
}
