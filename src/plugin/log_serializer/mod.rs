//! Kong's log object (`kong.log.serialize()`): what http-log, file-log and the other log
//! plugins send for one request. Kong's fields and shapes; Kong redacts only the two
//! authorization headers, here every credential is (see `redact`): header values, query
//! arguments (in `querystring`, `uri`, `url` and `upstream_uri`), cookies.

mod json_writer;
pub mod redact;

use std::time::UNIX_EPOCH;

use super::correlation_id::RequestCorrelationId;
use super::log_phase::LogPhase;
use crate::config::compiled::{CompiledRoute, CompiledService, Consumer};
use crate::metrics::ResponseSource;
use json_writer::{push_str, Writer};
use redact::{CredentialNames, REDACTED};

/// The one workspace of this data plane.
pub const DEFAULT_WORKSPACE_NAME: &str = "default";

/// The id of the `default` workspace (stable across restarts and nodes).
pub fn default_workspace_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| crate::config::ids::generated_id("workspace", DEFAULT_WORKSPACE_NAME))
}

/// The log object of the request `log` describes, as JSON.
pub fn serialize(log: &LogPhase<'_>) -> String {
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
    let mut out = String::with_capacity(2048);
    let mut root = Writer::object(&mut out);
    {
        let mut object = Writer::object(root.key("request"));
        object.str("id", finished.request_id);
        object.str("uri", &request_uri);
        let url = match log.server_port {
            Some(port) => format!("{}://{host}:{port}{request_uri}", log.scheme),
            None => format!("{}://{host}{request_uri}", log.scheme),
        };
        object.str("url", &url);
        querystring(
            object.key("querystring"),
            request.uri.query().unwrap_or(""),
            &names,
        );
        object.str("method", finished.method);
        headers(object.key("headers"), &request.headers, &names);
        object.num("size", log.request_size);
        if let Some((version, cipher)) = &log.tls {
            let mut tls = Writer::object(object.key("tls"));
            tls.str("version", version);
            tls.str("cipher", cipher);
            tls.end('}');
        }
        object.end('}');
    }
    let upstream_uri = log
        .upstream_uri
        .as_deref()
        .map_or(String::new(), |uri| names.uri(uri));
    root.str("upstream_uri", &upstream_uri);
    let upstream_status = finished
        .upstream_status
        .map_or(String::new(), |s| s.to_string());
    root.str("upstream_status", &upstream_status);
    {
        let mut response = Writer::object(root.key("response"));
        response.num("status", finished.status);
        match log.response {
            Some(sent) => headers(response.key("headers"), &sent.headers, &names),
            None => response.key("headers").push_str("{}"),
        }
        response.num("size", log.response_size);
        response.end('}');
    }
    {
        let mut latencies = Writer::object(root.key("latencies"));
        latencies.num("kong", finished.gateway_latency.as_millis() as u64);
        let proxy = finished
            .upstream_latency
            .map_or(-1, |d| d.as_millis() as i64);
        latencies.num("proxy", proxy);
        latencies.num("request", finished.request_latency.as_millis() as u64);
        latencies.num("receive", 0);
        latencies.end('}');
    }
    if !log.peers.is_empty() {
        let mut tries = Writer::array(root.key("tries"));
        for peer in log.peers {
            let mut attempt = Writer::object(tries.element());
            attempt.str("ip", &peer.ip().to_string());
            attempt.num("port", peer.port());
            attempt.num("balancer_latency", 0);
            attempt.end('}');
        }
        tries.end(']');
    }
    if let (Some(credential), Some(consumer)) = (&log.state.credential, finished.consumer) {
        let mut entity = Writer::object(root.key("authenticated_entity"));
        entity.str("id", credential);
        entity.str("consumer_id", &consumer.id);
        entity.end('}');
    }
    if let Some(route) = finished.route {
        route_object(root.key("route"), route, finished.service);
    }
    if let Some(service) = finished.service {
        service_object(root.key("service"), service);
    }
    if let Some(consumer) = finished.consumer {
        consumer_object(root.key("consumer"), consumer);
    }
    if let Some(ip) = finished.client_ip {
        root.str("client_ip", &ip.to_string());
    }
    let started_at = finished
        .started_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    root.num("started_at", started_at);
    let source = match finished.source {
        ResponseSource::Service => "upstream",
        ResponseSource::Kong | ResponseSource::Error => "kong",
    };
    root.str("source", source);
    root.str("workspace", default_workspace_id());
    root.str("workspace_name", DEFAULT_WORKSPACE_NAME);
    if let Some(RequestCorrelationId(id)) = log.state.extensions.get() {
        root.str("correlation_id", id);
    }
    root.end('}');
    out
}

