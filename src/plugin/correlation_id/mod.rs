//! Kong's correlation-id plugin (PRIORITY 100001): its table entry, config and phases.

pub mod config;
pub mod generator;

use std::sync::Arc;

use async_trait::async_trait;
use pingora::http::ResponseHeader;
use serde_yaml::Value;

use super::api::{Access, Phases, Plugin, PluginConfig, RequestState, Stateless};
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::errors::ConfigErrors;
use crate::respond::ErrorResponse;
use config::CorrelationIdConfig;
use generator::ConnectionFacts;

pub const SPEC: PluginSpec = PluginSpec {
    name: "correlation-id",
    priority: 100_001,
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
    Some(Arc::new(Stateless(Arc::new(CorrelationId(Arc::new(
        config,
    ))))))
}

/// A compiled correlation-id instance (also its runtime).
#[derive(Debug, Clone)]
pub struct CorrelationId(pub Arc<CorrelationIdConfig>);

/// The request's correlation id, kept from access for header_filter's echo and the log
/// object's `correlation_id` (Kong's `set_serialize_value`).
#[derive(Debug, Clone)]
pub struct RequestCorrelationId(pub String);

#[async_trait]
impl Plugin for CorrelationId {
    fn phases(&self) -> Phases {
        Phases {
            access: true,
            header_filter: self.0.echo_downstream,
            body_filter: false,
            log: false,
        }
    }

    /// The client's id when it sent one (not empty), else a new one, sent upstream.
    async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        let conf = &self.0;
        let request = access.session.req_header();
        let sent = request
            .headers
            .get(conf.header_name.as_str())
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        let id = match sent {
            Some(id) => id,
            None => {
                let facts = ConnectionFacts::of(access.session);
                let id = conf.generator.generate(&facts);
                let header = conf.header_name.clone();
                if access
                    .session
                    .req_header_mut()
                    .insert_header(header, id.as_str())
                    .is_err()
                {
                    log::info!("correlation-id: the id could not be set on the request");
                }
                id
            }
        };
        access.state.extensions.insert(RequestCorrelationId(id));
        Ok(())
    }

    /// `echo_downstream`: the id on the response (a new one if access did not run).
    fn header_filter(&self, state: &mut RequestState, response: &mut ResponseHeader) {
        let id = match state.extensions.get::<RequestCorrelationId>() {
            Some(RequestCorrelationId(id)) => id.clone(),
            None => self.0.generator.generate(&ConnectionFacts::default()),
        };
        if response
            .insert_header(self.0.header_name.clone(), id.as_str())
            .is_err()
        {
            log::info!("correlation-id: the id could not be echoed");
        }
    }
}
