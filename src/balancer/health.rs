//! Kong's per-target health counters: consecutive successes and failures per kind, and
//! the healthy/unhealthy transitions they cause.
//!
//! A success increments the success counter and clears the failure counters; a failure
//! increments its kind's counter and clears the successes. A failure counter reaching
//! its (non-zero) threshold marks the target unhealthy; the success counter reaching its
//! threshold marks it healthy again, but only for active checks: passive checks can
//! disable a target, never re-enable it (Kong's "circuit breaker" rule).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::settings::Thresholds;

/// One observation about a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// An HTTP status: classified by the checker's status lists.
    Status(u16),
    /// A success whatever the status lists say (a tcp probe that connected).
    Success,
    /// Could not connect (or the connection broke).
    TcpFailure,
    Timeout,
}

/// Which checker saw the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checker {
    Active,
    Passive,
}

#[derive(Debug, Default)]
struct Counters {
    successes: u32,
    tcp_failures: u32,
    timeouts: u32,
    http_failures: u32,
}

/// Health of one target.
#[derive(Debug)]
pub struct TargetHealth {
    healthy: AtomicBool,
    counters: Mutex<Counters>,
}

impl Default for TargetHealth {
    fn default() -> Self {
        TargetHealth {
            healthy: AtomicBool::new(true),
            counters: Mutex::new(Counters::default()),
        }
    }
}

impl TargetHealth {
    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Acquire)
    }

    /// Sets the health (after a reload), clearing the counters.
    pub fn set_healthy(&self, healthy: bool) {
        let mut counters = match self.counters.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *counters = Counters::default();
        self.healthy.store(healthy, Ordering::Release);
    }

    /// Records `event` seen by `checker` with its `thresholds`; returns the new health
    /// when it changed.
    pub fn record(&self, checker: Checker, thresholds: &Thresholds, event: Event) -> Option<bool> {
        let mut counters = match self.counters.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let healthy = self.is_healthy();
        let reached = |count: u32, limit: u32| limit > 0 && count >= limit;
        let success = match event {
            Event::Success => true,
            Event::Status(status) => thresholds.healthy_statuses.contains(&status),
            _ => false,
        };
        let change = match event {
            _ if success => {
                counters.tcp_failures = 0;
                counters.timeouts = 0;
                counters.http_failures = 0;
                // Passive successes cannot heal: they do not count towards it either.
                let heals = checker == Checker::Active;
                if healthy || heals {
                    counters.successes = counters.successes.saturating_add(1);
                }
                (!healthy && heals && reached(counters.successes, thresholds.successes))
                    .then_some(true)
            }
            Event::Status(status) if thresholds.unhealthy_statuses.contains(&status) => {
                counters.successes = 0;
                counters.http_failures = counters.http_failures.saturating_add(1);
                (healthy && reached(counters.http_failures, thresholds.http_failures))
                    .then_some(false)
            }
            Event::Status(_) | Event::Success => None,
            Event::TcpFailure => {
                counters.successes = 0;
                counters.tcp_failures = counters.tcp_failures.saturating_add(1);
                (healthy && reached(counters.tcp_failures, thresholds.tcp_failures))
                    .then_some(false)
            }
            Event::Timeout => {
                counters.successes = 0;
                counters.timeouts = counters.timeouts.saturating_add(1);
                (healthy && reached(counters.timeouts, thresholds.timeouts)).then_some(false)
            }
        };
        if let Some(now_healthy) = change {
            *counters = Counters::default();
            self.healthy.store(now_healthy, Ordering::Release);
        }
        change
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thresholds() -> Thresholds {
        Thresholds {
            healthy_statuses: vec![200],
            successes: 2,
            unhealthy_statuses: vec![500],
            tcp_failures: 2,
            timeouts: 1,
            http_failures: 3,
        }
    }

    #[test]
    fn consecutive_failures_of_one_kind_mark_unhealthy() {
        let t = thresholds();
        let h = TargetHealth::default();
        assert_eq!(h.record(Checker::Passive, &t, Event::TcpFailure), None);
        // A success in between clears the failure counters.
        h.record(Checker::Passive, &t, Event::Status(200));
        assert_eq!(h.record(Checker::Passive, &t, Event::TcpFailure), None);
        assert_eq!(
            h.record(Checker::Passive, &t, Event::TcpFailure),
            Some(false)
        );
        assert!(!h.is_healthy());
    }

    #[test]
    fn kinds_count_separately_and_zero_never_counts() {
        let mut t = thresholds();
        t.tcp_failures = 0;
        let h = TargetHealth::default();
        for _ in 0..10 {
            h.record(Checker::Active, &t, Event::TcpFailure);
        }
        h.record(Checker::Active, &t, Event::Status(500));
        h.record(Checker::Active, &t, Event::Status(500));
        assert!(h.is_healthy());
        h.record(Checker::Active, &t, Event::Status(404)); // in neither list: ignored
        h.record(Checker::Active, &t, Event::Status(500));
        assert!(!h.is_healthy());
    }

    #[test]
    fn only_active_successes_heal() {
        let t = thresholds();
        let h = TargetHealth::default();
        h.record(Checker::Passive, &t, Event::Timeout);
        assert!(!h.is_healthy());
        for _ in 0..5 {
            h.record(Checker::Passive, &t, Event::Status(200));
        }
        assert!(!h.is_healthy());
        assert_eq!(h.record(Checker::Active, &t, Event::Status(200)), None);
        assert_eq!(
            h.record(Checker::Active, &t, Event::Status(200)),
            Some(true)
        );
        assert!(h.is_healthy());
    }
}
