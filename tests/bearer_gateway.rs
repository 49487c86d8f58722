//! The bearer method through the real gateway binary, against an in-process stub IdP (JWKS
//! only) and echo upstream: accepted tokens, claim policy, identity headers, and each hostile
//! token refused with no upstream connection, no IdP call and nothing secret in the log.

mod mint;
mod stub_idp;
mod support;

use aws_lc_rs::hmac;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};
use stub_idp::upstream::EchoUpstream;
use stub_idp::{Endpoint, StubIdp};
use support::http::{self, Response};
use support::Gateway;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// One plugin block for a route.
fn route(name: &str, issuer: &str, extra: &str) -> String {
    format!(
        r#"  - name: {name}
    paths:
    - /{name}
    plugins:
    - name: openid-connect
      config:
        issuer: {issuer}
        extra_jwks_uris: ["{issuer}/protocol/openid-connect/certs"]
        consumer_claim: ["client_id"]
        consumer_by: ["username"]
        timeout: 500
{extra}"#
    )
}

fn kong_yaml(issuer: &str, upstream_port: u16) -> String {
    let routes = [
        route(
            "bearer",
            issuer,
            "        auth_methods: [bearer]
        scopes_required: [\"openid email\", admin]
        upstream_headers_claims: [preferred_username, realm_access, allowed-origins]
        upstream_headers_names: [x-user, x-realm-access, x-origins]
",
        ),
        route(
            "scoped",
            issuer,
            "        auth_methods: [bearer]
        scopes_required: [admin]
",
        ),
        route(
            "roles",
            issuer,
            "        auth_methods: [bearer]
        roles_claim: [realm_access, roles]
        roles_required: [\"offline_access uma_authorization\"]
        audience_required: [account]
        groups_required: [ops]
        groups_claim: [resource_access, account, roles]
",
        ),
        route(
            "mixed",
            issuer,
            "        auth_methods: [bearer, client_credentials]
        token_endpoint: http://127.0.0.1:1/never
",
        ),
        route(
            "anon",
            issuer,
            "        auth_methods: [bearer]
        anonymous: anonymous-user
        run_on_preflight: false
",
        ),
        route(
            "verbose",
            issuer,
            "        auth_methods: [bearer]
        display_errors: true
        by_username_ignore_case: true
        bearer_token_param_type: [query, body]
",
        ),
        // Kong: without consumer_claim no consumer is mapped and the request proceeds.
        format!(
            r#"  - name: unmapped
    paths:
    - /unmapped
    plugins:
    - name: openid-connect
      config:
        issuer: {issuer}
        extra_jwks_uris: ["{issuer}/protocol/openid-connect/certs"]
        auth_methods: [bearer]
        timeout: 500
"#
        ),
    ];
    format!(
        r#"_format_version: "3.0"
services:
- name: echo-service
  host: 127.0.0.1
  port: {upstream_port}
  routes:
{}consumers:
- username: kong_id
- username: anonymous-user
- username: Mixed_Case
"#,
        routes.concat()
    )
}

struct Fixture {
    _rt: tokio::runtime::Runtime,
    stub: StubIdp,
    upstream: EchoUpstream,
    gateway: Gateway,
}

impl Fixture {
    fn start() -> Fixture {
        let rt = runtime();
        let stub = rt.block_on(StubIdp::start());
        let upstream = rt.block_on(EchoUpstream::start());
        let gateway = Gateway::start(&kong_yaml(&stub.issuer(), upstream.port()));
        Fixture {
            _rt: rt,
            stub,
            upstream,
            gateway,
        }
    }

    fn claims(&self, client_id: &str) -> Value {
        mint::keycloak_claims(&self.stub.issuer(), client_id, mint::unix_now(), 300)
    }

    fn token(&self) -> String {
        self.stub.sign(json!({}), &self.claims("kong_id"))
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        http::get(&self.gateway.url(path), headers)
    }

    fn bearer(&self, path: &str, token: &str) -> Response {
        self.get(path, &[("Authorization", &format!("Bearer {token}"))])
    }
}

fn header<'a>(echo: &'a Value, name: &str) -> Option<&'a str> {
    echo["headers"][name].as_str()
}