/// Headers as Kong's `get_headers()` gives them: lowercase names, a repeated header as an
/// array; credentials redacted.
fn headers(out: &mut String, headers: &http::HeaderMap, names: &CredentialNames) {
    let mut object = Writer::object(out);
    for name in headers.keys() {
        let credential = names.is_credential(name.as_str());
        let text = |value| header_text(value, credential);
        let mut values = headers.get_all(name).iter();
        let (Some(first), second) = (values.next(), values.next()) else {
            continue;
        };
        let place = object.key(name.as_str());
        match second {
            None => push_str(place, &text(first)),
            Some(second) => {
                let mut list = Writer::array(place);
                for value in [first, second].into_iter().chain(values) {
                    push_str(list.element(), &text(value));
                }
                list.end(']');
            }
        }
    }
    object.end('}');
}

/// A header value as text (invalid UTF-8 replaced), or `REDACTED`.
fn header_text(value: &http::HeaderValue, credential: bool) -> std::borrow::Cow<'_, str> {
    if credential {
        std::borrow::Cow::Borrowed(REDACTED)
    } else {
        String::from_utf8_lossy(value.as_bytes())
    }
}

/// Query arguments as Kong's `get_query()` gives them: decoded, `true` for an argument
/// without `=`, a repeated one as an array; credentials redacted.
fn querystring(out: &mut String, query: &str, names: &CredentialNames) {
    // (name, values); `None` is an argument without `=`.
    let mut arguments: Vec<(String, Vec<Option<String>>)> = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let has_value = pair.contains('=');
        let Some((name, value)) = form_urlencoded::parse(pair.as_bytes()).next() else {
            continue;
        };
        let value = if !has_value {
            None
        } else if names.is_credential(&name) {
            Some(REDACTED.to_owned())
        } else {
            Some(value.into_owned())
        };
        match arguments.iter_mut().find(|(known, _)| *known == name) {
            Some((_, values)) => values.push(value),
            None => arguments.push((name.into_owned(), vec![value])),
        }
    }
    let write = |out: &mut String, value: &Option<String>| match value {
        Some(text) => push_str(out, text),
        None => out.push_str("true"),
    };
    let mut object = Writer::object(out);
    for (name, values) in &arguments {
        let place = object.key(name);
        match values.as_slice() {
            [one] => write(place, one),
            many => {
                let mut list = Writer::array(place);
                for value in many {
                    write(list.element(), value);
                }
                list.end(']');
            }
        }
    }
    object.end('}');
}

fn route_object(out: &mut String, route: &CompiledRoute, service: Option<&CompiledService>) {
    let mut object = Writer::object(out);
    object.str("id", &route.id);
    if let Some(name) = &route.name {
        object.str("name", name);
    }
    {
        let mut protocols = Writer::array(object.key("protocols"));
        for (name, on) in [
            ("http", route.protocols.http),
            ("https", route.protocols.https),
        ] {
            if on {
                push_str(protocols.element(), name);
            }
        }
        protocols.end(']');
    }
    object.bool("strip_path", route.strip_path);
    object.bool("preserve_host", route.preserve_host);
    object.num(
        "https_redirect_status_code",
        route.https_redirect_status_code,
    );
    object.null("ws_id");
    if let Some(service) = service {
        let mut reference = Writer::object(object.key("service"));
        reference.str("id", &service.id);
        reference.end('}');
    }
    object.end('}');
}

fn service_object(out: &mut String, service: &CompiledService) {
    let mut object = Writer::object(out);
    object.str("id", &service.id);
    if let Some(name) = &service.name {
        object.str("name", name);
    }
    object.str("protocol", &service.protocol);
    object.str("host", &service.host);
    object.num("port", service.port);
    if let Some(path) = &service.path {
        object.str("path", path);
    }
    object.num("retries", service.retries);
    for (key, timeout) in [
        ("connect_timeout", service.connect_timeout),
        ("read_timeout", service.read_timeout),
        ("write_timeout", service.write_timeout),
    ] {
        object.num(key, timeout.as_millis() as u64);
    }
    object.bool("tls_verify", service.tls_verify);
    object.bool("enabled", true);
    object.end('}');
}

fn consumer_object(out: &mut String, consumer: &Consumer) {
    let mut object = Writer::object(out);
    object.str("id", &consumer.id);
    if let Some(username) = &consumer.username {
        object.str("username", username);
    }
    if let Some(custom_id) = &consumer.custom_id {
        object.str("custom_id", custom_id);
    }
    object.end('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn querystring_is_kongs_table_with_credentials_redacted() {
        let names = CredentialNames::current();
        let mut out = String::new();
        querystring(
            &mut out,
            "a=1&a=2&flag&apikey=k3y&x%20y=z+w&&password=",
            &names,
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&out).unwrap(),
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
        let mut out = String::new();
        headers(&mut out, &map, &names);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&out).unwrap(),
            json!({"authorization": "REDACTED", "x-api-key": "REDACTED", "cookie": "REDACTED", "accept": ["a", "b"]})
        );
    }
}
