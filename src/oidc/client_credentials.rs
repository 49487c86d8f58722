//! The client_credentials flow: credentials in, a verified (usually cached) token out.
//!
//! A cache hit costs a keyed hash and a lookup. A miss makes one IdP call per credential key,
//! however many requests wait for it, and verifies the new token once. A token nearing its
//! end is refreshed in the background while callers keep using it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::HeaderValue;

use super::cache_key::CacheKeyer;
use super::flow_error::FlowError;
use super::idp_error::IdpError;
use super::jwt::{self, Expectations, JwtError};
use super::provider::Provider;
use super::secret::ClientCredentials;
use super::token_cache::{
    freshness, CacheLimits, CachedToken, FetchRecord, Lookup, Slot, TokenCache,
};
use super::token_endpoint::{request_token, GrantSettings};
use crate::config::openid_connect::TokenEndpointAuthMethod;
use crate::metrics::IdpEndpoint;

/// Settings of the flow, from the plugin config.
#[derive(Debug, Clone)]
pub struct FlowSettings {
    pub auth_method: TokenEndpointAuthMethod,
    pub scopes: Vec<String>,
    pub timeout: Duration,
    pub leeway_seconds: i64,
    pub cache_tokens: bool,
    pub ttl_min: Option<Duration>,
    pub ttl_max: Option<Duration>,
    pub negative_ttl: Duration,
    /// Scheme put before the token upstream (`Bearer`), or none for the bare token.
    pub upstream_scheme: Option<String>,
    pub consumer_claims: Vec<String>,
    /// `authenticated_groups_claim`: a claim path; empty = none.
    pub groups_claim: Vec<String>,
    pub cache_limits: CacheLimits,
}

/// A moment, on both clocks the flow needs.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub monotonic: Instant,
    pub unix_seconds: i64,
}

impl Now {
    pub fn current() -> Self {
        let unix_seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Self {
            monotonic: Instant::now(),
            unix_seconds,
        }
    }

    /// The later of two moments (a clock passed in by a caller may be behind).
    pub fn max_of(self, other: Now) -> Now {
        self.max(other)
    }

    fn max(self, other: Now) -> Now {
        Now {
            monotonic: self.monotonic.max(other.monotonic),
            unix_seconds: self.unix_seconds.max(other.unix_seconds),
        }
    }
}

/// Longest a token is cached, whatever its `exp` says.
const MAX_CACHE_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Back-off after a failed background refresh.
const REFRESH_RETRY_AFTER: Duration = Duration::from_secs(2);

/// The flow for one plugin configuration.
pub struct ClientCredentialsFlow {
    settings: FlowSettings,
    provider: Arc<Provider>,
    keyer: CacheKeyer,
    cache: TokenCache,
}

impl ClientCredentialsFlow {
    pub fn new(settings: FlowSettings, provider: Arc<Provider>, salt: Option<&str>) -> Self {
        Self {
            cache: TokenCache::new(settings.cache_limits),
            keyer: CacheKeyer::new(salt),
            settings,
            provider,
        }
    }

    pub fn provider(&self) -> &Arc<Provider> {
        &self.provider
    }

    pub fn cache(&self) -> &TokenCache {
        &self.cache
    }

    /// A verified token for `credentials`, from the cache when possible.
    pub async fn token(
        self: &Arc<Self>,
        credentials: &ClientCredentials,
        now: Now,
    ) -> Result<Arc<CachedToken>, FlowError> {
        if !self.settings.cache_tokens {
            return self.fetch_and_verify(credentials).await.map(Arc::new);
        }
        let (slot, lookup) = self.lookup(credentials, now);
        crate::metrics::global().token_cache.looked_up(&lookup);
        match lookup {
            Lookup::Fresh(token) => Ok(token),
            Lookup::Stale(token) => {
                self.start_background_refresh(slot, credentials, now);
                Ok(token)
            }
            Lookup::Rejected => Err(FlowError::Rejected),
            Lookup::Missing => self.fetch_single_flight(&slot, credentials, now).await,
        }
    }

