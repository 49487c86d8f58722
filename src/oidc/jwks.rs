//! JSON Web Key Sets: parsed once into ready-to-verify public keys, looked up by `kid`.
//!
//! The algorithm a key verifies is pinned here, from the JWK (`alg`, else RS256 for RSA and
//! the curve's ES alg for EC); a token's `alg` must equal it. RSA keys under 2048 bits,
//! symmetric keys and keys whose `use` is not `sig` are left out.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

/// JWS algorithms this gateway verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
}

impl Algorithm {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "RS256" => Self::RS256,
            "RS384" => Self::RS384,
            "RS512" => Self::RS512,
            "PS256" => Self::PS256,
            "PS384" => Self::PS384,
            "PS512" => Self::PS512,
            "ES256" => Self::ES256,
            "ES384" => Self::ES384,
            _ => return None,
        })
    }

    fn rsa_parameters(self) -> Option<&'static signature::RsaParameters> {
        Some(match self {
            Self::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Self::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Self::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            Self::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
            Self::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
            Self::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
            Self::ES256 | Self::ES384 => return None,
        })
    }
}

/// Smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// One public key, parsed, with the only algorithm it may verify.
pub struct VerifyingKey {
    pub kid: Option<Arc<str>>,
    pub algorithm: Algorithm,
    key: ParsedPublicKey,
}

impl VerifyingKey {
    /// Checks `signature` over `message` with this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }

    /// An RSA key from its big-endian modulus and exponent.
    pub fn rsa(
        kid: Option<&str>,
        algorithm: Algorithm,
        n: &[u8],
        e: &[u8],
    ) -> Result<Self, KeyProblem> {
        let params = algorithm
            .rsa_parameters()
            .ok_or(KeyProblem::AlgorithmMismatch)?;
        let n = strip_leading_zeros(n);
        if modulus_bits(n) < MIN_RSA_BITS {
            return Err(KeyProblem::RsaTooSmall);
        }
        let key = RsaPublicKeyComponents {
            n,
            e: strip_leading_zeros(e),
        }
        .to_parsed_public_key(params)
        .map_err(|_| KeyProblem::Malformed)?;
        Ok(Self {
            kid: kid.map(Arc::from),
            algorithm,
            key,
        })
    }

    /// An EC key from its affine coordinates.
    fn ec(kid: Option<&str>, algorithm: Algorithm, x: &[u8], y: &[u8]) -> Result<Self, KeyProblem> {
        let (params, width): (&'static signature::EcdsaVerificationAlgorithm, usize) =
            match algorithm {
                Algorithm::ES256 => (&signature::ECDSA_P256_SHA256_FIXED, 32),
                Algorithm::ES384 => (&signature::ECDSA_P384_SHA384_FIXED, 48),
                _ => return Err(KeyProblem::AlgorithmMismatch),
            };
        if x.len() != width || y.len() != width {
            return Err(KeyProblem::Malformed);
        }
        let mut point = Vec::with_capacity(1 + 2 * width);
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        let key = ParsedPublicKey::new(params, &point).map_err(|_| KeyProblem::Malformed)?;
        Ok(Self {
            kid: kid.map(Arc::from),
            algorithm,
            key,
        })
    }
}

/// Why one JWK was left out of the key set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    UnsupportedKeyType,
    NotForSignatures,
    AlgorithmMismatch,
    RsaTooSmall,
    Malformed,
}

/// The keys of one or more JWKS documents, by `kid`.
#[derive(Default)]
pub struct KeySet {
    by_kid: HashMap<Arc<str>, Arc<VerifyingKey>>,
    without_kid: Vec<Arc<VerifyingKey>>,
}

impl KeySet {
    /// The key a token with this `kid` must be checked with. A token without `kid` is
    /// accepted only when the set holds exactly one key, Keycloak-style single-key realms.
    pub fn find(&self, kid: Option<&str>) -> Option<&Arc<VerifyingKey>> {
        match kid {
            Some(kid) => self.by_kid.get(kid),
            None if self.len() == 1 => self.by_kid.values().chain(self.without_kid.iter()).next(),
            None => None,
        }
    }

