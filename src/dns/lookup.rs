//! One resolution of one name: the hosts file first, then the record types of `dns_order`
//! in turn (SRV targets resolved to their addresses), with hickory over UDP/TCP.

use std::net::IpAddr;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{ResolveError, ResolveErrorKind, TokioResolver};

use super::answer::Address;
use super::hosts::HostsFile;
use super::settings::{DnsSettings, RecordKind};

/// TTL given to names from the hosts file (never queried; the file is read once).
const HOSTS_TTL: Duration = Duration::from_secs(24 * 3600);
/// Per-query timeout and attempts per name server.
const QUERY_TIMEOUT: Duration = Duration::from_secs(2);
const ATTEMPTS: usize = 2;

/// What one resolution found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Found {
        addresses: Vec<Address>,
        /// The smallest TTL of the records used.
        ttl: Duration,
        kind: RecordKind,
    },
    /// The server says the name (or every type asked) does not exist.
    NotFound,
    /// No usable answer (timeout, refused, server failure...).
    Failed(String),
}

/// The resolver: hickory (its own cache off: ours honours TTLs) and the hosts file.
pub struct Lookup {
    resolver: TokioResolver,
    hosts: HostsFile,
    order: Vec<RecordKind>,
}

impl Lookup {
    /// Builds the resolver from `settings` (reads resolv.conf when `dns_resolver` is unset;
    /// without it, only the hosts file answers and every query fails).
    pub fn new(settings: &DnsSettings) -> Self {
        let (config, mut options) = if settings.resolvers.is_empty() {
            hickory_resolver::system_conf::read_system_conf().unwrap_or_else(|error| {
                log::error!("cannot read the system resolver configuration: {error}");
                let empty = ResolverConfig::from_parts(None, Vec::new(), Vec::new());
                (empty, ResolverOpts::default())
            })
        } else {
            let mut config = ResolverConfig::from_parts(None, Vec::new(), Vec::new());
            for address in &settings.resolvers {
                config.add_name_server(NameServerConfig::new(*address, Protocol::Udp));
                config.add_name_server(NameServerConfig::new(*address, Protocol::Tcp));
            }
            (config, ResolverOpts::default())
        };
        options.cache_size = 0;
        options.timeout = QUERY_TIMEOUT;
        options.attempts = ATTEMPTS;
        options.use_hosts_file = hickory_resolver::config::ResolveHosts::Never;
        options.preserve_intermediates = true;
        let resolver =
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
                .with_options(options)
                .build();
        Lookup {
            resolver,
            hosts: HostsFile::read(&settings.hostsfile),
            order: settings.order.clone(),
        }
    }

