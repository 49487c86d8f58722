//! Fuzz target: JWT verification against a fixed one-key RSA JWKS (the committed test key in
//! `keys/`). Four input shapes, by first byte:
//! - anything else: the bytes are a token; only the one valid seed token may verify;
//! - `H`: `H<header JSON>\n<claims JSON>`, signed here with the key, so the fuzzer explores
//!   the header and claims checks; what verifies must satisfy them;
//! - `C`: `C<claims JSON>`, re-serialized and signed under a fixed RS256 header; the verdict
//!   must equal a plain reading of the iss/exp/nbf/iat rules;
//! - `K`: `K<JWKS document>`: parsing never panics, accepts only an object with a `keys`
//!   array, keeps keys only from objects, and accounts for every entry (kept or skipped).
#![no_main]

use std::sync::LazyLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use oidc_gateway::oidc::jwks::{parse_jwks, KeySet};
use oidc_gateway::oidc::jwt::{verify, Expectations, JwtError, VerifiedToken, FUTURE_SKEW_SECONDS};
use serde_json::{Map, Value};

const ISSUER: &str = "https://idp.fuzz.invalid/realms/kong";
const KID: &str = "fuzz-k1";
/// The fixed clock of every check: 2023-11-14T22:13:20Z.
const NOW: i64 = 1_700_000_000;
/// Header and claims of the one valid token, `corpus/jwt/token_valid`; `jwt_seeds.sh` signs
/// the same bytes with openssl (RS256 signatures are deterministic).
const VALID_HEADER: &str = r#"{"alg":"RS256","kid":"fuzz-k1","typ":"JWT"}"#;
const VALID_CLAIMS: &str = r#"{"iss":"https://idp.fuzz.invalid/realms/kong","exp":1700003600,"iat":1700000000,"client_id":"kong_id","azp":"kong_id","groups":["a","b"]}"#;

struct Fixture {
    pair: RsaKeyPair,
    keys: KeySet,
    valid_token: String,
    wanted: Vec<String>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let pem = include_str!("../keys/fuzz-rsa-2048.pem");
    let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let pair =
        RsaKeyPair::from_pkcs8(&STANDARD.decode(der).expect("PEM body")).expect("PKCS#8 RSA key");
    let public = pair.public_key();
    let jwks = serde_json::json!({"keys": [{
        "kty": "RSA", "kid": KID, "alg": "RS256", "use": "sig",
        "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
        "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
    }]});
    let parsed = parse_jwks(jwks.to_string().as_bytes()).expect("JWKS");
    assert_eq!(parsed.keys.len(), 1, "{:?}", parsed.skipped);
    let mut fixture = Fixture {
        pair,
        keys: parsed.keys,
        valid_token: String::new(),
        wanted: vec!["client_id".to_owned()],
    };
    fixture.valid_token = fixture.sign(VALID_HEADER.as_bytes(), VALID_CLAIMS.as_bytes());
    let verified = fixture
        .check(&fixture.valid_token)
        .expect("the seed token verifies");
    assert_eq!(verified.claim_values, vec![vec!["kong_id".to_owned()]]);
    fixture
});

impl Fixture {
    fn sign(&self, header: &[u8], claims: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .expect("RS256 signing");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn check(&self, token: &str) -> Result<VerifiedToken, JwtError> {
        let expect = Expectations {
            issuer: ISSUER,
            leeway_seconds: 0,
        };
        verify(token, &self.keys, &expect, NOW, &self.wanted)
    }
}

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    match data.split_first() {
        Some((b'H', rest)) => {
            let split = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            let (header, claims) = (&rest[..split], rest.get(split + 1..).unwrap_or_default());
            let token = fixture.sign(header, claims);
            if let Ok(verified) = fixture.check(&token) {
                check_header(header, &verified);
                // A verified payload is a JSON object; its reading must agree. Claims the
                // verifier does not read are skipped unchecked, invalid UTF-8 included, so
                // read the payload lossily.
                let claims: Value = serde_json::from_str(&String::from_utf8_lossy(claims))
                    .expect("verified claims are JSON");
                check_claims(&claims, &verified);
            }
        }
        Some((b'C', rest)) => {
            let Ok(claims) = serde_json::from_slice::<Value>(rest) else {
                return;
            };
            let token = fixture.sign(VALID_HEADER.as_bytes(), claims.to_string().as_bytes());
            let result = fixture.check(&token);
            assert_eq!(
                result.as_ref().ok().map(|v| v.expires_at),
                reference_verdict(&claims),
                "{claims} -> {result:?}"
            );
            if let Ok(verified) = result {
                check_claims(&claims, &verified);
            }
        }
        Some((b'K', rest)) => check_jwks(rest),
        _ => {
            let Ok(token) = std::str::from_utf8(data) else {
                return;
            };
            if fixture.check(token).is_ok() {
                assert_eq!(
                    token, fixture.valid_token,
                    "a token other than the seed verified"
                );
            }
        }
    }
});

