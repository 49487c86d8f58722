//! The contract of a Kong plugin on this data plane: its compiled config, its phases, and
//! the per-request state the plugins of one request share.
//!
//! Kong's phases map onto Pingora's once, in `proxy.rs`: rewrite and access run in
//! `request_filter` (after routing), header_filter in `response_filter` (also for the
//! gateway's own answers), log in `logging`. A plugin edits the request to be proxied through
//! `session.req_header_mut()`, as Kong's `kong.service.request.*` does.

use std::any::Any;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use pingora::http::ResponseHeader;
use pingora_proxy::Session;

use super::log_phase::LogPhase;
use super::registry::PluginRegistry;
use crate::config::compiled::{CompiledConfig, CompiledRoute, CompiledService, Consumer};
use crate::respond::ErrorResponse;

/// A plugin instance's validated config, as compiled from the file. `build` turns it into
/// the runtime a snapshot uses; state that must survive a reload comes from `registry`.
pub trait PluginConfig: Send + Sync + fmt::Debug {
    fn build(&self, registry: &PluginRegistry) -> Arc<dyn Plugin>;
    /// As `build`, for a plugin whose runtime depends on the instance itself (its id, or
    /// Kong's `route_id`/`service_id`, as rate-limiting's counters do).
    fn build_instance(
        &self,
        registry: &PluginRegistry,
        _instance: &crate::config::compiled::CompiledPlugin,
    ) -> Arc<dyn Plugin> {
        self.build(registry)
    }
    /// For the few places that need one plugin's own type (the OIDC runtimes list).
    fn as_any(&self) -> &dyn Any;
}

/// The compiled config of a plugin that keeps no state: the config is its own runtime.
#[derive(Debug)]
pub struct Stateless<P>(pub Arc<P>);

impl<P: Plugin + fmt::Debug + 'static> PluginConfig for Stateless<P> {
    fn build(&self, _registry: &PluginRegistry) -> Arc<dyn Plugin> {
        self.0.clone()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Which phases a plugin takes part in; the chain calls no other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Phases {
    pub access: bool,
    pub header_filter: bool,
    pub body_filter: bool,
    pub log: bool,
}

impl Phases {
    pub const ACCESS: Phases = Phases {
        access: true,
        header_filter: false,
        body_filter: false,
        log: false,
    };

    /// The log plugins' phases: the log phase only.
    pub const LOG: Phases = Phases {
        access: false,
        header_filter: false,
        body_filter: false,
        log: true,
    };

    /// Whether the plugin takes part after the access phase.
    pub fn after_access(&self) -> bool {
        self.header_filter || self.body_filter || self.log
    }
}

/// One plugin instance at run time.
#[async_trait]
pub trait Plugin: Send + Sync {
    /// The phases this plugin implements.
    fn phases(&self) -> Phases;

    /// Kong's rewrite + access: authenticate, change the request, or answer instead (`Err`).
    async fn access(&self, _access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        Ok(())
    }

    /// Kong's header_filter: the response header on its way to the client.
    fn header_filter(&self, _state: &mut RequestState, _response: &mut ResponseHeader) {}

    /// Kong's body_filter: each chunk of the upstream's response body on its way to the
    /// client (`end_of_stream` on the last). A plugin that rewrites the whole body keeps the
    /// chunks in `state.extensions`, sets `*body = None` until the end, then the new body.
    fn body_filter(
        &self,
        _state: &mut RequestState,
        _body: &mut Option<Bytes>,
        _end_of_stream: bool,
    ) {
    }

    /// Kong's log phase, once the response is sent.
    fn log(&self, _log: &LogPhase<'_>) {}
}

/// What the access phase of one plugin works with.
pub struct Access<'a> {
    pub session: &'a mut Session,
    /// The pinned configuration: consumers, credentials, groups.
    pub config: &'a CompiledConfig,
    pub state: &'a mut RequestState,
}

impl Access<'_> {
    /// The matched route.
    pub fn route(&self) -> Option<&CompiledRoute> {
        self.config.routes.get(self.state.route?)
    }

    /// The matched route's service.
    pub fn service(&self) -> Option<&CompiledService> {
        self.config.services.get(self.route()?.service?)
    }
}

/// What the plugins of one request learned, shared between them and the later phases.
#[derive(Default)]
pub struct RequestState {
    /// The matched route: an index into `CompiledConfig::routes` (`None` when none matched).
    pub route: Option<usize>,
    /// How it matched (for a regex path's captures, `Router::captures`).
    pub route_match: Option<crate::router::RouteMatch>,
    /// The client's address as Kong's `kong.client.get_forwarded_ip()` gives it: the peer,
    /// or the address a trusted proxy forwarded (`trusted_ips`, `real_ip_header`).
    pub client_ip: Option<IpAddr>,
    /// The consumer an authentication plugin found (or the anonymous one).
    pub consumer: Option<Arc<Consumer>>,
    /// The credential that authenticated the request (`X-Credential-Identifier`); `None`
    /// for the anonymous consumer, so later authentication plugins with `anonymous` still run.
    pub credential: Option<String>,
    /// Groups an authentication plugin found outside consumers (openid-connect's
    /// `authenticated_groups_claim`), for acl.
    pub authenticated_groups: Option<Arc<[String]>>,
    /// A body to send upstream instead of the client's (credentials removed from it, or
    /// rewritten by a transformer).
    pub upstream_body: Option<Bytes>,
    /// The most body bytes the request may stream upstream (request-size-limiting's limit
    /// for a chunked body too long to read in the access phase); past it the request fails
    /// with Kong's 413.
    pub request_body_limit: Option<u64>,
    /// Body bytes streamed upstream so far, counted against `request_body_limit`.
    pub request_body_seen: u64,
    /// The upstream path (query aside) instead of the one routing gives (Kong's
    /// `kong.service.request.set_path`, request-transformer's `replace.uri`).
    pub upstream_path: Option<String>,
    /// The upstream `Host` instead of the service's or the client's (Kong's
    /// `kong.service.request.set_header("host", ...)`).
    pub upstream_host: Option<String>,
    /// Set for the response header the upstream sent (header_filter also runs on the
    /// gateway's own answers, whose body is not run through body_filter).
    pub upstream_response: bool,
    /// Per-request data of individual plugins between their phases, one value per type
    /// (a plugin's own private type; at most one instance of a plugin runs per request).
    pub extensions: http::Extensions,
}

impl RequestState {
    /// Whether a real credential (not the anonymous consumer) authenticated the request.
    pub fn is_authenticated(&self) -> bool {
        self.credential.is_some()
    }
}
