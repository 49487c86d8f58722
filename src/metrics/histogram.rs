//! A Prometheus histogram on atomics with Kong's default latency buckets (milliseconds).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Kong's prometheus plugin default buckets, in milliseconds.
pub const BUCKETS_MS: [u64; 17] = [
    1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 3000, 6000,
];

/// Observations per bucket (not cumulative: summed when rendered) plus the `+Inf` one, and
/// the sum in microseconds. An observation costs two relaxed atomic additions.
#[derive(Debug, Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS_MS.len() + 1],
    sum_micros: AtomicU64,
}

/// A consistent-enough copy for rendering: cumulative bucket counts, count and sum.
pub struct HistogramSnapshot {
    /// Cumulative count at each bound of `BUCKETS_MS`, then at `+Inf` (= the count).
    pub cumulative: [u64; BUCKETS_MS.len() + 1],
    pub sum_ms: f64,
}

impl HistogramSnapshot {
    pub fn count(&self) -> u64 {
        self.cumulative[BUCKETS_MS.len()]
    }
}

impl Histogram {
    pub fn observe(&self, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let index = BUCKETS_MS
            .iter()
            .position(|bound| micros <= bound * 1000)
            .unwrap_or(BUCKETS_MS.len());
        if let Some(count) = self.counts.get(index) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = [0u64; BUCKETS_MS.len() + 1];
        let mut running = 0u64;
        for (slot, count) in cumulative.iter_mut().zip(&self.counts) {
            running = running.saturating_add(count.load(Ordering::Relaxed));
            *slot = running;
        }
        HistogramSnapshot {
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
