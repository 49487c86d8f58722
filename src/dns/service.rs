//! The DNS refresher, a Pingora background service (it survives daemonising): resolves every
//! registered name when it is due, a bounded number at a time, on its own runtime, so no
//! proxy phase ever waits on a query it started.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use tokio::task::JoinSet;

use super::lookup::{Lookup, Outcome};
use super::refresh::{apply, due, last_kind};
use super::registry::registry;
use super::settings::DnsSettings;

/// Most queries in flight at once.
const CONCURRENCY: usize = 64;
/// Longest sleep between two looks at the registry.
const MAX_SLEEP: Duration = Duration::from_secs(1);
/// How often names nobody uses are forgotten.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// Resolves registered names in the background.
pub struct DnsRefresher {
    settings: Arc<DnsSettings>,
}

impl DnsRefresher {
    pub fn new(settings: DnsSettings) -> Self {
        registry().set_capacity(settings.cache_size);
        registry().set_refresher_running(true);
        Self {
            settings: Arc::new(settings),
        }
    }
}

#[async_trait]
impl BackgroundService for DnsRefresher {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let lookup = Arc::new(Lookup::new(&self.settings));
        let mut running: JoinSet<String> = JoinSet::new();
        let mut in_flight: HashSet<String> = HashSet::new();
        let mut next_forget = Instant::now() + FORGET_EVERY;
        loop {
            let now = Instant::now();
            let mut wake = now + MAX_SLEEP;
            for name in registry().names() {
                if in_flight.contains(name.name()) {
                    continue;
                }
                let at = due(&name);
                if at > now {
                    wake = wake.min(at);
                    continue;
                }
                if running.len() >= CONCURRENCY {
                    break;
                }
                in_flight.insert(name.name().to_owned());
                let lookup = Arc::clone(&lookup);
                let settings = Arc::clone(&self.settings);
                running.spawn(async move {
                    let outcome = lookup.resolve(name.name(), last_kind(&name)).await;
                    apply(&name, outcome, &settings, Instant::now());
                    name.name().to_owned()
                });
            }
            if now >= next_forget {
                registry().forget_unused();
                next_forget = now + FORGET_EVERY;
            }
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep_until(wake.into()) => {}
                _ = registry().added().notified() => {}
                Some(done) = running.join_next(), if !running.is_empty() => {
                    match done {
                        Ok(name) => {
                            in_flight.remove(&name);
                        }
                        Err(error) => {
                            // A panicked lookup: forget which names were in flight, all are
                            // retried when due.
                            log::error!("dns lookup task failed: {error}");
                            in_flight.clear();
                        }
                    }
                }
            }
            while let Some(done) = running.try_join_next() {
                if let Ok(name) = done {
                    in_flight.remove(&name);
                }
            }
        }
    }
}

/// `-t`: resolves each of `names` once, all at once on a runtime of their own, each
/// bounded by `limit`; returns those that do not resolve, with why, in the order given.
pub fn check_names(
    settings: &DnsSettings,
    names: &[String],
    limit: Duration,
) -> Vec<(String, String)> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return names
                .iter()
                .map(|n| (n.clone(), format!("cannot start a resolver: {error}")))
                .collect()
        }
    };
    runtime.block_on(async {
        let lookup = Arc::new(Lookup::new(settings));
        let mut checks = JoinSet::new();
        for (index, name) in names.iter().enumerate() {
            let lookup = Arc::clone(&lookup);
            let name = name.clone();
            checks.spawn(async move {
                let outcome = tokio::time::timeout(limit, lookup.resolve(&name, None)).await;
                let why = match outcome {
                    Ok(Outcome::Found { .. }) => None,
                    Ok(Outcome::NotFound) => Some("name not found".to_owned()),
                    Ok(Outcome::Failed(message)) => Some(message),
                    Err(_) => Some("timed out".to_owned()),
                };
                (index, name, why)
            });
        }
        let mut failed = Vec::new();
        while let Some(done) = checks.join_next().await {
            if let Ok((index, name, Some(why))) = done {
                failed.push((index, name, why));
            }
        }
        failed.sort_by_key(|(index, _, _)| *index);
        failed
            .into_iter()
            .map(|(_, name, why)| (name, why))
            .collect()
    })
}
