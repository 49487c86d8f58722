//! Kong's log object (`kong.log.serialize()`): what http-log, file-log and the other log
//! plugins send for one request. Kong's fields and shapes; Kong redacts only the two
//! authorization headers, here every credential is (see `redact`): header values, query
//! arguments (in `querystring`, `uri`, `url` and `upstream_uri`), cookies.

pub mod redact;

use std::time::UNIX_EPOCH;

use serde_json::{json, Map, Value};

use super::correlation_id::RequestCorrelationId;
use super::log_phase::LogPhase;
use crate::config::compiled::{CompiledRoute, CompiledService, Consumer};
use crate::metrics::ResponseSource;
use redact::{CredentialNames, REDACTED};

/// The one workspace of this data plane.
pub const DEFAULT_WORKSPACE_NAME: &str = "default";

/// The id of the `default` workspace (stable across restarts and nodes).
pub fn default_workspace_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| crate::config::ids::generated_id("workspace", DEFAULT_WORKSPACE_NAME))
}

/// The log object of the request `log` describes.
pub fn serialize(log: &LogPhase<'_>) -> Value {
    let names = CredentialNames::current();
    let finished = log.finished;
    let request = log.request;
    let request_uri = request
        .uri
        .path_and_query()
        .map_or_else(|| request.uri.path().to_owned(), |p| names.uri(p.as_str()));
    let host = request
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or(request.uri.host())
        .unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(']') && !name.contains(':') {
            name
        } else {
            host
        }
    });
    let url = match log.server_port {
        Some(port) => format!("{}://{host}:{port}{request_uri}", log.scheme),
        None => format!("{}://{host}{request_uri}", log.scheme),
    };
    let mut request_object = Map::new();
    request_object.insert("id".into(), finished.request_id.into());
    request_object.insert("uri".into(), request_uri.into());
    request_object.insert("url".into(), url.into());
    request_object.insert(
        "querystring".into(),
        querystring(request.uri.query().unwrap_or(""), &names),
    );
    request_object.insert("method".into(), finished.method.into());
    request_object.insert("headers".into(), headers(request.headers.iter(), &names));
    request_object.insert("size".into(), log.request_size.into());
    if let Some((version, cipher)) = &log.tls {
        request_object.insert("tls".into(), json!({"version": version, "cipher": cipher}));
    }

    let mut root = Map::new();
    root.insert("request".into(), Value::Object(request_object));
    root.insert(
        "upstream_uri".into(),
        log.upstream_uri
            .as_deref()
            .map_or(String::new(), |uri| names.uri(uri))
            .into(),
    );
    root.insert(
        "upstream_status".into(),
        finished
            .upstream_status
            .map_or(String::new(), |s| s.to_string())
            .into(),
    );
    let response_headers = log.response.map_or(Value::Object(Map::new()), |r| {
        headers(r.headers.iter(), &names)
    });
    root.insert(
        "response".into(),
        json!({"status": finished.status, "headers": response_headers, "size": log.response_size}),
    );
    let proxy = finished
        .upstream_latency
        .map_or(-1, |d| d.as_millis() as i64);
    root.insert(
        "latencies".into(),
        json!({
            "kong": finished.gateway_latency.as_millis() as u64,
            "proxy": proxy,
            "request": finished.request_latency.as_millis() as u64,
            "receive": 0,
        }),
    );
    if !log.peers.is_empty() {
        let tries: Vec<Value> = log
            .peers
            .iter()
            .map(|peer| json!({"ip": peer.ip().to_string(), "port": peer.port(), "balancer_latency": 0}))
            .collect();
        root.insert("tries".into(), Value::Array(tries));
    }
    if let (Some(credential), Some(consumer)) = (&log.state.credential, finished.consumer) {
        root.insert(
            "authenticated_entity".into(),
            json!({"id": credential, "consumer_id": consumer.id}),
        );
    }
    if let Some(route) = finished.route {
        root.insert("route".into(), route_object(route, finished.service));
    }
    if let Some(service) = finished.service {
        root.insert("service".into(), service_object(service));
    }
    if let Some(consumer) = finished.consumer {
        root.insert("consumer".into(), consumer_object(consumer));
    }
    if let Some(ip) = finished.client_ip {
        root.insert("client_ip".into(), ip.to_string().into());
    }
    let started_at = finished
        .started_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    root.insert("started_at".into(), started_at.into());
    let source = match finished.source {
        ResponseSource::Service => "upstream",
        ResponseSource::Kong | ResponseSource::Error => "kong",
    };
    root.insert("source".into(), source.into());
    root.insert("workspace".into(), default_workspace_id().into());
    root.insert("workspace_name".into(), DEFAULT_WORKSPACE_NAME.into());
    if let Some(RequestCorrelationId(id)) = log.state.extensions.get() {
        root.insert("correlation_id".into(), id.clone().into());
    }
    Value::Object(root)
}

