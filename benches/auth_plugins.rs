//! Criterion benchmarks of the authentication plugins' per-request work: key-auth finding the
//! key in a request and looking it up among 100,000 consumers' keys, basic-auth parsing the
//! header and checking the password, and jwt verifying HS256 (and RS256) tokens among 100,000
//! jwt_secrets. One function per plugin, all in one group.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use http::{HeaderMap, HeaderValue};
use oidc_gateway::config::compiled_credentials::{
    password_hash, BasicAuthCredential, JwtCredential, KeyAuthCredential,
};
use oidc_gateway::config::secret_value::SecretValue;
use oidc_gateway::plugin::basic_auth::handler::password_matches;
use oidc_gateway::plugin::basic_auth::header::{parse_basic, Basic};
use oidc_gateway::plugin::jwt::check_jwt_secret;
use oidc_gateway::plugin::jwt::sources::{self, Found, Places};
use oidc_gateway::plugin::jwt::token::{verify, Claim, Rules};
use oidc_gateway::plugin::key_auth::extract::{find_key, Allowed, Lookup, Sources};
use oidc_gateway::plugin::key_auth::handler::valid_credential;
use pingora::http::RequestHeader;

const CONSUMERS: usize = 100_000;

fn key_of(i: usize) -> String {
    format!("key-{i:06}-5b0c3e1f9a2d4c7b8e6f")
}

fn key_auth(c: &mut Criterion) {
    let credentials: HashMap<String, KeyAuthCredential> = (0..CONSUMERS)
        .map(|i| {
            let credential = KeyAuthCredential {
                id: format!("cred-{i}"),
                consumer: i,
                expires_at: None,
            };
            (key_of(i), credential)
        })
        .collect();
    let names = vec!["apikey".to_owned()];
    let allowed = Allowed {
        header: true,
        query: true,
        body: false,
    };
    let mut group = c.benchmark_group("key_auth_100k");
    for (case, key) in [
        ("hit", key_of(CONSUMERS / 2)),
        ("miss", "key-nope-5b0c3e1f9a2d4c7b8e6f".to_owned()),
    ] {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("api.example.com"));
        headers.insert("user-agent", HeaderValue::from_static("bench/1.0"));
        headers.insert("accept", HeaderValue::from_static("*/*"));
        headers.insert("apikey", HeaderValue::from_str(&key).unwrap());
        group.bench_function(format!("header_{case}"), |b| {
            b.iter(|| {
                let sources = Sources {
                    headers: black_box(&headers),
                    query: Some(b"a=1&b=2"),
                    body: None,
                };
                match find_key(&names, allowed, &sources) {
                    Lookup::Found(found) => {
                        black_box(valid_credential(&credentials, &found.key, Instant::now()))
                            .map(|c| c.consumer)
                    }
                    _ => None,
                }
            })
        });
        let query = format!("a=1&b=2&apikey={key}");
        let empty = HeaderMap::new();
        group.bench_function(format!("query_{case}"), |b| {
            b.iter(|| {
                let sources = Sources {
                    headers: &empty,
                    query: Some(black_box(query.as_bytes())),
                    body: None,
                };
                match find_key(&names, allowed, &sources) {
                    Lookup::Found(found) => {
                        black_box(valid_credential(&credentials, &found.key, Instant::now()))
                            .map(|c| c.consumer)
                    }
                    _ => None,
                }
            })
        });
    }
    group.finish();
}

fn basic_auth(c: &mut Criterion) {
    let credentials: HashMap<String, BasicAuthCredential> = (0..CONSUMERS)
        .map(|i| {
            let username = format!("user-{i:06}");
            let credential = BasicAuthCredential {
                id: format!("cred-{i}"),
                consumer: i,
                username: username.clone(),
                password_hash: password_hash(format!("password-{i}").as_bytes()),
            };
            (username, credential)
        })
        .collect();
    // "user-050000:password-50000"
    let header = "Basic dXNlci0wNTAwMDA6cGFzc3dvcmQtNTAwMDA=";
    c.bench_function("basic_auth_100k/verify", |b| {
        b.iter(|| match parse_basic(black_box(header.as_bytes())) {
            Basic::Credentials { username, password } => std::str::from_utf8(&username)
                .ok()
                .and_then(|u| credentials.get(u))
                .is_some_and(|c| password_matches(c, &password)),
            _ => false,
        })
    });
}

const JWT_SECRETS: usize = 100_000;
const NOW: f64 = 1_700_000_000.0;

