//! JWT helpers for assertions: split and decode a compact JWS, verify it against a JWKS.

use base64::Engine;
use serde_json::Value;

fn decode_part(part: &str) -> Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .unwrap_or_else(|e| panic!("JWT segment is not base64url: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("JWT segment is not JSON: {e}"))
}

/// (header, claims) of a compact JWS, without verification. Panics unless it has three parts.
pub fn decode(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a compact JWS (expected 3 parts)");
    (decode_part(parts[0]), decode_part(parts[1]))
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer(header_value: &str) -> &str {
    header_value.strip_prefix("Bearer ").unwrap_or_else(|| {
        panic!(
            "not a Bearer authorization (scheme was {:?})",
            header_value.split(' ').next()
        )
    })
}

/// Verifies an RS256 token's signature and `iss` against the JWKS key with the token's kid.
pub fn verify_rs256(token: &str, jwks: &Value, issuer: &str) -> Result<Value, String> {
    let (header, _) = decode(token);
    let kid = header["kid"].as_str().ok_or("token has no kid")?;
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"].as_str() == Some(kid)))
        .ok_or_else(|| format!("kid {kid} not in JWKS"))?;
    let (n, e) = (
        key["n"].as_str().unwrap_or(""),
        key["e"].as_str().unwrap_or(""),
    );
    let decoding =
        jsonwebtoken::DecodingKey::from_rsa_components(n, e).map_err(|e| e.to_string())?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_aud = false;
    validation.set_issuer(&[issuer]);
    jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .map(|data| data.claims)
        .map_err(|e| e.to_string())
}
