//! Kong's request-termination plugin (PRIORITY 2): its table entry and compiled config.

pub mod config;
pub mod echo;
pub mod handler;

use std::sync::Arc;

use async_trait::async_trait;
use serde_yaml::Value;

use super::api::{Access, Phases, Plugin, PluginConfig, Stateless};
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::errors::ConfigErrors;
use crate::respond::ErrorResponse;

pub const SPEC: PluginSpec = PluginSpec {
    name: "request-termination",
    priority: 2,
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
    Some(Arc::new(Stateless(Arc::new(RequestTermination(Arc::new(
        config,
    ))))))
}

/// A compiled request-termination instance (also its runtime).
#[derive(Debug, Clone)]
pub struct RequestTermination(pub Arc<config::RequestTerminationConfig>);

#[async_trait]
impl Plugin for RequestTermination {
    fn phases(&self) -> Phases {
        Phases::ACCESS
    }

    async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        handler::access(&self.0, access).await
    }
}