    /// Resolves `name`, trying `last` first where `dns_order` starts with LAST.
    pub async fn resolve(&self, name: &str, last: Option<RecordKind>) -> Outcome {
        let v4 = self
            .order
            .iter()
            .any(|k| matches!(k, RecordKind::A | RecordKind::Cname));
        let v6 = self.order.contains(&RecordKind::Aaaa);
        if let Some(ips) = self.hosts.lookup(name, v4, v6) {
            return Outcome::Found {
                addresses: ips.into_iter().map(plain).collect(),
                ttl: HOSTS_TTL,
                kind: RecordKind::A,
            };
        }
        let mut kinds: Vec<RecordKind> = Vec::new();
        for kind in &self.order {
            let kind = match kind {
                RecordKind::Last => match last {
                    Some(last) => last,
                    None => continue,
                },
                // An A query follows CNAMEs: a CNAME entry is the A query once more.
                RecordKind::Cname => RecordKind::A,
                other => *other,
            };
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        let mut failure = None;
        for kind in kinds {
            match self.query(name, kind).await {
                Outcome::NotFound => {}
                Outcome::Failed(message) => failure = Some(message),
                found => return found,
            }
        }
        failure.map_or(Outcome::NotFound, Outcome::Failed)
    }

    async fn query(&self, name: &str, kind: RecordKind) -> Outcome {
        match kind {
            RecordKind::Srv => self.srv(name).await,
            RecordKind::Aaaa => self.ips(name, RecordType::AAAA).await,
            _ => self.ips(name, RecordType::A).await,
        }
    }

    /// A or AAAA records (after any CNAMEs).
    async fn ips(&self, name: &str, record_type: RecordType) -> Outcome {
        let lookup = match self.resolver.lookup(name, record_type).await {
            Ok(lookup) => lookup,
            Err(error) => return classify(&error),
        };
        let mut addresses = Vec::new();
        let mut ttl = u32::MAX;
        for record in lookup.records() {
            let ip = match record.data() {
                RData::A(a) => IpAddr::V4(a.0),
                RData::AAAA(aaaa) => IpAddr::V6(aaaa.0),
                RData::CNAME(_) => {
                    ttl = ttl.min(record.ttl());
                    continue;
                }
                _ => continue,
            };
            ttl = ttl.min(record.ttl());
            let address = plain(ip);
            if !addresses.contains(&address) {
                addresses.push(address);
            }
        }
        found(addresses, ttl, kind_of(record_type))
    }

    /// SRV records of the lowest priority, each target resolved (A, and AAAA if listed).
    async fn srv(&self, name: &str) -> Outcome {
        let lookup = match self.resolver.lookup(name, RecordType::SRV).await {
            Ok(lookup) => lookup,
            Err(error) => return classify(&error),
        };
        let records: Vec<_> = lookup
            .records()
            .iter()
            .filter_map(|r| match r.data() {
                RData::SRV(srv) => Some((srv.clone(), r.ttl())),
                _ => None,
            })
            .collect();
        let Some(lowest) = records.iter().map(|(srv, _)| srv.priority()).min() else {
            return Outcome::NotFound;
        };
        let mut addresses = Vec::new();
        let mut ttl = u32::MAX;
        let mut failure = None;
        for (srv, record_ttl) in records.iter().filter(|(s, _)| s.priority() == lowest) {
            ttl = ttl.min(*record_ttl);
            let target = srv.target().to_utf8();
            let target = super::registry::normalize(&target);
            let resolved = match target.parse::<IpAddr>() {
                Ok(ip) => Outcome::Found {
                    addresses: vec![plain(ip)],
                    ttl: Duration::from_secs(u64::from(u32::MAX)),
                    kind: RecordKind::A,
                },
                Err(_) => Box::pin(self.target_ips(&target)).await,
            };
            match resolved {
                Outcome::Found {
                    addresses: ips,
                    ttl: target_ttl,
                    ..
                } => {
                    ttl = ttl.min(u32::try_from(target_ttl.as_secs()).unwrap_or(u32::MAX));
                    for ip in ips {
                        addresses.push(Address {
                            ip: ip.ip,
                            port: Some(srv.port()),
                            weight: u32::from(srv.weight()).max(1),
                        });
                    }
                }
                Outcome::NotFound => {}
                Outcome::Failed(message) => failure = Some(message),
            }
        }
        match (addresses.is_empty(), failure) {
            (true, Some(message)) => Outcome::Failed(message),
            _ => found(addresses, ttl, RecordKind::Srv),
        }
    }

    /// The addresses of an SRV target: hosts file, then A (and AAAA when listed).
    async fn target_ips(&self, target: &str) -> Outcome {
        let v6 = self.order.contains(&RecordKind::Aaaa);
        if let Some(ips) = self.hosts.lookup(target, true, v6) {
            return found(
                ips.into_iter().map(plain).collect(),
                u32::MAX,
                RecordKind::A,
            );
        }
        let a = self.ips(target, RecordType::A).await;
        match a {
            Outcome::NotFound | Outcome::Failed(_) if v6 => {
                self.ips(target, RecordType::AAAA).await
            }
            other => other,
        }
    }
}

fn plain(ip: IpAddr) -> Address {
    Address {
        ip,
        port: None,
        weight: 1,
    }
}

fn kind_of(record_type: RecordType) -> RecordKind {
    match record_type {
        RecordType::AAAA => RecordKind::Aaaa,
        RecordType::SRV => RecordKind::Srv,
        _ => RecordKind::A,
    }
}

fn found(addresses: Vec<Address>, ttl: u32, kind: RecordKind) -> Outcome {
    if addresses.is_empty() {
        return Outcome::NotFound;
    }
    Outcome::Found {
        addresses,
        ttl: Duration::from_secs(u64::from(ttl)),
        kind,
    }
}

/// "Does not exist" (NXDOMAIN, or no record of that type) versus a failed query.
fn classify(error: &ResolveError) -> Outcome {
    if let ResolveErrorKind::Proto(proto) = error.kind() {
        if let ProtoErrorKind::NoRecordsFound { response_code, .. } = proto.kind() {
            if matches!(
                *response_code,
                ResponseCode::NXDomain | ResponseCode::NoError
            ) {
                return Outcome::NotFound;
            }
            return Outcome::Failed(format!("server answered {response_code}"));
        }
    }
    Outcome::Failed(error.to_string())
}
