//! Criterion benchmarks of the authentication plugins' per-request work: key-auth finding the
//! key in a request and looking it up among 100,000 consumers' keys, and basic-auth parsing
//! the header and checking the password. One function per plugin, all in one group.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use http::{HeaderMap, HeaderValue};
use oidc_gateway::config::compiled_credentials::{
    password_hash, BasicAuthCredential, KeyAuthCredential,
};
use oidc_gateway::plugin::basic_auth::handler::password_matches;
use oidc_gateway::plugin::basic_auth::header::{parse_basic, Basic};
use oidc_gateway::plugin::key_auth::extract::{find_key, Allowed, Lookup, Sources};
use oidc_gateway::plugin::key_auth::handler::valid_credential;

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

fn quick() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! { name = benches; config = quick(); targets = key_auth, basic_auth }
criterion_main!(benches);
