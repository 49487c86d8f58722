//! `verify_bearer`, the verifier of client-supplied tokens: every asymmetric algorithm the
//! JWKS can pin, the issuer list, strict claim types, and kids that are never looked up.

mod mint;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mint::{keycloak_claims, unix_now, SigningKey};
use oidc_gateway::oidc::jwks::{parse_jwks, KeySet};
use oidc_gateway::oidc::jwt::{verify, verify_bearer, Expectations, JwtError, VerifiedClaims};
use serde_json::{json, Value};

const ISSUER: &str = "http://127.0.0.1:8080/realms/kong";

fn keys(jwks: &Value) -> KeySet {
    parse_jwks(jwks.to_string().as_bytes()).expect("jwks").keys
}

fn check(token: &str, keys: &KeySet) -> Result<VerifiedClaims, JwtError> {
    verify_bearer(
        token,
        keys,
        &[ISSUER.to_owned()],
        0,
        unix_now(),
        &["client_id".to_owned()],
    )
}

#[test]
fn every_rsa_algorithm_pinned_by_the_jwk_verifies() {
    let key = SigningKey::generate("k", 2048);
    let claims = keycloak_claims(ISSUER, "kong_id", unix_now(), 300);
    for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
        let mut jwk = key.public_jwk();
        jwk["alg"] = json!(alg);
        let set = keys(&json!({ "keys": [jwk] }));
        let verified = check(&key.sign_alg(alg, &claims), &set).expect(alg);
        assert_eq!(verified.claims["client_id"], "kong_id");
        // The key pins the algorithm: another one signed by the same key is refused.
        let other = if alg == "RS256" { "PS256" } else { "RS256" };
        assert_eq!(
            check(&key.sign_alg(other, &claims), &set).unwrap_err(),
            JwtError::AlgorithmMismatch,
            "{alg} key, {other} token"
        );
    }
}

#[test]
fn ec_keys_verify_es256_and_es384() {
    let claims = keycloak_claims(ISSUER, "kong_id", unix_now(), 300);
    for (alg, crv, signing, width) in [
        ("ES256", "P-256", &ECDSA_P256_SHA256_FIXED_SIGNING, 32),
        ("ES384", "P-384", &ECDSA_P384_SHA384_FIXED_SIGNING, 48),
    ] {
        let pair = EcdsaKeyPair::generate(signing).expect("ec key");
        let point = pair.public_key().as_ref().to_vec();
        let jwk = json!({
            "kty": "EC", "kid": "ec", "crv": crv, "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(&point[1..1 + width]),
            "y": URL_SAFE_NO_PAD.encode(&point[1 + width..]),
        });
        let header = json!({"alg": alg, "kid": "ec"});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .expect("sign");
        let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()));
        let set = keys(&json!({ "keys": [jwk] }));
        assert!(check(&token, &set).is_ok(), "{alg}");
    }
}

#[test]
fn issuers_allowed_and_claim_types() {
    let key = SigningKey::generate("k", 2048);
    let set = keys(&json!({ "keys": [key.public_jwk()] }));
    let now = unix_now();
    let other = "https://other.example/realms/x";
    let token = key.token(&keycloak_claims(other, "kong_id", now, 300));
    assert_eq!(check(&token, &set).unwrap_err(), JwtError::BadIssuer);
    let allowed = [ISSUER.to_owned(), format!("{other}/")];
    let allowed: Vec<String> = allowed
        .iter()
        .map(|i| i.trim_end_matches('/').to_owned())
        .collect();
    assert!(verify_bearer(&token, &set, &allowed, 0, now, &[]).is_ok());
    let mut claims = keycloak_claims(ISSUER, "kong_id", now, 300);
    claims["aud"] = json!(["a", "b"]);
    assert!(check(&key.token(&claims), &set).is_ok());
    claims["aud"] = json!([]);
    assert_eq!(
        check(&key.token(&claims), &set).unwrap_err(),
        JwtError::BadClaim("aud")
    );
    claims["aud"] = json!(null);
    assert_eq!(
        check(&key.token(&claims), &set).unwrap_err(),
        JwtError::BadClaim("aud")
    );
}

