//! Kong's hmac-auth plugin (PRIORITY 1030): its table entry and compiled config.

pub mod config;
pub mod handler;
pub mod signature;

use std::sync::Arc;

use async_trait::async_trait;
use serde_yaml::Value;

use super::api::{Access, Phases, Plugin, PluginConfig, Stateless};
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::errors::ConfigErrors;
use crate::respond::ErrorResponse;

pub const SPEC: PluginSpec = PluginSpec {
    name: "hmac-auth",
    priority: 1030,
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
    Some(Arc::new(Stateless(Arc::new(HmacAuth(Arc::new(config))))))
}

/// A compiled hmac-auth instance (also its runtime: it keeps no state).
#[derive(Debug, Clone)]
pub struct HmacAuth(pub Arc<config::HmacAuthConfig>);

#[async_trait]
impl Plugin for HmacAuth {
    fn phases(&self) -> Phases {
        Phases::ACCESS
    }

    async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        handler::access(&self.0, access).await
    }
}