    /// The cache slot of `credentials` and what it holds now: the whole cache-hit path.
    pub fn lookup(&self, credentials: &ClientCredentials, now: Now) -> (Arc<Slot>, Lookup) {
        let key = self.keyer.key(self.provider.issuer(), credentials);
        let slot = self.cache.slot(key, now.monotonic);
        let lookup = self.usable(&slot, now);
        (slot, lookup)
    }

    /// TEST AND BENCHMARK ONLY: puts `token` in the cache for `credentials` without an IdP.
    #[doc(hidden)]
    pub fn insert_for_tests(&self, credentials: &ClientCredentials, token: CachedToken, now: Now) {
        let key = self.keyer.key(self.provider.issuer(), credentials);
        self.cache.slot(key, now.monotonic).store(Arc::new(token));
    }

    /// The slot's lookup, with a token whose signing key left the key set treated as missing.
    fn usable(&self, slot: &Slot, now: Now) -> Lookup {
        let lookup = slot.lookup(now.monotonic);
        let (Lookup::Fresh(token) | Lookup::Stale(token)) = &lookup else {
            return lookup;
        };
        let generation = self.provider.keys_generation();
        if token.confirmed_keys_generation.load(Ordering::Relaxed) == generation {
            return lookup;
        }
        let still_trusted = match &token.kid {
            Some(kid) => self.provider.keys().contains_kid(kid),
            None => !self.provider.keys().is_empty(),
        };
        if still_trusted {
            token
                .confirmed_keys_generation
                .store(generation, Ordering::Relaxed);
            lookup
        } else {
            slot.forget();
            Lookup::Missing
        }
    }

    async fn fetch_single_flight(
        &self,
        slot: &Slot,
        credentials: &ClientCredentials,
        now: Now,
    ) -> Result<Arc<CachedToken>, FlowError> {
        let generation_seen = slot.fetch_generation.load(Ordering::Acquire);
        let mut record = slot.fetch.lock().await;
        // Waiting for the lock may have taken a while.
        let now = Now::current().max(now);
        match self.usable(slot, now) {
            Lookup::Fresh(token) | Lookup::Stale(token) => return Ok(token),
            Lookup::Rejected => return Err(FlowError::Rejected),
            Lookup::Missing => {}
        }
        if record.generation != generation_seen {
            if let Some(failure) = &record.last_failure {
                return Err(failure.clone());
            }
        }
        self.fetch_locked(slot, &mut record, credentials).await
    }

    /// One fetch while holding the slot's single-flight lock (`record`): the outcome is stored
    /// in the slot and published to the requests waiting on the lock before it is released.
    async fn fetch_locked(
        &self,
        slot: &Slot,
        record: &mut FetchRecord,
        credentials: &ClientCredentials,
    ) -> Result<Arc<CachedToken>, FlowError> {
        let result = self.fetch_and_verify(credentials).await.map(Arc::new);
        match &result {
            Ok(token) => slot.store(token.clone()),
            // Timed from now: the IdP call may have taken longer than the negative TTL.
            Err(FlowError::Rejected) => {
                slot.reject(Now::current().monotonic + self.settings.negative_ttl)
            }
            Err(_) => {}
        }
        record.last_failure = result.as_ref().err().cloned();
        record.generation += 1;
        slot.fetch_generation
            .store(record.generation, Ordering::Release);
        result
    }

    fn start_background_refresh(
        self: &Arc<Self>,
        slot: Arc<Slot>,
        credentials: &ClientCredentials,
        now: Now,
    ) {
        if !slot.refresh_allowed(now.monotonic) || slot.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        crate::metrics::global().token_cache.refresh_started();
        let flow = self.clone();
        let credentials = credentials.clone();
        tokio::spawn(async move {
            flow.refresh(&slot, &credentials).await;
            slot.refreshing.store(false, Ordering::Release);
        });
    }

    /// The background refresh: one fetch under the slot's lock, unless a request already
    /// fetched while this task waited for it. On failure the current token stays in use.
    async fn refresh(&self, slot: &Slot, credentials: &ClientCredentials) {
        let mut record = slot.fetch.lock().await;
        if matches!(self.usable(slot, Now::current()), Lookup::Fresh(_)) {
            return;
        }
        match self.fetch_locked(slot, &mut record, credentials).await {
            Ok(_) | Err(FlowError::Rejected) => {}
            Err(error) => {
                log::warn!("background token refresh failed: {error}");
                slot.back_off(Now::current().monotonic + REFRESH_RETRY_AFTER);
            }
        }
    }

