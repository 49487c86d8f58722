//! Checks `upstreams[]` and `targets[]` entries and applies Kong's defaults. Target
//! addresses are resolved later, in `compile.rs`, like service hosts.

use super::entities::entity_id;
use super::errors::{join, ConfigErrors};
use super::upstream_hash::{check_hash_pair, hash_source};
use super::upstream_health::healthchecks;
use super::upstream_model::{HealthchecksDef, TargetDef, UpstreamDef};
use crate::balancer::{Algorithm, BalancerSettings, HashSource};

/// Kong's default target port.
const DEFAULT_TARGET_PORT: u16 = 8000;
/// Kong's default target weight.
const DEFAULT_WEIGHT: u64 = 100;

/// An upstream with defaults applied; its targets are added in `compile.rs`.
pub struct UpstreamDraft {
    pub id: String,
    pub name: String,
    /// `targets` is still empty.
    pub settings: BalancerSettings,
}

/// A target with defaults applied; its host is resolved later.
pub struct TargetDraft {
    pub host: String,
    pub port: u16,
    pub weight: u32,
}

impl TargetDraft {
    /// `host:port`, what duplicates are detected on.
    pub fn identity(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

pub fn upstream_draft(
    def: &UpstreamDef,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<UpstreamDraft> {
    let before = errors.len();
    let at = |field: &str| join(path, field);
    let name = match def.name.as_deref() {
        Some(name) if is_hostname(name) => name.to_owned(),
        Some(_) => {
            errors.push(at("name"), "invalid value: expected a host name");
            String::new()
        }
        None => {
            errors.push(at("name"), "missing field");
            String::new()
        }
    };
    let id = entity_id(def.id.as_deref(), "upstreams", &name, path, errors);

    let hash_on = hash_source(def, true, path, errors);
    let hash_fallback = hash_source(def, false, path, errors);
    check_hash_pair(def, &hash_on, &hash_fallback, path, errors);
    let algorithm = match def.algorithm.as_deref() {
        None if hash_on != HashSource::None => Algorithm::ConsistentHashing,
        None | Some("round-robin") => Algorithm::RoundRobin,
        Some("consistent-hashing") => Algorithm::ConsistentHashing,
        Some("least-connections") => Algorithm::LeastConnections,
        Some(other @ ("latency" | "sticky-sessions")) => {
            errors.push(
                at("algorithm"),
                format!("unsupported value '{other}': round-robin, consistent-hashing and least-connections are implemented"),
            );
            Algorithm::RoundRobin
        }
        Some(_) => {
            errors.push(
                at("algorithm"),
                "invalid value: expected one of round-robin, consistent-hashing, least-connections",
            );
            Algorithm::RoundRobin
        }
    };
    let slots = def.slots.unwrap_or(10_000);
    if !(10..=65_536).contains(&slots) {
        errors.push(at("slots"), "invalid value: expected 10..=65536");
    }
    if def.use_srv_name == Some(true) {
        errors.push(
            at("use_srv_name"),
            "unsupported value 'true': the SRV name is never used as the upstream Host",
        );
    }
    if let Some(host) = &def.host_header {
        if !is_hostname(host) {
            errors.push(at("host_header"), "invalid value: expected a host name");
        }
    }
    let default = HealthchecksDef::default();
    let healthchecks = healthchecks(
        def.healthchecks.as_ref().unwrap_or(&default),
        &at("healthchecks"),
        errors,
    );
    (errors.len() == before).then(|| UpstreamDraft {
        id,
        name: name.clone(),
        settings: BalancerSettings {
            name,
            host_header: def.host_header.clone(),
            algorithm,
            hash_on,
            hash_fallback,
            slots,
            healthchecks,
            targets: Vec::new(),
        },
    })
}

pub fn target_draft(def: &TargetDef, path: &str, errors: &mut ConfigErrors) -> Option<TargetDraft> {
    let before = errors.len();
    let at = |field: &str| join(path, field);
    if let Some(id) = def.id.as_deref() {
        entity_id(Some(id), "targets", path, path, errors);
    }
    let (host, port) = match def.target.as_deref() {
        Some(target) => match split_target(target) {
            Some(parts) => parts,
            None => {
                errors.push(
                    at("target"),
                    "invalid value: expected host, host:port or [ipv6]:port",
                );
                (String::new(), 0)
            }
        },
        None => {
            errors.push(at("target"), "missing field");
            (String::new(), 0)
        }
    };
    let weight = def.weight.unwrap_or(DEFAULT_WEIGHT);
    if weight > 65_535 {
        errors.push(at("weight"), "invalid value: expected 0..=65535");
    }
    (errors.len() == before).then(|| TargetDraft {
        host,
        port,
        weight: u32::try_from(weight).unwrap_or(0),
    })
}

/// `host[:port]` / `[v6][:port]` / bare IPv6 -> (host without brackets, port).
fn split_target(target: &str) -> Option<(String, u16)> {
    let port_of = |p: &str| p.parse::<u16>().ok().filter(|p| *p > 0);
    if let Some(rest) = target.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        host.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => DEFAULT_TARGET_PORT,
            _ => port_of(after.strip_prefix(':')?)?,
        };
        return Some((host.to_owned(), port));
    }
    if target.parse::<std::net::Ipv6Addr>().is_ok() {
        return Some((target.to_owned(), DEFAULT_TARGET_PORT));
    }
    let (host, port) = match target.split_once(':') {
        Some((host, port)) => (host, port_of(port)?),
        None => (target, DEFAULT_TARGET_PORT),
    };
    is_hostname(host).then(|| (host.to_owned(), port))
}

/// Letters, digits, '-', '_' and '.', in non-empty labels (IPv4 literals pass too).
pub fn is_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split() {
        assert_eq!(split_target("a.b"), Some(("a.b".into(), 8000)));
        assert_eq!(split_target("a.b:81"), Some(("a.b".into(), 81)));
        assert_eq!(split_target("10.0.0.1:1"), Some(("10.0.0.1".into(), 1)));
        assert_eq!(split_target("[::1]:90"), Some(("::1".into(), 90)));
        assert_eq!(split_target("[::1]"), Some(("::1".into(), 8000)));
        assert_eq!(split_target("::1"), Some(("::1".into(), 8000)));
        assert_eq!(split_target("a:0"), None);
        assert_eq!(split_target("a:x"), None);
        assert_eq!(split_target("a/b:1"), None);
        assert_eq!(split_target(""), None);
    }
}
