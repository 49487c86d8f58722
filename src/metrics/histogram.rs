//! A Prometheus histogram on atomics with Kong's latency buckets (milliseconds).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Kong's prometheus plugin buckets for `kong_kong_latency_ms` (and our IdP latencies).
pub const KONG_LATENCY_BUCKETS_MS: &[u64] = &[
    1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 3000, 6000,
];

/// Kong's buckets for `kong_request_latency_ms` and `kong_upstream_latency_ms`.
pub const UPSTREAM_LATENCY_BUCKETS_MS: &[u64] = &[
    25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000,
];

/// Observations per bucket (not cumulative: summed when rendered) plus the `+Inf` one, and
/// the sum in microseconds. An observation costs two relaxed atomic additions.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [u64],
    counts: Box<[AtomicU64]>,
    sum_micros: AtomicU64,
}

/// A consistent-enough copy for rendering: cumulative bucket counts, count and sum.
pub struct HistogramSnapshot {
    /// The upper bounds (ms) of the buckets, `+Inf` aside.
    pub bounds: &'static [u64],
    /// Cumulative count at each bound, then at `+Inf` (= the count).
    pub cumulative: Vec<u64>,
    pub sum_ms: f64,
}

impl HistogramSnapshot {
    pub fn count(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new(KONG_LATENCY_BUCKETS_MS)
    }
}

impl Histogram {
    pub fn new(bounds: &'static [u64]) -> Self {
        Self {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let index = self
            .bounds
            .iter()
            .position(|bound| micros <= bound * 1000)
            .unwrap_or(self.bounds.len());
        if let Some(count) = self.counts.get(index) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut running = 0u64;
        let cumulative = self
            .counts
            .iter()
            .map(|count| {
                running = running.saturating_add(count.load(Ordering::Relaxed));
                running
            })
            .collect();
        HistogramSnapshot {
            bounds: self.bounds,
            cumulative,
            sum_ms: self.sum_micros.load(Ordering::Relaxed) as f64 / 1000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_bounds_inclusive() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_millis(1));
        h.observe(Duration::from_millis(6));
        h.observe(Duration::from_secs(10));
        let s = h.snapshot();
        assert_eq!(s.cumulative[0], 2, "le=1 holds 0.3 ms and 1 ms");
        assert_eq!(s.cumulative[2], 2, "le=5");
        assert_eq!(s.cumulative[3], 3, "le=7");
        assert_eq!(s.cumulative[16], 3, "le=6000");
        assert_eq!(s.count(), 4);
        assert!((s.sum_ms - 10_007.3).abs() < 1e-6, "{}", s.sum_ms);
    }
}
