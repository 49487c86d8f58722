//! Kong's key-auth plugin: its table entry and compiled config. The config schema is in
//! `config`, where the key is looked for in `extract` and `body`, the access phase in `handler`.

pub mod body;
pub mod config;
pub mod extract;
pub mod handler;

use std::any::Any;
use std::sync::Arc;

use serde_yaml::Value;

use self::config::KeyAuthConfig;
use self::handler::KeyAuth;
use super::api::{Plugin, PluginConfig};
use super::registry::PluginRegistry;
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::errors::ConfigErrors;

pub const SPEC: PluginSpec = PluginSpec {
    name: "key-auth",
    priority: 1250,
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
    Some(Arc::new(KeyAuthPluginConfig(Arc::new(config))))
}

/// A compiled key-auth instance.
#[derive(Debug)]
pub struct KeyAuthPluginConfig(pub Arc<KeyAuthConfig>);

impl PluginConfig for KeyAuthPluginConfig {
    fn build(&self, _registry: &PluginRegistry) -> Arc<dyn Plugin> {
        Arc::new(KeyAuth::new(self.0.clone()))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
