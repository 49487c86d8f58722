//! Smooth weighted round robin (nginx's): over any run of picks each eligible target gets
//! its weight's share, interleaved rather than in bursts.

use std::sync::Mutex;

/// Running state of the smooth weighted round robin.
#[derive(Debug)]
pub struct RoundRobin {
    current: Mutex<Vec<i64>>,
}

impl RoundRobin {
    pub fn new(targets: usize) -> Self {
        RoundRobin {
            current: Mutex::new(vec![0; targets]),
        }
    }

    /// Picks among `weights` (index = target) those `eligible` says yes to; `None` when
    /// no target with a non-zero weight is eligible.
    pub fn pick(&self, weights: &[u32], eligible: impl Fn(usize) -> bool) -> Option<usize> {
        let mut current = match self.current.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut total = 0i64;
        let mut best: Option<usize> = None;
        for (i, &weight) in weights.iter().enumerate() {
            if weight == 0 || !eligible(i) {
                continue;
            }
            let Some(slot) = current.get_mut(i) else {
                continue;
            };
            *slot += i64::from(weight);
            total += i64::from(weight);
            let better = match best {
                None => true,
                Some(b) => current.get(b).is_some_and(|cb| *cb < current[i]),
            };
            if better {
                best = Some(i);
            }
        }
        let chosen = best?;
        if let Some(slot) = current.get_mut(chosen) {
            *slot -= total;
        }
        Some(chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_weights_and_interleave() {
        let rr = RoundRobin::new(3);
        let weights = [100, 50, 0];
        let picks: Vec<usize> = (0..6).filter_map(|_| rr.pick(&weights, |_| true)).collect();
        assert_eq!(picks, vec![0, 1, 0, 0, 1, 0]);
    }

    #[test]
    fn ineligible_and_zero_weight_are_skipped() {
        let rr = RoundRobin::new(2);
        assert_eq!(rr.pick(&[10, 10], |i| i == 1), Some(1));
        assert_eq!(rr.pick(&[0, 10], |i| i == 0), None);
    }
}
