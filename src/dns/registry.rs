//! The process's names, by name: configs register the hosts they use (no lookup at compile
//! time), the refresher resolves them, and reloads get the same entries (and answers) back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;

use super::name::DnsName;

/// How long a name no config holds and nobody asked for is kept.
const FORGET_AFTER: Duration = Duration::from_secs(600);

/// Every name known to the process.
#[derive(Debug, Default)]
pub struct DnsRegistry {
    names: Mutex<HashMap<String, Arc<DnsName>>>,
    /// Most names kept (`dns_cache_size`); 0 = not set yet (no bound).
    capacity: std::sync::atomic::AtomicUsize,
    /// Woken when a name is added.
    added: Notify,
    /// Whether a refresher runs in this process (else nothing resolves names).
    refresher_running: AtomicBool,
}

/// The process's registry.
pub fn registry() -> &'static DnsRegistry {
    static REGISTRY: OnceLock<DnsRegistry> = OnceLock::new();
    REGISTRY.get_or_init(DnsRegistry::default)
}

/// Lowercase, without a trailing dot or IPv6 brackets.
pub fn normalize(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

impl DnsRegistry {
    /// The entry for `host`, created (and the refresher woken) when new.
    pub fn register(&self, host: &str) -> Arc<DnsName> {
        let key = normalize(host);
        let mut names = lock(&self.names);
        if let Some(name) = names.get(&key) {
            name.touch();
            return Arc::clone(name);
        }
        let capacity = self.capacity.load(Ordering::Relaxed);
        if capacity > 0 && names.len() >= capacity {
            forget_unused(&mut names, Duration::ZERO);
        }
        let name = Arc::new(DnsName::new(key.clone()));
        name.touch();
        if capacity == 0 || names.len() < capacity {
            names.insert(key, Arc::clone(&name));
            self.added.notify_one();
        } else {
            log::warn!("dns_cache_size ({capacity}) reached: '{key}' is not cached");
        }
        name
    }

    /// Sets `dns_cache_size`.
    pub fn set_capacity(&self, capacity: usize) {
        self.capacity.store(capacity.max(1), Ordering::Relaxed);
    }

    /// Every name known.
    pub fn names(&self) -> Vec<Arc<DnsName>> {
        lock(&self.names).values().cloned().collect()
    }

    /// Drops names no config holds and nobody asked for lately.
    pub fn forget_unused(&self) {
        forget_unused(&mut lock(&self.names), FORGET_AFTER);
    }

    /// Woken when a name is added.
    pub fn added(&self) -> &Notify {
        &self.added
    }

    pub fn set_refresher_running(&self, running: bool) {
        self.refresher_running.store(running, Ordering::Release);
    }

    /// Whether a background refresher resolves the registered names.
    pub fn refresher_running(&self) -> bool {
        self.refresher_running.load(Ordering::Acquire)
    }
}

fn forget_unused(names: &mut HashMap<String, Arc<DnsName>>, idle: Duration) {
    names.retain(|_, name| Arc::strong_count(name) > 1 || name.idle_for() < idle);
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_name_whatever_its_case() {
        let registry = DnsRegistry::default();
        let a = registry.register("Svc.Test.");
        let b = registry.register("svc.test");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a.name(), "svc.test");
        assert_eq!(registry.names().len(), 1);
    }

    #[test]
    fn unused_names_are_forgotten_when_full() {
        let registry = DnsRegistry::default();
        registry.set_capacity(1);
        drop(registry.register("a.test"));
        let b = registry.register("b.test");
        let names = registry.names();
        assert_eq!(names.len(), 1);
        assert!(Arc::ptr_eq(&names[0], &b));
    }
}
