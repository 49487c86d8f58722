//! The token cache: one slot per credential key, sharded, bounded, with single-flight fetches.
//!
//! A slot holds the verified token (or a short "rejected" mark) and the lock that makes
//! concurrent misses for one key wait for a single IdP call. No DashMap guard is ever held
//! across an `.await`: callers clone the slot's `Arc` and drop the guard first.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use http::HeaderValue;

use super::cache_key::CacheKey;
use super::flow_error::FlowError;

/// A token fetched from the IdP, already verified.
pub struct CachedToken {
    /// The value of the upstream header, e.g. `Bearer <jwt>`.
    pub upstream_value: HeaderValue,
    /// The key that signed it, to notice when that key leaves the key set.
    pub kid: Option<Box<str>>,
    /// Values of each configured `consumer_claim`, in order.
    pub consumer_claim_values: Vec<Vec<String>>,
    /// The groups at `authenticated_groups_claim`, when configured and present.
    pub authenticated_groups: Option<std::sync::Arc<[String]>>,
    /// From here on a request triggers a background refresh but still uses this token.
    pub stale_at: Instant,
    /// From here on the token is not used.
    pub expires_at: Instant,
    /// The provider key-set generation at which `kid` was last seen in the key set.
    pub confirmed_keys_generation: AtomicU64,
}

/// What a slot can give a request right now.
pub enum Lookup {
    Fresh(Arc<CachedToken>),
    /// Usable, but a refresh should start (the caller decides whether one is running).
    Stale(Arc<CachedToken>),
    Rejected,
    Missing,
}

#[derive(Default)]
struct SlotState {
    token: Option<Arc<CachedToken>>,
    rejected_until: Option<Instant>,
    refresh_not_before: Option<Instant>,
}

/// Result of the most recent fetch for a slot, shared with the requests that waited on it.
#[derive(Default)]
pub struct FetchRecord {
    pub generation: u64,
    pub last_failure: Option<FlowError>,
}

/// One credential's cache entry.
pub struct Slot {
    state: RwLock<SlotState>,
    /// Held while fetching: the single-flight lock.
    pub fetch: tokio::sync::Mutex<FetchRecord>,
    /// Copy of `FetchRecord::generation`, readable without the lock.
    pub fetch_generation: AtomicU64,
    pub refreshing: AtomicBool,
    last_used: AtomicU64,
}

impl Slot {
    fn new(now_tick: u64) -> Self {
        Self {
            state: RwLock::new(SlotState::default()),
            fetch: tokio::sync::Mutex::new(FetchRecord::default()),
            fetch_generation: AtomicU64::new(0),
            refreshing: AtomicBool::new(false),
            last_used: AtomicU64::new(now_tick),
        }
    }

    pub fn lookup(&self, now: Instant) -> Lookup {
        let Ok(state) = self.state.read() else {
            return Lookup::Missing;
        };
        if let Some(token) = &state.token {
            if now < token.stale_at {
                return Lookup::Fresh(token.clone());
            }
            if now < token.expires_at {
                return Lookup::Stale(token.clone());
            }
        }
        if state.rejected_until.is_some_and(|until| now < until) {
            return Lookup::Rejected;
        }
        Lookup::Missing
    }

    /// Whether a background refresh may start now (not inside a failure back-off).
    pub fn refresh_allowed(&self, now: Instant) -> bool {
        self.state
            .read()
            .map(|s| s.refresh_not_before.is_none_or(|t| now >= t))
            .unwrap_or(false)
    }

    pub fn store(&self, token: Arc<CachedToken>) {
        if let Ok(mut state) = self.state.write() {
            *state = SlotState {
                token: Some(token),
                ..SlotState::default()
            };
        }
    }

    /// Marks the credentials as rejected until `until`; any cached token is dropped.
    pub fn reject(&self, until: Instant) {
        if let Ok(mut state) = self.state.write() {
            *state = SlotState {
                rejected_until: Some(until),
                ..SlotState::default()
            };
        }
    }

    /// Drops the token (its key left the key set, say).
    pub fn forget(&self) {
        if let Ok(mut state) = self.state.write() {
            state.token = None;
        }
    }

    /// After a failed background refresh: try again no sooner than `not_before`.
    pub fn back_off(&self, not_before: Instant) {
        if let Ok(mut state) = self.state.write() {
            state.refresh_not_before = Some(not_before);
        }
    }

    /// Nothing usable, nothing remembered, nobody fetching: the slot can go.
    fn is_dead(&self, now: Instant) -> bool {
        let idle = self.fetch.try_lock().is_ok();
        let state_dead = self.state.read().is_ok_and(|s| {
            s.token.as_ref().is_none_or(|t| now >= t.expires_at)
                && s.rejected_until.is_none_or(|u| now >= u)
        });
        idle && state_dead
    }
}

/// Sizes of the cache.
#[derive(Debug, Clone, Copy)]
pub struct CacheLimits {
    /// Most credentials held at once.
    pub max_entries: usize,
}

/// The sharded cache of slots.
pub struct TokenCache {
    slots: DashMap<CacheKey, Arc<Slot>>,
    limits: CacheLimits,
    epoch: Instant,
}

impl TokenCache {
    pub fn new(limits: CacheLimits) -> Self {
        Self {
            slots: DashMap::new(),
            limits,
            epoch: Instant::now(),
        }
    }

