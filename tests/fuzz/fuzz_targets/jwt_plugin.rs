//! Fuzz target: the jwt plugin (Kong's jwt) against a fixed set of `jwt_secrets`: HS256,
//! HS384 and HS512 secrets and one RS256 key (the committed test key in `keys/`). Input
//! shapes, by first byte:
//! - `A`: the rest is an `Authorization` header value; `Q`: the rest is a query string; the
//!   token the plugin finds there (if exactly one) is verified;
//! - `S`: `S<header JSON>\n<claims JSON>`, signed here with the HS256 secret, so the fuzzer
//!   explores the decoding and claims checks behind a valid signature;
//! - anything else: the bytes are a token.
//!
//! Never panics; whatever verifies was signed by the credential its key claim names, with
//! that credential's algorithm (checked here independently), and passed the claims rules.
#![no_main]

use std::collections::HashMap;
use std::sync::LazyLock;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair, UnparsedPublicKey};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use oidc_gateway::config::compiled_credentials::JwtCredential;
use oidc_gateway::config::secret_value::SecretValue;
use oidc_gateway::plugin::jwt::check_jwt_secret;
use oidc_gateway::plugin::jwt::sources::{find_in, Found, Places};
use oidc_gateway::plugin::jwt::token::{base64url_decode, verify, Claim, Rules};

/// The fixed clock of every check: 2023-11-14T22:13:20Z.
const NOW: f64 = 1_700_000_000.0;

/// (key, algorithm, secret) of the HS credentials; `corpus/jwt_plugin` seeds use them.
const HS: [(&str, &str, &str); 3] = [
    ("hs256-key", "HS256", "fuzz-secret-256-0123456789abcdef"),
    ("hs384-key", "HS384", "fuzz-secret-384"),
    (
        "hs512-key",
        "HS512",
        "fuzz-secret-512-0123456789abcdef0123456789abcdef",
    ),
];
const RS_KEY: &str = "rs256-key";

struct Fixture {
    credentials: HashMap<String, JwtCredential>,
    rsa_spki: Vec<u8>,
    rules: Rules,
    places: Places,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let pem = include_str!("../keys/fuzz-rsa-2048.pem");
    let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let pair =
        RsaKeyPair::from_pkcs8(&STANDARD.decode(der).expect("PEM body")).expect("PKCS#8 RSA key");
    let rsa_spki = pair.public_key().as_der().expect("SPKI").as_ref().to_vec();
    let public_pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        STANDARD.encode(&rsa_spki)
    );
    let mut credentials = HashMap::new();
    let mut add = |key: &str, algorithm: &str, secret: &str, pem: Option<&str>| {
        credentials.insert(
            key.to_owned(),
            JwtCredential {
                id: format!("id-{key}"),
                consumer: credentials.len(),
                key: key.to_owned(),
                algorithm: algorithm.to_owned(),
                secret: SecretValue::new(secret.as_bytes().to_vec()),
                rsa_public_key: pem.map(str::to_owned),
                parsed_key: check_jwt_secret(Some(algorithm), pem).expect("fixture key"),
            },
        );
    };
    for (key, algorithm, secret) in HS {
        add(key, algorithm, secret, None);
    }
    add(RS_KEY, "RS256", "", Some(&public_pem));
    Fixture {
        credentials,
        rsa_spki,
        rules: Rules {
            key_claim_name: "iss".to_owned(),
            secret_is_base64: false,
            claims_to_verify: vec![Claim::Exp, Claim::Nbf],
            maximum_expiration: 0.0,
        },
        places: Places {
            uri_param_names: vec!["jwt".to_owned()],
            cookie_names: Vec::new(),
            header_names: vec!["authorization".to_owned()],
        },
    }
});

impl Fixture {
    /// Verifies `token`; if it verifies, checks the outcome independently.
    fn check(&self, token: &str) {
        let Ok(credential) = verify(token, &self.credentials, &self.rules, NOW) else {
            return;
        };
        let mut parts = token.splitn(3, '.');
        let (header_b64, claims_b64, signature_b64) = (
            parts.next().expect("header"),
            parts.next().expect("claims"),
            parts.next().expect("signature"),
        );
        let signing_input = format!("{header_b64}.{claims_b64}");
        let signature = base64url_decode(signature_b64.as_bytes()).expect("signature decodes");
        let header: serde_json::Value =
            serde_json::from_slice(&base64url_decode(header_b64.as_bytes()).expect("header"))
                .expect("header JSON");
        let claims: serde_json::Value =
            serde_json::from_slice(&base64url_decode(claims_b64.as_bytes()).expect("claims"))
                .expect("claims JSON");
        // The algorithm is the credential's, never chosen by the token alone.
        assert_eq!(header["alg"].as_str(), Some(credential.algorithm.as_str()));
        let named = claims
            .get("iss")
            .filter(|v| **v != serde_json::Value::Bool(false))
            .or_else(|| header.get("iss"))
            .and_then(|v| v.as_str());
        assert_eq!(named, Some(credential.key.as_str()));
        let valid = match credential.algorithm.as_str() {
            "RS256" => {
                UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.rsa_spki)
                    .verify(signing_input.as_bytes(), &signature)
                    .is_ok()
            }
            hs => {
                let algorithm = match hs {
                    "HS256" => hmac::HMAC_SHA256,
                    "HS384" => hmac::HMAC_SHA384,
                    "HS512" => hmac::HMAC_SHA512,
                    other => panic!("no fixture credential has algorithm {other}"),
                };
                let key = hmac::Key::new(algorithm, credential.secret.expose());
                hmac::sign(&key, signing_input.as_bytes()).as_ref() == signature.as_slice()
            }
        };
        assert!(valid, "a token verified without a valid signature: {token}");
        let exp = claims["exp"].as_f64().expect("exp is a number");
        let nbf = claims["nbf"].as_f64().expect("nbf is a number");
        assert!(exp > NOW && nbf <= NOW, "claims checks: {claims}");
    }

    fn sign_hs256(&self, header: &[u8], claims: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let key = hmac::Key::new(hmac::HMAC_SHA256, HS[0].2.as_bytes());
        let tag = hmac::sign(&key, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }
}

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    match data.split_first() {
        Some((b'A', value)) => {
            let Ok(value) = http::HeaderValue::from_bytes(value) else {
                return;
            };
            let mut headers = http::HeaderMap::new();
            headers.insert(http::header::AUTHORIZATION, value);
            if let Found::One(token) = find_in(None, &headers, &fixture.places) {
                fixture.check(&token);
            }
        }
        Some((b'Q', query)) => {
            let query = String::from_utf8_lossy(query);
            let found = find_in(Some(&query), &http::HeaderMap::new(), &fixture.places);
            if let Found::One(token) = found {
                fixture.check(&token);
            }
        }
        Some((b'S', rest)) => {
            let (header, claims) = match rest.iter().position(|b| *b == b'\n') {
                Some(at) => (&rest[..at], &rest[at + 1..]),
                None => (rest, &b"{}"[..]),
            };
            let token = fixture.sign_hs256(header, claims);
            fixture.check(&token);
        }
        _ => fixture.check(&String::from_utf8_lossy(data)),
    }
});
