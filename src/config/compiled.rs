//! The compiled, immutable form of a declarative config: what requests run against.
//!
//! These public names and fields are what the proxy and the OIDC plugin code against;
//! `compile.rs` fills them. Nothing here changes after compilation.

use std::{collections::HashMap, net::SocketAddr, sync::Arc, time::Duration};

use pingora::protocols::tls::CaType;

use crate::balancer::Balancer;
use crate::config::compiled_credentials::{ConsumerGroup, Credentials};
use crate::config::openid_connect::ConsumerBy;
use crate::dns::DnsName;
use crate::plugin::api::PluginConfig;
use crate::plugin::chain::Slot;
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
    /// Credentials of the authentication plugins, by lookup key.
    pub credentials: Credentials,
    /// `consumer_groups`; `Consumer::groups` indexes into this.
    pub consumer_groups: Vec<ConsumerGroup>,
    /// Every enabled plugin instance; `Slot` candidates index into this.
    pub plugins: Vec<CompiledPlugin>,
    /// Global plugins, for requests no route matched (their header_filter and log phases).
    pub global_plugins: Vec<Slot>,
    /// Hex SHA-256 (first 32 digits, the length of Kong's hash) of the source text;
    /// empty when compiled from a parsed document.
    pub source_hash: String,
}

impl CompiledConfig {
    /// The instance of plugin `name` that applies to route `route` for a request with no
    /// consumer (Kong's precedence: route, service, global), on http.
    pub fn route_plugin(&self, route: usize, name: &str) -> Option<&CompiledPlugin> {
        let slot = self
            .routes
            .get(route)?
            .plugins
            .iter()
            .find(|s| s.name == name)?;
        self.plugins.get(slot.pick(None, false)?)
    }
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
    /// Index into `services`; `None` for a route without a service (Kong allows one:
    /// it is routed, its plugins run, then it is answered 503).
    pub service: Option<usize>,
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
    /// The plugins that may apply to this route, one slot per plugin name, in Kong's
    /// priority order; which instance of a slot runs is picked per request.
    pub plugins: Vec<Slot>,
}

/// An enabled plugin instance.
pub struct CompiledPlugin {
    pub name: &'static str,
    pub priority: i32,
    /// e.g. "services[0].routes[0].plugins[0]".
    pub path: String,
    pub id: String,
    pub instance_name: Option<String>,
    /// Kong's `conf.route_id` and `conf.service_id`: the ids of the route and service the
    /// instance is scoped to (rate-limiting's counter keys use them).
    pub route_id: Option<String>,
    pub service_id: Option<String>,
    /// The schemes it runs for (Kong default: all).
    pub protocols: Protocols,
    pub config: Arc<dyn PluginConfig>,
}

impl CompiledPlugin {
    /// The openid-connect config, when this is that plugin.
    pub fn openid_connect(
        &self,
    ) -> Option<&Arc<crate::config::openid_connect::OpenIdConnectConfig>> {
        self.config
            .as_any()
            .downcast_ref::<crate::plugin::openid_connect_plugin::OpenIdConnectPluginConfig>()
            .map(|c| &c.0)
    }
}

/// Shows where the plugin was declared, never its config (it may hold a secret).
impl std::fmt::Debug for CompiledPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledPlugin")
            .field("name", &self.name)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    pub id: String,
    pub username: Option<String>,
    pub custom_id: Option<String>,
    /// Indexes into `CompiledConfig::consumer_groups`, sorted by group name.
    pub groups: Vec<usize>,
    /// The acl groups (`acls` entities) the consumer is in.
    pub acls: Vec<String>,
}

#[derive(Debug)]
pub struct Consumers {
    pub list: Vec<Arc<Consumer>>,
    pub by_id: HashMap<String, usize>,
    pub by_username: HashMap<String, usize>,
    pub by_custom_id: HashMap<String, usize>,
}

impl Consumers {
    /// Indexes `list` by id, username and custom_id.
    pub fn new(list: Vec<Consumer>) -> Self {
        let mut consumers = Consumers {
            list: Vec::with_capacity(list.len()),
            by_id: HashMap::new(),
            by_username: HashMap::new(),
            by_custom_id: HashMap::new(),
        };
        for (index, c) in list.into_iter().enumerate() {
            consumers.by_id.insert(c.id.clone(), index);
            if let Some(username) = &c.username {
                consumers.by_username.insert(username.clone(), index);
            }
            if let Some(custom_id) = &c.custom_id {
                consumers.by_custom_id.insert(custom_id.clone(), index);
            }
            consumers.list.push(Arc::new(c));
        }
        consumers
    }

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
