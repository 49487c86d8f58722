//! Consistent hashing on a ring of `slots` points shared among targets by weight. A key
//! maps to the first point at or after its hash; when that target cannot be used the
//! walk goes on to the next point, so only that target's keys move.

/// The ring: points sorted by position, each naming a target.
#[derive(Debug)]
pub struct Ring {
    points: Vec<(u64, usize)>,
}

impl Ring {
    /// Builds the ring for `targets` (`(identity, weight)`), about `slots` points in all.
    /// The identity ("host:port") fixes a target's points, so they do not move when
    /// other targets are added or removed.
    pub fn new(targets: &[(String, u32)], slots: u32) -> Self {
        let total: u64 = targets.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut points = Vec::new();
        for (index, (identity, weight)) in targets.iter().enumerate() {
            if *weight == 0 {
                continue;
            }
            let Some(share) = (u64::from(slots) * u64::from(*weight)).checked_div(total) else {
                continue;
            };
            for replica in 0..share.max(1) {
                let position = hash(format!("{identity}#{replica}").as_bytes());
                points.push((position, index));
            }
        }
        points.sort_unstable();
        Ring { points }
    }

    /// The first target on the ring at or after `key`'s hash that `usable` accepts.
    pub fn pick(&self, key: &[u8], usable: impl Fn(usize) -> bool) -> Option<usize> {
        if self.points.is_empty() {
            return None;
        }
        let position = hash(key);
        let start = self.points.partition_point(|(p, _)| *p < position);
        let n = self.points.len();
        let mut rejected: Vec<usize> = Vec::new();
        for offset in 0..n {
            let (_, target) = self.points[(start + offset) % n];
            if rejected.contains(&target) {
                continue;
            }
            if usable(target) {
                return Some(target);
            }
            rejected.push(target);
        }
        None
    }
}

/// FNV-1a 64 with a final avalanche (splitmix64), so nearby inputs spread on the ring.
pub fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(n: usize) -> Vec<(String, u32)> {
        (0..n).map(|i| (format!("10.0.0.{i}:80"), 100)).collect()
    }

    #[test]
    fn a_key_keeps_its_target_and_moves_only_when_unusable() {
        let ring = Ring::new(&targets(4), 1000);
        let first = ring.pick(b"alice", |_| true);
        for _ in 0..1000 {
            assert_eq!(ring.pick(b"alice", |_| true), first);
        }
        let Some(first) = first else {
            panic!("no target")
        };
        let moved = ring.pick(b"alice", |t| t != first);
        assert!(moved.is_some() && moved != Some(first));
        assert_eq!(ring.pick(b"alice", |_| false), None);
    }

    #[test]
    fn shares_follow_weights() {
        let ring = Ring::new(&[("a:1".to_owned(), 300), ("b:1".to_owned(), 100)], 10_000);
        let mut counts = [0usize; 2];
        for i in 0..20_000 {
            if let Some(t) = ring.pick(format!("key{i}").as_bytes(), |_| true) {
                counts[t] += 1;
            }
        }
        let ratio = counts[0] as f64 / counts[1] as f64;
        assert!((2.4..3.6).contains(&ratio), "{counts:?}");
    }
}
