//! The Pingora `ProxyHttp` implementation: thin glue between phases and the modules that
//! route, authenticate, rewrite and answer.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::upstreams::peer::HttpPeer;
use pingora::{Error, ErrorSource, ErrorType, Result};
use pingora_proxy::{FailToProxy, ProxyHttp, Session};

use crate::balancer::{Balancer, HashInput, PassiveOutcome, Pick};
use crate::client_ip::ClientIpSettings;
use crate::config::compiled::{CompiledRoute, CompiledService, ServiceTarget};
use crate::finished_request::FinishedRequest;
use crate::kong_headers::{KongHeaders, Proxied};
use crate::metrics::ResponseSource;
use crate::plugin::chain_run::PluginRun;
use crate::plugin::log_phase::{request_header_size, response_header_size, LogPhase};
use crate::plugin::request_size_limiting::{self, BODY_OVER_LIMIT};
use crate::request_id::new_request_id;
use crate::request_routing::{request_host, route_request};
use crate::respond::ErrorResponse;
use crate::server_config::LogFormat;
use crate::snapshot::{Snapshot, SnapshotStore};
use crate::tls::Downstream;
use crate::upstream_request::{forwarded_for, upstream_path};
use crate::upstream_target::{
    choose, passive_outcome, tls_server_name, FIRST_ANSWER_WAIT, NAME_RESOLUTION_FAILED,
    NO_HEALTHY_TARGET,
};

/// Per-request state: the pinned snapshot and what the phases learned.
pub struct RequestContext {
    snapshot: Arc<Snapshot>,
    /// Kong's `headers` settings (from the server configuration).
    kong_headers: KongHeaders,
    started: Instant,
    route: Option<usize>,
    matched_path_len: usize,
    /// The normalised request path, when it differs from the raw one: what was routed
    /// on and what the upstream path is built from.
    normalized_path: Option<String>,
    /// The plugins' shared state (consumer, credential) and the instances to call later.
    plugins: PluginRun,
    /// Connection retries spent on this request (Kong's service `retries`).
    retries: u32,
    /// Status the gateway answered by itself, for the access log.
    answered: Option<u16>,
    /// `X-Kong-Request-Id`, sent upstream and downstream.
    request_id: String,
    /// When the first upstream attempt began (`X-Kong-Proxy-Latency` ends here).
    upstream_started: Option<Instant>,
    /// When the upstream's response header arrived, and its status.
    upstream_answered: Option<(Instant, u16)>,
    /// Upstream attempts (peers chosen) for this request, as Kong logs `tries`.
    tries: u32,
    /// The upstream target of the current attempt (its lease lives as long as this).
    pick: Option<Pick>,
    /// Targets already tried for this request, avoided by the next attempt.
    tried: Vec<usize>,
    /// The Host header for the current attempt (`None`: keep the client's).
    upstream_host: Option<String>,
    /// Whether the peer is one of `trusted_ips` (its `X-Forwarded-*` are kept).
    peer_trusted: bool,
    /// The upstream address of each attempt (the log object's `tries`).
    peers: Vec<std::net::SocketAddr>,
    /// When each attempt began (as `peers`).
    attempt_starts: Vec<Instant>,
    /// Counts the request in flight until it is dropped.
    _in_flight: crate::metrics::InFlight,
}

impl RequestContext {
    /// Spends one of the service's `retries`, if any are left.
    fn take_retry(&mut self) -> bool {
        let allowed = self.matched().map_or(0, |(_, service)| service.retries);
        if self.retries < allowed {
            self.retries += 1;
            true
        } else {
            false
        }
    }

    /// Passive health checks: a failed attempt counts against the target it went to.
    fn report_failure(&self, error: &Error) {
        if let (Some(pick), Some(balancer)) = (&self.pick, self.balancer()) {
            balancer.report_pick(pick, passive_outcome(error));
        }
    }