    fn tick(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_secs()
    }

    /// The slot for `key`, created when missing. The returned `Arc` outlives the map guard.
    pub fn slot(&self, key: CacheKey, now: Instant) -> Arc<Slot> {
        let tick = self.tick(now);
        if let Some(slot) = self.slots.get(&key) {
            slot.last_used.store(tick, Ordering::Relaxed);
            return slot.clone();
        }
        if self.slots.len() >= self.limits.max_entries {
            self.evict(now);
        }
        self.slots
            .entry(key)
            .or_insert_with(|| Arc::new(Slot::new(tick)))
            .clone()
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Removes every dead slot. Returns how many went.
    pub fn sweep(&self, now: Instant) -> usize {
        let before = self.slots.len();
        self.slots.retain(|_, slot| !slot.is_dead(now));
        let removed = before.saturating_sub(self.slots.len());
        crate::metrics::global().token_cache.expired(removed);
        removed
    }

    /// Makes room: dead slots first, else the least recently used quarter of a sample.
    fn evict(&self, now: Instant) {
        if self.sweep(now) > 0 {
            return;
        }
        const SAMPLE: usize = 64;
        let mut sample: Vec<(CacheKey, u64)> = self
            .slots
            .iter()
            .take(SAMPLE)
            .map(|entry| {
                (
                    *entry.key(),
                    entry.value().last_used.load(Ordering::Relaxed),
                )
            })
            .collect();
        sample.sort_by_key(|(_, used)| *used);
        for (key, _) in sample.iter().take(SAMPLE / 4 + 1) {
            if self.slots.remove(key).is_some() {
                crate::metrics::global().token_cache.evicted();
            }
        }
    }
}

/// When a token fetched at `now`, valid for `lifetime`, goes stale and expires.
///
/// Refresh starts a tenth of the lifetime before the end (1 s to 60 s); the token is not
/// used in the last quarter of that margin, so upstreams never receive an expired token.
pub fn freshness(now: Instant, lifetime: Duration) -> (Instant, Instant) {
    let ahead = (lifetime / 10).clamp(Duration::from_secs(1), Duration::from_secs(60));
    let ahead = ahead.min(lifetime / 2);
    let stale_at = now + lifetime.saturating_sub(ahead);
    let expires_at = now + lifetime.saturating_sub(ahead / 4);
    (stale_at, expires_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(now: Instant, lifetime: Duration) -> Arc<CachedToken> {
        let (stale_at, expires_at) = freshness(now, lifetime);
        Arc::new(CachedToken {
            upstream_value: HeaderValue::from_static("Bearer x"),
            kid: None,
            consumer_claim_values: Vec::new(),
            authenticated_groups: None,
            stale_at,
            expires_at,
            confirmed_keys_generation: AtomicU64::new(0),
        })
    }

    fn key(n: u8) -> CacheKey {
        crate::oidc::cache_key::CacheKey::from_bytes([n; 32])
    }

    #[test]
    fn freshness_refreshes_before_expiry() {
        let now = Instant::now();
        let (stale, expires) = freshness(now, Duration::from_secs(300));
        assert_eq!(stale - now, Duration::from_secs(270));
        assert_eq!(expires - now, Duration::from_millis(292_500));
        let (stale, expires) = freshness(now, Duration::from_secs(3));
        assert_eq!(stale - now, Duration::from_secs(2));
        assert!(expires > stale && expires - now < Duration::from_secs(3));
    }

    #[test]
    fn lookup_walks_fresh_stale_missing() {
        let now = Instant::now();
        let cache = TokenCache::new(CacheLimits { max_entries: 10 });
        let slot = cache.slot(key(1), now);
        assert!(matches!(slot.lookup(now), Lookup::Missing));
        slot.store(token(now, Duration::from_secs(100)));
        assert!(matches!(slot.lookup(now), Lookup::Fresh(_)));
        assert!(matches!(
            slot.lookup(now + Duration::from_secs(95)),
            Lookup::Stale(_)
        ));
        assert!(matches!(
            slot.lookup(now + Duration::from_secs(100)),
            Lookup::Missing
        ));
        slot.reject(now + Duration::from_secs(5));
        assert!(matches!(slot.lookup(now), Lookup::Rejected));
        assert!(matches!(
            slot.lookup(now + Duration::from_secs(5)),
            Lookup::Missing
        ));
    }

    #[test]
    fn size_is_bounded() {
        let now = Instant::now();
        let cache = TokenCache::new(CacheLimits { max_entries: 8 });
        for n in 0..100u8 {
            cache
                .slot(key(n), now)
                .store(token(now, Duration::from_secs(100)));
        }
        assert!(cache.len() <= 8, "len {}", cache.len());
    }

    #[test]
    fn sweep_removes_dead_slots_only() {
        let now = Instant::now();
        let cache = TokenCache::new(CacheLimits { max_entries: 8 });
        cache
            .slot(key(1), now)
            .store(token(now, Duration::from_secs(10)));
        cache
            .slot(key(2), now)
            .store(token(now, Duration::from_secs(100)));
        assert_eq!(cache.sweep(now + Duration::from_secs(20)), 1);
        assert_eq!(cache.len(), 1);
    }
}