/// Headers as Kong's `get_headers()` gives them: lowercase names, a repeated header as an
/// array; credentials redacted.
fn headers<'a>(
    headers: impl Iterator<Item = (&'a http::HeaderName, &'a http::HeaderValue)>,
    names: &CredentialNames,
) -> Value {
    let mut out = Map::new();
    for (name, value) in headers {
        let value = if names.is_credential(name.as_str()) {
            REDACTED.to_owned()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        add(&mut out, name.as_str().to_owned(), Value::String(value));
    }
    Value::Object(out)
}

/// Query arguments as Kong's `get_query()` gives them: decoded, `true` for an argument
/// without `=`, a repeated one as an array; credentials redacted.
fn querystring(query: &str, names: &CredentialNames) -> Value {
    let mut out = Map::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let has_value = pair.contains('=');
        let Some((name, value)) = form_urlencoded::parse(pair.as_bytes()).next() else {
            continue;
        };
        let value = if !has_value {
            Value::Bool(true)
        } else if names.is_credential(&name) {
            Value::String(REDACTED.to_owned())
        } else {
            Value::String(value.into_owned())
        };
        add(&mut out, name.into_owned(), value);
    }
    Value::Object(out)
}

fn add(map: &mut Map<String, Value>, name: String, value: Value) {
    match map.get_mut(&name) {
        None => {
            map.insert(name, value);
        }
        Some(Value::Array(values)) => values.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

fn route_object(route: &CompiledRoute, service: Option<&CompiledService>) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), route.id.clone().into());
    if let Some(name) = &route.name {
        out.insert("name".into(), name.clone().into());
    }
    let protocols: Vec<&str> = [
        ("http", route.protocols.http),
        ("https", route.protocols.https),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    out.insert("protocols".into(), protocols.into());
    out.insert("strip_path".into(), route.strip_path.into());
    out.insert("preserve_host".into(), route.preserve_host.into());
    out.insert(
        "https_redirect_status_code".into(),
        route.https_redirect_status_code.into(),
    );
    out.insert("ws_id".into(), Value::Null);
    if let Some(service) = service {
        out.insert("service".into(), json!({"id": service.id}));
    }
    Value::Object(out)
}

fn service_object(service: &CompiledService) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), service.id.clone().into());
    if let Some(name) = &service.name {
        out.insert("name".into(), name.clone().into());
    }
    out.insert("protocol".into(), service.protocol.clone().into());
    out.insert("host".into(), service.host.clone().into());
    out.insert("port".into(), service.port.into());
    if let Some(path) = &service.path {
        out.insert("path".into(), path.clone().into());
    }
    out.insert("retries".into(), service.retries.into());
    for (key, timeout) in [
        ("connect_timeout", service.connect_timeout),
        ("read_timeout", service.read_timeout),
        ("write_timeout", service.write_timeout),
    ] {
        out.insert(key.into(), (timeout.as_millis() as u64).into());
    }
    out.insert("tls_verify".into(), service.tls_verify.into());
    out.insert("enabled".into(), true.into());
    Value::Object(out)
}

fn consumer_object(consumer: &Consumer) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), consumer.id.clone().into());
    if let Some(username) = &consumer.username {
        out.insert("username".into(), username.clone().into());
    }
    if let Some(custom_id) = &consumer.custom_id {
        out.insert("custom_id".into(), custom_id.clone().into());
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn querystring_is_kongs_table_with_credentials_redacted() {
        let names = CredentialNames::current();
        let query = querystring("a=1&a=2&flag&apikey=k3y&x%20y=z+w&&password=", &names);
        assert_eq!(
            query,
            json!({"a": ["1", "2"], "flag": true, "apikey": "REDACTED", "x y": "z w", "password": "REDACTED"})
        );
    }

    #[test]
    fn headers_are_lowercase_repeated_as_arrays_and_credentials_redacted() {
        let mut map = http::HeaderMap::new();
        map.append("Authorization", "Basic a29uZzpzZWNyZXQ=".parse().unwrap());
        map.append("X-Api-Key", "k".parse().unwrap());
        map.append("Cookie", "session=abc".parse().unwrap());
        map.append("Accept", "a".parse().unwrap());
        map.append("Accept", "b".parse().unwrap());
        let names = CredentialNames::current();
        assert_eq!(
            headers(map.iter(), &names),
            json!({"authorization": "REDACTED", "x-api-key": "REDACTED", "cookie": "REDACTED", "accept": ["a", "b"]})
        );
    }
}