    /// The balancer of the matched service, if it names an upstream.
    fn balancer(&self) -> Option<&Arc<Balancer>> {
        match self.matched()?.1.target {
            ServiceTarget::Upstream(index) => self.snapshot.config.upstreams.get(index),
            ServiceTarget::Address(_) | ServiceTarget::Name(_) => None,
        }
    }

    /// The matched route and its service (`None` also for a route without a service).
    fn matched(&self) -> Option<(&CompiledRoute, &CompiledService)> {
        let route = self.matched_route()?;
        let service = self.snapshot.config.services.get(route.service?)?;
        Some((route, service))
    }

    /// The matched route, with or without a service.
    fn matched_route(&self) -> Option<&CompiledRoute> {
        self.snapshot.config.routes.get(self.route?)
    }

    /// The path and query sent upstream for `request` on `route` of `service`.
    fn upstream_uri(
        &self,
        request: &RequestHeader,
        route: &CompiledRoute,
        service: &CompiledService,
    ) -> String {
        let query = request.uri.query();
        match &self.plugins.state.upstream_path {
            // A plugin set the upstream path itself (request-transformer's `replace.uri`).
            Some(path) => match query {
                Some(query) => format!("{path}?{query}"),
                None => path.clone(),
            },
            None => upstream_path(
                self.normalized_path
                    .as_deref()
                    .unwrap_or(request.uri.path()),
                query,
                self.matched_path_len,
                route.strip_path,
                service.path.as_deref(),
                route.path_handling,
            ),
        }
    }
}

/// The server-wide settings a proxy service works with.
#[derive(Debug, Clone, Default)]
pub struct ProxySettings {
    pub log_format: LogFormat,
    /// Kong's `trusted_ips`, `real_ip_header`, `real_ip_recursive`.
    pub client_ip: ClientIpSettings,
    /// Kong's `headers` and `headers_upstream`.
    pub kong_headers: KongHeaders,
}

/// The gateway's proxy service.
pub struct Gateway {
    store: Arc<SnapshotStore>,
    settings: Arc<ProxySettings>,
}

impl Gateway {
    pub fn new(store: Arc<SnapshotStore>, settings: Arc<ProxySettings>) -> Self {
        Self { store, settings }
    }
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = RequestContext;

    fn new_ctx(&self) -> RequestContext {
        RequestContext {
            snapshot: self.store.current(),
            kong_headers: self.settings.kong_headers,
            started: Instant::now(),
            route: None,
            matched_path_len: 0,
            normalized_path: None,
            plugins: PluginRun::default(),
            retries: 0,
            answered: None,
            request_id: new_request_id(),
            upstream_started: None,
            upstream_answered: None,
            tries: 0,
            pick: None,
            tried: Vec::new(),
            upstream_host: None,
            peer_trusted: false,
            peers: Vec::new(),
            attempt_starts: Vec::new(),
            _in_flight: crate::metrics::InFlight::start(),
        }
    }

