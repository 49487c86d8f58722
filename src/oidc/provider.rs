//! One identity provider as seen by the gateway: discovery, token endpoint and signing keys.
//!
//! Keys come from the discovered `jwks_uri` and every `extra_jwks_uris` entry; each source
//! keeps its last good keys when a fetch fails. Key refreshes are single-flight, and a
//! refresh asked for because of an unknown `kid` is rate-limited.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::http_fetch::get_document;
use super::idp_error::IdpError;
use super::jwks::{parse_jwks, KeySet};
use crate::metrics::IdpEndpoint;

/// Where the provider lives and how patient to be with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProviderSettings {
    pub issuer: String,
    pub token_endpoint: Option<String>,
    pub extra_jwks_uris: Vec<String>,
    pub timeout: Duration,
    /// Whether the IdP's TLS certificate is verified (part of the identity: two plugins that
    /// differ here never share a client).
    pub ssl_verify: bool,
    /// Least time between two key refreshes caused by unknown `kid`s.
    pub min_refetch_interval: Duration,
}

#[derive(Deserialize)]
struct DiscoveryDocument {
    #[serde(default)]
    token_endpoint: Option<String>,
    #[serde(default)]
    jwks_uri: Option<String>,
    #[serde(default)]
    introspection_endpoint: Option<String>,
}

#[derive(Default)]
struct Discovered {
    token_endpoint: Option<String>,
    jwks_uri: Option<String>,
    introspection_endpoint: Option<String>,
}

/// Where discovery lives below the issuer.
const DISCOVERY_SUFFIX: &str = "/.well-known/openid-configuration";

/// State of one provider, shared by every request and the background refresher.
pub struct Provider {
    settings: ProviderSettings,
    client: reqwest::Client,
    discovered: RwLock<Option<Discovered>>,
    keys: RwLock<Arc<KeySet>>,
    keys_generation: AtomicU64,
    keys_by_source: Mutex<HashMap<String, Arc<KeySet>>>,
    /// When the last refresh ran, and its failure if it failed.
    last_refresh: Mutex<Option<(Instant, Option<IdpError>)>>,
    refresh_lock: tokio::sync::Mutex<()>,
}

