//! Verification of RS256 tokens against parsed JWKS keys: the accept path and each refusal.

mod mint;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mint::{jwks, keycloak_claims, unix_now, SigningKey};
use oidc_gateway::oidc::jwks::{parse_jwks, KeyProblem, KeySet};
use oidc_gateway::oidc::jwt::{verify, Expectations, JwtError, VerifiedToken};
use serde_json::json;

const ISSUER: &str = "http://127.0.0.1:8080/realms/kong";

fn keys_of(signing: &[&SigningKey]) -> KeySet {
    parse_jwks(jwks(signing).as_bytes()).expect("jwks").keys
}

fn check(token: &str, keys: &KeySet, now: i64) -> Result<VerifiedToken, JwtError> {
    let expect = Expectations {
        issuer: ISSUER,
        leeway_seconds: 0,
    };
    verify(token, keys, &expect, now, &["client_id".to_owned()])
}

#[test]
fn a_keycloak_like_token_verifies_and_yields_its_client_id() {
    let key = SigningKey::generate("k1", 2048);
    let now = unix_now();
    let token = key.token(&keycloak_claims(ISSUER, "kong_id", now, 300));
    let verified = check(&token, &keys_of(&[&key]), now).expect("valid token");
    assert_eq!(verified.kid.as_deref(), Some("k1"));
    assert_eq!(verified.expires_at, now + 300);
    assert_eq!(verified.claim_values, vec![vec!["kong_id".to_owned()]]);
}

#[test]
fn refusals_name_their_reason() {
    let key = SigningKey::generate("k1", 2048);
    let other = SigningKey::generate("k1", 2048);
    let keys = keys_of(&[&key]);
    let now = unix_now();
    let claims = keycloak_claims(ISSUER, "kong_id", now, 300);

    assert_eq!(
        check(&other.token(&claims), &keys, now).unwrap_err(),
        JwtError::BadSignature
    );
    let unknown = key.sign(json!({"kid": "nope"}), &claims);
    assert_eq!(
        check(&unknown, &keys, now).unwrap_err(),
        JwtError::UnknownKey(Some("nope".into()))
    );
    assert_eq!(
        check(&key.token(&claims), &keys, now + 300).unwrap_err(),
        JwtError::Expired
    );
    let wrong_issuer = keycloak_claims("http://evil/realms/kong", "kong_id", now, 300);
    assert_eq!(
        check(&key.token(&wrong_issuer), &keys, now).unwrap_err(),
        JwtError::BadIssuer
    );
    let mut future = claims.clone();
    future["nbf"] = json!(now + 60);
    assert_eq!(
        check(&key.token(&future), &keys, now).unwrap_err(),
        JwtError::NotYetValid
    );
    let mut string_exp = claims.clone();
    string_exp["exp"] = json!("soon");
    assert_eq!(
        check(&key.token(&string_exp), &keys, now).unwrap_err(),
        JwtError::BadClaim("exp")
    );
    let crit = key.sign(json!({"crit": ["exp"]}), &claims);
    assert_eq!(
        check(&crit, &keys, now).unwrap_err(),
        JwtError::ForbiddenHeader
    );
    let jku = key.sign(json!({"jku": "http://127.0.0.1:1/jwks"}), &claims);
    assert_eq!(
        check(&jku, &keys, now).unwrap_err(),
        JwtError::ForbiddenHeader
    );
}

#[test]
fn the_key_pins_the_algorithm() {
    let key = SigningKey::generate("k1", 2048);
    let keys = keys_of(&[&key]);
    let now = unix_now();
    let claims = keycloak_claims(ISSUER, "kong_id", now, 300);
    let token = key.token(&claims);
    let (_, rest) = token.split_once('.').unwrap();
    for alg in ["none", "NONE", "HS256"] {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "kid": "k1"}).to_string());
        let forged = format!("{header}.{rest}");
        assert_eq!(
            check(&forged, &keys, now).unwrap_err(),
            JwtError::UnsupportedAlgorithm,
            "{alg}"
        );
    }
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS384", "kid": "k1"}).to_string());
    assert_eq!(
        check(&format!("{header}.{rest}"), &keys, now).unwrap_err(),
        JwtError::AlgorithmMismatch
    );
}

#[test]
fn malformed_tokens_are_refused() {
    let key = SigningKey::generate("k1", 2048);
    let keys = keys_of(&[&key]);
    let now = unix_now();
    let token = key.token(&keycloak_claims(ISSUER, "kong_id", now, 300));
    for bad in ["", "a.b", "a.b.c.d", "!!!.b.c", &format!("{token}.x")] {
        assert_eq!(
            check(bad, &keys, now).unwrap_err(),
            JwtError::Malformed,
            "{bad}"
        );
    }
    let huge = format!("{}{}", token, "A".repeat(9000));
    assert_eq!(check(&huge, &keys, now).unwrap_err(), JwtError::TooLarge);
    let duplicate = {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "kid": "k1"}).to_string());
        let payload = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"iss":"{ISSUER}","exp":{},"iss":"x"}}"#,
            now + 60
        ));
        let signed = key.sign(json!({}), &json!({}));
        let signature = signed.rsplit('.').next().unwrap().to_owned();
        format!("{header}.{payload}.{signature}")
    };
    assert!(check(&duplicate, &keys, now).is_err());
}

#[test]
fn rsa_keys_under_2048_bits_are_left_out() {
    let n = URL_SAFE_NO_PAD.encode([0xd3u8; 128]);
    let body = json!({"keys": [{"kty": "RSA", "kid": "weak", "n": n, "e": "AQAB"}]}).to_string();
    let parsed = parse_jwks(body.as_bytes()).unwrap();
    assert!(parsed.keys.is_empty());
    assert_eq!(
        parsed.skipped,
        vec![(Some("weak".to_owned()), KeyProblem::RsaTooSmall)]
    );
}

#[test]
fn a_few_seconds_of_idp_clock_lead_are_tolerated_for_iat_and_nbf() {
    let key = SigningKey::generate("k1", 2048);
    let keys = keys_of(&[&key]);
    let now = unix_now();
    let mut ahead = keycloak_claims(ISSUER, "kong_id", now, 300);
    ahead["iat"] = json!(now + 3);
    ahead["nbf"] = json!(now + 3);
    assert!(check(&key.token(&ahead), &keys, now).is_ok());
    ahead["iat"] = json!(now + 30);
    ahead["nbf"] = json!(now);
    assert_eq!(
        check(&key.token(&ahead), &keys, now).unwrap_err(),
        JwtError::IssuedInFuture
    );
}

#[test]
fn a_header_that_is_not_a_json_object_is_malformed() {
    // Found by the `jwt` fuzz target: serde reads a struct from a JSON array too, so
    // `["RS256","k1"]` used to pass as a header. RFC 7515 wants an object.
    let key = SigningKey::generate("k1", 2048);
    let keys = keys_of(&[&key]);
    let now = unix_now();
    let claims = keycloak_claims(ISSUER, "kong_id", now, 300);
    for header in [json!(["RS256", "k1"]), json!(["RS256"])] {
        assert_eq!(
            check(&key.sign(header.clone(), &claims), &keys, now).unwrap_err(),
            JwtError::Malformed,
            "{header}"
        );
    }
    assert!(check(&key.sign(json!({}), &claims), &keys, now).is_ok());
}
