//! Verified client tokens by a salted SHA-256 of the token: a repeated token costs a hash and
//! a lookup, not a signature check or an IdP call. Bounded; an entry is never used past its
//! `expires_at`; the token itself is never stored.

use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::time::Instant;

use aws_lc_rs::{digest, rand};
use dashmap::DashMap;

use super::identity::Identity;

/// Cache key: SHA-256 over the per-process salt and the token.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TokenKey([u8; 32]);

/// Hashes a `TokenKey` by its first eight bytes: the key is already a salted SHA-256, so
/// nobody without the salt can aim at a shard or bucket, and SipHash over it would be waste.
#[derive(Default)]
pub struct PrefixHasher(u64);

impl Hasher for PrefixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for (i, byte) in bytes.iter().take(8).enumerate() {
            self.0 ^= u64::from(*byte) << (8 * i);
        }
    }
}

/// A bounded map from token hash to identity.
pub struct IdentityCache {
    salt: [u8; 32],
    entries: DashMap<TokenKey, Arc<Identity>, BuildHasherDefault<PrefixHasher>>,
    max_entries: usize,
}

impl IdentityCache {
    pub fn new(max_entries: usize) -> Self {
        let mut salt = [0u8; 32];
        // A failing system RNG leaves an all-zero salt: keys stay hashes of the token.
        let _ = rand::fill(&mut salt);
        Self {
            salt,
            entries: DashMap::default(),
            max_entries: max_entries.max(1),
        }
    }

    pub fn key(&self, token: &str) -> TokenKey {
        let mut context = digest::Context::new(&digest::SHA256);
        context.update(&self.salt);
        context.update(token.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(context.finish().as_ref());
        TokenKey(out)
    }

    /// The identity cached for `key`, unless it has expired (an expired one is removed).
    pub fn get(&self, key: &TokenKey, now: Instant) -> Option<Arc<Identity>> {
        let found = self.entries.get(key).map(|entry| entry.value().clone())?;
        if now < found.expires_at {
            return Some(found);
        }
        self.entries.remove(key);
        None
    }

    /// Stores `identity` unless it is already expired or the cache is full of live entries.
    pub fn insert(&self, key: TokenKey, identity: Arc<Identity>, now: Instant) {
        if now >= identity.expires_at {
            return;
        }
        if self.entries.len() >= self.max_entries {
            self.sweep(now);
            if self.entries.len() >= self.max_entries {
                return;
            }
        }
        self.entries.insert(key, identity);
    }

    pub fn forget(&self, key: &TokenKey) {
        self.entries.remove(key);
    }

    /// Drops every expired entry.
    pub fn sweep(&self, now: Instant) {
        self.entries.retain(|_, identity| now < identity.expires_at);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
