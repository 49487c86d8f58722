//! One immutable configuration as requests see it, and the store that swaps it atomically.

use std::sync::{Arc, RwLock};

use crate::config::compiled::CompiledConfig;
use crate::plugin::openid_connect::OpenIdConnectPlugin;
use crate::plugin::registry::PluginRegistry;

/// A compiled declarative config with its plugin runtimes attached.
pub struct Snapshot {
    pub config: CompiledConfig,
    /// The effective `openid-connect` runtime of each route, by route index.
    pub openid_connect: Vec<Option<Arc<OpenIdConnectPlugin>>>,
}

impl Snapshot {
    /// Attaches plugin runtimes from `registry` (existing ones are reused).
    pub fn build(config: CompiledConfig, registry: &PluginRegistry) -> Self {
        let openid_connect = config
            .routes
            .iter()
            .map(|route| {
                route
                    .openid_connect
                    .as_ref()
                    .map(|plugin| registry.openid_connect(&plugin.config))
            })
            .collect();
        Self {
            config,
            openid_connect,
        }
    }
}

/// The current snapshot; each request pins one for its whole life.
pub struct SnapshotStore {
    current: RwLock<Arc<Snapshot>>,
}

impl SnapshotStore {
    pub fn new(snapshot: Snapshot) -> Self {
        Self {
            current: RwLock::new(Arc::new(snapshot)),
        }
    }

    pub fn current(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Makes `snapshot` current; its upstreams take over the target health of the old one.
    pub fn replace(&self, snapshot: Snapshot) {
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
