//! The compiled, immutable form of a declarative config: what requests run against.
//!
//! These public names and fields are what the proxy and the OIDC plugin code against;
//! `compile.rs` fills them. Nothing here changes after compilation.

use std::{collections::HashMap, net::SocketAddr, sync::Arc, time::Duration};

use pingora::protocols::tls::CaType;

use crate::balancer::Balancer;
use crate::config::openid_connect::{ConsumerBy, OpenIdConnectConfig};
use crate::dns::DnsName;
use crate::router::{Protocols, Router};
use crate::tls::sni_certificates::SniCertificates;
use crate::upstream_request::PathHandling;

/// Everything compiled from one declarative file.
#[derive(Debug)]
pub struct CompiledConfig {
    /// `router.find(..)` returns an index into `routes`.
    pub router: Router,
    pub routes: Vec<CompiledRoute>,
    pub services: Vec<CompiledService>,
    pub consumers: Consumers,
    /// Kong upstreams, in document order; `ServiceTarget::Upstream` indexes into this.
    pub upstreams: Vec<Arc<Balancer>>,
    /// Server certificates of TLS listeners by SNI (`certificates` and `snis`).
    pub certificates: SniCertificates,
    /// Hex SHA-256 (first 32 digits, the length of Kong's hash) of the source text;
    /// empty when compiled from a parsed document.
    pub source_hash: String,
}

/// Where a service sends its requests.
#[derive(Debug, Clone)]
pub enum ServiceTarget {
    /// The service's host is an IP literal (never resolved).
    Address(SocketAddr),
    /// The service's host is a name, resolved at run time (`crate::dns`): each request
    /// takes the next address of its current answer.
    Name(Arc<DnsName>),
    /// The service's host names an upstream: index into `CompiledConfig::upstreams`.
    Upstream(usize),
}

/// Names compare by name: the same host is the same entry of the DNS cache.
impl PartialEq for ServiceTarget {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ServiceTarget::Address(a), ServiceTarget::Address(b)) => a == b,
            (ServiceTarget::Name(a), ServiceTarget::Name(b)) => a.name() == b.name(),
            (ServiceTarget::Upstream(a), ServiceTarget::Upstream(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for ServiceTarget {}

#[derive(Debug)]
pub struct CompiledService {
    /// Given id, or a deterministic UUID-shaped id.
    pub id: String,
    pub name: Option<String>,
    /// "http" or "https" (TLS to the upstream, SNI from the upstream Host header).
    pub protocol: String,
    /// As written; used for the upstream Host header.
    pub host: String,
    /// Kong default 80.
    pub port: u16,
    /// An address, a name resolved at run time, or the upstream the host names.
    pub target: ServiceTarget,
    /// Service path, e.g. "/anything".
    pub path: Option<String>,
    /// Kong default 60000 ms.
    pub connect_timeout: Duration,
    /// Kong default 60000 ms.
    pub read_timeout: Duration,
    /// Kong default 60000 ms.
    pub write_timeout: Duration,
    /// Kong default 5.
    pub retries: u32,
    /// https: verify the upstream certificate and its name (Kong default false).
    pub tls_verify: bool,
    /// https: trust these CAs instead of the system store (`ca_certificates`).
    pub ca: Option<Arc<CaType>>,
}

#[derive(Debug)]
pub struct CompiledRoute {
    pub id: String,
    pub name: Option<String>,
    /// Index into `services`.
    pub service: usize,
    /// Kong default true.
    pub strip_path: bool,
    /// Kong default false.
    pub preserve_host: bool,
    /// Kong default v0.
    pub path_handling: PathHandling,
    /// Kong default `[http, https]`; a request in another scheme is answered by
    /// `router::protocol_check`.
    pub protocols: Protocols,
    /// Kong default 426.
    pub https_redirect_status_code: u16,
    /// The effective plugin: the route's, else its service's, else a global one.
    pub openid_connect: Option<PluginRef>,
}

pub struct PluginRef {
    /// e.g. "services[0].routes[0].plugins[0]".
    pub path: String,
    pub config: Arc<OpenIdConnectConfig>,
}

/// Shows where the plugin was declared, never its config (it may hold a salt).
impl std::fmt::Debug for PluginRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginRef")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    pub id: String,
    pub username: Option<String>,
    pub custom_id: Option<String>,
}

#[derive(Debug)]
pub struct Consumers {
    pub list: Vec<Arc<Consumer>>,
    pub by_id: HashMap<String, usize>,
    pub by_username: HashMap<String, usize>,
    pub by_custom_id: HashMap<String, usize>,
}

impl Consumers {
    /// The consumer whose `by` field equals `value`.
    pub fn find(&self, by: ConsumerBy, value: &str) -> Option<&Arc<Consumer>> {
        let index = match by {
            ConsumerBy::Id => self.by_id.get(value),
            ConsumerBy::Username => self.by_username.get(value),
            ConsumerBy::CustomId => self.by_custom_id.get(value),
        }?;
        self.list.get(*index)
    }
}