impl Provider {
    pub fn new(settings: ProviderSettings, client: reqwest::Client) -> Self {
        Self {
            settings,
            client,
            discovered: RwLock::new(None),
            keys: RwLock::new(Arc::new(KeySet::default())),
            keys_generation: AtomicU64::new(0),
            keys_by_source: Mutex::new(HashMap::new()),
            last_refresh: Mutex::new(None),
            refresh_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The HTTP client every IdP call goes through.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The issuer value tokens must carry: the configured issuer without a trailing `/` or a
    /// `/.well-known/openid-configuration` suffix (Kong accepts either form).
    pub fn issuer(&self) -> &str {
        let issuer = self.settings.issuer.trim_end_matches('/');
        issuer
            .strip_suffix(DISCOVERY_SUFFIX)
            .unwrap_or(issuer)
            .trim_end_matches('/')
    }

    /// The current key set.
    pub fn keys(&self) -> Arc<KeySet> {
        match self.keys.read() {
            Ok(keys) => keys.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Changes every time the key set is replaced.
    pub fn keys_generation(&self) -> u64 {
        self.keys_generation.load(Ordering::Acquire)
    }

    /// The configured token endpoint, else the discovered one (discovering now if needed).
    pub async fn token_endpoint(&self) -> Result<String, IdpError> {
        if let Some(endpoint) = &self.settings.token_endpoint {
            return Ok(endpoint.clone());
        }
        if let Some(endpoint) = self.discovered_token_endpoint() {
            return Ok(endpoint);
        }
        {
            // Single flight, and at most one attempt per refetch interval.
            let _single_flight = self.refresh_lock.lock().await;
            if self.discovered_token_endpoint().is_none() {
                match self.recent_refresh() {
                    Some(Some(failure)) => return Err(failure),
                    Some(None) => {}
                    None => self.refresh_locked().await?,
                }
            }
        }
        self.discovered_token_endpoint()
            .ok_or(IdpError::InvalidResponse("discovery has no token_endpoint"))
    }

    /// The discovered introspection endpoint (discovering now if needed, rate-limited).
    pub async fn introspection_endpoint(&self) -> Result<String, IdpError> {
        if let Some(endpoint) = self.discovered_introspection_endpoint() {
            return Ok(endpoint);
        }
        {
            let _single_flight = self.refresh_lock.lock().await;
            if self.discovered_introspection_endpoint().is_none() {
                match self.recent_refresh() {
                    Some(Some(failure)) => return Err(failure),
                    Some(None) => {}
                    None => self.refresh_locked().await?,
                }
            }
        }
        self.discovered_introspection_endpoint()
            .ok_or(IdpError::InvalidResponse(
                "discovery has no introspection_endpoint",
            ))
    }

    fn discovered_introspection_endpoint(&self) -> Option<String> {
        let discovered = self.discovered.read().ok()?;
        discovered.as_ref()?.introspection_endpoint.clone()
    }

    fn discovered_token_endpoint(&self) -> Option<String> {
        let discovered = self.discovered.read().ok()?;
        discovered.as_ref()?.token_endpoint.clone()
    }

    fn discovery_url(&self) -> String {
        format!("{}{DISCOVERY_SUFFIX}", self.issuer())
    }

    async fn discover(&self) -> Result<(), IdpError> {
        let url = self.discovery_url();
        let call = get_document(&self.client, &url, self.settings.timeout);
        let body = crate::metrics::timed(IdpEndpoint::Discovery, call).await?;
        let document: DiscoveryDocument = serde_json::from_slice(&body)
            .map_err(|_| IdpError::InvalidResponse("discovery is not JSON"))?;
        if let Ok(mut discovered) = self.discovered.write() {
            *discovered = Some(Discovered {
                token_endpoint: document.token_endpoint,
                jwks_uri: document.jwks_uri,
                introspection_endpoint: document.introspection_endpoint,
            });
        }
        Ok(())
    }

    /// Fetches discovery and every JWKS source, then publishes the union
    /// of each source's last good keys. Fails only when no source at all answered.
    pub async fn refresh(&self) -> Result<(), IdpError> {
        let _single_flight = self.refresh_lock.lock().await;
        self.refresh_locked().await
    }

    /// Refreshes keys because a token named a `kid` we lack, at most once per
    /// `min_refetch_interval`. Returns the (possibly unchanged) key set.
    pub async fn refresh_for_unknown_kid(&self) -> Result<Arc<KeySet>, IdpError> {
        let generation_before = self.keys_generation();
        let _single_flight = self.refresh_lock.lock().await;
        if self.keys_generation() != generation_before {
            return Ok(self.keys());
        }
        match self.recent_refresh() {
            // Too soon to ask again: report what the last attempt found.
            Some(Some(failure)) => Err(failure),
            Some(None) => Ok(self.keys()),
            None => {
                self.refresh_locked().await?;
                Ok(self.keys())
            }
        }
    }

    /// The outcome of a refresh made within `min_refetch_interval`, if there was one.
    fn recent_refresh(&self) -> Option<Option<IdpError>> {
        let last = self.last_refresh.lock().ok()?.clone()?;
        (last.0.elapsed() < self.settings.min_refetch_interval).then_some(last.1)
    }

    async fn refresh_locked(&self) -> Result<(), IdpError> {
        let outcome = self.fetch_all_sources().await;
        crate::metrics::global().jwks_refreshed(outcome.is_ok());
        if let Ok(mut last) = self.last_refresh.lock() {
            *last = Some((Instant::now(), outcome.as_ref().err().cloned()));
        }
        outcome
    }

    async fn fetch_all_sources(&self) -> Result<(), IdpError> {
        let discovery = self.discover().await;
        let mut sources = self.settings.extra_jwks_uris.clone();
        if let Some(uri) = self
            .discovered
            .read()
            .ok()
            .and_then(|d| d.as_ref()?.jwks_uri.clone())
        {
            if !sources.contains(&uri) {
                sources.insert(0, uri);
            }
        }
        let mut first_error = discovery.err();
        let mut any_success = false;
        for source in &sources {
            match self.fetch_keys(source).await {
                Ok(keys) => {
                    any_success = true;
                    if let Ok(mut by_source) = self.keys_by_source.lock() {
                        by_source.insert(source.clone(), Arc::new(keys));
                    }
                }
                Err(error) => {
                    log::warn!("jwks fetch from {} failed: {error}", redact_query(source));
                    first_error.get_or_insert(error);
                }
            }
        }
        if any_success {
            self.publish_keys();
            return Ok(());
        }
        Err(first_error.unwrap_or(IdpError::InvalidResponse(
            "no JWKS source configured or discovered",
        )))
    }

    async fn fetch_keys(&self, url: &str) -> Result<KeySet, IdpError> {
        let call = get_document(&self.client, url, self.settings.timeout);
        let body = crate::metrics::timed(IdpEndpoint::Jwks, call).await?;
        let parsed = parse_jwks(&body).map_err(|_| IdpError::InvalidResponse("not a JWKS"))?;
        for (kid, problem) in &parsed.skipped {
            log::debug!(
                "jwks key {kid:?} from {} left out: {problem:?}",
                redact_query(url)
            );
        }
        Ok(parsed.keys)
    }

    fn publish_keys(&self) {
        let mut combined = KeySet::default();
        if let Ok(by_source) = self.keys_by_source.lock() {
            for keys in by_source.values() {
                combined.merge(keys);
            }
        }
        if let Ok(mut keys) = self.keys.write() {
            *keys = Arc::new(combined);
        }
        self.keys_generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// A URL as it may be logged: without its query string.
pub fn redact_query(url: &str) -> &str {
    url.split_once('?').map_or(url, |(base, _)| base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(issuer: &str) -> Provider {
        let settings = ProviderSettings {
            issuer: issuer.to_owned(),
            token_endpoint: None,
            extra_jwks_uris: Vec::new(),
            timeout: Duration::from_secs(1),
            ssl_verify: true,
            min_refetch_interval: Duration::from_secs(1),
        };
        Provider::new(settings, reqwest::Client::new())
    }

    #[test]
    fn issuer_is_normalised_from_either_form() {
        for written in [
            "http://idp/realms/kong",
            "http://idp/realms/kong/",
            "http://idp/realms/kong/.well-known/openid-configuration",
        ] {
            let provider = provider(written);
            assert_eq!(provider.issuer(), "http://idp/realms/kong", "{written}");
            assert_eq!(
                provider.discovery_url(),
                "http://idp/realms/kong/.well-known/openid-configuration"
            );
        }
    }
}