#[test]
fn unsafe_kids_are_refused_on_both_paths_before_any_lookup() {
    let key = SigningKey::generate("k", 2048);
    let set = keys(&json!({ "keys": [key.public_jwk()] }));
    let claims = keycloak_claims(ISSUER, "kong_id", unix_now(), 300);
    let expect = Expectations {
        issuer: ISSUER,
        leeway_seconds: 0,
    };
    for kid in [
        "../k".to_owned(),
        "a/b".to_owned(),
        "a\\b".to_owned(),
        "a\nb".to_owned(),
        String::new(),
        "k".repeat(257),
    ] {
        let token = key.sign(json!({ "kid": kid }), &claims);
        assert_eq!(
            check(&token, &set).unwrap_err(),
            JwtError::BadKeyId,
            "{kid:?}"
        );
        assert_eq!(
            verify(&token, &set, &expect, unix_now(), &[]).unwrap_err(),
            JwtError::BadKeyId
        );
    }
    let token = key.sign(json!({ "kid": "k".repeat(256) }), &claims);
    assert!(matches!(
        check(&token, &set).unwrap_err(),
        JwtError::UnknownKey(_)
    ));
}

/// An HS token: header and claims as JSON, signed with `secret` by `alg`.
fn hs_token(alg: &str, secret: &[u8], claims: &Value) -> String {
    use aws_lc_rs::hmac;
    let hmac_alg = match alg {
        "HS256" => hmac::HMAC_SHA256,
        "HS384" => hmac::HMAC_SHA384,
        _ => hmac::HMAC_SHA512,
    };
    let header = URL_SAFE_NO_PAD.encode(json!({ "alg": alg, "typ": "JWT" }).to_string());
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let tag = hmac::sign(&hmac::Key::new(hmac_alg, secret), signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

#[test]
fn hs_signatures_only_with_client_secrets_given() {
    use oidc_gateway::oidc::jwt::verify_bearer_with_secrets;
    let rsa = SigningKey::generate("k", 2048);
    let set = keys(&json!({ "keys": [rsa.public_jwk()] }));
    let claims = keycloak_claims(ISSUER, "kong_id", unix_now(), 300);
    let secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let secrets = [secret.to_owned()];
    let with_secrets = |token: &str| {
        verify_bearer_with_secrets(
            token,
            &set,
            &secrets,
            &[ISSUER.to_owned()],
            0,
            unix_now(),
            &["client_id".to_owned()],
        )
    };
    for alg in ["HS256", "HS384", "HS512"] {
        let token = hs_token(alg, secret.as_bytes(), &claims);
        let verified = with_secrets(&token).expect(alg);
        assert_eq!(verified.claims["client_id"], "kong_id");
        // Without enable_hs_signatures (no secrets) the same token is refused.
        assert_eq!(
            check(&token, &set).unwrap_err(),
            JwtError::UnsupportedAlgorithm
        );
        // Another secret does not verify.
        let forged = hs_token(
            alg,
            b"another-secret-another-secret-another-secret-xx",
            &claims,
        );
        assert_eq!(with_secrets(&forged).unwrap_err(), JwtError::BadSignature);
    }
    // The classic confusion: HS256 "signed" with the RSA public key is never accepted, with
    // or without secrets: HS keys are the client secrets, never key-set material.
    let public_der = rsa.public_jwk().to_string();
    let confused = hs_token("HS256", public_der.as_bytes(), &claims);
    assert_eq!(with_secrets(&confused).unwrap_err(), JwtError::BadSignature);
    assert_eq!(
        check(&confused, &set).unwrap_err(),
        JwtError::UnsupportedAlgorithm
    );
}
