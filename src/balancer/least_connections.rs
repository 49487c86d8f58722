//! Weighted least connections: the target with the fewest live leases per unit of weight.
//! A [`ConnectionLease`] counts one connection while it lives.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// One in-flight connection to a target; dropping it releases the count.
#[derive(Debug)]
pub struct ConnectionLease {
    count: Arc<AtomicUsize>,
}

impl Drop for ConnectionLease {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Live connection counts per target.
#[derive(Debug)]
pub struct LeastConnections {
    counts: Vec<Arc<AtomicUsize>>,
    /// Rotates the starting point so ties are spread.
    next: AtomicU64,
}

impl LeastConnections {
    pub fn new(targets: usize) -> Self {
        LeastConnections {
            counts: (0..targets)
                .map(|_| Arc::new(AtomicUsize::new(0)))
                .collect(),
            next: AtomicU64::new(0),
        }
    }

    /// Live leases of `target`.
    pub fn active(&self, target: usize) -> usize {
        self.counts
            .get(target)
            .map_or(0, |c| c.load(Ordering::Acquire))
    }

    /// Picks the eligible target with the lowest `(active + 1) / weight`.
    pub fn pick(&self, weights: &[u32], eligible: impl Fn(usize) -> bool) -> Option<usize> {
        let n = weights.len();
        if n == 0 {
            return None;
        }
        let start = (self.next.fetch_add(1, Ordering::Relaxed) % n as u64) as usize;
        // (target, live + 1, weight); compares (a + 1) / w by cross-multiplying.
        let mut best: Option<(usize, u128, u128)> = None;
        for offset in 0..n {
            let i = (start + offset) % n;
            let weight = u128::from(weights[i]);
            if weight == 0 || !eligible(i) {
                continue;
            }
            let load = self.active(i) as u128 + 1;
            if best.is_none_or(|(_, bl, bw)| load * bw < bl * weight) {
                best = Some((i, load, weight));
            }
        }
        best.map(|(i, _, _)| i)
    }

    /// A lease counting one connection to `target`.
    pub fn lease(&self, target: usize) -> Option<ConnectionLease> {
        let count = self.counts.get(target)?.clone();
        count.fetch_add(1, Ordering::AcqRel);
        Some(ConnectionLease { count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewer_live_leases_wins_and_drop_releases() {
        let lc = LeastConnections::new(2);
        let weights = [10, 10];
        let a = lc.lease(0);
        assert_eq!(lc.pick(&weights, |_| true), Some(1));
        let b = lc.lease(1);
        let c = lc.lease(1);
        assert_eq!(lc.pick(&weights, |_| true), Some(0));
        drop((b, c));
        assert_eq!(lc.active(1), 0);
        assert_eq!(lc.pick(&weights, |_| true), Some(1));
        drop(a);
        assert_eq!(lc.active(0), 0);
    }
}
