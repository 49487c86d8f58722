//! The `local` policy's counters: one sharded map for the whole process (Kong's
//! `kong_rate_limiting_counters` shared dictionary), keyed as Kong keys them, each window
//! dropped once it is over so memory follows the number of live windows.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use dashmap::DashMap;

use super::windows::Period;

/// One window's counter: Kong's key `ratelimit:<route_id>:<service_id>:<identifier>:
/// <window start ms>:<period>`, kept as its parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CounterKey {
    /// `<route_id>:<service_id>` of the plugin instance (shared, built once per instance).
    pub scope: Arc<str>,
    pub identifier: String,
    pub period: Period,
    /// Unix seconds of the window's start.
    pub window: u64,
}

impl CounterKey {
    /// Kong's shared-dictionary (and Redis) key for this counter.
    pub fn kong_key(&self) -> String {
        format!(
            "ratelimit:{}:{}:{}:{}",
            self.scope,
            self.identifier,
            self.window * 1000,
            self.period.name()
        )
    }
}

#[derive(Debug)]
struct Window {
    count: AtomicU64,
    /// Unix seconds after which the window is over.
    ends: u64,
}

/// All local counters.
#[derive(Debug, Default)]
pub struct LocalCounters {
    windows: DashMap<CounterKey, Window>,
    /// Unix second of the last sweep of finished windows.
    last_sweep: AtomicU64,
}

impl LocalCounters {
    /// Counts one request in each of `keys` unless one of them is at its limit; returns
    /// each window's count before this request, and whether it was counted. Concurrent
    /// requests never count past a limit (an increment over it is taken back).
    pub fn try_count(&self, keys: &[(CounterKey, u64)], now: u64) -> (Vec<u64>, bool) {
        self.sweep(now);
        let mut before = Vec::with_capacity(keys.len());
        let mut over = false;
        for (key, limit) in keys {
            let used = self.add(key, 1);
            before.push(used);
            if used >= *limit {
                over = true;
            }
        }
        if over {
            for (key, _) in keys {
                self.add_back(key);
            }
        }
        (before, !over)
    }

    /// Adds `n` to the window's count, creating it; returns the count before.
    fn add(&self, key: &CounterKey, n: u64) -> u64 {
        if let Some(window) = self.windows.get(key) {
            return window.count.fetch_add(n, Ordering::AcqRel);
        }
        let entry = self.windows.entry(key.clone()).or_insert_with(|| Window {
            count: AtomicU64::new(0),
            ends: key.window + key.period.longest_window(),
        });
        entry.count.fetch_add(n, Ordering::AcqRel)
    }

    fn add_back(&self, key: &CounterKey) {
        if let Some(window) = self.windows.get(key) {
            let _ = window
                .count
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| {
                    Some(c.saturating_sub(1))
                });
        }
    }

    /// The count of a window (0 when it does not exist).
    pub fn count(&self, key: &CounterKey) -> u64 {
        self.windows
            .get(key)
            .map_or(0, |window| window.count.load(Ordering::Acquire))
    }

    /// Drops finished windows, at most once a second (whoever sees a new second does it).
    fn sweep(&self, now: u64) {
        let last = self.last_sweep.load(Ordering::Relaxed);
        if now <= last
            || self
                .last_sweep
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        self.windows.retain(|_, window| window.ends > now);
    }

    /// Windows held now (for tests and metrics).
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(identifier: &str, period: Period, window: u64) -> CounterKey {
        CounterKey {
            scope: Arc::from("r:s"),
            identifier: identifier.into(),
            period,
            window,
        }
    }

    #[test]
    fn counts_up_to_the_limit_and_not_past_it() {
        let counters = LocalCounters::default();
        let keys = [
            (key("a", Period::Minute, 60), 2),
            (key("a", Period::Hour, 0), 10),
        ];
        assert_eq!(counters.try_count(&keys, 61), (vec![0, 0], true));
        assert_eq!(counters.try_count(&keys, 61), (vec![1, 1], true));
        assert_eq!(counters.try_count(&keys, 62), (vec![2, 2], false));
        assert_eq!(counters.count(&keys[0].0), 2);
        assert_eq!(counters.count(&keys[1].0), 2);
        // Another identifier has its own windows.
        assert!(
            counters
                .try_count(&[(key("b", Period::Minute, 60), 2)], 62)
                .1
        );
        assert_eq!(
            key("a", Period::Minute, 60).kong_key(),
            "ratelimit:r:s:a:60000:minute"
        );
    }

    #[test]
    fn finished_windows_are_dropped() {
        let counters = LocalCounters::default();
        for i in 0..100 {
            counters.try_count(&[(key(&i.to_string(), Period::Second, 10), 5)], 10);
        }
        assert_eq!(counters.len(), 100);
        counters.try_count(&[(key("x", Period::Minute, 0), 5)], 11);
        assert_eq!(counters.len(), 1);
    }

    #[test]
    fn concurrent_requests_never_exceed_the_limit() {
        let counters = Arc::new(LocalCounters::default());
        let admitted = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (counters, admitted) = (counters.clone(), admitted.clone());
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        if counters
                            .try_count(&[(key("a", Period::Minute, 0), 100)], 1)
                            .1
                        {
                            admitted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(admitted.load(Ordering::Relaxed), 100);
    }
}
