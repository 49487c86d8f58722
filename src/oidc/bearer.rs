//! The bearer method: a client-supplied JWT verified locally against the provider's keys,
//! then cached by its hash until its `exp`, so a repeated token costs a hash and a lookup.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::bearer_token;
use super::client_credentials::Now;
use super::identity::{Identity, IdentityBuilder};
use super::identity_cache::{IdentityCache, TokenKey};
use super::jwks::KeySet;
use super::jwt::{self, JwtError};
use super::provider::Provider;
use super::token_error::TokenError;

/// Longest a verified token is cached, whatever its `exp` says.
const MAX_CACHE_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Settings of the bearer method, from the plugin config.
#[derive(Debug, Clone)]
pub struct BearerSettings {
    /// `issuers_allowed`, without trailing `/`; the provider's issuer when empty.
    pub issuers_allowed: Vec<String>,
    pub leeway_seconds: i64,
    /// `cache_ttl_max`: a verified token is not cached longer than this.
    pub ttl_max: Option<Duration>,
    pub cache_max_entries: usize,
    /// `enable_hs_signatures`: the client secrets HS256/384/512 tokens may be signed with
    /// (empty: HS tokens are refused).
    pub hs_secrets: Vec<String>,
}

/// Verifies bearer JWTs for one plugin configuration.
pub struct BearerVerifier {
    provider: Arc<Provider>,
    issuers: Vec<String>,
    /// Top-level claims the identity builder reads (the others are skipped unparsed).
    wanted: Vec<String>,
    settings: BearerSettings,
    builder: IdentityBuilder,
    cache: IdentityCache,
}

impl BearerVerifier {
    pub fn new(
        settings: BearerSettings,
        builder: IdentityBuilder,
        provider: Arc<Provider>,
    ) -> Self {
        let issuers = if settings.issuers_allowed.is_empty() {
            vec![provider.issuer().to_owned()]
        } else {
            settings
                .issuers_allowed
                .iter()
                .map(|i| i.trim_end_matches('/').to_owned())
                .collect()
        };
        Self {
            cache: IdentityCache::new(settings.cache_max_entries),
            issuers,
            wanted: builder.claim_roots(),
            settings,
            builder,
            provider,
        }
    }

    pub fn cache(&self) -> &IdentityCache {
        &self.cache
    }

    /// The identity of `token`: from the cache, else verified (refreshing the keys once,
    /// rate-limited, when its `kid` is unknown) and cached.
    pub async fn authenticate(&self, token: &str, now: Now) -> Result<Arc<Identity>, TokenError> {
        if token.len() > jwt::MAX_TOKEN_LEN {
            return Err(TokenError::Invalid(JwtError::TooLarge));
        }
        let (key, cached) = self.cached(token, now);
        if let Some(identity) = cached {
            return Ok(identity);
        }
        bearer_token::checked(token.as_bytes())
            .map_err(|_| TokenError::Invalid(JwtError::Malformed))?;
        // The generation is read before the keys: an identity is never marked as confirmed
        // by a key set newer than the one that verified it.
        let generation = self.provider.keys_generation();
        let keys = self.provider.keys();
        let identity = match self.verify_at(token, &keys, generation, now) {
            Err(TokenError::Invalid(JwtError::UnknownKey(_))) => {
                let refreshed = self
                    .provider
                    .refresh_for_unknown_kid()
                    .await
                    .map_err(TokenError::IdpUnavailable)?;
                self.verify_at(token, &refreshed, generation, now)?
            }
            other => other?,
        };
        let identity = Arc::new(identity);
        self.cache.insert(key, identity.clone(), now.monotonic);
        Ok(identity)
    }

    /// The cache-hit path: the token's key and its cached identity, if any (an identity whose
    /// signing key left the key set is dropped).
    pub fn cached(&self, token: &str, now: Now) -> (TokenKey, Option<Arc<Identity>>) {
        let key = self.cache.key(token);
        let Some(identity) = self.cache.get(&key, now.monotonic) else {
            return (key, None);
        };
        let generation = self.provider.keys_generation();
        if identity.confirmed_keys_generation.load(Ordering::Relaxed) == generation {
            return (key, Some(identity));
        }
        let keys = self.provider.keys();
        let still_trusted = keys.find(identity.kid.as_deref()).is_some();
        if still_trusted {
            identity
                .confirmed_keys_generation
                .store(generation, Ordering::Relaxed);
            (key, Some(identity))
        } else {
            self.cache.forget(&key);
            (key, None)
        }
    }

    /// The cold path: one signature check and claim extraction against `keys`.
    pub fn verify_with(
        &self,
        token: &str,
        keys: &KeySet,
        now: Now,
    ) -> Result<Identity, TokenError> {
        self.verify_at(token, keys, self.provider.keys_generation(), now)
    }

    /// [`BearerVerifier::verify_with`], recording `generation` (read before `keys` was) as
    /// the key-set generation that confirmed the identity.
    fn verify_at(
        &self,
        token: &str,
        keys: &KeySet,
        generation: u64,
        now: Now,
    ) -> Result<Identity, TokenError> {
        let verified = jwt::verify_bearer_with_secrets(
            token,
            keys,
            &self.settings.hs_secrets,
            &self.issuers,
            self.settings.leeway_seconds,
            now.unix_seconds,
            &self.wanted,
        )
        .map_err(TokenError::Invalid)?;
        let expires_at = self.expiry(verified.expires_at, now);
        self.builder.build(
            &verified.claims,
            expires_at,
            verified.kid.as_deref(),
            generation,
        )
    }

    /// When the cached identity stops being used: the token's `exp` (never later), within
    /// `cache_ttl_max` and a day.
    fn expiry(&self, exp: i64, now: Now) -> Instant {
        let until_exp = Duration::from_secs(exp.saturating_sub(now.unix_seconds).max(0) as u64);
        let mut lifetime = until_exp.min(MAX_CACHE_LIFETIME);
        if let Some(max) = self.settings.ttl_max {
            lifetime = lifetime.min(max);
        }
        now.monotonic + lifetime
    }
}
