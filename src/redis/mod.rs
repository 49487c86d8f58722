//! The Redis tier the plugins share (rate-limiting's `redis` policy): one client per
//! server settings, all driven by one small runtime that lives as long as the registry.

pub mod client;
pub mod settings;

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock};

use client::RedisClient;
use settings::RedisSettings;

/// Failed Redis calls in this process (`oidc_gateway_redis_failures_total`).
pub fn failures() -> &'static Arc<AtomicU64> {
    static FAILURES: OnceLock<Arc<AtomicU64>> = OnceLock::new();
    FAILURES.get_or_init(Arc::default)
}

/// The clients, by settings, and their runtime.
#[derive(Default)]
pub struct RedisClients {
    runtime: OnceLock<Option<tokio::runtime::Runtime>>,
    clients: Mutex<HashMap<RedisSettings, Arc<RedisClient>>>,
}

impl RedisClients {
    /// The client for `settings` (the same one for equal settings, so reloads keep it);
    /// `None` only when the Redis runtime could not be started.
    pub fn client(&self, settings: &RedisSettings) -> Option<Arc<RedisClient>> {
        let runtime = self
            .runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("redis")
                    .enable_all()
                    .build()
                    .map_err(|e| log::error!("redis: cannot start its runtime: {e}"))
                    .ok()
            })
            .as_ref()?;
        let mut clients = match self.clients.lock() {
            Ok(clients) => clients,
            Err(poisoned) => poisoned.into_inner(),
        };
        let client = clients.entry(settings.clone()).or_insert_with(|| {
            Arc::new(RedisClient::new(
                settings.clone(),
                runtime.handle().clone(),
                failures().clone(),
            ))
        });
        Some(client.clone())
    }
}

impl Drop for RedisClients {
    fn drop(&mut self) {
        // A runtime may not be dropped inside another runtime's context.
        if let Some(Some(runtime)) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
