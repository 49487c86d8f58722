//! One immutable configuration as requests see it, and the store that swaps it atomically.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use crate::config::compiled::CompiledConfig;
use crate::metrics::SnapshotMetrics;
use crate::plugin::api::Plugin;
use crate::plugin::openid_connect::OpenIdConnectPlugin;
use crate::plugin::openid_connect_plugin::OpenIdConnectPluginConfig;
use crate::plugin::registry::PluginRegistry;

/// A compiled declarative config with its plugin runtimes attached.
pub struct Snapshot {
    pub config: CompiledConfig,
    /// The runtime of each plugin instance, by index into `config.plugins`.
    pub plugins: Vec<Arc<dyn Plugin>>,
    /// The openid-connect runtimes among them (readiness, cache sweeping, reload bookkeeping).
    pub openid_connect: Vec<Arc<OpenIdConnectPlugin>>,
    /// When this snapshot was built (for `/status`).
    pub loaded_at: SystemTime,
    /// The request counters of its routes and the metric labels of its consumers.
    pub metrics: SnapshotMetrics,
}

impl Snapshot {
    /// Attaches plugin runtimes from `registry` (existing ones are reused).
    pub fn build(config: CompiledConfig, registry: &PluginRegistry) -> Self {
        let plugins = config
            .plugins
            .iter()
            .map(|plugin| plugin.config.build_instance(registry, plugin))
            .collect();
        let openid_connect = config
            .plugins
            .iter()
            .filter_map(|plugin| {
                let oidc = plugin
                    .config
                    .as_any()
                    .downcast_ref::<OpenIdConnectPluginConfig>()?;
                Some(registry.openid_connect(&oidc.0))
            })
            .collect();
        Self {
            metrics: crate::metrics::global().for_config(&config),
            config,
            plugins,
            openid_connect,
            loaded_at: SystemTime::now(),
        }
    }
}

/// How many configuration reloads were applied and how many were rejected.
#[derive(Debug, Default)]
pub struct ReloadCounts {
    pub succeeded: AtomicU64,
    pub failed: AtomicU64,
}

/// The current snapshot; each request pins one for its whole life.
pub struct SnapshotStore {
    current: RwLock<Arc<Snapshot>>,
    reloads: ReloadCounts,
    /// Set the first time `/status/ready` could answer 200; a reload never clears it.
    has_been_ready: AtomicBool,
}

impl SnapshotStore {
    pub fn new(snapshot: Snapshot) -> Self {
        Self {
            current: RwLock::new(Arc::new(snapshot)),
            reloads: ReloadCounts::default(),
            has_been_ready: AtomicBool::new(false),
        }
    }

    /// Whether the gateway was ready once (it then stays ready across reloads, as Kong's).
    pub fn has_been_ready(&self) -> bool {
        self.has_been_ready.load(Ordering::Relaxed)
    }

    /// Latches readiness (see `metrics::status_page::readiness`).
    pub fn mark_ready(&self) {
        self.has_been_ready.store(true, Ordering::Relaxed);
    }

    /// Reload outcomes so far (a successful reload is counted by `replace`).
    pub fn reloads(&self) -> &ReloadCounts {
        &self.reloads
    }

    /// Counts a reload whose new configuration was rejected.
    pub fn record_rejected_reload(&self) {
        self.reloads.failed.fetch_add(1, Ordering::Relaxed);
    }

    pub fn current(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Makes `snapshot` current (a successful reload); its upstreams take over the target
    /// health of the old one.
    pub fn replace(&self, snapshot: Snapshot) {
        self.reloads.succeeded.fetch_add(1, Ordering::Relaxed);
        crate::balancer::carry_over_health(
            &self.current().config.upstreams,
            &snapshot.config.upstreams,
        );
        let snapshot = Arc::new(snapshot);
        match self.current.write() {
            Ok(mut current) => *current = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
    }
}