fn jwt_key(i: usize) -> String {
    format!("iss-{i:06}-5b0c3e1f9a2d")
}

fn jwt_secret(i: usize) -> String {
    format!("secret-{i:06}-0123456789abcdef0123")
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hs256_token(key: &str, secret: &str) -> String {
    let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = format!(
        r#"{{"iss":"{key}","sub":"user-1","exp":{},"name":"Bench"}}"#,
        NOW + 3600.0
    );
    let input = format!("{header}.{}", b64(claims.as_bytes()));
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()),
        input.as_bytes(),
    );
    format!("{input}.{}", b64(tag.as_ref()))
}

fn jwt(c: &mut Criterion) {
    let mut credentials: HashMap<String, JwtCredential> = (0..JWT_SECRETS)
        .map(|i| {
            let credential = JwtCredential {
                id: format!("cred-{i}"),
                consumer: i,
                key: jwt_key(i),
                algorithm: "HS256".to_owned(),
                secret: SecretValue::new(jwt_secret(i).into_bytes()),
                rsa_public_key: None,
                parsed_key: check_jwt_secret(None, None).expect("HS256"),
            };
            (jwt_key(i), credential)
        })
        .collect();
    let rsa = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key");
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        STANDARD.encode(rsa.public_key().as_der().expect("SPKI").as_ref())
    );
    credentials.insert(
        "rsa-key".to_owned(),
        JwtCredential {
            id: "cred-rsa".to_owned(),
            consumer: 0,
            key: "rsa-key".to_owned(),
            algorithm: "RS256".to_owned(),
            secret: SecretValue::new(Vec::new()),
            rsa_public_key: Some(pem.clone()),
            parsed_key: check_jwt_secret(Some("RS256"), Some(&pem)).expect("RS256 key"),
        },
    );
    let rules = Rules {
        key_claim_name: "iss".to_owned(),
        secret_is_base64: false,
        claims_to_verify: vec![Claim::Exp],
        maximum_expiration: 0.0,
    };
    let places = Places {
        uri_param_names: vec!["jwt".to_owned()],
        cookie_names: Vec::new(),
        header_names: vec!["authorization".to_owned()],
    };

    let mut group = c.benchmark_group("jwt_100k");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    let hit = hs256_token(&jwt_key(JWT_SECRETS / 2), &jwt_secret(JWT_SECRETS / 2));
    assert!(verify(&hit, &credentials, &rules, NOW).is_ok());
    let mut request = RequestHeader::build("GET", b"/orders?page=2", None).expect("request");
    for (name, value) in [
        ("host", "api.example.com"),
        ("user-agent", "bench/1.0"),
        ("accept", "*/*"),
    ] {
        request.insert_header(name, value).expect("header");
    }
    request
        .insert_header("authorization", format!("Bearer {hit}"))
        .expect("header");
    group.bench_function("hs256_header_verify", |b| {
        b.iter(|| match sources::find(black_box(&request), &places) {
            Found::One(token) => verify(&token, &credentials, &rules, NOW)
                .map(|c| c.consumer)
                .ok(),
            _ => None,
        })
    });
    group.bench_function("hs256_verify", |b| {
        b.iter(|| {
            verify(black_box(&hit), &credentials, &rules, NOW)
                .map(|c| c.consumer)
                .ok()
        })
    });
    let unknown = hs256_token("iss-nope", "whatever");
    group.bench_function("hs256_unknown_key", |b| {
        b.iter(|| verify(black_box(&unknown), &credentials, &rules, NOW).is_err())
    });
    let forged = hs256_token(&jwt_key(7), "not the secret");
    group.bench_function("hs256_bad_signature", |b| {
        b.iter(|| verify(black_box(&forged), &credentials, &rules, NOW).is_err())
    });

    let input = format!(
        "{}.{}",
        b64(br#"{"alg":"RS256"}"#),
        b64(format!(r#"{{"iss":"rsa-key","exp":{}}}"#, NOW + 3600.0).as_bytes())
    );
    let mut signature = vec![0; rsa.public_modulus_len()];
    rsa.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .expect("sign");
    let rs256 = format!("{input}.{}", b64(&signature));
    assert!(verify(&rs256, &credentials, &rules, NOW).is_ok());
    group.bench_function("rs256_verify", |b| {
        b.iter(|| verify(black_box(&rs256), &credentials, &rules, NOW).is_ok())
    });
    group.finish();
}

fn quick() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! { name = benches; config = quick(); targets = key_auth, basic_auth, jwt }
criterion_main!(benches);
