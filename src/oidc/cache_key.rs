//! The token cache key: a keyed hash of issuer, client id and secret, never the secret itself.
//!
//! HMAC-SHA-256 keyed with a per-process random salt plus the operator's `cache_tokens_salt`;
//! every field is length-prefixed, so `a:b` + `c` and `a` + `b:c` give different keys.

use aws_lc_rs::{hmac, rand};

use super::secret::ClientCredentials;

/// 32 bytes that identify one (issuer, client_id, client_secret) within this process.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    /// A key from raw bytes (tests and benchmarks).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

/// Derives cache keys; holds the HMAC key built from the salts.
pub struct CacheKeyer {
    key: hmac::Key,
}

impl CacheKeyer {
    /// A keyer with a fresh random per-process salt, extended by the configured salt.
    pub fn new(configured_salt: Option<&str>) -> Self {
        let mut salt = [0u8; 32];
        // A failing system RNG leaves the configured salt (or the issuer) as the only key
        // material; the cache still never stores a secret in clear.
        let _ = rand::fill(&mut salt);
        let mut material = salt.to_vec();
        if let Some(configured) = configured_salt {
            material.extend_from_slice(configured.as_bytes());
        }
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &material),
        }
    }

    pub fn key(&self, issuer: &str, credentials: &ClientCredentials) -> CacheKey {
        let mut context = hmac::Context::with_key(&self.key);
        for field in [
            issuer,
            credentials.client_id.as_str(),
            credentials.client_secret.expose(),
        ] {
            context.update(&(field.len() as u64).to_be_bytes());
            context.update(field.as_bytes());
        }
        let tag = context.sign();
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        CacheKey(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::secret::ClientSecret;

    fn creds(id: &str, secret: &str) -> ClientCredentials {
        ClientCredentials {
            client_id: id.into(),
            client_secret: ClientSecret::new(secret.into()),
        }
    }

    #[test]
    fn fields_are_length_prefixed() {
        let keyer = CacheKeyer::new(None);
        assert_ne!(
            keyer.key("iss", &creds("a:b", "c")),
            keyer.key("iss", &creds("a", "b:c"))
        );
        assert_ne!(
            keyer.key("iss", &creds("a", "b")),
            keyer.key("is", &creds("sa", "b"))
        );
        assert_eq!(
            keyer.key("iss", &creds("a", "b")),
            keyer.key("iss", &creds("a", "b"))
        );
    }

    #[test]
    fn salts_change_the_key() {
        let one = CacheKeyer::new(Some("x"));
        let two = CacheKeyer::new(Some("x"));
        assert_ne!(
            one.key("iss", &creds("a", "b")),
            two.key("iss", &creds("a", "b"))
        );
    }
}
