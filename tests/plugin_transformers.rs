//! End-to-end: request-transformer, response-transformer, correlation-id and
//! request-size-limiting against the real httpbin: headers, query strings, JSON / form / multipart bodies (and bodies that are
//! not what they claim), `replace.uri` with a regex capture, `http_method`, the upstream
//! Host, JSON response bodies and headers, correlation ids echoed on the gateway's own
//! answers, and size limits for declared, chunked and streamed bodies.

mod support;

use serde_json::json;
use support::http::{self, Response};
use support::stack::assert_kong_error;
use support::*;

fn gateway() -> (Gateway, Httpbin) {
    let httpbin = Httpbin::start();
    let yaml = format!(
        r#"_format_version: "3.0"
services:
- name: httpbin
  url: http://127.0.0.1:{port}
  routes:
  - name: rt
    paths: [/rt]
    plugins:
    - name: request-transformer
      config:
        remove: {{headers: [X-Secret], querystring: [debug], body: [password]}}
        rename: {{headers: ['X-Old:X-New'], querystring: ['old:new'], body: ['user:username']}}
        replace: {{headers: ['X-Keep:replaced'], querystring: ['r:R'], body: ['role:guest']}}
        add:
          headers: ['X-Kong-Proxy: true', 'X-From:$(headers.x_user)', 'X-Q:$(query_params.keep)']
          querystring: ['v:2']
          body: ['source:gateway']
        append: {{headers: ['X-Multi:two'], body: ['tags:gw']}}
  - name: rt-uri
    paths: ['~/users/(?<id>\d+)$']
    plugins:
    - name: request-transformer
      config:
        http_method: POST
        replace: {{uri: '/anything/accounts/$(uri_captures.id)', headers: ['host:internal.test']}}
  - name: rt-get
    paths: [/rt-get]
    plugins:
    - name: request-transformer
      config: {{http_method: GET}}
  - name: resp
    paths: [/resp]
    plugins:
    - name: response-transformer
      config:
        remove: {{headers: [Server], json: [origin]}}
        rename: {{json: ['url:link']}}
        add: {{headers: ['X-Powered-By: telco'], json: ['count:3', 'ok:true'], json_types: [number, boolean]}}
        append: {{json: ['tags:x']}}
  - name: cid
    paths: [/cid]
    plugins:
    - name: correlation-id
      config: {{header_name: X-Call-ID, generator: uuid, echo_downstream: true}}
  - name: cid-counter
    paths: [/cid-counter]
    plugins:
    - name: correlation-id
  - name: cid-answered
    paths: [/cid-answered]
    plugins:
    - name: correlation-id
      config: {{echo_downstream: true}}
    - name: request-termination
      config: {{status_code: 403, message: closed}}
  - name: size
    paths: [/size]
    plugins:
    - name: request-size-limiting
      config: {{allowed_payload_size: 1, size_unit: kilobytes}}
  - name: size-cl
    paths: [/size-cl]
    plugins:
    - name: request-size-limiting
      config: {{require_content_length: true}}
  - name: size-stream
    paths: [/size-stream]
    plugins:
    - name: request-size-limiting
      config: {{allowed_payload_size: 100, size_unit: kilobytes}}
"#,
        port = httpbin.port(),
    );
    (Gateway::start(&yaml), httpbin)
}

