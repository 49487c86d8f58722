//! The targets a balancer picks from right now: the upstream's targets with every target
//! given by name expanded into one entry per address its name resolves to (A/AAAA: the
//! target's weight each; SRV: the record's weight and port). Rebuilt when a name's answer
//! changes; an address that stays keeps its health (the same counters), a new one starts
//! healthy.

use std::sync::Arc;

use super::consistent_hash::Ring;
use super::health::TargetHealth;
use super::least_connections::LeastConnections;
use super::round_robin::RoundRobin;
use super::settings::{Algorithm, BalancerSettings, TargetInfo};

/// One expansion of an upstream's targets, with the picking state that depends on it.
#[derive(Debug)]
pub struct Targets {
    /// The generation of each named target's answer this was built from.
    pub generations: Vec<u64>,
    pub list: Vec<TargetInfo>,
    pub weights: Vec<u32>,
    pub health: Vec<Arc<TargetHealth>>,
    pub round_robin: RoundRobin,
    pub least_connections: LeastConnections,
    pub ring: Option<Ring>,
}

impl Targets {
    /// Expands `settings.targets` with the current answers of their names, taking the health
    /// of addresses `previous` already had.
    pub fn build(settings: &BalancerSettings, previous: Option<&Targets>) -> Self {
        let mut list = Vec::new();
        let mut generations = Vec::new();
        for target in &settings.targets {
            let Some(name) = &target.dns else {
                list.push(target.clone());
                continue;
            };
            generations.push(name.generation());
            let answer = name.answer();
            if !answer.usable() {
                continue;
            }
            for address in &answer.addresses {
                let socket = address.socket_addr(target.port);
                let weight = match address.port {
                    Some(_) => address.weight,
                    None => target.weight,
                };
                list.push(TargetInfo {
                    address: socket,
                    host: target.host.clone(),
                    port: target.port,
                    weight: if target.weight == 0 { 0 } else { weight },
                    dns: Some(Arc::clone(name)),
                });
            }
        }
        let health = list
            .iter()
            .map(|target| {
                previous
                    .and_then(|old| {
                        old.list
                            .iter()
                            .position(|t| same_target(t, target))
                            .and_then(|i| old.health.get(i))
                    })
                    .map_or_else(|| Arc::new(TargetHealth::default()), Arc::clone)
            })
            .collect();
        let n = list.len();
        let weights: Vec<u32> = list.iter().map(|t| t.weight).collect();
        let ring = (settings.algorithm == Algorithm::ConsistentHashing).then(|| {
            let identities: Vec<(String, u32)> = list
                .iter()
                .map(|t| match t.dns {
                    // Each address of a name has its own claim on the ring.
                    Some(_) => (format!("{}:{}@{}", t.host, t.port, t.address), t.weight),
                    None => (format!("{}:{}", t.host, t.port), t.weight),
                })
                .collect();
            Ring::new(&identities, settings.slots)
        });
        Targets {
            generations,
            list,
            weights,
            health,
            round_robin: RoundRobin::new(n),
            least_connections: LeastConnections::new(n),
            ring,
        }
    }

    /// Whether a name's answer changed since this was built.
    pub fn outdated(&self, settings: &BalancerSettings) -> bool {
        settings
            .targets
            .iter()
            .filter_map(|t| t.dns.as_ref())
            .zip(&self.generations)
            .any(|(name, built)| name.generation() != *built)
    }
}

/// The same target at the same address.
pub fn same_target(a: &TargetInfo, b: &TargetInfo) -> bool {
    a.host == b.host && a.port == b.port && a.address == b.address
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{Address, Answer, AnswerState, DnsName};

    fn answer(lasts: &[u8]) -> Answer {
        let addresses = lasts
            .iter()
            .map(|last| Address {
                ip: [127, 0, 0, *last].into(),
                port: None,
                weight: 1,
            })
            .collect();
        Answer::new(AnswerState::Fresh, addresses)
    }

    #[test]
    fn a_name_expands_per_address_and_health_follows_the_address() {
        let name = Arc::new(DnsName::new("pool.test".to_owned()));
        let named = TargetInfo {
            address: "0.0.0.0:8000".parse().unwrap(),
            host: "pool.test".to_owned(),
            port: 8000,
            weight: 50,
            dns: Some(Arc::clone(&name)),
        };
        let literal = TargetInfo {
            address: "127.0.0.9:9000".parse().unwrap(),
            host: "127.0.0.9".to_owned(),
            port: 9000,
            weight: 100,
            dns: None,
        };
        let settings = BalancerSettings::new("pool", vec![literal, named]);
        // Not resolved yet: only the literal target.
        let first = Targets::build(&settings, None);
        assert_eq!(first.list.len(), 1);

        name.publish(answer(&[2, 3]));
        assert!(first.outdated(&settings));
        let second = Targets::build(&settings, Some(&first));
        assert_eq!(second.weights, vec![100, 50, 50]);
        assert_eq!(second.list[2].address, "127.0.0.3:8000".parse().unwrap());
        second.health[2].set_healthy(false);

        name.publish(answer(&[3, 4]));
        let third = Targets::build(&settings, Some(&second));
        let at = |last: u8| {
            third
                .list
                .iter()
                .position(|t| t.address.ip() == std::net::IpAddr::from([127, 0, 0, last]))
        };
        assert_eq!(at(2), None);
        assert!(
            !third.health[at(3).unwrap()].is_healthy(),
            "kept its health"
        );
        assert!(
            third.health[at(4).unwrap()].is_healthy(),
            "a new address starts healthy"
        );
        assert!(!third.outdated(&settings));
    }
}
