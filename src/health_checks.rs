//! One Pingora background service that runs the active health checks of every upstream
//! of the current snapshot (not one service per upstream: each service costs a thread).
//! When the snapshot is replaced the checks of the old one stop and the new one's start.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use tokio::task::JoinSet;

use crate::balancer::run_active_checks;
use crate::snapshot::SnapshotStore;

/// How often the service looks for a replaced snapshot.
const SNAPSHOT_POLL: Duration = Duration::from_secs(1);

/// Runs the active health checks of the current snapshot's upstreams.
pub struct HealthChecks {
    store: Arc<SnapshotStore>,
}

impl HealthChecks {
    pub fn new(store: Arc<SnapshotStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl BackgroundService for HealthChecks {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        loop {
            let snapshot = self.store.current();
            let mut checks = JoinSet::new();
            for balancer in &snapshot.config.upstreams {
                if balancer.has_active_checks() {
                    checks.spawn(run_active_checks(Arc::clone(balancer)));
                }
            }
            // Until shutdown, or until the snapshot is replaced (dropping `checks` aborts them).
            loop {
                tokio::select! {
                    _ = shutdown.changed() => return,
                    _ = tokio::time::sleep(SNAPSHOT_POLL) => {}
                }
                if !Arc::ptr_eq(&snapshot, &self.store.current()) {
                    break;
                }
            }
            checks.shutdown().await;
        }
    }
}
