//! One IdP + one httpbin + one gateway wired together, with helpers for the common test calls.

use std::time::Duration;

use super::http::{self, Response};
use super::{kong, Gateway, Httpbin, IdpOptions, RealIdp};

#[derive(Debug, Clone, Default)]
pub struct StackOptions {
    /// Access token lifetime at the IdP (seconds); None = 300.
    pub token_ttl: Option<u64>,
    /// Extra IdP clients (id, secret), client_secret_basic, each also a Kong consumer.
    pub extra_clients: Vec<(String, String)>,
    /// Extra environment for the gateway process.
    pub gateway_env: Vec<(String, String)>,
}

pub struct Stack {
    // Field order = drop order: the gateway goes first, then its upstream and IdP.
    pub gateway: Gateway,
    pub httpbin: Httpbin,
    pub idp: RealIdp,
    secrets: Vec<String>,
}

impl Stack {
    pub fn start(opts: StackOptions) -> Stack {
        let extra: Vec<(String, String, String)> = opts
            .extra_clients
            .iter()
            .map(|(id, secret)| (id.clone(), secret.clone(), "client_secret_basic".to_owned()))
            .collect();
        let idp = RealIdp::start(IdpOptions {
            token_ttl: opts.token_ttl,
            extra_clients: extra,
        });
        let httpbin = Httpbin::start();
        let consumers: Vec<&str> = opts
            .extra_clients
            .iter()
            .map(|(id, _)| id.as_str())
            .collect();
        let yaml = kong::config(&idp, &httpbin, &consumers);
        let env: Vec<(&str, &str)> = opts
            .gateway_env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let gateway = Gateway::start_with_env(&yaml, &env);
        let mut clients: Vec<(String, String)> = [
            (super::KONG_ID, super::KONG_SECRET),
            (super::POST_ID, super::POST_SECRET),
            (super::NOBODY_ID, super::NOBODY_SECRET),
            (super::WEIRD_ID, super::WEIRD_SECRET),
        ]
        .iter()
        .map(|(id, secret)| (id.to_string(), secret.to_string()))
        .collect();
        clients.extend(opts.extra_clients.iter().cloned());
        let mut secrets = Vec::new();
        for (id, secret) in &clients {
            // The secret, the client's Basic value, and the form-urlencoded forms the gateway sends.
            let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            secrets.push(secret.clone());
            secrets.push(enc(secret));
            secrets.push(http::basic(id, secret)[6..].to_owned());
            secrets.push(http::basic(&enc(id), &enc(secret))[6..].to_owned());
        }
        Stack {
            gateway,
            httpbin,
            idp,
            secrets,
        }
    }

    /// GET `path` on the gateway with `Authorization: Basic id:secret` (as curl -u).
    pub fn get_as(&self, path: &str, id: &str, secret: &str) -> Response {
        let auth = http::basic(id, secret);
        http::get(&self.gateway.url(path), &[("Authorization", &auth)])
    }

    /// GET `path` on the gateway with the given headers.
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        http::get(&self.gateway.url(path), headers)
    }

    /// Remembers a value (e.g. a token httpbin saw) that must never show up in the gateway log.
    pub fn must_not_log(&mut self, value: &str) {
        self.secrets.push(value.to_owned());
    }

    /// Asserts the gateway log holds no secret, Basic credential or JWT (call at a test's end).
    pub fn assert_logs_clean(&self) {
        // Give the access log a moment to be written.
        std::thread::sleep(Duration::from_millis(100));
        super::logscan::assert_clean(&self.gateway.logs(), &self.secrets);
    }
}

/// Every stack is scanned when it goes away at the end of a test that did not fail (tests
/// may also call `assert_logs_clean` earlier): no secret, Basic credential or JWT in its log.
impl Drop for Stack {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.assert_logs_clean();
        }
    }
}

/// Asserts a Kong-shaped JSON error: status and `{"message": message}`.
pub fn assert_kong_error(resp: &Response, status: u16, message: &str) {
    assert_eq!(
        resp.status,
        status,
        "expected {status} {message:?}, got body: {}",
        resp.text()
    );
    let body = resp.json();
    assert_eq!(
        body["message"].as_str(),
        Some(message),
        "error body: {body}"
    );
}

/// The upstream (httpbin) view of a 200 answer: echoed headers as JSON.
pub fn echoed(resp: &Response) -> serde_json::Value {
    assert_eq!(
        resp.status,
        200,
        "expected 200 from httpbin via the gateway, got: {}",
        resp.text()
    );
    resp.json()
}

/// The Bearer token httpbin received in an echoed `/get` answer.
pub fn upstream_token(echo: &serde_json::Value) -> String {
    let auth = echo["headers"]["Authorization"]
        .as_str()
        .unwrap_or_else(|| panic!("upstream saw no Authorization header: {}", echo["headers"]));
    super::jwt::bearer(auth).to_owned()
}
