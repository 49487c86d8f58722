//! openid-connect as one plugin of the chain: its table entry, its compiled config (whose
//! runtime, token cache and keys, the registry keeps across reloads) and its access phase.

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use serde_yaml::Value;

use super::api::{Access, Phases, Plugin, PluginConfig};
use super::consumer_headers::ANONYMOUS;
use super::openid_connect::OpenIdConnectPlugin;
use super::registry::PluginRegistry;
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::errors::ConfigErrors;
use crate::config::openid_connect::OpenIdConnectConfig;
use crate::respond::ErrorResponse;

pub const SPEC: PluginSpec = PluginSpec {
    name: "openid-connect",
    priority: 1050,
    version: KONG_PLUGIN_VERSION,
    authentication: true,
    compile,
};

fn compile(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Arc<dyn PluginConfig>> {
    let config = crate::config::plugin::openid_connect_config(config, path, errors)?;
    Some(Arc::new(OpenIdConnectPluginConfig(Arc::new(config))))
}

/// A compiled openid-connect instance.
#[derive(Debug)]
pub struct OpenIdConnectPluginConfig(pub Arc<OpenIdConnectConfig>);

impl PluginConfig for OpenIdConnectPluginConfig {
    fn build(&self, registry: &PluginRegistry) -> Arc<dyn Plugin> {
        registry.openid_connect(&self.0)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[async_trait]
impl Plugin for OpenIdConnectPlugin {
    fn phases(&self) -> Phases {
        Phases::ACCESS
    }

    async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        // Kong's "OR" of authentication plugins: with `anonymous` set, a request another
        // plugin already authenticated is left as it is.
        if self.config().anonymous.is_some() && access.state.is_authenticated() {
            return Ok(());
        }
        let auth = self
            .authenticate_request(access.session, &access.config.consumers)
            .await?;
        let request = access.session.req_header_mut();
        self.rewrite_upstream(&auth, request)
            .map_err(|_| ErrorResponse::internal())?;
        access.state.credential = match (auth.anonymous, &auth.identity) {
            (true, _) => None,
            (false, Some(identity)) => Some(
                identity
                    .credential_identifier
                    .as_ref()
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("openid-connect")
                    .to_owned(),
            ),
            (false, None) => Some("openid-connect".to_owned()),
        };
        if !auth.anonymous {
            request.remove_header(ANONYMOUS);
        }
        access.state.consumer = auth.consumer;
        if auth.replacement_body.is_some() {
            access.state.upstream_body = auth.replacement_body;
        }
        Ok(())
    }
}
