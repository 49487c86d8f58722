//! Kong's basic-auth plugin: its table entry and compiled config. The schema is in `config`,
//! the header parser in `header`, the access phase in `handler`.

pub mod config;
pub mod handler;
pub mod header;

use std::any::Any;
use std::sync::Arc;

use serde_yaml::Value;

use self::config::BasicAuthConfig;
use self::handler::BasicAuth;
use super::api::{Plugin, PluginConfig};
use super::registry::PluginRegistry;
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::errors::ConfigErrors;

pub const SPEC: PluginSpec = PluginSpec {
    name: "basic-auth",
    priority: 1100,
    version: KONG_PLUGIN_VERSION,
    authentication: true,
    compile,
};

fn compile(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Arc<dyn PluginConfig>> {
    let config = config::parse(config, path, errors)?;
    Some(Arc::new(BasicAuthPluginConfig(Arc::new(config))))
}

/// A compiled basic-auth instance.
#[derive(Debug)]
pub struct BasicAuthPluginConfig(pub Arc<BasicAuthConfig>);

impl PluginConfig for BasicAuthPluginConfig {
    fn build(&self, _registry: &PluginRegistry) -> Arc<dyn Plugin> {
        Arc::new(BasicAuth::new(self.0.clone()))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
