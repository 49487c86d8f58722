//! Verifies a compact JWS access token against a key set: signature, alg pinned by the key,
//! and the iss/exp/nbf/iat claims with leeway.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use super::claims::RawClaims;
use super::jwks::{Algorithm, KeySet};

/// Longest token accepted, in bytes.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Why a token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    Malformed,
    TooLarge,
    UnsupportedAlgorithm,
    /// A `crit` header or a key-carrying header (`jku`, `x5u`, `jwk`, `x5c`).
    ForbiddenHeader,
    /// No key with the token's kid. The caller may refresh the key set and try again.
    UnknownKey(Option<String>),
    AlgorithmMismatch,
    BadSignature,
    BadIssuer,
    Expired,
    NotYetValid,
    IssuedInFuture,
    /// A claim of the wrong JSON type, or a missing `exp`.
    BadClaim(&'static str),
}

/// The registered claims the verifier reads.
const STANDARD_CLAIMS: [&str; 4] = ["iss", "exp", "nbf", "iat"];

/// Least slack for `nbf` and `iat` in the future, whatever the configured leeway.
pub const FUTURE_SKEW_SECONDS: i64 = 5;

/// What a token must satisfy besides its signature.
pub struct Expectations<'a> {
    pub issuer: &'a str,
    pub leeway_seconds: i64,
}

/// A token whose signature and standard claims were checked.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    pub kid: Option<String>,
    pub expires_at: i64,
    /// Values of the claims asked for in `verify`'s `wanted_claims`, in that order.
    pub claim_values: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    alg: &'a str,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    jku: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    x5u: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    jwk: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    x5c: Option<serde::de::IgnoredAny>,
}

/// Verifies `token` at unix time `now`, and extracts `wanted_claims`.
pub fn verify(
    token: &str,
    keys: &KeySet,
    expect: &Expectations<'_>,
    now: i64,
    wanted_claims: &[String],
) -> Result<VerifiedToken, JwtError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtError::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let mut header_buffer = [0u8; MAX_SMALL_PART];
    let header_json = decode_small(header_b64, &mut header_buffer)?;
    // serde also reads a struct from a JSON array (`["RS256"]`); a JOSE header is an object.
    if header_json.trim_ascii_start().first() != Some(&b'{') {
        return Err(JwtError::Malformed);
    }
    let header: Header<'_> =
        serde_json::from_slice(header_json).map_err(|_| JwtError::Malformed)?;
    if header.crit.is_some()
        || header.jku.is_some()
        || header.x5u.is_some()
        || header.jwk.is_some()
        || header.x5c.is_some()
    {
        return Err(JwtError::ForbiddenHeader);
    }
    let algorithm = Algorithm::from_name(header.alg).ok_or(JwtError::UnsupportedAlgorithm)?;
    let key = keys
        .find(header.kid.as_deref())
        .ok_or_else(|| JwtError::UnknownKey(header.kid.clone()))?;
    if key.algorithm != algorithm {
        return Err(JwtError::AlgorithmMismatch);
    }
    let mut signature_buffer = [0u8; MAX_SMALL_PART];
    let signature = decode_small(signature_b64, &mut signature_buffer)?;
    let signed_len = header_b64.len() + 1 + payload_b64.len();
    if !key.verify(&token.as_bytes()[..signed_len], signature) {
        return Err(JwtError::BadSignature);
    }
    let payload = decode(payload_b64)?;
    let claims = RawClaims::parse(&payload, &STANDARD_CLAIMS, wanted_claims)
        .map_err(|_| JwtError::Malformed)?;
    let expires_at = check_standard_claims(&claims, expect, now)?;
    Ok(VerifiedToken {
        kid: header.kid,
        expires_at,
        claim_values: wanted_claims
            .iter()
            .map(|name| claims.reference_values(name))
            .collect(),
    })
}

fn check_standard_claims(
    claims: &RawClaims<'_>,
    expect: &Expectations<'_>,
    now: i64,
) -> Result<i64, JwtError> {
    let leeway = expect.leeway_seconds;
    match claims.string("iss") {
        Ok(Some(iss)) if iss.trim_end_matches('/') == expect.issuer => {}
        Ok(_) => return Err(JwtError::BadIssuer),
        Err(_) => return Err(JwtError::BadClaim("iss")),
    }
    let exp = claims
        .seconds("exp")
        .map_err(|_| JwtError::BadClaim("exp"))?
        .ok_or(JwtError::BadClaim("exp"))?;
    if now >= exp.saturating_add(leeway) {
        return Err(JwtError::Expired);
    }
    // "Not before" and "issued at" get at least FUTURE_SKEW_SECONDS of slack: the IdP's clock
    // may run a little ahead of ours, and both count whole seconds.
    let future_leeway = leeway.max(FUTURE_SKEW_SECONDS);
    if let Some(nbf) = claims
        .seconds("nbf")
        .map_err(|_| JwtError::BadClaim("nbf"))?
    {
        if now.saturating_add(future_leeway) < nbf {
            return Err(JwtError::NotYetValid);
        }
    }
    if let Some(iat) = claims
        .seconds("iat")
        .map_err(|_| JwtError::BadClaim("iat"))?
    {
        if now.saturating_add(future_leeway) < iat {
            return Err(JwtError::IssuedInFuture);
        }
    }
    Ok(exp)
}

/// Largest decoded header or signature, in bytes (an RSA-8192 signature is 1,024).
const MAX_SMALL_PART: usize = 1024;

/// Decodes a header or signature into `buffer`, without allocating.
fn decode_small<'b>(
    part: &str,
    buffer: &'b mut [u8; MAX_SMALL_PART],
) -> Result<&'b [u8], JwtError> {
    let len = URL_SAFE_NO_PAD
        .decode_slice(part, buffer)
        .map_err(|_| JwtError::Malformed)?;
    Ok(&buffer[..len])
}

fn decode(part: &str) -> Result<Vec<u8>, JwtError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed)
}
