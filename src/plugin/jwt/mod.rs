//! Kong's bundled jwt plugin (PRIORITY 1450): HS/RS/PS/ES/EdDSA tokens from the query string,
//! cookies or `Bearer` headers, verified with the `jwt_secrets` credential their key claim
//! names, with the algorithm that credential pins.

pub mod config;
pub mod handler;
pub mod keys;
pub mod sources;
pub mod token;

use std::any::Any;
use std::sync::Arc;

use serde_yaml::Value;

use super::api::{Plugin, PluginConfig};
use super::registry::PluginRegistry;
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::errors::ConfigErrors;
use handler::JwtPlugin;

pub use keys::{check_jwt_secret, JwtSecretError, ParsedKey};

pub const SPEC: PluginSpec = PluginSpec {
    name: "jwt",
    priority: 1450,
    version: KONG_PLUGIN_VERSION,
    authentication: true,
    compile,
};

fn compile(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Arc<dyn PluginConfig>> {
    let config = config::compile(config, path, errors)?;
    Some(Arc::new(JwtPluginConfig(Arc::new(JwtPlugin { config }))))
}

/// A compiled jwt instance; it keeps no state across reloads.
#[derive(Debug)]
pub struct JwtPluginConfig(Arc<JwtPlugin>);

impl PluginConfig for JwtPluginConfig {
    fn build(&self, _registry: &PluginRegistry) -> Arc<dyn Plugin> {
        self.0.clone()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