/// A verified header is an object with alg RS256, our kid (or none) and no key-carrying or
/// `crit` member.
fn check_header(header: &[u8], verified: &VerifiedToken) {
    // Lossily, as for the claims: members the verifier does not read are skipped unchecked.
    let header: Map<String, Value> = serde_json::from_str(&String::from_utf8_lossy(header))
        .expect("a verified header is a JSON object");
    assert_eq!(header.get("alg"), Some(&Value::from("RS256")));
    match header.get("kid") {
        None | Some(Value::Null) => assert_eq!(verified.kid, None),
        Some(kid) => {
            assert_eq!(kid.as_str(), Some(KID));
            assert_eq!(verified.kid.as_deref(), Some(KID));
        }
    }
    for forbidden in ["crit", "jku", "x5u", "jwk", "x5c"] {
        assert!(
            header.get(forbidden).is_none_or(Value::is_null),
            "{forbidden} in a verified header"
        );
    }
}

/// Verified claims satisfy the rules, and the extracted values are the claim's strings.
fn check_claims(claims: &Value, verified: &VerifiedToken) {
    assert_eq!(reference_verdict(claims), Some(verified.expires_at));
    let expected: Vec<String> = match claims.get("client_id") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    assert_eq!(verified.claim_values, vec![expected]);
}

/// `Some(exp)` when the claims pass: iss is ours (trailing slashes aside), exp is a number
/// after NOW, nbf and iat (when present) are numbers at most FUTURE_SKEW_SECONDS ahead.
fn reference_verdict(claims: &Value) -> Option<i64> {
    let claims = claims.as_object()?;
    let iss = claims.get("iss")?.as_str()?;
    if iss.trim_end_matches('/') != ISSUER {
        return None;
    }
    let exp = seconds(claims.get("exp")?)?;
    if NOW >= exp {
        return None;
    }
    for name in ["nbf", "iat"] {
        if let Some(value) = claims.get(name) {
            if NOW + FUTURE_SKEW_SECONDS < seconds(value)? {
                return None;
            }
        }
    }
    Some(exp)
}

/// A NumericDate in whole seconds (fractions dropped, out-of-range floats saturated).
fn seconds(value: &Value) -> Option<i64> {
    let number = value.as_number()?;
    number
        .as_i64()
        .or_else(|| number.as_f64().map(|f| f as i64))
}

/// A parsed JWKS came from an object with a `keys` array; only objects there become keys,
/// and each entry is kept or skipped (keys sharing a kid keep one).
fn check_jwks(body: &[u8]) {
    let Ok(parsed) = parse_jwks(body) else {
        return;
    };
    let document: Map<String, Value> =
        serde_json::from_slice(body).expect("a parsed JWKS is a JSON object");
    let keys = document["keys"].as_array().expect("keys is an array");
    let objects = keys.iter().filter(|k| k.is_object()).count();
    assert!(
        parsed.keys.len() <= objects,
        "a key from a JWK that is not an object"
    );
    let accounted = parsed.keys.len() + parsed.skipped.len();
    assert!(accounted <= keys.len());
    let mut kids: Vec<&str> = keys.iter().filter_map(|k| k.get("kid")?.as_str()).collect();
    kids.sort_unstable();
    kids.dedup();
    if kids.len()
        == keys
            .iter()
            .filter(|k| k.get("kid").is_some_and(Value::is_string))
            .count()
    {
        assert_eq!(accounted, keys.len());
    }
}