    async fn request_filter(
        &self,
        session: &mut Session,
        ctx: &mut RequestContext,
    ) -> Result<bool> {
        if crate::drain::draining() {
            session.set_keepalive(None);
        }
        let peer = session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip());
        ctx.peer_trusted = peer.is_some_and(|peer| self.settings.client_ip.trusts(peer));
        ctx.plugins.state.client_ip = peer.map(|peer| {
            self.settings
                .client_ip
                .client_ip(peer, &session.req_header().headers)
        });
        let downstream = Downstream::of(session);
        let routed = route_request(&ctx.snapshot.config, session.req_header(), downstream);
        let routed = match routed {
            Ok(routed) => routed,
            Err(response) => {
                ctx.plugins
                    .without_route(&ctx.snapshot, downstream.scheme() == "https");
                return answer(session, ctx, response).await;
            }
        };
        ctx.route = Some(routed.route);
        ctx.plugins.state.route = Some(routed.route);
        ctx.plugins.state.route_match = Some(routed.found);
        ctx.matched_path_len = routed.matched_path_len;
        ctx.normalized_path = routed.normalized_path;
        if let Some(response) = routed.refusal {
            return answer(session, ctx, response).await;
        }
        let https = downstream.scheme() == "https";
        let snapshot = &ctx.snapshot;
        if let Some(route) = snapshot.config.routes.get(routed.route) {
            let ran = ctx
                .plugins
                .access(snapshot, &route.plugins, session, https)
                .await;
            if let Err(response) = ran {
                return answer(session, ctx, response).await;
            }
        }
        // After the plugins, which may answer first: a route without a service
        // (Kong: 503 "no Service found with those values").
        if ctx.matched_route().is_some_and(|r| r.service.is_none()) {
            return answer(session, ctx, ErrorResponse::no_service()).await;
        }
        Ok(false)
    }

    async fn upstream_peer(
        &self,
        session: &mut Session,
        ctx: &mut RequestContext,
    ) -> Result<Box<HttpPeer>> {
        if ctx.upstream_started.is_none() {
            ctx.upstream_started = Some(Instant::now());
        }
        ctx.tries += 1;
        let (route, service) = ctx
            .matched()
            .ok_or_else(|| Error::new(ErrorType::InternalError))?;
        // Only right after start or a reload: the refresher's first answer (async).
        match &service.target {
            ServiceTarget::Name(name) if name.is_pending() => {
                name.wait_first_answer(FIRST_ANSWER_WAIT).await;
            }
            ServiceTarget::Upstream(index) => {
                if let Some(balancer) = ctx.snapshot.config.upstreams.get(*index) {
                    balancer.wait_first_answers(FIRST_ANSWER_WAIT).await;
                }
            }
            _ => {}
        }
        let request = session.req_header();
        let input = HashInput {
            consumer_id: ctx.plugins.state.consumer.as_ref().map(|c| c.id.as_str()),
            client_ip: ctx.plugins.state.client_ip,
            headers: &request.headers,
            path: ctx.normalized_path.as_deref().unwrap_or(request.uri.path()),
            query: request.uri.query(),
        };
        let destination = choose(service, &ctx.snapshot.config.upstreams, &input, &ctx.tried)?;
        let client_host = request_host(request).filter(|_| route.preserve_host);
        let tls = service.protocol == "https";
        let sni = match (tls, client_host) {
            (false, _) => String::new(),
            (true, Some(client_host)) => tls_server_name(client_host),
            (true, None) => tls_server_name(&destination.host_header),
        };
        let mut peer = HttpPeer::new(destination.address, tls, sni);
        peer.options.connection_timeout = Some(service.connect_timeout);
        peer.options.read_timeout = Some(service.read_timeout);
        peer.options.write_timeout = Some(service.write_timeout);
        if tls {
            peer.options.verify_cert = service.tls_verify;
            peer.options.verify_hostname = service.tls_verify;
            peer.options.ca = service.ca.clone();
        }
        let preserve_host = route.preserve_host;
        if let Some(pick) = &destination.pick {
            ctx.tried.push(pick.target);
        }
        ctx.upstream_host = (!preserve_host).then_some(destination.host_header);
        ctx.pick = destination.pick;
        ctx.peers.push(destination.address);
        ctx.attempt_starts.push(Instant::now());
        // Each attempt streams the body again: request-size-limiting counts it afresh.
        ctx.plugins.state.request_body_seen = 0;
        Ok(Box::new(peer))
    }

    async fn upstream_request_filter(
        &self,
        session: &mut Session,
        upstream: &mut RequestHeader,
        ctx: &mut RequestContext,
    ) -> Result<()> {
        let (route, service) = ctx
            .matched()
            .ok_or_else(|| Error::new(ErrorType::InternalError))?;
        let path = ctx.upstream_uri(session.req_header(), route, service);
        let uri = http::Uri::try_from(path).map_err(|_| Error::new(ErrorType::InternalError))?;
        upstream.set_uri(uri);

        let original_host = request_host(session.req_header()).map(str::to_owned);
        if let Some(host) = ctx
            .plugins
            .state
            .upstream_host
            .as_ref()
            .or(ctx.upstream_host.as_ref())
        {
            upstream.insert_header(http::header::HOST, host.as_str())?;
        }
        if let Some(client) = ctx.plugins.state.client_ip.map(|ip| ip.to_string()) {
            let previous = upstream
                .headers
                .get("x-forwarded-for")
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned);
            upstream.insert_header(
                "x-forwarded-for",
                forwarded_for(previous.as_deref(), &client),
            )?;
            upstream.insert_header("x-real-ip", client)?;
        }
        // A trusted proxy's X-Forwarded-Proto and -Host are kept, as Kong does.
        let keep_proto = ctx.peer_trusted && upstream.headers.contains_key("x-forwarded-proto");
        let keep_host = ctx.peer_trusted && upstream.headers.contains_key("x-forwarded-host");
        if !keep_proto {
            upstream.insert_header("x-forwarded-proto", Downstream::of(session).scheme())?;
        }
        if let Some(host) = original_host.filter(|_| !keep_host) {
            upstream.insert_header("x-forwarded-host", host)?;
        }
        upstream.append_header(http::header::VIA, VIA)?;
        if ctx.kong_headers.request_id_upstream {
            upstream.insert_header(REQUEST_ID_HEADER, ctx.request_id.as_str())?;
        } else {
            upstream.remove_header(REQUEST_ID_HEADER);
        }

        if let Some(body) = &ctx.plugins.state.upstream_body {
            upstream.remove_header(&http::header::TRANSFER_ENCODING);
            upstream.insert_header(http::header::CONTENT_LENGTH, body.len().to_string())?;
        }
        Ok(())
    }

    async fn request_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        end_of_stream: bool,
        ctx: &mut RequestContext,
    ) -> Result<()> {
        // A plugin read the body whole (Pingora replays it as one chunk, or as nothing when
        // it was empty) and rewrote it: send the new body instead, on every attempt.
        if let Some(replacement) = &ctx.plugins.state.upstream_body {
            if body.is_some() || end_of_stream {
                *body = Some(replacement.clone());
            }
        }
        if let (Some(limit), Some(chunk)) = (ctx.plugins.state.request_body_limit, body.as_ref()) {
            let state = &mut ctx.plugins.state;
            state.request_body_seen = state.request_body_seen.saturating_add(chunk.len() as u64);
            if state.request_body_seen > limit {
                return Err(Error::new(ErrorType::Custom(BODY_OVER_LIMIT)));
            }
        }
        Ok(())
    }

    async fn upstream_response_filter(
        &self,
        _session: &mut Session,
        response: &mut ResponseHeader,
        ctx: &mut RequestContext,
    ) -> Result<()> {
        ctx.upstream_answered = Some((Instant::now(), response.status.as_u16()));
        if let (Some(pick), Some(balancer)) = (&ctx.pick, ctx.balancer()) {
            balancer.report_pick(pick, PassiveOutcome::Status(response.status.as_u16()));
            if let Some(cookie) = &pick.set_cookie {
                response.append_header(http::header::SET_COOKIE, cookie.as_str())?;
            }
        }
        Ok(())
    }

    async fn response_filter(
        &self,
        _session: &mut Session,
        response: &mut ResponseHeader,
        ctx: &mut RequestContext,
    ) -> Result<()> {
        let latencies = ctx.upstream_started.map(|upstream_started| {
            (
                upstream_started.elapsed().as_millis(),
                upstream_started.duration_since(ctx.started).as_millis(),
            )
        });
        let proxied = Proxied {
            via: VIA,
            request_id: &ctx.request_id,
            latencies,
            upstream_status: response.status.as_u16(),
        };
        ctx.kong_headers.on_proxied_response(response, &proxied)?;
        ctx.plugins.state.upstream_response = true;
        ctx.plugins.header_filter(&ctx.snapshot, response);
        Ok(())
    }

    fn response_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        end_of_stream: bool,
        ctx: &mut RequestContext,
    ) -> Result<Option<std::time::Duration>> {
        ctx.plugins.body_filter(&ctx.snapshot, body, end_of_stream);
        Ok(None)
    }

    fn fail_to_connect(
        &self,
        _session: &mut Session,
        _peer: &HttpPeer,
        ctx: &mut RequestContext,
        mut error: Box<Error>,
    ) -> Box<Error> {
        ctx.report_failure(&error);
        // Nothing reached the upstream: any method may be tried again.
        error.set_retry(ctx.take_retry());
        error
    }

    fn error_while_proxy(
        &self,
        peer: &HttpPeer,
        session: &mut Session,
        error: Box<Error>,
        ctx: &mut RequestContext,
        _client_reused: bool,
    ) -> Box<Error> {
        let mut error = error.more_context(format!("Peer: {peer}"));
        if error.esource() != &ErrorSource::Upstream {
            // The client went away or sent a broken body, or the gateway failed: no
            // target is to blame, and another attempt would not help.
            error.set_retry(false);
            return error;
        }
        ctx.report_failure(&error);
        // The request may have reached the upstream: only idempotent methods are sent
        // again (as nginx's proxy_next_upstream does for Kong), and only while nothing
        // was sent to the client and the whole body can be replayed.
        let replayable = session.req_header().method.is_idempotent()
            && !session.as_ref().retry_buffer_truncated()
            && session.response_written().is_none();
        error.set_retry(replayable && ctx.take_retry());
        error
    }

    async fn fail_to_proxy(
        &self,
        session: &mut Session,
        error: &Error,
        ctx: &mut RequestContext,
    ) -> FailToProxy {
        if let Some(written) = session.response_written() {
            // The client already has a response header: all we can do is close.
            return FailToProxy {
                error_code: written.status.as_u16(),
                can_reuse_downstream: false,
            };
        }
        let over_limit = error.etype() == &ErrorType::Custom(BODY_OVER_LIMIT);
        if error.esource() == &ErrorSource::Downstream && !over_limit {
            // Nobody left to answer (or a client too slow to send its body).
            return FailToProxy {
                error_code: 0,
                can_reuse_downstream: false,
            };
        }
        let response = match error.etype() {
            ErrorType::ConnectTimedout | ErrorType::ReadTimedout | ErrorType::WriteTimedout => {
                ErrorResponse::upstream_timeout()
            }
            ErrorType::HTTPStatus(code) => ErrorResponse::for_status(*code),
            ErrorType::Custom(NO_HEALTHY_TARGET) => ErrorResponse::no_healthy_target(),
            ErrorType::Custom(NAME_RESOLUTION_FAILED) => ErrorResponse::name_resolution_failed(),
            ErrorType::Custom(BODY_OVER_LIMIT) => request_size_limiting::too_large(false),
            ErrorType::InternalError => ErrorResponse::internal(),
            _ => ErrorResponse::upstream_invalid(),
        };
        let status = response.status;
        ctx.answered = Some(status);
        let latency = ctx.started.elapsed().as_millis();
        // The plugins' header_filter runs on the gateway's error answers too, as in Kong.
        let (plugins, snapshot) = (&mut ctx.plugins, &ctx.snapshot);
        let sent = response
            .send_decorated(
                session,
                ctx.kong_headers,
                &ctx.request_id,
                latency,
                |header| plugins.header_filter(snapshot, header),
            )
            .await;
        if let Err(write_error) = sent {
            log::debug!("could not send the error response: {write_error}");
        }
        FailToProxy {
            error_code: status,
            can_reuse_downstream: false,
        }
    }

    /// What Pingora's own error lines say about the request: method, path and request id.
    /// Its default adds the query string and Host, and a query may carry credentials.
    fn request_summary(&self, session: &Session, ctx: &RequestContext) -> String {
        let request = session.req_header();
        format!(
            "{} {} request_id={}",
            request.method,
            request.uri.path(),
            ctx.request_id
        )
    }

    async fn logging(
        &self,
        session: &mut Session,
        _error: Option<&Error>,
        ctx: &mut RequestContext,
    ) {
        let finished = finished_request(session, ctx);
        crate::access_log::write(self.settings.log_format, &finished);
        crate::metrics::record_request();
        if ctx.plugins.logs(&ctx.snapshot) {
            let log = log_phase(session, ctx, &finished);
            ctx.plugins.log(&ctx.snapshot, &log);
        }
    }
}

