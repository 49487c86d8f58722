//! The traces exporter: the queue's batches of encoded spans (base64 in the queue's text
//! entries) posted as one OTLP/HTTP protobuf `ExportTraceServiceRequest` to
//! `traces_endpoint`, with the configured headers, as Kong's exporter sends them.

use async_trait::async_trait;
use base64::Engine as _;

use super::config::OpenTelemetryConfig;
use super::otlp::{self, Value};
use crate::plugin::log_queue::BatchSender;

pub struct OtlpSender {
    client: reqwest::Client,
    endpoint: url::Url,
    headers: reqwest::header::HeaderMap,
    resource: Vec<(String, Value)>,
}

/// Kong's resource attributes (`service.name` `kong`, the version, the node id), then the
/// configured ones in their place or added.
pub fn resource(configured: &[(String, String)]) -> Vec<(String, Value)> {
    let mut resource = vec![
        ("service.name".to_owned(), Value::Str("kong".into())),
        (
            "service.instance.id".to_owned(),
            Value::Str(crate::metrics::render::node_id().to_owned()),
        ),
        (
            "service.version".to_owned(),
            Value::Str(crate::plugin::table::KONG_PLUGIN_VERSION.to_owned()),
        ),
    ];
    for (key, value) in configured {
        match resource.iter_mut().find(|(name, _)| name == key) {
            Some(slot) => slot.1 = Value::Str(value.clone()),
            None => resource.push((key.clone(), Value::Str(value.clone()))),
        }
    }
    resource
}

impl OtlpSender {
    pub fn new(config: &OpenTelemetryConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.connect_timeout + config.export_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .tls_danger_accept_invalid_certs(true)
            .user_agent(concat!("oidc-gateway/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/x-protobuf"),
        );
        for (name, value) in &config.headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| e.to_string())?;
            let mut value =
                reqwest::header::HeaderValue::from_str(value).map_err(|e| e.to_string())?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        Ok(Self {
            client,
            endpoint: config.traces_endpoint.clone(),
            headers,
            resource: resource(&config.resource_attributes),
        })
    }

    fn server(&self) -> String {
        format!(
            "{}:{}",
            self.endpoint.host_str().unwrap_or(""),
            self.endpoint.port_or_known_default().unwrap_or(0)
        )
    }
}

#[async_trait]
impl BatchSender for OtlpSender {
    async fn send(&self, batch: &[String]) -> Result<(), String> {
        let engine = base64::engine::general_purpose::STANDARD;
        let spans: Vec<Vec<u8>> = batch
            .iter()
            .filter_map(|entry| engine.decode(entry).ok())
            .collect();
        let body = otlp::encode_request(&spans, &self.resource);
        let response = self
            .client
            .post(self.endpoint.clone())
            .headers(self.headers.clone())
            .body(body)
            .send()
            .await
            .map_err(|error| {
                let reason = if error.is_timeout() {
                    "timeout"
                } else if error.is_connect() {
                    "connection refused or unreachable"
                } else {
                    "request failed"
                };
                format!("failed to send spans to {}: {reason}", self.server())
            })?;
        let status = response.status().as_u16();
        let _ = response.bytes().await;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(format!(
                "traces endpoint {} answered status {status}",
                self.server()
            ))
        }
    }
}
