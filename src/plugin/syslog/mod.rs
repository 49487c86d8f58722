//! Kong's syslog plugin (PRIORITY 4): each request's log object, JSON, as a syslog message
//! from `kong` to the local syslog daemon, at the severity its status class is configured
//! with (`successful_severity`, `client_errors_severity`, `server_errors_severity`), sent
//! only when that is at least as severe as `log_level`, under `facility`.

pub mod message;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use serde_yaml::Value;

use super::api::{Phases, Plugin, PluginConfig};
use super::log_phase::LogPhase;
use super::log_queue::{self, Queue, QueueId, QueueSettings};
use super::log_sockets::unix::UnixSender;
use super::log_target;
use super::plugin_config;
use super::registry::PluginRegistry;
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::compiled::CompiledPlugin;
use crate::config::errors::{join, ConfigErrors};
use message::{Facility, Severity};

pub const SPEC: PluginSpec = PluginSpec {
    name: "syslog",
    priority: 4,
    version: KONG_PLUGIN_VERSION,
    authentication: false,
    compile,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    log_level: Option<String>,
    successful_severity: Option<String>,
    client_errors_severity: Option<String>,
    server_errors_severity: Option<String>,
    facility: Option<String>,
    #[serde(default)]
    custom_fields_by_lua: BTreeMap<String, Value>,
}

/// A compiled syslog instance.
#[derive(Debug, Clone, PartialEq)]
pub struct SyslogConfig {
    pub log_level: Severity,
    pub successful_severity: Severity,
    pub client_errors_severity: Severity,
    pub server_errors_severity: Severity,
    pub facility: Facility,
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
    let mut severity = |field: &str, value: Option<String>| match value.as_deref() {
        None => Some(Severity::Info),
        Some(name) => Severity::named(name).or_else(|| {
            errors.push(at(field), format!("expected one of: {}", Severity::NAMES));
            None
        }),
    };
    let log_level = severity("log_level", raw.log_level);
    let successful = severity("successful_severity", raw.successful_severity);
    let client_errors = severity("client_errors_severity", raw.client_errors_severity);
    let server_errors = severity("server_errors_severity", raw.server_errors_severity);
    let facility = match raw.facility.as_deref() {
        None => Some(Facility::User),
        Some(name) => Facility::named(name).or_else(|| {
            errors.push(
                at("facility"),
                format!("expected one of: {}", Facility::NAMES),
            );
            None
        }),
    };
    if errors.len() > before {
        return None;
    }
    Some(Arc::new(SyslogConfig {
        log_level: log_level?,
        successful_severity: successful?,
        client_errors_severity: client_errors?,
        server_errors_severity: server_errors?,
        facility: facility?,
    }))
}

impl SyslogConfig {
    /// The severity of a response with `status`.
    pub fn severity_of(&self, status: u16) -> Severity {
        match status {
            500.. => self.server_errors_severity,
            400..=499 => self.client_errors_severity,
            _ => self.successful_severity,
        }
    }

    fn runtime(&self, registry: &PluginRegistry, id: &str) -> Arc<dyn Plugin> {
        let socket: PathBuf = registry.settings().syslog_socket.clone();
        let label = format!("unix://{}", socket.display());
        let name = format!("syslog:{label}");
        let tag = format!("syslog plugin {id}");
        let id = QueueId {
            name: &name,
            log_tag: &tag,
            label: &label,
        };
        let queue = log_queue::queue(&id, &QueueSettings::immediate(), || {
            Arc::new(UnixSender::new(socket.clone()))
        });
        Arc::new(Syslog {
            config: self.clone(),
            queue,
        })
    }
}

impl PluginConfig for SyslogConfig {
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

/// A syslog instance at run time.
pub struct Syslog {
    config: SyslogConfig,
    queue: Arc<Queue>,
}

impl Plugin for Syslog {
    fn phases(&self) -> Phases {
        Phases::LOG
    }

    fn log(&self, log: &LogPhase<'_>) {
        let severity = self.config.severity_of(log.finished.status);
        if !severity.reaches(self.config.log_level) {
            return;
        }
        let now = std::time::SystemTime::now();
        self.queue.enqueue(message::format(
            self.config.facility,
            severity,
            now,
            log.log_object(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<SyslogConfig, Vec<(String, String)>> {
        plugin_config::check_config(compile, yaml).map(|config| {
            config
                .as_any()
                .downcast_ref::<SyslogConfig>()
                .unwrap()
                .clone()
        })
    }

    #[test]
    fn kongs_defaults_an_export_and_messages() {
        let config = check("{}").unwrap();
        assert_eq!(config.log_level, Severity::Info);
        assert_eq!(config.facility, Facility::User);
        // As 23-SylvainGuilbaud exports it.
        assert!(check(
            "{client_errors_severity: info, custom_fields_by_lua: {}, facility: user, \
             log_level: info, server_errors_severity: info, successful_severity: info}"
        )
        .is_ok());
        let errors = check("{log_level: warn, facility: local9}").unwrap_err();
        assert_eq!(
            errors,
            vec![
                (
                    "plugins[0].config.log_level".into(),
                    "expected one of: debug, info, notice, warning, err, crit, alert, emerg"
                        .into()
                ),
                (
                    "plugins[0].config.facility".into(),
                    "expected one of: auth, authpriv, cron, daemon, ftp, kern, lpr, mail, news, \
                     syslog, user, uucp, local0, local1, local2, local3, local4, local5, local6, local7"
                        .into()
                ),
            ]
        );
    }

    #[test]
    fn severities_by_status_class_and_the_log_level_filter() {
        let config =
            check("{log_level: warning, successful_severity: debug, client_errors_severity: warning, server_errors_severity: crit}")
                .unwrap();
        assert_eq!(config.severity_of(204), Severity::Debug);
        assert_eq!(config.severity_of(404), Severity::Warning);
        assert_eq!(config.severity_of(502), Severity::Crit);
        assert!(!config.severity_of(204).reaches(config.log_level));
        assert!(config.severity_of(404).reaches(config.log_level));
        assert!(config.severity_of(502).reaches(config.log_level));
    }
}
