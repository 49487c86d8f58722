//! Criterion benchmarks of the authentication plugins' per-request work. jwt: finding the
//! token in a request (`Authorization: Bearer`) and verifying it (decode, lookup among 100,000
//! `jwt_secrets`, HS256 signature, exp claim); an RS256 token among the same 100,000.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use oidc_gateway::config::compiled_credentials::JwtCredential;
use oidc_gateway::config::secret_value::SecretValue;
use oidc_gateway::plugin::jwt::check_jwt_secret;
use oidc_gateway::plugin::jwt::sources::{self, Found, Places};
use oidc_gateway::plugin::jwt::token::{verify, Claim, Rules};
use pingora::http::RequestHeader;

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

criterion_group!(benches, jwt);
criterion_main!(benches);