fn send(
    gateway: &Gateway,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Response {
    http::request(method, &gateway.url(path), headers, body).unwrap()
}

fn echoed(response: &Response) -> serde_json::Value {
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

#[test]
fn request_transformer_headers_and_query() {
    let (gateway, _httpbin) = gateway();
    let response = send(
        &gateway,
        "GET",
        "/rt/anything?debug=1&old=o&r=1&keep=k%20k",
        &[
            ("X-Secret", "s"),
            ("X-Old", "o"),
            ("X-Keep", "k"),
            ("X-User", "ann"),
            ("X-Multi", "one"),
        ],
        None,
    );
    let echo = echoed(&response);
    assert_eq!(
        echo["args"],
        json!({"new": "o", "r": "R", "keep": "k k", "v": "2"})
    );
    let headers = &echo["headers"];
    assert!(headers.get("X-Secret").is_none() && headers.get("X-Old").is_none());
    assert_eq!(headers["X-New"], "o");
    assert_eq!(headers["X-Keep"], "replaced");
    assert_eq!(headers["X-Kong-Proxy"], "true");
    assert_eq!(headers["X-From"], "ann");
    assert_eq!(headers["X-Q"], "k k");
    assert_eq!(headers["X-Multi"], "one,two");
}

#[test]
fn request_transformer_bodies() {
    let (gateway, _httpbin) = gateway();
    let json_type = ("Content-Type", "application/json");
    let body = br#"{"password":"p","user":"u","role":"admin","tags":"a","n":1}"#;
    let echo = echoed(&send(
        &gateway,
        "POST",
        "/rt/anything",
        &[json_type],
        Some(body),
    ));
    assert_eq!(
        echo["json"],
        json!({"username": "u", "role": "guest", "tags": ["a", "gw"], "n": 1, "source": "gateway"})
    );
    // An empty JSON body gets what add and append give.
    let echo = echoed(&send(
        &gateway,
        "POST",
        "/rt/anything",
        &[json_type],
        Some(b""),
    ));
    assert_eq!(echo["json"], json!({"source": "gateway", "tags": ["gw"]}));
    // A body that is not JSON passes unchanged, as in Kong.
    let echo = echoed(&send(
        &gateway,
        "POST",
        "/rt/anything",
        &[json_type],
        Some(b"{not json"),
    ));
    assert_eq!(echo["data"], "{not json");

    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let echo = echoed(&send(
        &gateway,
        "POST",
        "/rt/anything",
        &[form],
        Some(b"password=p&user=u&a=x+y"),
    ));
    assert_eq!(
        echo["form"],
        json!({"username": "u", "a": "x y", "source": "gateway", "tags": "gw"})
    );

    let multipart = ("Content-Type", "multipart/form-data; boundary=XyZ");
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\np\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"user\"\r\n\r\nu\r\n--XyZ--\r\n";
    let echo = echoed(&send(
        &gateway,
        "POST",
        "/rt/anything",
        &[multipart],
        Some(body),
    ));
    assert_eq!(echo["form"], json!({"username": "u", "source": "gateway"}));

    // A body to transform beyond what can be replayed: refused, nothing half-changed sent.
    let big = format!("{{\"password\":\"{}\"}}", "p".repeat(70 * 1024));
    let refused = send(
        &gateway,
        "POST",
        "/rt/anything",
        &[json_type],
        Some(big.as_bytes()),
    );
    assert_kong_error(&refused, 413, "Request body too large to transform");
}

#[test]
fn request_transformer_uri_method_and_host() {
    let (gateway, _httpbin) = gateway();
    let echo = echoed(&send(&gateway, "GET", "/users/42?x=1", &[], None));
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["url"], "http://internal.test/anything/accounts/42?x=1");
    assert_eq!(echo["headers"]["Host"], "internal.test");

    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let echo = echoed(&send(
        &gateway,
        "POST",
        "/rt-get/anything?q=1",
        &[form],
        Some(b"a=1&q=2"),
    ));
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["args"], json!({"q": ["1", "2"], "a": "1"}));
}

#[test]
fn response_transformer_json_and_headers() {
    let (gateway, _httpbin) = gateway();
    let response = send(&gateway, "GET", "/resp/anything?a=1", &[], None);
    let body = echoed(&response);
    assert!(body.get("origin").is_none() && body.get("url").is_none());
    assert!(body["link"]
        .as_str()
        .is_some_and(|l| l.ends_with("/anything?a=1")));
    assert_eq!(
        (body["count"].clone(), body["ok"].clone()),
        (json!(3), json!(true))
    );
    assert_eq!(body["tags"], json!(["x"]));
    assert_eq!(body["args"], json!({"a": "1"}));
    assert_eq!(response.header("X-Powered-By"), Some("telco"));
    assert_eq!(response.header("Server"), None);

    // Not JSON: the body is untouched, the headers still change.
    let html = send(&gateway, "GET", "/resp/html", &[], None);
    assert_eq!(html.status, 200);
    assert!(html.text().contains("Herman Melville"));
    assert_eq!(html.header("X-Powered-By"), Some("telco"));
}

