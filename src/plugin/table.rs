//! The registry table: every plugin this data plane implements, with Kong's name,
//! `PRIORITY`, version and config compiler. Adding a plugin is its folder plus one line here.

use std::sync::Arc;

use serde_yaml::Value;

use super::api::PluginConfig;
use crate::config::errors::ConfigErrors;

/// Compiles a plugin's `config` (absent: `None`); `path` is the plugin's own path, e.g.
/// `services[0].plugins[1]`, under which the config's errors are reported.
pub type CompileFn = fn(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Arc<dyn PluginConfig>>;

/// One implemented plugin.
pub struct PluginSpec {
    pub name: &'static str,
    /// Kong's `PRIORITY`: higher runs first.
    pub priority: i32,
    pub version: &'static str,
    /// Authentication plugins cannot be scoped to a consumer or consumer group (Kong's
    /// `no_consumer`).
    pub authentication: bool,
    pub compile: CompileFn,
}

/// The Kong version whose bundled plugins these are modelled on (their `VERSION`).
pub const KONG_PLUGIN_VERSION: &str = "3.9.1";

/// Every implemented plugin.
pub static PLUGINS: &[&PluginSpec] = &[
    &super::openid_connect_plugin::SPEC,
    &super::key_auth::SPEC,
    &super::basic_auth::SPEC,
    &super::jwt::SPEC,
    &super::hmac_auth::SPEC,
    &super::ip_restriction::SPEC,
    &super::acl::SPEC,
    &super::rate_limiting::SPEC,
    &super::request_size_limiting::SPEC,
    &super::request_termination::SPEC,
    &super::request_transformer::SPEC,
    &super::response_transformer::SPEC,
    &super::cors::SPEC,
    &super::correlation_id::SPEC,
    &super::opentelemetry::SPEC,
    &super::prometheus::SPEC,
    &super::http_log::SPEC,
    &super::file_log::SPEC,
    &super::tcp_log::SPEC,
    &super::udp_log::SPEC,
    &super::syslog::SPEC,
    &super::statsd::SPEC,
];

/// The implemented plugin called `name`.
pub fn find(name: &str) -> Option<&'static PluginSpec> {
    PLUGINS.iter().copied().find(|spec| spec.name == name)
}
