//! Test-only token minting: a fresh RSA key, its JWKS, and RS256 JWTs signed with it.
//!
//! Shared by integration tests (`mod mint;`) and benchmarks (`#[path]`); never used by src/.
#![allow(dead_code)]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    KeyPair, RsaEncoding, RsaKeyPair, RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512,
    RSA_PSS_SHA256, RSA_PSS_SHA384, RSA_PSS_SHA512,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// An RSA signing key with a kid.
pub struct SigningKey {
    pub kid: String,
    pair: RsaKeyPair,
}

impl SigningKey {
    /// A new RSA key of `bits` (2048, 3072 or 4096; 1024 only to test refusal).
    pub fn generate(kid: &str, bits: usize) -> Self {
        let size = match bits {
            1024 => panic!("aws-lc-rs does not generate 1024-bit keys; use jwk_with_modulus"),
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            _ => KeySize::Rsa2048,
        };
        Self {
            kid: kid.to_owned(),
            pair: RsaKeyPair::generate(size).expect("RSA key generation"),
        }
    }

    /// The public JWK (`kty`, `kid`, `alg`, `use`, `n`, `e`) as JSON.
    pub fn public_jwk(&self) -> serde_json::Value {
        let public = self.pair.public_key();
        serde_json::json!({
            "kty": "RSA",
            "kid": self.kid,
            "alg": "RS256",
            "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
        })
    }

    /// Big-endian modulus and exponent.
    pub fn components(&self) -> (Vec<u8>, Vec<u8>) {
        let public = self.pair.public_key();
        (
            public.modulus().big_endian_without_leading_zero().to_vec(),
            public.exponent().big_endian_without_leading_zero().to_vec(),
        )
    }

    /// A compact JWS with `header` (alg/kid added unless present) and `claims`.
    pub fn sign(&self, header: serde_json::Value, claims: &serde_json::Value) -> String {
        let mut header = header;
        if let Some(object) = header.as_object_mut() {
            object.entry("alg").or_insert_with(|| "RS256".into());
            object
                .entry("kid")
                .or_insert_with(|| self.kid.clone().into());
            object.entry("typ").or_insert_with(|| "JWT".into());
        }
        self.sign_raw(&header.to_string(), &claims.to_string())
    }

    /// A compact JWS over exactly these header and payload JSON texts (duplicate keys and all).
    pub fn sign_raw(&self, header_json: &str, payload_json: &str) -> String {
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header_json),
            URL_SAFE_NO_PAD.encode(payload_json)
        );
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .expect("RS256 signing");
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// A token signed with the RSA algorithm `alg` (RS256/384/512, PS256/384/512).
    pub fn sign_alg(&self, alg: &str, claims: &serde_json::Value) -> String {
        let encoding: &'static dyn RsaEncoding = match alg {
            "RS384" => &RSA_PKCS1_SHA384,
            "RS512" => &RSA_PKCS1_SHA512,
            "PS256" => &RSA_PSS_SHA256,
            "PS384" => &RSA_PSS_SHA384,
            "PS512" => &RSA_PSS_SHA512,
            _ => &RSA_PKCS1_SHA256,
        };
        let header = serde_json::json!({"alg": alg, "kid": self.kid, "typ": "JWT"});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                encoding,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .expect("RSA signing");
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// An RS256 token with default header.
    pub fn token(&self, claims: &serde_json::Value) -> String {
        self.sign(serde_json::json!({}), claims)
    }
}

/// A JWKS document holding `keys`.
pub fn jwks(keys: &[&SigningKey]) -> String {
    serde_json::json!({ "keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>() })
        .to_string()
}

/// Keycloak-like access token claims for `client_id`, valid for `lifetime` seconds from now.
pub fn keycloak_claims(
    issuer: &str,
    client_id: &str,
    now: i64,
    lifetime: i64,
) -> serde_json::Value {
    serde_json::json!({
        "exp": now + lifetime,
        "iat": now,
        "jti": "trrtcc:643cf4cd-44ae-2a3f-d664-6580b274a108",
        "iss": issuer,
        "aud": "account",
        "sub": "e7b5a37b-d06a-4b40-92d7-36f09768ed79",
        "typ": "Bearer",
        "azp": client_id,
        "acr": "1",
        "allowed-origins": ["/*"],
        "realm_access": {"roles": ["offline_access", "uma_authorization", "default-roles-kong"]},
        "resource_access": {"account": {"roles": ["manage-account", "manage-account-links", "view-profile"]}},
        "scope": "openid email profile",
        "clientHost": "10.244.0.106",
        "email_verified": false,
        "preferred_username": format!("service-account-{client_id}"),
        "clientAddress": "10.244.0.106",
        "client_id": client_id,
    })
}

/// Seconds since the epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
