//! Kong's acl plugin (PRIORITY 950): its table entry and compiled config.

pub mod config;
pub mod groups;
pub mod handler;

use std::sync::Arc;

use async_trait::async_trait;
use serde_yaml::Value;

use super::api::{Access, Phases, Plugin, PluginConfig, Stateless};
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::errors::ConfigErrors;
use crate::respond::ErrorResponse;

pub const SPEC: PluginSpec = PluginSpec {
    name: "acl",
    priority: 950,
    version: KONG_PLUGIN_VERSION,
    // Kong's `no_consumer`: an acl cannot be scoped to a consumer.
    authentication: true,
    compile,
};

fn compile(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Arc<dyn PluginConfig>> {
    let config = config::compile(config, path, errors)?;
    Some(Arc::new(Stateless(Arc::new(Acl(Arc::new(config))))))
}

/// A compiled acl instance (also its runtime).
#[derive(Debug, Clone)]
pub struct Acl(pub Arc<config::AclConfig>);

#[async_trait]
impl Plugin for Acl {
    fn phases(&self) -> Phases {
        Phases::ACCESS
    }

    async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        handler::access(&self.0, access)
    }
}
