//! End-to-end: the small traffic plugins against the real httpbin: cors (preflight answered
//! by the gateway or left to the upstream, origins exact / regex / `*`, credentials,
//! exposed headers, `Vary: Origin`, an upstream's own ACAO removed for a foreign origin).

mod support;

use support::http::{self, Response};
use support::sink::Sink;
use support::*;

fn cors_gateway() -> (Gateway, Httpbin, Sink) {
    let httpbin = Httpbin::start();
    let sink = Sink::start();
    let yaml = format!(
        r#"_format_version: "3.0"
services:
- name: sink
  url: http://127.0.0.1:{sink}
  routes:
  - name: preflight
    paths: [/preflight]
    plugins:
    - name: cors
      config:
        origins: ['https://app.test', 'https://.*\.example\.com']
        headers: [X-Custom, Authorization]
        methods: [GET, POST]
        max_age: 3600
        credentials: true
        private_network: true
- name: httpbin
  url: http://127.0.0.1:{port}
  routes:
  - name: open
    paths: [/open]
    plugins:
    - name: cors
  - name: listed
    paths: [/listed]
    plugins:
    - name: cors
      config:
        origins: ['https://app.test', 'https://.*\.example\.com', '(.*\.)?host\.test']
        exposed_headers: [X-Trace, X-Other]
        credentials: true
  - name: fixed
    paths: [/fixed]
    plugins:
    - name: cors
      config: {{origins: ['https://only.test']}}
  - name: continue
    paths: [/continue]
    plugins:
    - name: cors
      config: {{preflight_continue: true}}
  - name: starcred
    paths: [/starcred]
    plugins:
    - name: cors
      config: {{credentials: true}}
"#,
        port = httpbin.port(),
        sink = sink.port(),
    );
    (Gateway::start(&yaml), httpbin, sink)
}

fn options(gateway: &Gateway, path: &str, headers: &[(&str, &str)]) -> Response {
    http::request("OPTIONS", &gateway.url(path), headers, None).unwrap()
}

fn all<'a>(response: &'a Response, name: &str) -> Vec<&'a str> {
    response
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn cors_preflight_answered_by_the_gateway() {
    let (gateway, _httpbin, sink) = cors_gateway();
    let preflight = options(
        &gateway,
        "/preflight",
        &[
            ("Origin", "https://a.example.com"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Private-Network", "true"),
        ],
    );
    assert_eq!(preflight.status, 200);
    assert!(preflight.body.is_empty());
    assert_eq!(
        preflight.header("Access-Control-Allow-Origin"),
        Some("https://a.example.com")
    );
    assert_eq!(
        preflight.header("Access-Control-Allow-Methods"),
        Some("GET,POST")
    );
    assert_eq!(
        preflight.header("Access-Control-Allow-Headers"),
        Some("X-Custom,Authorization")
    );
    assert_eq!(preflight.header("Access-Control-Max-Age"), Some("3600"));
    assert_eq!(
        preflight.header("Access-Control-Allow-Credentials"),
        Some("true")
    );
    assert_eq!(
        preflight.header("Access-Control-Allow-Private-Network"),
        Some("true")
    );
    assert_eq!(all(&preflight, "Vary"), ["Origin"]);

    // A foreign origin: answered, but allowed nothing.
    let foreign = options(
        &gateway,
        "/preflight",
        &[
            ("Origin", "https://a.example.com.evil.test"),
            ("Access-Control-Request-Method", "GET"),
        ],
    );
    assert_eq!(foreign.status, 200);
    assert_eq!(foreign.header("Access-Control-Allow-Origin"), None);
    assert_eq!(foreign.header("Access-Control-Allow-Private-Network"), None);
    assert_eq!(sink.connections(), 0, "a preflight reached the upstream");

    // Default methods, requested headers echoed, `*`.
    let open = options(
        &gateway,
        "/open",
        &[
            ("Origin", "https://x.test"),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "X-A, X-B"),
        ],
    );
    assert_eq!(open.status, 200);
    assert_eq!(open.header("Access-Control-Allow-Origin"), Some("*"));
    assert_eq!(
        open.header("Access-Control-Allow-Methods"),
        Some("GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT")
    );
    assert_eq!(
        open.header("Access-Control-Allow-Headers"),
        Some("X-A, X-B")
    );
    assert_eq!(open.header("Vary"), None);

    // preflight_continue: httpbin answers the OPTIONS itself, headers untouched.
    let upstream = options(
        &gateway,
        "/continue/anything",
        &[
            ("Origin", "https://x.test"),
            ("Access-Control-Request-Method", "PUT"),
        ],
    );
    assert_eq!(upstream.status, 200);
    assert_ne!(
        upstream.header("Access-Control-Allow-Methods"),
        Some("GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT")
    );
}

#[test]
fn cors_headers_on_proxied_responses() {
    let (gateway, _httpbin, _sink) = cors_gateway();
    let get = |path: &str, headers: &[(&str, &str)]| http::get(&gateway.url(path), headers);

    let open = get("/open/get", &[]);
    assert_eq!(open.status, 200);
    assert_eq!(open.header("Access-Control-Allow-Origin"), Some("*"));
    // (httpbin sends its own Access-Control-Allow-Credentials; cors leaves it.)

    let listed = get("/listed/get", &[("Origin", "https://app.test:443")]);
    assert_eq!(listed.status, 200);
    assert_eq!(
        listed.header("Access-Control-Allow-Origin"),
        Some("https://app.test")
    );
    assert_eq!(
        listed.header("Access-Control-Allow-Credentials"),
        Some("true")
    );
    assert_eq!(
        listed.header("Access-Control-Expose-Headers"),
        Some("X-Trace,X-Other")
    );
    assert!(all(&listed, "Vary").contains(&"Origin"));

    // An entry without `:` is matched against the origin's host.
    let by_host = get("/listed/get", &[("Origin", "http://www.host.test:8080")]);
    assert_eq!(
        by_host.header("Access-Control-Allow-Origin"),
        Some("http://www.host.test:8080")
    );

    // A foreign origin: the upstream's own ACAO is removed.
    let foreign = get(
        "/listed/response-headers?Access-Control-Allow-Origin=https://evil.test",
        &[("Origin", "https://evil.test")],
    );
    assert_eq!(foreign.status, 200);
    assert_eq!(foreign.header("Access-Control-Allow-Origin"), None);
    let odd = get("/listed/get", &[("Origin", "null")]);
    assert_eq!(odd.status, 200);
    assert_eq!(odd.header("Access-Control-Allow-Origin"), None);

    let fixed = get("/fixed/get", &[("Origin", "https://other.test")]);
    assert_eq!(
        fixed.header("Access-Control-Allow-Origin"),
        Some("https://only.test")
    );
    assert_eq!(all(&fixed, "Vary"), ["Origin"]);

    // credentials with `*`: the request's origin instead.
    let star = get("/starcred/get", &[("Origin", "https://mine.test")]);
    assert_eq!(
        star.header("Access-Control-Allow-Origin"),
        Some("https://mine.test")
    );
    assert_eq!(
        star.header("Access-Control-Allow-Credentials"),
        Some("true")
    );

    // A plain OPTIONS (no Access-Control-Request-Method) is proxied, with the headers.
    let plain = options(&gateway, "/open/anything", &[("Origin", "https://x.test")]);
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("Access-Control-Allow-Origin"), Some("*"));
}
