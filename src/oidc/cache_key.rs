//! The token cache key: a keyed hash of issuer, client id and secret, never the secret itself.
//!
//! SHA-256 over a per-process random salt, the operator's `cache_tokens_salt`, and every
//! field length-prefixed, so `a:b` + `c` and `a` + `b:c` give different keys. One digest call
//! over a stack buffer: this runs on every request.

use aws_lc_rs::{digest, rand};

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

/// Inputs up to this size are hashed from the stack.
const STACK_INPUT: usize = 512;

/// Derives cache keys; holds the salt.
pub struct CacheKeyer {
    salt: Vec<u8>,
}

impl CacheKeyer {
    /// A keyer with a fresh random per-process salt, extended by the configured salt.
    pub fn new(configured_salt: Option<&str>) -> Self {
        let mut random = [0u8; 32];
        // A failing system RNG leaves the configured salt as the only key material; the
        // cache still never stores a secret in clear.
        let _ = rand::fill(&mut random);
        let mut salt = random.to_vec();
        if let Some(configured) = configured_salt {
            salt.extend_from_slice(&(configured.len() as u64).to_be_bytes());
            salt.extend_from_slice(configured.as_bytes());
        }
        Self { salt }
    }

    pub fn key(&self, issuer: &str, credentials: &ClientCredentials) -> CacheKey {
        let fields = [issuer, credentials.client_id(), credentials.expose_secret()];
        let len = self.salt.len() + fields.iter().map(|f| 8 + f.len()).sum::<usize>();
        let mut stack = [0u8; STACK_INPUT];
        let mut heap = Vec::new();
        let buffer: &mut [u8] = if len <= STACK_INPUT {
            &mut stack[..len]
        } else {
            heap.resize(len, 0);
            &mut heap
        };
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            buffer[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        put(&self.salt);
        for field in fields {
            put(&(field.len() as u64).to_be_bytes());
            put(field.as_bytes());
        }
        let digest = digest::digest(&digest::SHA256, buffer);
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        CacheKey(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(id: &str, secret: &str) -> ClientCredentials {
        ClientCredentials::new(id, secret)
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

    #[test]
    fn long_inputs_hash_from_the_heap() {
        let keyer = CacheKeyer::new(None);
        let long = "s".repeat(2000);
        assert_eq!(
            keyer.key("iss", &creds("a", &long)),
            keyer.key("iss", &creds("a", &long))
        );
        assert_ne!(
            keyer.key("iss", &creds("a", &long)),
            keyer.key("iss", &creds("a", "s"))
        );
    }
}
