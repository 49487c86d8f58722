//! Kong's cors plugin (PRIORITY 2000): its table entry and compiled config.

pub mod config;
pub mod handler;
pub mod origin;

use std::sync::Arc;

use async_trait::async_trait;
use pingora::http::ResponseHeader;
use serde_yaml::Value;

use super::api::{Access, Phases, Plugin, PluginConfig, RequestState, Stateless};
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::errors::ConfigErrors;
use crate::respond::ErrorResponse;

pub const SPEC: PluginSpec = PluginSpec {
    name: "cors",
    priority: 2000,
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
    Some(Arc::new(Stateless(Arc::new(Cors(Arc::new(config))))))
}

/// A compiled cors instance (also its runtime).
#[derive(Debug, Clone)]
pub struct Cors(pub Arc<config::CorsConfig>);

#[async_trait]
impl Plugin for Cors {
    fn phases(&self) -> Phases {
        Phases {
            access: true,
            header_filter: true,
            body_filter: false,
            log: false,
        }
    }

    async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        handler::access(&self.0, access)
    }

    fn header_filter(&self, state: &mut RequestState, response: &mut ResponseHeader) {
        handler::header_filter(&self.0, state, response);
    }
}
