//! End-to-end: Kong's jwt plugin in front of the real httpbin: HS256/RS256/ES256 tokens from
//! the Authorization header, the query string, a cookie and custom places; Kong's 401s
//! (messages, claim error objects, `WWW-Authenticate`), anonymous, preflight, forged
//! consumer headers; and config errors at their exact paths.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use oidc_gateway::config::compile_declarative_str;
use support::http::{self, Response};
use support::stack::echoed;
use support::*;

const ALICE_ID: &str = "0b4c3e6a-1d2f-4a5b-8c7d-9e0f1a2b3c4d";
const HS_KEY: &str = "alice-key";
const HS_SECRET: &str = "alice-secret-0123456789abcdef";
const B64_KEY: &str = "bob-key";
const B64_RAW_SECRET: &[u8] = b"bob's raw secret";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn hs256(header: &str, claims: &str, secret: &[u8]) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

fn hs_token(claims: &str) -> String {
    hs256(
        r#"{"typ":"JWT","alg":"HS256"}"#,
        claims,
        HS_SECRET.as_bytes(),
    )
}

fn pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<String> = body
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

/// A PEM as a YAML block scalar indented by `indent` spaces.
fn yaml_block(pem: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    pem.lines()
        .map(|l| format!("{pad}{l}\n"))
        .collect::<String>()
}

