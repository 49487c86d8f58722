//! Kong's ip-restriction plugin (PRIORITY 990): refuses clients by address (`deny` first,
//! then `allow`), on the client address Kong's `trusted_ips` rules give.

pub mod config;

use std::sync::Arc;

use async_trait::async_trait;
use serde_yaml::Value;

use super::api::{Access, Phases, Plugin, PluginConfig, Stateless};
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::client_ip::cidr::any_contains;
use crate::config::errors::ConfigErrors;
use crate::respond::ErrorResponse;

pub const SPEC: PluginSpec = PluginSpec {
    name: "ip-restriction",
    priority: 990,
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
    Some(Arc::new(Stateless(Arc::new(IpRestriction(config)))))
}

/// A compiled ip-restriction instance (also its runtime).
#[derive(Debug)]
pub struct IpRestriction(config::IpRestrictionConfig);

#[async_trait]
impl Plugin for IpRestriction {
    fn phases(&self) -> Phases {
        Phases::ACCESS
    }

    async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        let conf = &self.0;
        let Some(client) = access.state.client_ip else {
            return Err(ErrorResponse::with_status(
                403,
                "Cannot identify the client IP address, unix domain sockets are not supported.",
            ));
        };
        let refused = any_contains(&conf.deny, client)
            || (!conf.allow.is_empty() && !any_contains(&conf.allow, client));
        if !refused {
            return Ok(());
        }
        let message = match &conf.message {
            Some(message) => message.clone(),
            None => format!("IP address not allowed: {client}"),
        };
        log::warn!("ip-restriction: {message}");
        Err(ErrorResponse::with_status(conf.status, message))
    }
}
