//! Sends one batch of log entries to the log server, as Kong's http-log does: the entry
//! itself when batches hold one, else a JSON array; `Content-Type` from the config, Basic
//! authorization from the URL's user info, the configured headers; any status under 300
//! is success.

use async_trait::async_trait;
use base64::Engine as _;

use super::config::HttpLogConfig;
use crate::plugin::log_queue::BatchSender;

pub struct HttpSender {
    client: reqwest::Client,
    url: url::Url,
    method: reqwest::Method,
    headers: reqwest::header::HeaderMap,
    /// Whether batches hold one entry (sent bare, not in an array).
    single: bool,
}

impl HttpSender {
    pub fn new(config: &HttpLogConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .pool_idle_timeout(config.keepalive)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            // Kong's http-log does not verify the log server's certificate (`ssl_verify = false`).
            .tls_danger_accept_invalid_certs(true)
            .user_agent(concat!("oidc-gateway/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        let mut url = config.http_endpoint.clone();
        let mut headers = reqwest::header::HeaderMap::new();
        let content_type = reqwest::header::HeaderValue::from_str(&config.content_type)
            .map_err(|e| e.to_string())?;
        headers.insert(reqwest::header::CONTENT_TYPE, content_type);
        if !url.username().is_empty() || url.password().is_some() {
            let userinfo = format!(
                "{}:{}",
                percent_decoded(url.username()),
                percent_decoded(url.password().unwrap_or(""))
            );
            let basic = base64::engine::general_purpose::STANDARD.encode(userinfo);
            let mut value = reqwest::header::HeaderValue::from_str(&format!("Basic {basic}"))
                .map_err(|e| e.to_string())?;
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value);
            let _ = url.set_username("");
            let _ = url.set_password(None);
        }
        for (name, value) in &config.headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| e.to_string())?;
            let mut value =
                reqwest::header::HeaderValue::from_str(value).map_err(|e| e.to_string())?;
            value.set_sensitive(true);
            // Content-Type and Authorization from above are not overridden (Kong's order).
            headers.entry(name).or_insert(value);
        }
        let method = reqwest::Method::from_bytes(config.method.as_str().as_bytes())
            .map_err(|e| e.to_string())?;
        Ok(Self {
            client,
            url,
            method,
            headers,
            single: config.queue.max_batch_size == 1,
        })
    }

    /// The log server, for messages: scheme, host and port only.
    fn server(&self) -> String {
        format!(
            "{}:{}",
            self.url.host_str().unwrap_or(""),
            self.url.port_or_known_default().unwrap_or(0)
        )
    }
}

fn percent_decoded(text: &str) -> String {
    let bytes: Vec<u8> = form_urlencoded::parse(format!("x={text}").replace('+', "%2B").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The request body of `batch`: the entry alone when batches hold one, else an array.
pub fn payload(batch: &[String], single: bool) -> String {
    if single && batch.len() == 1 {
        return batch.first().cloned().unwrap_or_default();
    }
    let mut body = String::with_capacity(batch.iter().map(|e| e.len() + 1).sum::<usize>() + 2);
    body.push('[');
    for (i, entry) in batch.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(entry);
    }
    body.push(']');
    body
}

#[async_trait]
impl BatchSender for HttpSender {
    async fn send(&self, batch: &[String]) -> Result<(), String> {
        let response = self
            .client
            .request(self.method.clone(), self.url.clone())
            .headers(self.headers.clone())
            .body(payload(batch, self.single))
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
                format!("failed request to {}: {reason}", self.server())
            })?;
        let status = response.status().as_u16();
        // Read the body to end, so the connection can be kept alive.
        let _ = response.bytes().await;
        if status < 300 {
            Ok(())
        } else {
            Err(format!(
                "request to {} returned status code {status}",
                self.server()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_alone_else_an_array() {
        let entries = vec!["{\"a\":1}".to_owned(), "{\"b\":2}".to_owned()];
        assert_eq!(payload(&entries[..1], true), "{\"a\":1}");
        assert_eq!(payload(&entries[..1], false), "[{\"a\":1}]");
        assert_eq!(payload(&entries, false), "[{\"a\":1},{\"b\":2}]");
    }

    #[test]
    fn user_info_becomes_basic_authorization_and_leaves_the_url() {
        let config = super::super::config::compile(
            Some(serde_yaml::from_str("{http_endpoint: 'http://bob:s%40cret@127.0.0.1:9/logs', headers: {X-Token: t}}").unwrap()),
            "plugins[0]",
            &mut Default::default(),
        )
        .unwrap();
        let sender = HttpSender::new(&config).unwrap();
        assert_eq!(sender.url.as_str(), "http://127.0.0.1:9/logs");
        let expected = base64::engine::general_purpose::STANDARD.encode("bob:s@cret");
        assert_eq!(
            sender.headers.get("authorization").unwrap(),
            &format!("Basic {expected}")
        );
        assert_eq!(sender.headers.get("x-token").unwrap(), "t");
        assert_eq!(
            sender.headers.get("content-type").unwrap(),
            "application/json"
        );
    }
}
