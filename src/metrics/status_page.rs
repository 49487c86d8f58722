//! `/status` (Kong-like JSON) and `/status/ready`, read from the counters and the snapshot.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use serde_json::{json, Value};

use crate::oidc::provider::Provider;
use crate::plugin::openid_connect::OpenIdConnectPlugin;
use crate::snapshot::{Snapshot, SnapshotStore};

/// The distinct plugin runtimes of the snapshot's routes.
pub fn plugins(snapshot: &Snapshot) -> Vec<&Arc<OpenIdConnectPlugin>> {
    let mut seen = HashSet::new();
    snapshot
        .openid_connect
        .iter()
        .filter(|plugin| seen.insert(Arc::as_ptr(plugin)))
        .collect()
}

/// The distinct identity providers of the snapshot's routes.
pub fn providers(snapshot: &Snapshot) -> Vec<&Arc<Provider>> {
    let mut seen = HashSet::new();
    plugins(snapshot)
        .into_iter()
        .map(|plugin| plugin.flow().provider())
        .filter(|provider| seen.insert(Arc::as_ptr(provider)))
        .collect()
}

/// Ready once the configuration is loaded (it is, once a snapshot exists) and every identity
/// provider it uses has had its signing keys (JWKS) fetched at least once; with no provider
/// the gateway is ready at once. Once ready it stays ready: a reload that brings a new
/// provider must not take a whole fleet out of its load balancers at once (Kong's readiness
/// does not go back either). The error says what is still missing.
pub fn readiness(store: &SnapshotStore) -> Result<(), String> {
    if store.has_been_ready() {
        return Ok(());
    }
    let waiting = providers(&store.current())
        .iter()
        .filter(|provider| provider.keys_generation() == 0)
        .count();
    if waiting == 0 {
        store.mark_ready();
        Ok(())
    } else {
        Err(format!(
            "waiting for the signing keys (JWKS) of {waiting} identity provider(s)"
        ))
    }
}

/// Token cache entries over every plugin of the snapshot.
pub fn token_cache_entries(snapshot: &Snapshot) -> usize {
    plugins(snapshot)
        .iter()
        .map(|plugin| plugin.flow().cache().len())
        .sum()
}

/// `/status/ready`: status code and body.
pub fn ready_response(store: &SnapshotStore) -> (u16, Value) {
    match readiness(store) {
        Ok(()) => (200, json!({ "message": "ready" })),
        Err(message) => (503, json!({ "message": message })),
    }
}

/// `/status`.
pub fn status_document(store: &SnapshotStore) -> Value {
    let snapshot = store.current();
    let metrics = super::global();
    let load = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
    let loaded_at = snapshot
        .loaded_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut document = json!({
        "server": {
            "connections_accepted": load(&metrics.connections.accepted),
            "connections_active": load(&metrics.connections.active),
            "connections_handled": load(&metrics.connections.handled),
            "total_requests": load(&metrics.total_requests),
        },
        "configuration_hash": snapshot.config.source_hash,
        "configuration_loaded_at": loaded_at,
        "configuration_reloads": {
            "succeeded": load(&store.reloads().succeeded),
            "failed": load(&store.reloads().failed),
        },
        "ready": readiness(store).is_ok(),
        "token_cache_entries": token_cache_entries(&snapshot),
        "version": env!("CARGO_PKG_VERSION"),
    });
    if let (Some(memory), Some(object)) = (process_memory(), document.as_object_mut()) {
        object.insert("memory".to_owned(), memory);
    }
    document
}

/// Resident and virtual size of this process, from `/proc/self/status` (Linux).
fn process_memory() -> Option<Value> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kilobytes = |field: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some(json!({
        "resident_bytes": kilobytes("VmRSS:")? * 1024,
        "virtual_bytes": kilobytes("VmSize:")? * 1024,
    }))
}