    /// One IdP call and one verification.
    async fn fetch_and_verify(
        &self,
        credentials: &ClientCredentials,
    ) -> Result<CachedToken, FlowError> {
        let endpoint = self
            .provider
            .token_endpoint()
            .await
            .map_err(FlowError::IdpUnavailable)?;
        let grant = GrantSettings {
            auth_method: self.settings.auth_method,
            scopes: &self.settings.scopes,
            timeout: self.settings.timeout,
        };
        let call = request_token(self.provider_client(), &endpoint, credentials, &grant);
        let response = match crate::metrics::timed(IdpEndpoint::Token, call).await {
            Ok(response) => response,
            Err(IdpError::Rejected { status }) => {
                log::info!("token endpoint rejected client credentials (status {status})");
                return Err(FlowError::Rejected);
            }
            Err(error) => return Err(FlowError::IdpUnavailable(error)),
        };
        // The token was issued after the request started: judge it by the clock of now.
        let now = Now::current();
        let verified = self.verify(&response.access_token, now).await?;
        let lifetime = self.lifetime(verified.expires_at, response.expires_in, now);
        let (stale_at, expires_at) = freshness(now.monotonic, lifetime);
        let authenticated_groups = super::groups_claim::groups_of_token(
            &response.access_token,
            &self.settings.groups_claim,
        );
        let upstream_value = match &self.settings.upstream_scheme {
            Some(scheme) => HeaderValue::try_from(format!("{scheme} {}", response.access_token)),
            None => HeaderValue::try_from(response.access_token),
        }
        .map_err(|_| FlowError::InvalidToken(JwtError::Malformed))?;
        Ok(CachedToken {
            upstream_value,
            kid: verified.kid.map(String::into_boxed_str),
            consumer_claim_values: verified.claim_values,
            authenticated_groups,
            stale_at,
            expires_at,
            confirmed_keys_generation: AtomicU64::new(self.provider.keys_generation()),
        })
    }

    fn provider_client(&self) -> &reqwest::Client {
        self.provider.client()
    }

    async fn verify(&self, token: &str, now: Now) -> Result<jwt::VerifiedToken, FlowError> {
        let expect = Expectations {
            issuer: self.provider.issuer(),
            leeway_seconds: self.settings.leeway_seconds,
        };
        let claims = &self.settings.consumer_claims;
        let keys = self.provider.keys();
        match jwt::verify(token, &keys, &expect, now.unix_seconds, claims) {
            Err(JwtError::UnknownKey(_)) => {}
            other => return other.map_err(FlowError::InvalidToken),
        }
        let refreshed = self
            .provider
            .refresh_for_unknown_kid()
            .await
            .map_err(FlowError::IdpUnavailable)?;
        jwt::verify(token, &refreshed, &expect, now.unix_seconds, claims)
            .map_err(FlowError::InvalidToken)
    }

    /// How long to cache a token: until its `exp` (sooner if `expires_in` says so), within
    /// `cache_ttl_min`/`cache_ttl_max` and never past `exp` nor beyond a day. A token already
    /// past its `exp` (accepted within leeway) serves this request only.
    fn lifetime(&self, exp: i64, expires_in: Option<u64>, now: Now) -> Duration {
        let until_exp = Duration::from_secs(exp.saturating_sub(now.unix_seconds).max(0) as u64);
        let mut lifetime = match expires_in.filter(|seconds| *seconds > 0) {
            Some(seconds) => until_exp.min(Duration::from_secs(seconds)),
            None => until_exp,
        };
        if let Some(max) = self.settings.ttl_max {
            lifetime = lifetime.min(max);
        }
        if let Some(min) = self.settings.ttl_min {
            lifetime = lifetime.max(min);
        }
        lifetime.min(until_exp).min(MAX_CACHE_LIFETIME)
    }
}
