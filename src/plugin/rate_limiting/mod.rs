//! Kong's rate-limiting plugin (PRIORITY 910): fixed windows per second ... year, counted
//! by `limit_by`; `local` policy (process-wide sharded counters kept across reloads) or
//! `redis` (Kong's keys, shared with other nodes).

pub mod config;
pub mod counters;
pub mod handler;
pub mod windows;

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use pingora::http::ResponseHeader;
use serde_yaml::Value;

use super::api::{Access, Phases, Plugin, PluginConfig, RequestState};
use super::registry::PluginRegistry;
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::compiled::CompiledPlugin;
use crate::config::errors::ConfigErrors;
use crate::respond::ErrorResponse;
use handler::RateLimiter;

pub const SPEC: PluginSpec = PluginSpec {
    name: "rate-limiting",
    priority: 910,
    version: KONG_PLUGIN_VERSION,
    authentication: false,
    compile,
};

/// Kong's id for "no route" / "no service" in counter keys.
const EMPTY_UUID: &str = "00000000-0000-0000-0000-000000000000";

fn compile(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Arc<dyn PluginConfig>> {
    let config = config::compile(config, path, errors)?;
    Some(Arc::new(RateLimitingPluginConfig(Arc::new(config))))
}

/// A compiled rate-limiting instance.
#[derive(Debug)]
pub struct RateLimitingPluginConfig(pub Arc<config::RateLimitingConfig>);

impl RateLimitingPluginConfig {
    fn runtime(
        &self,
        registry: &PluginRegistry,
        route_id: Option<&str>,
        service_id: Option<&str>,
    ) -> Arc<dyn Plugin> {
        let scope = format!(
            "{}:{}",
            route_id.unwrap_or(EMPTY_UUID),
            service_id.unwrap_or(EMPTY_UUID)
        );
        Arc::new(RateLimiting(RateLimiter {
            conf: self.0.clone(),
            scope: Arc::from(scope),
            counters: registry.rate_limit_counters(),
            redis: self
                .0
                .redis
                .as_ref()
                .and_then(|settings| registry.redis().client(settings)),
        }))
    }
}

impl PluginConfig for RateLimitingPluginConfig {
    fn build(&self, registry: &PluginRegistry) -> Arc<dyn Plugin> {
        self.runtime(registry, None, None)
    }

    fn build_instance(
        &self,
        registry: &PluginRegistry,
        instance: &CompiledPlugin,
    ) -> Arc<dyn Plugin> {
        self.runtime(
            registry,
            instance.route_id.as_deref(),
            instance.service_id.as_deref(),
        )
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The runtime of one instance.
pub struct RateLimiting(RateLimiter);

#[async_trait]
impl Plugin for RateLimiting {
    fn phases(&self) -> Phases {
        Phases {
            access: true,
            header_filter: !self.0.conf.hide_client_headers,
            ..Phases::default()
        }
    }

    async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        self.0.access(access).await
    }

    fn header_filter(&self, state: &mut RequestState, response: &mut ResponseHeader) {
        RateLimiter::header_filter(state, response);
    }
}