/// What the plugins' log phase sees of the request.
fn log_phase<'a>(
    session: &'a Session,
    ctx: &'a RequestContext,
    finished: &'a FinishedRequest<'a>,
) -> LogPhase<'a> {
    let request = session.req_header();
    let mut log = LogPhase::new(finished, &ctx.snapshot, &ctx.plugins.state, request);
    log.response = session.response_written();
    let downstream = Downstream::of(session);
    log.scheme = downstream.scheme();
    log.server_port = session
        .server_addr()
        .and_then(|addr| addr.as_inet())
        .map(|addr| addr.port());
    if ctx.tries > 0 {
        log.upstream_uri = ctx
            .matched()
            .map(|(route, service)| ctx.upstream_uri(request, route, service));
    }
    log.peers = &ctx.peers;
    log.attempt_starts = &ctx.attempt_starts;
    log.request_started = Some(ctx.started);
    log.request_size = request_header_size(request) + session.body_bytes_read() as u64;
    log.response_size =
        log.response.map_or(0, response_header_size) + session.body_bytes_sent() as u64;
    log.tls = session
        .digest()
        .and_then(|digest| digest.ssl_digest.as_ref())
        .map(|tls| (tls.version.to_string(), tls.cipher.to_string()));
    log
}

/// The facts of a finished request, for the access log and the metrics.
fn finished_request<'a>(session: &'a Session, ctx: &'a RequestContext) -> FinishedRequest<'a> {
    let status = session
        .response_written()
        .map(|r| r.status.as_u16())
        .or(ctx.answered)
        .unwrap_or(0);
    let request_latency = ctx.started.elapsed();
    let upstream_latency = ctx
        .upstream_started
        .zip(ctx.upstream_answered)
        .map(|(started, (answered, _))| answered.saturating_duration_since(started));
    let source = match (ctx.upstream_answered, ctx.tries) {
        (Some(_), _) => ResponseSource::Service,
        (None, 0) => ResponseSource::Kong,
        (None, _) => ResponseSource::Error,
    };
    let matched = ctx.matched();
    let route = ctx.matched_route();
    let request = session.req_header();
    FinishedRequest {
        started_at: SystemTime::now()
            .checked_sub(request_latency)
            .unwrap_or(SystemTime::UNIX_EPOCH),
        request_id: &ctx.request_id,
        client_ip: ctx.plugins.state.client_ip,
        method: request.method.as_str(),
        path: request.uri.path(),
        route,
        service: matched.map(|(_, service)| service),
        consumer: ctx.plugins.state.consumer.as_deref(),
        status,
        upstream_status: ctx.upstream_answered.map(|(_, status)| status),
        source,
        tries: ctx.tries,
        request_latency,
        upstream_latency,
        gateway_latency: request_latency.saturating_sub(upstream_latency.unwrap_or_default()),
        bytes_sent: session.body_bytes_sent(),
    }
}

/// `Via` value added upstream and downstream.
const VIA: &str = concat!("1.1 oidc-gateway/", env!("CARGO_PKG_VERSION"));

/// Sends `response` and ends the request.
async fn answer(
    session: &mut Session,
    ctx: &mut RequestContext,
    response: ErrorResponse,
) -> Result<bool> {
    ctx.answered = Some(response.status);
    let latency = ctx.started.elapsed().as_millis();
    let (plugins, snapshot) = (&mut ctx.plugins, &ctx.snapshot);
    response
        .send_decorated(
            session,
            ctx.kong_headers,
            &ctx.request_id,
            latency,
            |header| plugins.header_filter(snapshot, header),
        )
        .await?;
    Ok(true)
}

/// `X-Kong-Request-Id`, on the upstream request and on every response.
const REQUEST_ID_HEADER: &str = "X-Kong-Request-Id";
