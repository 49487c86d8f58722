//! Kong's request-size-limiting plugin (PRIORITY 951): its table entry, config and access
//! phase. A declared `Content-Length` is checked at once; a chunked body is read and
//! measured when the limit fits what Pingora can replay (64 KiB), and otherwise counted
//! as it streams to the upstream, the request failing with the same 413 past the limit.

pub mod config;

use std::sync::Arc;

use async_trait::async_trait;
use serde_yaml::Value;

use super::api::{Access, Phases, Plugin, PluginConfig, Stateless};
use super::request_body::{self, BodyError};
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::errors::ConfigErrors;
use crate::respond::ErrorResponse;
use config::RequestSizeLimitingConfig;

pub const SPEC: PluginSpec = PluginSpec {
    name: "request-size-limiting",
    priority: 951,
    version: KONG_PLUGIN_VERSION,
    authentication: false,
    compile,
};

/// The error a streamed body over the limit fails the request with (answered with the 413).
pub const BODY_OVER_LIMIT: &str = "request body over the size limit";

/// Kong's message for a body over the limit.
pub const TOO_LARGE: &str = "Request size limit exceeded";

fn compile(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Arc<dyn PluginConfig>> {
    let config = config::compile(config, path, errors)?;
    Some(Arc::new(Stateless(Arc::new(RequestSizeLimiting(
        Arc::new(config),
    )))))
}

/// A compiled request-size-limiting instance (also its runtime).
#[derive(Debug, Clone)]
pub struct RequestSizeLimiting(pub Arc<RequestSizeLimitingConfig>);

/// Kong's answer for a body over the limit: 417 when the client waits for `100 Continue`.
pub fn too_large(expects_continue: bool) -> ErrorResponse {
    ErrorResponse::with_status(if expects_continue { 417 } else { 413 }, TOO_LARGE)
}

#[async_trait]
impl Plugin for RequestSizeLimiting {
    fn phases(&self) -> Phases {
        Phases::ACCESS
    }

    async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        let allowed = self.0.allowed_bytes();
        let headers = &access.session.req_header().headers;
        let expects_continue = headers
            .get(http::header::EXPECT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"));
        let chunked = headers
            .get(http::header::TRANSFER_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        if let Some(length) = request_body::declared_length(access.session) {
            return if length > allowed {
                Err(too_large(expects_continue))
            } else {
                Ok(())
            };
        }
        if self.0.require_content_length && !chunked {
            return Err(ErrorResponse::with_status(
                411,
                "A valid Content-Length header is required",
            ));
        }
        if allowed > request_body::REPLAY_LIMIT as u64 {
            // Counted in the proxy's request_body_filter as it streams.
            let limit = access
                .state
                .request_body_limit
                .map_or(allowed, |l| l.min(allowed));
            access.state.request_body_limit = Some(limit);
            return Ok(());
        }
        let limit = usize::try_from(allowed).unwrap_or(request_body::REPLAY_LIMIT);
        match request_body::read_replayable(access.session, limit).await {
            Ok(_) => Ok(()),
            Err(BodyError::TooLarge) => Err(too_large(expects_continue)),
            Err(BodyError::Unreadable) => Err(ErrorResponse::bad_request()),
        }
    }
}
