//! request-termination's pure core: the trigger test and the JSON echo of a request (Kong's
//! `echo`), with credentials redacted.

use serde_json::{Map, Value};

/// Request headers whose values are replaced in the echo: they carry credentials.
const REDACTED_HEADERS: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];
pub const REDACTED: &str = "[redacted]";

/// Whether the trigger is present: a header of that name (any case, `_` standing for `-`)
/// or a query argument of exactly that name (with or without a value).
pub fn triggered<'a>(
    trigger: &str,
    mut header_names: impl Iterator<Item = &'a str>,
    query: Option<&str>,
) -> bool {
    let wanted = trigger.replace('_', "-");
    if header_names.any(|name| name.replace('_', "-").eq_ignore_ascii_case(&wanted)) {
        return true;
    }
    query.is_some_and(|query| {
        query.split('&').any(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            form_urlencoded::parse(name.as_bytes())
                .next()
                .is_some_and(|(decoded, _)| decoded == trigger)
        })
    })
}

/// Kong's `ngx.req.get_uri_args` as JSON: `a=1` → `"1"`, `a` → `true`, repeated → array.
pub fn query_json(query: Option<&str>) -> Value {
    let mut out = Map::new();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = match pair.split_once('=') {
            Some((name, value)) => (decode(name), Value::String(decode(value))),
            None => (decode(pair), Value::Bool(true)),
        };
        if name.is_empty() {
            continue;
        }
        add(&mut out, name, value);
    }
    Value::Object(out)
}

fn decode(part: &str) -> String {
    // form_urlencoded decodes `+` and percent escapes; one pair at a time keeps `=` in values.
    form_urlencoded::parse(format!("x={part}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
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

/// Request headers as JSON: lowercase names, repeated ones as arrays, credentials redacted.
pub fn headers_json<'a>(headers: impl Iterator<Item = (&'a str, &'a [u8])>) -> Value {
    let mut out = Map::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        let value = if REDACTED_HEADERS.contains(&name.as_str()) {
            REDACTED.to_owned()
        } else {
            String::from_utf8_lossy(value).into_owned()
        };
        add(&mut out, name, Value::String(value));
    }
    Value::Object(out)
}

/// What the echo says about the request.
pub struct EchoedRequest<'a> {
    pub scheme: &'a str,
    pub host: &'a str,
    pub port: Option<u16>,
    pub method: &'a str,
    pub path: &'a str,
    pub headers: Value,
    pub query: Value,
    /// The body, when it was small enough to read.
    pub raw_body: Option<&'a [u8]>,
}

/// The echo document: `message` and `request` (Kong also sends `kong`, `matched_route` and
/// `matched_service`, left out here).
pub fn echo(message: Option<&str>, request: EchoedRequest<'_>) -> Value {
    let mut req = Map::new();
    req.insert("scheme".into(), request.scheme.into());
    req.insert("host".into(), request.host.into());
    if let Some(port) = request.port {
        req.insert("port".into(), port.into());
    }
    req.insert("method".into(), request.method.into());
    req.insert("path".into(), request.path.into());
    req.insert("headers".into(), request.headers);
    req.insert("query".into(), request.query);
    if let Some(body) = request.raw_body {
        req.insert(
            "raw_body".into(),
            String::from_utf8_lossy(body).into_owned().into(),
        );
    }
    let mut out = Map::new();
    if let Some(message) = message {
        out.insert("message".into(), message.into());
    }
    out.insert("request".into(), Value::Object(req));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn trigger_in_header_or_query() {
        let headers = ["Host", "Gimme-An-Echo"];
        assert!(triggered("gimme-an-echo", headers.into_iter(), None));
        assert!(triggered("gimme_an_echo", headers.into_iter(), None));
        assert!(!triggered("other", headers.into_iter(), Some("a=1")));
        assert!(triggered("stop", [].into_iter(), Some("a=1&stop")));
        assert!(triggered("stop", [].into_iter(), Some("stop=")));
        assert!(triggered("st op", [].into_iter(), Some("st+op=1")));
        assert!(!triggered("Stop", [].into_iter(), Some("stop=1")));
    }

    #[test]
    fn query_and_headers_as_kong_shows_them() {
        assert_eq!(
            query_json(Some("hello=there&flag&a=1&a=2&e=&sp=a+b%21&x=y=z")),
            json!({"hello": "there", "flag": true, "a": ["1", "2"], "e": "", "sp": "a b!", "x": "y=z"})
        );
        assert_eq!(query_json(None), json!({}));
        let headers = [
            ("Host", &b"a.test"[..]),
            ("Authorization", b"Bearer secret"),
            ("Cookie", b"s=1"),
            ("X-Multi", b"1"),
            ("x-multi", b"2"),
        ];
        assert_eq!(
            headers_json(headers.into_iter()),
            json!({"host": "a.test", "authorization": REDACTED, "cookie": REDACTED, "x-multi": ["1", "2"]})
        );
    }

    #[test]
    fn echo_document() {
        let doc = echo(
            Some("Not found"),
            EchoedRequest {
                scheme: "http",
                host: "a.test",
                port: Some(8000),
                method: "GET",
                path: "/status/200",
                headers: json!({}),
                query: json!({"hello": "there"}),
                raw_body: Some(b"cool body"),
            },
        );
        assert_eq!(doc["message"], "Not found");
        assert_eq!(doc["request"]["raw_body"], "cool body");
        assert_eq!(doc["request"]["port"], 8000);
        assert_eq!(doc["request"]["query"]["hello"], "there");
    }
}