    pub fn len(&self) -> usize {
        self.by_kid.len() + self.without_kid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains_kid(&self, kid: &str) -> bool {
        self.by_kid.contains_key(kid)
    }

    pub fn insert(&mut self, key: VerifyingKey) {
        let key = Arc::new(key);
        match key.kid.clone() {
            Some(kid) => {
                self.by_kid.insert(kid, key);
            }
            None => self.without_kid.push(key),
        }
    }

    /// Adds every key of `other` that is not already here, sharing the parsed keys.
    pub fn merge(&mut self, other: &KeySet) {
        for (kid, key) in &other.by_kid {
            self.by_kid
                .entry(kid.clone())
                .or_insert_with(|| key.clone());
        }
        self.without_kid.extend(other.without_kid.iter().cloned());
    }
}

#[derive(Deserialize)]
struct JwksDocument {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    key_use: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

/// A parsed JWKS document, with the keys that were left out and why.
pub struct ParsedJwks {
    pub keys: KeySet,
    pub skipped: Vec<(Option<String>, KeyProblem)>,
}

/// Parses a JWKS document. Only a document that is not a JWKS at all is an error; keys that
/// cannot be used are reported in `skipped`.
pub fn parse_jwks(body: &[u8]) -> Result<ParsedJwks, serde_json::Error> {
    // serde also reads a struct from a JSON array (`[[]]`); a JWKS is an object.
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(serde::de::Error::custom("a JWKS is a JSON object"));
    }
    let document: JwksDocument = serde_json::from_slice(body)?;
    let mut parsed = ParsedJwks {
        keys: KeySet::default(),
        skipped: Vec::new(),
    };
    for raw in document.keys {
        // Objects only: serde would also read a `Jwk` from a JSON array.
        let jwk: Jwk = match raw.is_object().then(|| serde_json::from_value(raw)) {
            Some(Ok(jwk)) => jwk,
            _ => {
                parsed.skipped.push((None, KeyProblem::Malformed));
                continue;
            }
        };
        match key_from_jwk(&jwk) {
            Ok(key) => parsed.keys.insert(key),
            Err(problem) => parsed.skipped.push((jwk.kid.clone(), problem)),
        }
    }
    Ok(parsed)
}

fn key_from_jwk(jwk: &Jwk) -> Result<VerifyingKey, KeyProblem> {
    if jwk.key_use.as_deref().is_some_and(|u| u != "sig") {
        return Err(KeyProblem::NotForSignatures);
    }
    let kid = jwk.kid.as_deref();
    let named = match jwk.alg.as_deref() {
        Some(name) => Some(Algorithm::from_name(name).ok_or(KeyProblem::AlgorithmMismatch)?),
        None => None,
    };
    match jwk.kty.as_str() {
        "RSA" => {
            let algorithm = named.unwrap_or(Algorithm::RS256);
            let n = decode_member(jwk.n.as_deref())?;
            let e = decode_member(jwk.e.as_deref())?;
            VerifyingKey::rsa(kid, algorithm, &n, &e)
        }
        "EC" => {
            let by_curve = match jwk.crv.as_deref() {
                Some("P-256") => Algorithm::ES256,
                Some("P-384") => Algorithm::ES384,
                _ => return Err(KeyProblem::UnsupportedKeyType),
            };
            if named.is_some_and(|alg| alg != by_curve) {
                return Err(KeyProblem::AlgorithmMismatch);
            }
            let x = decode_member(jwk.x.as_deref())?;
            let y = decode_member(jwk.y.as_deref())?;
            VerifyingKey::ec(kid, by_curve, &x, &y)
        }
        _ => Err(KeyProblem::UnsupportedKeyType),
    }
}

fn decode_member(value: Option<&str>) -> Result<Vec<u8>, KeyProblem> {
    let value = value.ok_or(KeyProblem::Malformed)?;
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|_| KeyProblem::Malformed)
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn modulus_bits(n: &[u8]) -> usize {
    match n.first() {
        Some(top) => n.len() * 8 - top.leading_zeros() as usize,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_size_counts_significant_bits() {
        let mut n = vec![0u8; 256];
        n[0] = 0x80;
        assert_eq!(modulus_bits(&n), 2048);
        n[0] = 0x7f;
        assert_eq!(modulus_bits(&n), 2047);
        assert_eq!(modulus_bits(strip_leading_zeros(&[0, 0, 1])), 1);
    }

    #[test]
    fn small_and_symmetric_keys_are_skipped() {
        let small_n = URL_SAFE_NO_PAD.encode([0xc5u8; 128]);
        let body = format!(
            r#"{{"keys":[{{"kty":"RSA","kid":"small","n":"{small_n}","e":"AQAB"}},
                {{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}},
                {{"kty":"RSA","kid":"enc","use":"enc","n":"{small_n}","e":"AQAB"}}]}}"#
        );
        let parsed = parse_jwks(body.as_bytes()).unwrap();
        assert!(parsed.keys.is_empty());
        assert_eq!(
            parsed.skipped.iter().map(|(_, p)| *p).collect::<Vec<_>>(),
            vec![
                KeyProblem::RsaTooSmall,
                KeyProblem::UnsupportedKeyType,
                KeyProblem::NotForSignatures
            ]
        );
    }

    #[test]
    fn not_a_jwks_is_an_error() {
        assert!(parse_jwks(b"<html>").is_err());
        assert!(parse_jwks(b"{}").is_err());
        // Like the array JWT header the `jwt` fuzz target found: serde read a struct from a
        // JSON array, so `[[]]` passed as a document and an array as a key.
        assert!(parse_jwks(b"[[]]").is_err());
        let n = URL_SAFE_NO_PAD.encode([0xc5u8; 256]);
        let body = format!(r#" {{"keys":[["RSA","k1","RS256","sig","{n}","AQAB"]]}}"#);
        let parsed = parse_jwks(body.as_bytes()).unwrap();
        assert!(parsed.keys.is_empty());
        assert_eq!(parsed.skipped, vec![(None, KeyProblem::Malformed)]);
    }
}