fn assert_status(response: &Response, status: u16, message: &str) {
    assert_eq!(response.status, status, "body: {}", response.text());
    assert_eq!(response.json()["message"], message, "{}", response.text());
}

#[test]
fn a_valid_token_reaches_the_upstream_with_identity_headers() {
    let f = Fixture::start();
    let token = f.token();
    let response = f.bearer("/bearer/get", &token);
    assert_eq!(response.status, 200, "{}", response.text());
    let echo = response.json();
    assert_eq!(echo["path"], "/get");
    assert_eq!(
        header(&echo, "authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert_eq!(header(&echo, "x-consumer-username"), Some("kong_id"));
    assert_eq!(
        header(&echo, "x-credential-identifier"),
        Some("e7b5a37b-d06a-4b40-92d7-36f09768ed79")
    );
    assert_eq!(header(&echo, "x-user"), Some("service-account-kong_id"));
    let realm = STANDARD
        .decode(header(&echo, "x-realm-access").unwrap_or_default())
        .expect("base64");
    let realm: Value = serde_json::from_slice(&realm).expect("json");
    assert_eq!(realm["roles"][0], "offline_access");
    assert!(header(&echo, "x-origins").is_some());
    // Forged identity headers are replaced.
    let response = f.get(
        "/bearer/get",
        &[
            ("Authorization", &format!("Bearer {token}")),
            ("X-User", "root"),
            ("X-Consumer-Username", "root"),
        ],
    );
    let echo = response.json();
    assert_eq!(header(&echo, "x-user"), Some("service-account-kong_id"));
    assert_eq!(header(&echo, "x-consumer-username"), Some("kong_id"));
    assert_eq!(f.stub.count(Endpoint::Token), 0);
    assert!(!f.gateway.logs().contains(&token));
}

#[test]
fn without_consumer_claim_no_consumer_is_mapped_and_the_request_proceeds() {
    let f = Fixture::start();
    // No consumer is named `nobody`: with consumer_claim it would be a 403.
    let token = f.stub.sign(json!({}), &f.claims("nobody"));
    let response = f.bearer("/unmapped/get", &token);
    assert_eq!(response.status, 200, "{}", response.text());
    let echo = response.json();
    assert_eq!(header(&echo, "x-consumer-username"), None);
    assert_eq!(header(&echo, "x-consumer-id"), None);
    assert!(header(&echo, "x-credential-identifier").is_some());
    let response = f.bearer("/bearer/get", &token);
    assert_eq!(response.status, 403, "{}", response.text());
}

#[test]
fn claim_policy_failures_are_403_insufficient_scope() {
    let f = Fixture::start();
    let token = f.token();
    let connections = f.upstream.connections();
    let response = f.bearer("/scoped/get", &token);
    assert_status(&response, 403, "Forbidden");
    assert_eq!(
        response.header("www-authenticate"),
        Some(r#"Bearer realm="127.0.0.1", error="insufficient_scope""#)
    );
    // roles (AND of two) and audience pass, groups at a nested path do not.
    let response = f.bearer("/roles/get", &token);
    assert_status(&response, 403, "Forbidden");
    let mut claims = f.claims("kong_id");
    claims["resource_access"]["account"]["roles"] = json!(["ops"]);
    let response = f.bearer("/roles/get", &f.stub.sign(json!({}), &claims));
    assert_eq!(response.status, 200, "{}", response.text());
    claims["aud"] = json!(["other", "account"]);
    let response = f.bearer("/roles/get", &f.stub.sign(json!({}), &claims));
    assert_eq!(response.status, 200, "{}", response.text());
    claims["aud"] = json!("other");
    let response = f.bearer("/roles/get", &f.stub.sign(json!({}), &claims));
    assert_status(&response, 403, "Forbidden");
    claims["aud"] = json!("account");
    claims["realm_access"]["roles"] = json!(["offline_access"]);
    let response = f.bearer("/roles/get", &f.stub.sign(json!({}), &claims));
    assert_status(&response, 403, "Forbidden");
    // OR of entries: "admin" alone is enough on /bearer.
    let mut claims = f.claims("kong_id");
    claims["scope"] = json!("admin");
    let response = f.bearer("/bearer/get", &f.stub.sign(json!({}), &claims));
    assert_eq!(response.status, 200, "{}", response.text());
    claims["scope"] = json!("openid profile");
    let response = f.bearer("/bearer/get", &f.stub.sign(json!({}), &claims));
    assert_status(&response, 403, "Forbidden");
    assert!(f.upstream.connections() > connections);
}

#[test]
fn token_locations_and_the_method_order() {
    let f = Fixture::start();
    let token = f.token();
    // Query and form body on a route that allows them; the token is hidden from the upstream.
    let response = f.get(&format!("/verbose/get?a=1&access_token={token}"), &[]);
    assert_eq!(response.status, 200, "{}", response.text());
    let echo = response.json();
    assert_eq!(echo["path"], "/get?a=1");
    let body = format!("x=1&access_token={token}");
    let response = http::request(
        "POST",
        &f.gateway.url("/verbose/post"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(body.as_bytes()),
    )
    .expect("post");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["body"], "x=1");
    // /verbose does not read the Authorization header.
    let response = f.bearer("/verbose/get", &token);
    assert_eq!(response.status, 401, "{}", response.text());
    // by_username_ignore_case maps client_id mixed_case to consumer Mixed_Case.
    let claims = f.claims("mixed_case");
    let response = f.get(
        &format!(
            "/verbose/get?access_token={}",
            f.stub.sign(json!({}), &claims)
        ),
        &[],
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        header(&response.json(), "x-consumer-username"),
        Some("Mixed_Case")
    );
    // A bearer token comes first: the token endpoint is never asked.
    let response = f.bearer("/mixed/get", &token);
    assert_eq!(response.status, 200, "{}", response.text());
    // Basic goes to client_credentials, whose (unreachable) token endpoint answers 502.
    let basic = http::basic("kong_id", "secret");
    let response = f.get("/mixed/get", &[("Authorization", &basic)]);
    assert_eq!(response.status, 502, "{}", response.text());
}

#[test]
fn anonymous_preflight_and_display_errors() {
    let f = Fixture::start();
    let response = f.get("/anon/get", &[]);
    assert_eq!(response.status, 200, "{}", response.text());
    let echo = response.json();
    assert_eq!(header(&echo, "x-anonymous-consumer"), Some("true"));
    assert_eq!(header(&echo, "x-consumer-username"), Some("anonymous-user"));
    let response = f.bearer("/anon/get", "not.a.token");
    assert_eq!(
        header(&response.json(), "x-anonymous-consumer"),
        Some("true")
    );
    let response = f.bearer("/anon/get", &f.token());
    let echo = response.json();
    assert_eq!(header(&echo, "x-anonymous-consumer"), None);
    assert_eq!(header(&echo, "x-consumer-username"), Some("kong_id"));
    let preflight = http::request(
        "OPTIONS",
        &f.gateway.url("/anon/get"),
        &[
            ("Origin", "http://example.com"),
            ("Access-Control-Request-Method", "GET"),
        ],
        None,
    )
    .expect("options");
    assert_ne!(preflight.status, 401, "{}", preflight.text());
    assert_eq!(header(&preflight.json(), "x-anonymous-consumer"), None);

    let expired = mint::keycloak_claims(&f.stub.issuer(), "kong_id", mint::unix_now() - 600, 300);
    let token = f.stub.sign(json!({}), &expired);
    let response = f.get(&format!("/verbose/get?access_token={token}"), &[]);
    assert_status(&response, 401, "Unauthorized (token expired)");
    assert_eq!(
        response.header("www-authenticate"),
        Some(r#"Bearer realm="127.0.0.1", error="invalid_token""#)
    );
    let response = f.bearer("/bearer/get", &token);
    assert_status(&response, 401, "Unauthorized");
}

/// HS256 over `header.payload` keyed with `key`.
fn hs256(header: &Value, claims: &Value, key: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

fn unsigned(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[test]
fn hostile_tokens_are_refused_before_the_upstream_and_the_idp() {
    let f = Fixture::start();
    let issuer = f.stub.issuer();
    let kid = f.stub.signing_kid();
    let now = mint::unix_now();
    let good = f.claims("kong_id");
    let with = |name: &str, value: Value| {
        let mut claims = good.clone();
        claims[name] = value;
        f.stub.sign(json!({}), &claims)
    };
    let without = |name: &str| {
        let mut claims = good.clone();
        claims.as_object_mut().map(|o| o.remove(name));
        f.stub.sign(json!({}), &claims)
    };
    let header_json = format!(r#"{{"alg":"RS256","kid":"{kid}","typ":"JWT"}}"#);
    let payload = good.to_string();
    let payload_body = &payload[1..payload.len() - 1];
    let mut without_realm = good.clone();
    without_realm
        .as_object_mut()
        .map(|o| o.remove("realm_access"));
    let without_realm = without_realm.to_string();
    let without_realm = &without_realm[1..without_realm.len() - 1];
    let valid = f.token();
    let (head, rest) = valid.split_once('.').expect("jws");
    let (body, signature) = rest.split_once('.').expect("jws");
    let mut cases: Vec<(&str, String)> = vec![
        ("alg none", unsigned(&json!({"alg": "none"}), &good)),
        (
            "alg None",
            unsigned(&json!({"alg": "None", "kid": kid}), &good),
        ),
        (
            "alg NONE",
            unsigned(&json!({"alg": "NONE", "kid": kid}), &good),
        ),
        (
            "HS256 keyed with the RSA public key",
            hs256(
                &json!({"alg": "HS256", "kid": kid}),
                &good,
                &f.stub.signer_modulus(),
            ),
        ),
        (
            "HS256 keyed with the JWK",
            hs256(
                &json!({"alg": "HS256", "kid": kid}),
                &good,
                mint::jwks(&[]).as_bytes(),
            ),
        ),
        ("crit", f.stub.sign(json!({"crit": ["exp"]}), &good)),
        (
            "jku",
            f.stub.sign(json!({"jku": format!("{issuer}/evil")}), &good),
        ),
        (
            "x5u",
            f.stub.sign(json!({"x5u": format!("{issuer}/evil")}), &good),
        ),
        ("jwk", f.stub.sign(json!({"jwk": {"kty": "RSA"}}), &good)),
        ("x5c", f.stub.sign(json!({"x5c": ["MIIB"]}), &good)),
        (
            "kid with a path",
            f.stub.sign(json!({"kid": "../../etc/passwd"}), &good),
        ),
        (
            "kid over 256 bytes",
            f.stub.sign(json!({"kid": "k".repeat(300)}), &good),
        ),
        ("nbf in the future", with("nbf", json!(now + 3600))),
        ("iat in the future", with("iat", json!(now + 3600))),
        ("exp a string", with("exp", json!((now + 300).to_string()))),
        ("exp an array", with("exp", json!([now + 300]))),
        ("exp missing", without("exp")),
        ("iss an array", with("iss", json!([issuer]))),
        ("iss a number", with("iss", json!(1))),
        ("iss missing", without("iss")),
        ("iss another", with("iss", json!("http://evil/realms/kong"))),
        ("aud a number", with("aud", json!(1))),
        ("aud an object", with("aud", json!({"a": 1}))),
        ("aud an array of numbers", with("aud", json!([1]))),
        (
            "duplicate exp",
            f.stub.sign_raw(
                &header_json,
                &format!(r#"{{{payload_body},"exp":{}}}"#, now + 9999),
            ),
        ),
        (
            "duplicate unread top-level key",
            f.stub
                .sign_raw(&header_json, &format!(r#"{{{payload_body},"x":1,"x":2}}"#)),
        ),
        (
            "duplicate key nested in a header claim",
            f.stub.sign_raw(
                &header_json,
                &format!(r#"{{{without_realm},"realm_access":{{"roles":["a"],"roles":["b"]}}}}"#),
            ),
        ),
        (
            "duplicate header key",
            f.stub.sign_raw(
                &format!(r#"{{"alg":"RS256","kid":"{kid}","alg":"RS256"}}"#),
                &payload,
            ),
        ),
        ("bad base64 payload", format!("{head}.{body}!.{signature}")),
        ("padded base64", format!("{head}=.{body}.{signature}")),
        (
            "bad signature",
            format!("{head}.{body}.{}", &signature[4..]),
        ),
        ("two segments", format!("{head}.{body}")),
        ("four segments", format!("{head}.{body}.{signature}.x")),
        ("five segments", format!("{head}.{body}.{signature}.x.y")),
        ("over 8 KiB", with("pad", json!("p".repeat(9000)))),
        (
            "CR LF in a header claim",
            with("preferred_username", json!("a\r\nX-Evil: 1")),
        ),
        ("NUL in the credential claim", with("sub", json!("a\u{0}b"))),
    ];
    cases.push(("wrong key type for kid", {
        let stranger = mint::SigningKey::generate(&kid, 2048);
        stranger.token(&good)
    }));
    let jwks_before = f.stub.count(Endpoint::Jwks);
    let connections = f.upstream.connections();
    for (name, token) in &cases {
        let response = f.bearer("/bearer/get", token);
        assert_eq!(response.status, 401, "{name}: {}", response.text());
        assert_eq!(response.json()["message"], "Unauthorized", "{name}");
        assert_eq!(
            response.header("www-authenticate"),
            Some(r#"Bearer realm="127.0.0.1", error="invalid_token""#),
            "{name}"
        );
    }
    assert_eq!(
        f.upstream.connections(),
        connections,
        "no upstream connection"
    );
    assert_eq!(f.stub.count(Endpoint::Jwks), jwks_before, "no JWKS fetch");
    assert_eq!(f.stub.count(Endpoint::Other), 0, "jku/x5u never fetched");
    assert_eq!(f.stub.count(Endpoint::Token), 0);
    let logs = f.gateway.logs();
    for (name, token) in &cases {
        let signature = token.rsplit('.').next().unwrap_or_default();
        assert!(
            signature.len() < 16 || !logs.contains(signature),
            "{name}: token in the log"
        );
    }
}

#[test]
fn malformed_requests_are_refused_without_an_idp_call() {
    let f = Fixture::start();
    let token = f.token();
    let bearer = format!("Bearer {token}");
    let connections = f.upstream.connections();
    // Two Authorization headers, or a token in two places: 400 invalid_request.
    let response = f.get(
        "/bearer/get",
        &[("Authorization", &bearer), ("Authorization", &bearer)],
    );
    assert_status(&response, 400, "Bad Request");
    assert_eq!(
        response.header("www-authenticate"),
        Some(r#"Bearer realm="127.0.0.1", error="invalid_request""#)
    );
    let response = f.get(
        &format!("/bearer/get?access_token={token}"),
        &[("Authorization", &bearer)],
    );
    assert_status(&response, 400, "Bad Request");
    // Not a bearer token at all.
    for value in ["Bearer", "Bearer a b", "Bearer \u{7f}x", "Token abc", ""] {
        let response = f.get("/bearer/get", &[("Authorization", value)]);
        // Pingora itself refuses a header value with DEL (400).
        assert!(
            [400, 401].contains(&response.status),
            "{value:?}: {}",
            response.text()
        );
    }
    // Malformed Basic credentials on the route that also takes client_credentials.
    let raw_basic = |raw: &[u8]| format!("Basic {}", STANDARD.encode(raw));
    for (name, value) in [
        ("no colon", raw_basic(b"kong_id")),
        ("empty id", raw_basic(b":secret")),
        ("empty secret", raw_basic(b"kong_id:")),
        ("not UTF-8", raw_basic(b"kong\xff:secret")),
        ("control character", raw_basic(b"kong_id:se\ncret")),
        ("bad base64", "Basic !!!".to_owned()),
    ] {
        let response = f.get("/mixed/get", &[("Authorization", &value)]);
        assert_status(&response, 401, "Unauthorized");
        let _ = name;
    }
    assert_eq!(f.upstream.connections(), connections);
    assert_eq!(f.stub.count(Endpoint::Token), 0);
    assert!(!f.gateway.logs().contains(&token[token.len() - 20..]));
}