struct Keys {
    rsa: RsaKeyPair,
    ec: EcdsaKeyPair,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            rsa: RsaKeyPair::generate(KeySize::Rsa2048).unwrap(),
            ec: EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap(),
        }
    }

    fn rs256(&self, claims: &str) -> String {
        let input = format!("{}.{}", b64(br#"{"alg":"RS256"}"#), b64(claims.as_bytes()));
        let mut sig = vec![0; self.rsa.public_modulus_len()];
        self.rsa
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .unwrap();
        format!("{input}.{}", b64(&sig))
    }

    fn es256(&self, claims: &str) -> String {
        let input = format!("{}.{}", b64(br#"{"alg":"ES256"}"#), b64(claims.as_bytes()));
        let sig = self
            .ec
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", b64(sig.as_ref()))
    }
}

fn route(name: &str, config: &str) -> String {
    let config = if config.is_empty() {
        String::new()
    } else {
        format!("      config:\n{config}")
    };
    format!("  - name: {name}\n    paths: [/{name}]\n    plugins:\n    - name: jwt\n{config}")
}

fn yaml(httpbin_port: u16, keys: &Keys) -> String {
    let rsa_pem = pem(keys.rsa.public_key().as_der().unwrap().as_ref());
    let ec_pem = pem(keys.ec.public_key().as_der().unwrap().as_ref());
    let routes = [
        route("hs", ""),
        route(
            "realm",
            "        realm: test-jwt\n        cookie_names: [silly]\n",
        ),
        route("claims", "        claims_to_verify: [exp, nbf]\n"),
        route(
            "max",
            "        claims_to_verify: [exp]\n        maximum_expiration: 300\n",
        ),
        route("anon", "        anonymous: anonymous\n"),
        route("anon-missing", "        anonymous: nobody-here\n"),
        route("preflight", "        run_on_preflight: false\n"),
        route("base64", "        secret_is_base64: true\n"),
        route(
            "custom",
            "        header_names: [X_Jwt]\n        uri_param_names: [token]\n        key_claim_name: kid\n",
        ),
    ]
    .concat();
    format!(
        r#"_format_version: "3.0"
services:
- name: httpbin
  url: http://127.0.0.1:{httpbin_port}
  routes:
{routes}consumers:
- username: alice
  id: {ALICE_ID}
  custom_id: alice-1
  jwt_secrets:
  - key: {HS_KEY}
    secret: {HS_SECRET}
  - key: alice-rsa
    algorithm: RS256
    rsa_public_key: |
{rsa}  - key: alice-es
    algorithm: ES256
    rsa_public_key: |
{ec}- username: bob
  jwt_secrets:
  - key: {B64_KEY}
    secret: {b64_secret}
- username: anonymous
"#,
        rsa = yaml_block(&rsa_pem, 6),
        ec = yaml_block(&ec_pem, 6),
        b64_secret = b64(B64_RAW_SECRET),
    )
}

fn start() -> (Gateway, Httpbin, Keys) {
    let keys = Keys::new();
    let httpbin = Httpbin::start();
    let gateway = Gateway::start(&yaml(httpbin.port(), &keys));
    (gateway, httpbin, keys)
}

fn header<'a>(echo: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    echo["headers"][name].as_str()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A refusal the gateway answered itself (nothing was proxied): status, JSON body and
/// `WWW-Authenticate`.
#[track_caller]
fn assert_refused(response: &Response, status: u16, body: serde_json::Value, challenge: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.json(), body);
    assert_eq!(response.header("WWW-Authenticate"), Some(challenge));
    assert!(
        response.header("X-Kong-Response-Latency").is_some(),
        "the gateway answered, not the upstream"
    );
}

const INVALID: &str = "Bearer error=\"invalid_token\"";

#[test]
fn valid_tokens_authenticate_the_consumer() {
    let (gateway, _httpbin, keys) = start();
    let claims = format!(r#"{{"iss":"{HS_KEY}","sub":"x"}}"#);
    let token = hs_token(&claims);
    let echo = echoed(&http::get(
        &gateway.url("/hs/get"),
        &[
            ("Authorization", &bearer(&token)),
            ("X-Consumer-Username", "forged"),
            ("X-Anonymous-Consumer", "forged"),
        ],
    ));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("alice"));
    assert_eq!(header(&echo, "X-Consumer-Id"), Some(ALICE_ID));
    assert_eq!(header(&echo, "X-Consumer-Custom-Id"), Some("alice-1"));
    assert_eq!(header(&echo, "X-Credential-Identifier"), Some(HS_KEY));
    assert_eq!(header(&echo, "X-Anonymous-Consumer"), None);
    // Kong passes the token on unchanged.
    assert_eq!(
        header(&echo, "Authorization"),
        Some(bearer(&token).as_str())
    );

    // The query string (kept for the upstream, as Kong does).
    let echo = echoed(&http::get(
        &gateway.url(&format!("/hs/get?jwt={token}")),
        &[],
    ));
    assert_eq!(header(&echo, "X-Credential-Identifier"), Some(HS_KEY));
    assert_eq!(echo["args"]["jwt"], token.as_str());

    // RS256 and ES256 with the credentials' PEM public keys.
    for (token, key) in [
        (keys.rs256(r#"{"iss":"alice-rsa"}"#), "alice-rsa"),
        (keys.es256(r#"{"iss":"alice-es"}"#), "alice-es"),
    ] {
        let echo = echoed(&http::get(
            &gateway.url("/hs/get"),
            &[("Authorization", &bearer(&token))],
        ));
        assert_eq!(header(&echo, "X-Credential-Identifier"), Some(key));
        assert_eq!(header(&echo, "X-Consumer-Username"), Some("alice"));
    }

    // A cookie, on the route that reads one.
    let cookie = format!("other=1; silly={token}; path=/");
    let echo = echoed(&http::get(
        &gateway.url("/realm/get"),
        &[("Cookie", &cookie)],
    ));
    assert_eq!(header(&echo, "X-Credential-Identifier"), Some(HS_KEY));

    // Custom header (any case, `_` as `-`), custom query name and key claim.
    let kid_token = hs256(
        &format!(r#"{{"alg":"HS256","kid":"{HS_KEY}"}}"#),
        "{}",
        HS_SECRET.as_bytes(),
    );
    let echo = echoed(&http::get(
        &gateway.url("/custom/get"),
        &[("x-jwt", &bearer(&kid_token))],
    ));
    assert_eq!(header(&echo, "X-Credential-Identifier"), Some(HS_KEY));
    let echo = echoed(&http::get(
        &gateway.url(&format!("/custom/get?token={kid_token}")),
        &[],
    ));
    assert_eq!(header(&echo, "X-Credential-Identifier"), Some(HS_KEY));

    // secret_is_base64: the stored secret is the base64url of the signing one.
    let b64_token = hs256(
        r#"{"alg":"HS256"}"#,
        &format!(r#"{{"iss":"{B64_KEY}"}}"#),
        B64_RAW_SECRET,
    );
    let echo = echoed(&http::get(
        &gateway.url("/base64/get"),
        &[("Authorization", &bearer(&b64_token))],
    ));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("bob"));
    let wrong = http::get(
        &gateway.url("/hs/get"),
        &[("Authorization", &bearer(&b64_token))],
    );
    assert_refused(
        &wrong,
        401,
        serde_json::json!({"message": "Invalid signature"}),
        INVALID,
    );
}

#[test]
fn refusals_have_kongs_messages_and_challenges() {
    let (gateway, _httpbin, keys) = start();
    let get = |path: &str, headers: &[(&str, &str)]| http::get(&gateway.url(path), headers);
    let msg = |m: &str| serde_json::json!({ "message": m });

    assert_refused(&get("/hs/get", &[]), 401, msg("Unauthorized"), "Bearer");
    // A bare token in the header is not read (Kong wants `Bearer`).
    let token = hs_token(&format!(r#"{{"iss":"{HS_KEY}"}}"#));
    assert_refused(
        &get("/hs/get", &[("Authorization", &token)]),
        401,
        msg("Unauthorized"),
        "Bearer",
    );
    let cases = [
        (hs_token(r#"{"sub":"x"}"#), "No mandatory 'iss' in claims"),
        (hs_token(r#"{"iss":""}"#), "Invalid 'iss' in claims"),
        (
            hs_token(r#"{"iss":"nobody"}"#),
            "No credentials found for given 'iss'",
        ),
        (
            hs256(
                r#"{"alg":"HS256"}"#,
                &format!(r#"{{"iss":"{HS_KEY}"}}"#),
                b"wrong",
            ),
            "Invalid signature",
        ),
        // The credential pins RS256: an HS256 token for it is refused whatever its signature.
        (
            hs256(r#"{"alg":"HS256"}"#, r#"{"iss":"alice-rsa"}"#, b"anything"),
            "Invalid algorithm",
        ),
        (
            format!(
                "{}.{}.",
                b64(br#"{"alg":"none"}"#),
                b64(br#"{"iss":"alice-key"}"#)
            ),
            "Bad token; invalid alg",
        ),
        ("not-a-token".to_owned(), "Bad token; invalid JSON"),
    ];
    for (token, message) in cases {
        assert_refused(
            &get("/hs/get", &[("Authorization", &bearer(&token))]),
            401,
            msg(message),
            INVALID,
        );
    }
    // A forged RS256 signature.
    let rs = keys.rs256(r#"{"iss":"alice-rsa"}"#);
    let forged = format!("{}.{}", rs.rsplit_once('.').unwrap().0, b64(&[1u8; 256]));
    assert_refused(
        &get("/hs/get", &[("Authorization", &bearer(&forged))]),
        401,
        msg("Invalid signature"),
        INVALID,
    );
    // Two different tokens.
    assert_refused(
        &get(
            &format!("/hs/get?jwt={token}"),
            &[("Authorization", "Bearer invalid.jwt.token")],
        ),
        401,
        msg("Multiple tokens provided"),
        INVALID,
    );
    // The realm.
    assert_refused(
        &get("/realm/get", &[("Cookie", "silly=no-way-this-works")]),
        401,
        msg("Bad token; invalid JSON"),
        "Bearer realm=\"test-jwt\", error=\"invalid_token\"",
    );
    assert_refused(
        &get("/realm/get", &[]),
        401,
        msg("Unauthorized"),
        "Bearer realm=\"test-jwt\"",
    );
}

#[test]
fn registered_claims_and_maximum_expiration() {
    let (gateway, _httpbin, _keys) = start();
    let get = |path: &str, token: &str| {
        http::get(&gateway.url(path), &[("Authorization", &bearer(token))])
    };
    let now = now();
    let bare = hs_token(&format!(r#"{{"iss":"{HS_KEY}"}}"#));
    assert_refused(
        &get("/claims/get", &bare),
        401,
        serde_json::json!({"exp": "must be a number", "nbf": "must be a number"}),
        INVALID,
    );
    let expired = hs_token(&format!(
        r#"{{"iss":"{HS_KEY}","exp":{},"nbf":{}}}"#,
        now - 10,
        now - 10
    ));
    assert_refused(
        &get("/claims/get", &expired),
        401,
        serde_json::json!({"exp": "token expired"}),
        INVALID,
    );
    let early = hs_token(&format!(
        r#"{{"iss":"{HS_KEY}","exp":{},"nbf":{}}}"#,
        now + 100,
        now + 50
    ));
    assert_refused(
        &get("/claims/get", &early),
        401,
        serde_json::json!({"nbf": "token not valid yet"}),
        INVALID,
    );
    let fine = hs_token(&format!(
        r#"{{"iss":"{HS_KEY}","exp":{},"nbf":{}}}"#,
        now + 100,
        now - 5
    ));
    assert_eq!(get("/claims/get", &fine).status, 200);
    // Unverified claims are not looked at.
    assert_eq!(get("/hs/get", &expired).status, 200);

    let far = hs_token(&format!(r#"{{"iss":"{HS_KEY}","exp":{}}}"#, now + 3600));
    assert_refused(
        &get("/max/get", &far),
        401,
        serde_json::json!({"exp": "exceeds maximum allowed expiration"}),
        INVALID,
    );
    let near = hs_token(&format!(r#"{{"iss":"{HS_KEY}","exp":{}}}"#, now + 200));
    assert_eq!(get("/max/get", &near).status, 200);
}

#[test]
fn anonymous_and_preflight() {
    let (gateway, _httpbin, _keys) = start();
    for headers in [vec![], vec![("Authorization", "Bearer garbage")]] {
        let echo = echoed(&http::get(&gateway.url("/anon/get"), &headers));
        assert_eq!(header(&echo, "X-Anonymous-Consumer"), Some("true"));
        assert_eq!(header(&echo, "X-Consumer-Username"), Some("anonymous"));
        assert_eq!(header(&echo, "X-Credential-Identifier"), None);
    }
    let token = hs_token(&format!(r#"{{"iss":"{HS_KEY}"}}"#));
    let echo = echoed(&http::get(
        &gateway.url("/anon/get"),
        &[("Authorization", &bearer(&token))],
    ));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("alice"));
    assert_eq!(header(&echo, "X-Anonymous-Consumer"), None);

    let missing = http::get(&gateway.url("/anon-missing/get"), &[]);
    assert_eq!(missing.status, 500);
    assert_eq!(
        missing.json()["message"],
        "anonymous consumer nobody-here is configured but doesn't exist"
    );

    let options =
        |path: &str| http::request("OPTIONS", &gateway.url(path), &[], None).expect("request");
    assert_eq!(
        options("/preflight/get").status,
        200,
        "run_on_preflight: false"
    );
    let refused = options("/hs/get");
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json()["message"], "Unauthorized");
}

fn config_with(secret: &str) -> String {
    format!(
        "_format_version: \"3.0\"\nconsumers:\n- username: c\n  jwt_secrets:\n  - key: k\n{secret}"
    )
}

#[track_caller]
fn assert_config_error(yaml: &str, path: &str, message: &str) {
    let errors = match compile_declarative_str(yaml) {
        Ok(_) => panic!("config unexpectedly valid:\n{yaml}"),
        Err(errors) => errors,
    };
    assert!(
        errors
            .iter()
            .any(|e| e.path == path && e.message.starts_with(message)),
        "no error `{path}: {message}...` in:\n{errors}"
    );
}

#[test]
fn bad_keys_and_configs_are_refused_at_their_paths() {
    let at = "consumers[0].jwt_secrets[0]";
    assert_config_error(
        &config_with("    algorithm: RS256\n"),
        &format!("{at}.rsa_public_key"),
        "required for algorithm RS256",
    );
    assert_config_error(
        &config_with("    algorithm: RS256\n    rsa_public_key: not a key\n"),
        &format!("{at}.rsa_public_key"),
        "invalid key",
    );
    assert_config_error(
        &config_with("    algorithm: none\n"),
        &format!("{at}.algorithm"),
        "unsupported value 'none': expected one of HS256",
    );
    let keys = Keys::new();
    let ec_pem = pem(keys.ec.public_key().as_der().unwrap().as_ref());
    assert_config_error(
        &config_with(&format!(
            "    algorithm: RS256\n    rsa_public_key: |\n{}",
            yaml_block(&ec_pem, 6)
        )),
        &format!("{at}.rsa_public_key"),
        "invalid key",
    );
    compile_declarative_str(&config_with(&format!(
        "    algorithm: ES256\n    rsa_public_key: |\n{}",
        yaml_block(&ec_pem, 6)
    )))
    .expect("a good ES256 key");

    let plugin = |config: &str| {
        format!(
            "_format_version: \"3.0\"\nservices:\n- name: s\n  host: 127.0.0.1\n  routes:\n  - name: r\n    paths: [/r]\n    plugins:\n    - name: jwt\n      config:\n{config}"
        )
    };
    let config_at = "services[0].routes[0].plugins[0].config";
    assert_config_error(
        &plugin("        maximum_expiration: 60\n        claims_to_verify: [nbf]\n"),
        &format!("{config_at}.claims_to_verify"),
        "expected to contain: exp",
    );
    assert_config_error(
        &plugin("        claims_to_verify: [iat]\n"),
        &format!("{config_at}.claims_to_verify[0]"),
        "expected one of: exp, nbf",
    );
    assert_config_error(
        &plugin("        maximum_expiration: -1\n"),
        &format!("{config_at}.maximum_expiration"),
        "value should be between 0 and 31536000",
    );
    assert_config_error(
        &plugin("        hide_credentials: true\n"),
        &format!("{config_at}.hide_credentials"),
        "",
    );
}
