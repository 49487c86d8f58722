//! Kong's request-transformer plugin (PRIORITY 801): its table entry and compiled config.

pub mod body;
pub mod config;
pub mod handler;
pub mod headers;
pub mod query;
pub mod template;

use std::sync::Arc;

use async_trait::async_trait;
use serde_yaml::Value;

use super::api::{Access, Phases, Plugin, PluginConfig, Stateless};
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::errors::ConfigErrors;
use crate::respond::ErrorResponse;

pub const SPEC: PluginSpec = PluginSpec {
    name: "request-transformer",
    priority: 801,
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
    Some(Arc::new(Stateless(Arc::new(RequestTransformer(Arc::new(
        config,
    ))))))
}

/// A compiled request-transformer instance (also its runtime).
#[derive(Debug, Clone)]
pub struct RequestTransformer(pub Arc<config::RequestTransformerConfig>);

#[async_trait]
impl Plugin for RequestTransformer {
    fn phases(&self) -> Phases {
        Phases::ACCESS
    }

    async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        handler::access(&self.0, access).await
    }
}
