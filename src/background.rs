//! Background work, run as a Pingora background service (so it survives daemonising):
//! discovery and JWKS refresh for every provider, retried until the IdP answers, and the
//! sweeping of dead token-cache slots.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;

use crate::plugin::registry::PluginRegistry;

/// First retry delay after a failed refresh; doubles up to `MAX_RETRY`.
const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(30);
/// How often dead cache slots are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Keeps key sets fresh and caches tidy.
pub struct Refresher {
    registry: Arc<PluginRegistry>,
}

impl Refresher {
    pub fn new(registry: Arc<PluginRegistry>) -> Self {
        Self { registry }
    }

    /// Refreshes every provider once, or with `only_new` those that never had keys (new
    /// after a reload); returns whether all succeeded.
    async fn refresh(&self, only_new: bool) -> bool {
        let mut all_ok = true;
        for provider in self.registry.providers() {
            if only_new && provider.keys_generation() > 0 {
                continue;
            }
            if let Err(error) = provider.refresh().await {
                all_ok = false;
                log::warn!("refresh of provider {} failed: {error}", provider.issuer());
            }
        }
        all_ok
    }

    fn sweep(&self) {
        let now = Instant::now();
        for plugin in self.registry.plugins() {
            plugin.sweep_token_caches(now);
            let removed = plugin.flow().cache().sweep(now);
            if removed > 0 {
                log::debug!("token cache: swept {removed} dead entries");
            }
        }
    }
}

#[async_trait]
impl BackgroundService for Refresher {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let interval = self.registry.settings().jwks_refresh_interval;
        let mut retry = FIRST_RETRY;
        let mut next_refresh = Instant::now();
        let mut next_sweep = Instant::now() + SWEEP_EVERY;
        loop {
            if Instant::now() >= next_refresh {
                let delay = if self.refresh(false).await {
                    retry = FIRST_RETRY;
                    interval
                } else {
                    let delay = retry.min(interval);
                    retry = (retry * 2).min(MAX_RETRY);
                    delay
                };
                next_refresh = Instant::now() + delay;
            }
            if Instant::now() >= next_sweep {
                self.sweep();
                next_sweep = Instant::now() + SWEEP_EVERY;
            }
            let wake = next_refresh.min(next_sweep);
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep_until(wake.into()) => {}
                _ = self.registry.providers_changed().notified() => {
                    if !self.refresh(true).await {
                        next_refresh = next_refresh.min(Instant::now() + retry);
                    }
                }
            }
        }
    }
}
