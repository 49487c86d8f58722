//! Consistent hashing on a ring of `slots` slots, like Kong's ring-balancer: a key hashes
//! to a slot, each slot belongs to a target. Slots are dealt by weighted rendezvous
//! hashing, so a slot's owner depends only on the slot and the targets competing for it:
//! removing (or disabling) a target moves only its own slots, and adding one takes slots
//! only. When a slot's target cannot be used the walk goes on to the next slot, so only
//! that target's keys move.

/// The ring: the owning target of each slot (`None` when no target has weight).
#[derive(Debug)]
pub struct Ring {
    slots: Vec<Option<usize>>,
}

impl Ring {
    /// Deals `slots` slots among `targets` (`(identity, weight)`) in proportion to their
    /// weights. The identity ("host:port") fixes a target's claim on each slot.
    pub fn new(targets: &[(String, u32)], slots: u32) -> Self {
        let seeds: Vec<u64> = targets.iter().map(|(id, _)| hash(id.as_bytes())).collect();
        let slots = (0..u64::from(slots.max(1)))
            .map(|slot| {
                let mut best: Option<(usize, f64)> = None;
                for (index, (_, weight)) in targets.iter().enumerate() {
                    if *weight == 0 {
                        continue;
                    }
                    let mixed = mix(seeds[index] ^ mix(slot.wrapping_add(0x9e37_79b9_7f4a_7c15)));
                    // Uniform in (0, 1); the weighted score is w / -ln(u).
                    let unit = ((mixed >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
                    let score = f64::from(*weight) / -unit.ln();
                    if best.is_none_or(|(_, b)| score > b) {
                        best = Some((index, score));
                    }
                }
                best.map(|(index, _)| index)
            })
            .collect();
        Ring { slots }
    }

    /// The target of `key`'s slot, or of the next slots when `usable` refuses it.
    pub fn pick(&self, key: &[u8], usable: impl Fn(usize) -> bool) -> Option<usize> {
        let n = self.slots.len();
        if n == 0 {
            return None;
        }
        let start = (hash(key) % n as u64) as usize;
        let mut rejected: Vec<usize> = Vec::new();
        for offset in 0..n {
            let Some(target) = self.slots[(start + offset) % n] else {
                continue;
            };
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

/// splitmix64's finalizer.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// FNV-1a 64 with a final avalanche, so nearby inputs spread over the slots.
pub fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
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
