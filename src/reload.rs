//! Declarative configuration reload (at SIGHUP, see `signals.rs`).
//!
//! The declarative file is read and compiled again; a good one replaces the snapshot
//! (requests in flight keep the one they pinned, unchanged plugin configs keep their
//! runtimes, so token caches and key sets survive), a bad one is logged error by error, with
//! its path, and the old configuration stays. The server file (listeners, default
//! certificates, Pingora keys) is not reloaded: that takes a restart or a binary upgrade.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{load_declarative_file, ConfigErrors};
use crate::plugin::registry::PluginRegistry;
use crate::snapshot::{Snapshot, SnapshotStore};

/// What a reload needs: the file, the store to update, the plugin runtimes to reuse.
pub struct Reloader {
    path: PathBuf,
    store: Arc<SnapshotStore>,
    registry: Arc<PluginRegistry>,
    /// One reload at a time, in the order the signals came.
    running: tokio::sync::Mutex<()>,
}

impl Reloader {
    /// `path` should be absolute: a daemon runs in `/`.
    pub fn new(path: PathBuf, store: Arc<SnapshotStore>, registry: Arc<PluginRegistry>) -> Self {
        Self {
            path,
            store,
            registry,
            running: tokio::sync::Mutex::new(()),
        }
    }

    /// One reload, off the async threads (reading and compiling the file is blocking work).
    pub async fn reload_now(&self) {
        let _one_at_a_time = self.running.lock().await;
        log::info!("SIGHUP received, reloading {}", self.path.display());
        let path = self.path.clone();
        let store = Arc::clone(&self.store);
        let registry = Arc::clone(&self.registry);
        let outcome =
            tokio::task::spawn_blocking(move || reload_declarative(&path, &store, &registry)).await;
        if let Err(error) = outcome {
            self.store.record_rejected_reload();
            log::error!("configuration reload failed: {error}");
        }
    }
}
/// Compiles `path` and makes it current, or logs every error and keeps the current one.
/// Returns the new configuration hash, or the errors.
pub fn reload_declarative(
    path: &Path,
    store: &SnapshotStore,
    registry: &PluginRegistry,
) -> Result<String, ConfigErrors> {
    match load_declarative_file(path) {
        Ok(compiled) => {
            let hash = compiled.source_hash.clone();
            store.replace(Snapshot::build(compiled, registry));
            let in_use: Vec<_> = store.current().openid_connect.to_vec();
            registry.retain_only(&in_use);
            // Providers new to this config get their discovery and keys now, not at the
            // next periodic refresh.
            registry.providers_changed().notify_one();
            log::info!(
                "configuration reloaded (hash {hash}) from {}",
                path.display()
            );
            Ok(hash)
        }
        Err(errors) => {
            store.record_rejected_reload();
            for error in errors.iter() {
                log::error!("configuration reload rejected: {error}");
            }
            log::error!(
                "configuration reload rejected: {} error(s) in {}; still serving hash {}",
                errors.len(),
                path.display(),
                store.current().config.source_hash
            );
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::settings::PluginSettings;
    use std::sync::atomic::Ordering;

    fn document(path: &str, scope: &str) -> String {
        format!(
            r#"_format_version: "3.0"
services:
- name: svc
  url: http://127.0.0.1:9
  routes:
  - name: oidc
    paths: ["{path}"]
    plugins:
    - name: openid-connect
      config:
        auth_methods: ["client_credentials"]
        issuer: http://127.0.0.1:9/realms/test
        scopes: ["{scope}"]
        consumer_optional: true
"#
        )
    }

    struct Fixture {
        dir: PathBuf,
        file: PathBuf,
        store: SnapshotStore,
        registry: PluginRegistry,
    }

    impl Fixture {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("oidc-gateway-reload-{tag}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join("kong.yaml");
            std::fs::write(&file, document("/a", "openid")).unwrap();
            let registry = PluginRegistry::new(PluginSettings::default()).unwrap();
            let compiled = load_declarative_file(&file).unwrap();
            let store = SnapshotStore::new(Snapshot::build(compiled, &registry));
            Self {
                dir,
                file,
                store,
                registry,
            }
        }

        fn reload(&self, text: &str) -> Result<String, ConfigErrors> {
            std::fs::write(&self.file, text).unwrap();
            reload_declarative(&self.file, &self.store, &self.registry)
        }

        fn plugin(&self) -> Arc<crate::plugin::openid_connect::OpenIdConnectPlugin> {
            self.store.current().openid_connect[0].clone()
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    #[test]
    fn an_unchanged_plugin_config_keeps_its_runtime_and_pinned_snapshots_stay() {
        let fixture = Fixture::new("keep");
        let pinned = fixture.store.current();
        let plugin = fixture.plugin();
        let hash = fixture.reload(&document("/b", "openid")).unwrap();
        assert_ne!(hash, pinned.config.source_hash);
        assert_eq!(fixture.store.current().config.source_hash, hash);
        assert!(Arc::ptr_eq(&plugin, &fixture.plugin()), "runtime rebuilt");
        // A request that pinned the old snapshot keeps it whole, runtime included.
        assert_ne!(pinned.config.source_hash, hash);
        assert!(Arc::ptr_eq(&pinned.openid_connect[0].clone(), &plugin));
        assert_eq!(fixture.store.reloads().succeeded.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_changed_plugin_config_gets_a_new_runtime() {
        let fixture = Fixture::new("change");
        let plugin = fixture.plugin();
        fixture.reload(&document("/a", "email")).unwrap();
        assert!(!Arc::ptr_eq(&plugin, &fixture.plugin()));
        // The old runtime is forgotten; its provider (same issuer) is still in use.
        assert_eq!(fixture.registry.plugins().len(), 1);
        assert!(Arc::ptr_eq(
            &fixture.registry.plugins()[0],
            &fixture.plugin()
        ));
        assert_eq!(fixture.registry.providers().len(), 1);
        let other_issuer = document("/a", "email").replace("/realms/test", "/realms/other");
        fixture.reload(&other_issuer).unwrap();
        assert_eq!(fixture.registry.providers().len(), 1);
        assert_eq!(
            fixture.registry.providers()[0].issuer(),
            "http://127.0.0.1:9/realms/other"
        );
    }

    #[test]
    fn a_bad_file_is_rejected_with_every_error_and_the_old_config_stays() {
        let fixture = Fixture::new("bad");
        let before = fixture.store.current();
        let bad = document("/a", "openid")
            .replace("url: http://127.0.0.1:9", "url: 42")
            .replace("paths: [\"/a\"]", "paths: [\"a\"]");
        let errors = fixture.reload(&bad).unwrap_err();
        assert!(errors.len() >= 2, "{errors}");
        assert!(
            errors.iter().all(|e| e.path.starts_with("services[0]")),
            "{errors}"
        );
        assert!(Arc::ptr_eq(&before, &fixture.store.current()));
        assert_eq!(fixture.store.reloads().failed.load(Ordering::Relaxed), 1);
        assert_eq!(fixture.store.reloads().succeeded.load(Ordering::Relaxed), 0);
    }
}