#[test]
fn correlation_ids() {
    let (gateway, _httpbin) = gateway();
    let response = send(&gateway, "GET", "/cid/anything", &[], None);
    let sent = echoed(&response)["headers"]["X-Call-Id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sent.len(), 36, "{sent}");
    assert_eq!(response.header("X-Call-ID"), Some(sent.as_str()));
    // The client's own id is kept.
    let response = send(
        &gateway,
        "GET",
        "/cid/anything",
        &[("X-Call-ID", "mine-1")],
        None,
    );
    assert_eq!(echoed(&response)["headers"]["X-Call-Id"], "mine-1");
    assert_eq!(response.header("X-Call-ID"), Some("mine-1"));

    // uuid#counter, not echoed by default.
    let first = send(&gateway, "GET", "/cid-counter/anything", &[], None);
    let second = send(&gateway, "GET", "/cid-counter/anything", &[], None);
    let id = |r: &Response| {
        echoed(r)["headers"]["Kong-Request-Id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (a, b) = (id(&first), id(&second));
    let (base_a, n_a) = a.split_once('#').unwrap();
    let (base_b, n_b) = b.split_once('#').unwrap();
    assert_eq!(base_a, base_b);
    assert!(n_b.parse::<u64>().unwrap() > n_a.parse::<u64>().unwrap());
    assert_eq!(first.header("Kong-Request-ID"), None);

    // Echoed on an answer the gateway makes itself.
    let answered = send(&gateway, "GET", "/cid-answered", &[], None);
    assert_kong_error(&answered, 403, "closed");
    assert!(answered
        .header("Kong-Request-ID")
        .is_some_and(|v| v.contains('#')));
}

#[test]
fn request_size_limits() {
    let (gateway, _httpbin) = gateway();
    let text = ("Content-Type", "text/plain");
    let small = vec![b'a'; 500];
    let large = vec![b'b'; 2000];
    assert_eq!(
        echoed(&send(
            &gateway,
            "POST",
            "/size/anything",
            &[text],
            Some(&small)
        ))["data"]
            .as_str()
            .map(str::len),
        Some(500)
    );
    let refused = send(&gateway, "POST", "/size/anything", &[text], Some(&large));
    assert_kong_error(&refused, 413, "Request size limit exceeded");
    let expect = send(
        &gateway,
        "POST",
        "/size/anything",
        &[text, ("Expect", "100-continue")],
        Some(&large),
    );
    assert_kong_error(&expect, 417, "Request size limit exceeded");
    // Chunked: read and measured in the access phase (the limit is under 64 KiB).
    let url = gateway.url("/size/anything");
    let chunked = http::post_chunked(&url, &[text], &small, 128).unwrap();
    assert_eq!(echoed(&chunked)["data"].as_str().map(str::len), Some(500));
    let chunked = http::post_chunked(&url, &[text], &large, 128).unwrap();
    assert_kong_error(&chunked, 413, "Request size limit exceeded");

    // require_content_length: a chunked body is allowed, no length at all is not.
    let url = gateway.url("/size-cl/anything");
    assert_eq!(
        http::post_chunked(&url, &[text], &small, 100)
            .unwrap()
            .status,
        200
    );
    let missing = send(&gateway, "GET", "/size-cl/anything", &[], None);
    assert_kong_error(&missing, 411, "A valid Content-Length header is required");
    assert_eq!(
        send(&gateway, "POST", "/size-cl/anything", &[text], Some(&small)).status,
        200
    );

    // A limit over what can be read ahead: counted as the body streams upstream.
    let url = gateway.url("/size-stream/anything");
    let fits = vec![b'c'; 80 * 1024];
    let streamed = http::post_chunked(&url, &[text], &fits, 8192).unwrap();
    assert_eq!(
        echoed(&streamed)["data"].as_str().map(str::len),
        Some(80 * 1024)
    );
    let over = vec![b'd'; 150 * 1024];
    let refused = http::post_chunked(&url, &[text], &over, 8192).unwrap();
    assert_kong_error(&refused, 413, "Request size limit exceeded");
    // The gateway goes on serving.
    assert_eq!(
        send(&gateway, "GET", "/size-stream/get", &[], None).status,
        200
    );
}
