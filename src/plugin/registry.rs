//! Plugin state that outlives one configuration: OIDC flows and providers, reused by identity.
//!
//! A reload that keeps a plugin's config unchanged gets the same flow back, so its token
//! cache and key set survive; providers are shared by every plugin with the same settings.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::openid_connect::OpenIdConnectPlugin;
use super::rate_limiting::counters::LocalCounters;
use super::settings::PluginSettings;
use crate::config::openid_connect::OpenIdConnectConfig;
use crate::oidc::provider::{Provider, ProviderSettings};
use crate::redis::RedisClients;

/// Builds and remembers plugin runtimes.
pub struct PluginRegistry {
    settings: PluginSettings,
    client: reqwest::Client,
    insecure_client: reqwest::Client,
    plugins: Mutex<HashMap<OpenIdConnectConfig, Arc<OpenIdConnectPlugin>>>,
    providers: Mutex<HashMap<ProviderSettings, Arc<Provider>>>,
    /// Woken after a reload so providers new to the config get their keys at once.
    providers_changed: tokio::sync::Notify,
    /// rate-limiting's `local` counters, one store for the process (Kong's shared dict).
    rate_limit_counters: Arc<LocalCounters>,
    /// Redis clients by settings (rate-limiting's `redis` policy).
    redis: RedisClients,
}

impl PluginRegistry {
    /// Builds the IdP HTTP clients; call before the server starts.
    pub fn new(settings: PluginSettings) -> Result<Self, reqwest::Error> {
        Ok(Self {
            client: idp_client(settings.idp_connect_timeout, true)?,
            insecure_client: idp_client(settings.idp_connect_timeout, false)?,
            settings,
            plugins: Mutex::new(HashMap::new()),
            providers: Mutex::new(HashMap::new()),
            providers_changed: tokio::sync::Notify::new(),
            rate_limit_counters: Arc::default(),
            redis: RedisClients::default(),
        })
    }

    /// Notified after a reload (`reload.rs`); the background refresher waits on it.
    pub fn providers_changed(&self) -> &tokio::sync::Notify {
        &self.providers_changed
    }

    /// rate-limiting's `local` counters (they survive reloads, as Kong's shared dict does).
    pub fn rate_limit_counters(&self) -> Arc<LocalCounters> {
        self.rate_limit_counters.clone()
    }

    /// The Redis clients (one per server settings, kept across reloads).
    pub fn redis(&self) -> &RedisClients {
        &self.redis
    }

    pub fn settings(&self) -> &PluginSettings {
        &self.settings
    }

    /// The runtime for `config`, the existing one when the same config was seen before.
    pub fn openid_connect(&self, config: &Arc<OpenIdConnectConfig>) -> Arc<OpenIdConnectPlugin> {
        let mut plugins = match self.plugins.lock() {
            Ok(plugins) => plugins,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(plugin) = plugins.get(config.as_ref()) {
            return plugin.clone();
        }
        let provider = self.provider(config);
        let plugin = Arc::new(OpenIdConnectPlugin::new(
            config.clone(),
            provider,
            &self.settings,
        ));
        plugins.insert(config.as_ref().clone(), plugin.clone());
        plugin
    }

    /// Every provider known, for the background refresher.
    pub fn providers(&self) -> Vec<Arc<Provider>> {
        match self.providers.lock() {
            Ok(providers) => providers.values().cloned().collect(),
            Err(poisoned) => poisoned.into_inner().values().cloned().collect(),
        }
    }

    /// Every plugin runtime known, for cache sweeping.
    pub fn plugins(&self) -> Vec<Arc<OpenIdConnectPlugin>> {
        match self.plugins.lock() {
            Ok(plugins) => plugins.values().cloned().collect(),
            Err(poisoned) => poisoned.into_inner().values().cloned().collect(),
        }
    }

    /// Forgets every runtime not in `in_use` (the current snapshot's) and the providers only
    /// they used, after a reload: the refresher stops refreshing them and their caches go
    /// once the requests that pinned an older snapshot are done.
    pub fn retain_only(&self, in_use: &[Arc<OpenIdConnectPlugin>]) {
        let wanted: HashSet<ProviderSettings> = {
            let mut plugins = match self.plugins.lock() {
                Ok(plugins) => plugins,
                Err(poisoned) => poisoned.into_inner(),
            };
            plugins.retain(|_, plugin| in_use.iter().any(|used| Arc::ptr_eq(used, plugin)));
            plugins
                .keys()
                .map(|config| self.provider_settings(config))
                .collect()
        };
        let mut providers = match self.providers.lock() {
            Ok(providers) => providers,
            Err(poisoned) => poisoned.into_inner(),
        };
        providers.retain(|settings, _| wanted.contains(settings));
    }

    fn provider_settings(&self, config: &OpenIdConnectConfig) -> ProviderSettings {
        ProviderSettings {
            issuer: config.issuer.clone(),
            token_endpoint: config.token_endpoint.clone(),
            extra_jwks_uris: config.extra_jwks_uris.clone(),
            timeout: Duration::from_millis(config.timeout),
            ssl_verify: config.ssl_verify,
            min_refetch_interval: self.settings.jwks_min_refetch_interval,
        }
    }

    fn provider(&self, config: &OpenIdConnectConfig) -> Arc<Provider> {
        let settings = self.provider_settings(config);
        let mut providers = match self.providers.lock() {
            Ok(providers) => providers,
            Err(poisoned) => poisoned.into_inner(),
        };
        let client = if config.ssl_verify {
            self.client.clone()
        } else {
            self.insecure_client.clone()
        };
        providers
            .entry(settings.clone())
            .or_insert_with(|| Arc::new(Provider::new(settings, client)))
            .clone()
    }
}

fn idp_client(
    connect_timeout: Duration,
    verify_tls: bool,
) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(crate::dns::IdpResolver)
        .tls_danger_accept_invalid_certs(!verify_tls)
        .user_agent(concat!("oidc-gateway/", env!("CARGO_PKG_VERSION")))
        .build()
}
