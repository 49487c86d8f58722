//! Verifies a compact JWS access token against a key set: signature, alg pinned by the key,
//! and the iss/exp/nbf/iat claims with leeway. `verify` serves tokens from the IdP;
//! `verify_bearer` serves client-supplied tokens and returns every claim, strictly parsed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::claims::{RawClaims, WrongType};
use super::hs_signature;
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
    /// A `kid` over 256 bytes or with path or control characters (never looked up).
    BadKeyId,
}

/// Longest `kid` accepted, in bytes.
pub const MAX_KID_LEN: usize = 256;

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
    let signed = check_signature(token, keys, &[])?;
    let payload = decode(signed.payload_b64)?;
    let claims = RawClaims::parse(&payload, &STANDARD_CLAIMS, wanted_claims)
        .map_err(|_| JwtError::Malformed)?;
    let issuer_ok = |iss: &str| iss.trim_end_matches('/') == expect.issuer;
    let expires_at = check_standard_claims(&claims, &issuer_ok, expect.leeway_seconds, now)?;
    Ok(VerifiedToken {
        kid: signed.kid,
        expires_at,
        claim_values: wanted_claims
            .iter()
            .map(|name| claims.reference_values(name))
            .collect(),
    })
}

/// A client-supplied token whose signature and standard claims were checked.
#[derive(Debug, Clone)]
pub struct VerifiedClaims {
    pub kid: Option<String>,
    pub expires_at: i64,
    /// The registered claims and the `wanted` ones, each parsed strictly.
    pub claims: Map<String, Value>,
}

/// The registered claims `verify_bearer` reads.
const BEARER_CLAIMS: [&str; 5] = ["iss", "exp", "nbf", "iat", "aud"];

/// Verifies a client-supplied `token`: as [`verify`], with `iss` one of `issuers` (compared
/// without a trailing `/`), `aud` a string or an array of strings when present. No top-level
/// claim may appear twice; the registered claims and those named in `wanted` are returned,
/// each parsed with duplicate keys refused at any depth (other claims are skipped unparsed).
pub fn verify_bearer(
    token: &str,
    keys: &KeySet,
    issuers: &[String],
    leeway_seconds: i64,
    now: i64,
    wanted: &[String],
) -> Result<VerifiedClaims, JwtError> {
    verify_bearer_with_secrets(token, keys, &[], issuers, leeway_seconds, now, wanted)
}

/// [`verify_bearer`], also accepting HS256/384/512 signatures made with one of
/// `hs_secrets` (`enable_hs_signatures`; empty: HS tokens are refused).
pub fn verify_bearer_with_secrets(
    token: &str,
    keys: &KeySet,
    hs_secrets: &[String],
    issuers: &[String],
    leeway_seconds: i64,
    now: i64,
    wanted: &[String],
) -> Result<VerifiedClaims, JwtError> {
    let signed = check_signature(token, keys, hs_secrets)?;
    let payload = decode(signed.payload_b64)?;
    let raw = RawClaims::parse_unique(&payload, &BEARER_CLAIMS, wanted)
        .map_err(|_| JwtError::Malformed)?;
    let issuer_ok = |iss: &str| {
        let iss = iss.trim_end_matches('/');
        issuers.iter().any(|allowed| allowed == iss)
    };
    let expires_at = check_standard_claims(&raw, &issuer_ok, leeway_seconds, now)?;
    // Only `aud` and the claims asked for become values (the others were checked in place).
    let mut claims = Map::new();
    for (name, value) in raw.members() {
        if name != "aud" && !wanted.iter().any(|w| w == name) {
            continue;
        }
        let value = super::strict_json::parse_value(value.get().as_bytes())
            .map_err(|_| JwtError::Malformed)?;
        claims.insert(name.to_owned(), value);
    }
    match claims.get("aud") {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(items)) if !items.is_empty() && items.iter().all(Value::is_string) => {}
        Some(_) => return Err(JwtError::BadClaim("aud")),
    }
    Ok(VerifiedClaims {
        kid: signed.kid,
        expires_at,
        claims,
    })
}

/// A token whose signature verified: its `kid` and its still-encoded payload.
struct Signed<'t> {
    kid: Option<String>,
    payload_b64: &'t str,
}

/// Splits `token`, refuses dangerous headers, and checks the signature with the key the
/// `kid` names (the algorithm pinned by that key), or, for HS* with `hs_secrets` given,
/// with one of those secrets.
fn check_signature<'t>(
    token: &'t str,
    keys: &KeySet,
    hs_secrets: &[String],
) -> Result<Signed<'t>, JwtError> {
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
    if header.kid.as_deref().is_some_and(|kid| !is_safe_kid(kid)) {
        return Err(JwtError::BadKeyId);
    }
    let signed_len = header_b64.len() + 1 + payload_b64.len();
    if let Some(hmac) = hs_signature::algorithm(header.alg).filter(|_| !hs_secrets.is_empty()) {
        let mut signature_buffer = [0u8; MAX_SMALL_PART];
        let signature = decode_small(signature_b64, &mut signature_buffer)?;
        let message = &token.as_bytes()[..signed_len];
        if !hs_signature::verify(hmac, hs_secrets, message, signature) {
            return Err(JwtError::BadSignature);
        }
        return Ok(Signed {
            kid: header.kid,
            payload_b64,
        });
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
    if !key.verify(&token.as_bytes()[..signed_len], signature) {
        return Err(JwtError::BadSignature);
    }
    Ok(Signed {
        kid: header.kid,
        payload_b64,
    })
}

/// A `kid` short enough and free of path and control characters.
fn is_safe_kid(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= MAX_KID_LEN
        && !kid.contains("..")
        && !kid
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\' | '?' | '#' | '%'))
}

/// Typed access to the claims the verifier reads.
trait ClaimRead {
    fn string_claim(&self, name: &str) -> Result<Option<Cow<'_, str>>, WrongType>;
    fn seconds_claim(&self, name: &str) -> Result<Option<i64>, WrongType>;
}

impl ClaimRead for RawClaims<'_> {
    fn string_claim(&self, name: &str) -> Result<Option<Cow<'_, str>>, WrongType> {
        self.string(name)
    }

    fn seconds_claim(&self, name: &str) -> Result<Option<i64>, WrongType> {
        self.seconds(name)
    }
}

fn check_standard_claims(
    claims: &impl ClaimRead,
    issuer_ok: &dyn Fn(&str) -> bool,
    leeway: i64,
    now: i64,
) -> Result<i64, JwtError> {
    match claims.string_claim("iss") {
        Ok(Some(iss)) if issuer_ok(&iss) => {}
        Ok(_) => return Err(JwtError::BadIssuer),
        Err(_) => return Err(JwtError::BadClaim("iss")),
    }
    let exp = claims
        .seconds_claim("exp")
        .map_err(|_| JwtError::BadClaim("exp"))?
        .ok_or(JwtError::BadClaim("exp"))?;
    if now >= exp.saturating_add(leeway) {
        return Err(JwtError::Expired);
    }
    // "Not before" and "issued at" get at least FUTURE_SKEW_SECONDS of slack: the IdP's clock
    // may run a little ahead of ours, and both count whole seconds.
    let future_leeway = leeway.max(FUTURE_SKEW_SECONDS);
    if let Some(nbf) = claims
        .seconds_claim("nbf")
        .map_err(|_| JwtError::BadClaim("nbf"))?
    {
        if now.saturating_add(future_leeway) < nbf {
            return Err(JwtError::NotYetValid);
        }
    }
    if let Some(iat) = claims
        .seconds_claim("iat")
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
