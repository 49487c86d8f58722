//! Kong's response-transformer plugin (PRIORITY 800): its table entry and its two phases.
//! The JSON body is transformed only on the upstream's responses (the body of an answer
//! the gateway makes itself is not run through body_filter).

pub mod config;
pub mod transform;

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use pingora::http::ResponseHeader;
use serde_yaml::Value;

use super::api::{Phases, Plugin, PluginConfig, RequestState, Stateless};
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::errors::ConfigErrors;
use config::ResponseTransformerConfig;

pub const SPEC: PluginSpec = PluginSpec {
    name: "response-transformer",
    priority: 800,
    version: KONG_PLUGIN_VERSION,
    authentication: false,
    compile,
};

/// Largest JSON body kept to be transformed; a longer one is sent on unchanged.
pub const MAX_JSON_BODY: usize = 16 * 1024 * 1024;

fn compile(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Arc<dyn PluginConfig>> {
    let config = config::compile(config, path, errors)?;
    Some(Arc::new(Stateless(Arc::new(ResponseTransformer(
        Arc::new(config),
    )))))
}

/// A compiled response-transformer instance (also its runtime).
#[derive(Debug, Clone)]
pub struct ResponseTransformer(pub Arc<ResponseTransformerConfig>);

/// The JSON body being collected for the transform (`None` once given up: too long).
#[derive(Clone)]
struct Collected(Option<Vec<u8>>);

#[async_trait]
impl Plugin for ResponseTransformer {
    fn phases(&self) -> Phases {
        Phases {
            access: false,
            header_filter: true,
            body_filter: self.0.transforms_json(),
            log: false,
        }
    }

    fn header_filter(&self, state: &mut RequestState, response: &mut ResponseHeader) {
        transform::headers(&self.0, response);
        let json = transform::is_json(
            response
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
        );
        if self.0.transforms_json() && json && state.upstream_response {
            // The body changes length: sent chunked (or to the end, for HTTP/1.0).
            response.remove_header(&http::header::CONTENT_LENGTH);
            state.extensions.insert(Collected(Some(Vec::new())));
        }
    }

    fn body_filter(&self, state: &mut RequestState, body: &mut Option<Bytes>, end: bool) {
        let Some(Collected(collected)) = state.extensions.get_mut::<Collected>() else {
            return;
        };
        let Some(buffer) = collected else {
            return;
        };
        if let Some(chunk) = body.take() {
            buffer.extend_from_slice(&chunk);
        }
        if buffer.len() > MAX_JSON_BODY {
            log::warn!("response-transformer: JSON body over {MAX_JSON_BODY} bytes sent unchanged");
            *body = collected.take().map(Bytes::from);
            return;
        }
        if end {
            let whole = std::mem::take(buffer);
            *body = Some(match transform::json(&self.0, &whole) {
                Some(changed) => Bytes::from(changed),
                None => {
                    log::info!(
                        "response-transformer: body transform failed: failed parsing json body"
                    );
                    Bytes::from(whole)
                }
            });
            *collected = None;
        }
    }
}
