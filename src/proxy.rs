//! The Pingora `ProxyHttp` implementation: thin glue between phases and the modules that
//! route, authenticate, rewrite and answer.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::upstreams::peer::HttpPeer;
use pingora::{Error, ErrorType, Result};
use pingora_proxy::{FailToProxy, ProxyHttp, Session};

use crate::config::compiled::{CompiledRoute, CompiledService};
use crate::plugin::openid_connect::{Authenticated, OpenIdConnectPlugin};
use crate::respond::ErrorResponse;
use crate::router::{normalize_path, protocol_check, ProtocolRedirect, Request};
use crate::snapshot::{Snapshot, SnapshotStore};
use crate::upstream_request::{forwarded_for, service_host_header, upstream_path};

/// Per-request state: the pinned snapshot and what the phases learned.
pub struct RequestContext {
    snapshot: Arc<Snapshot>,
    started: Instant,
    route: Option<usize>,
    matched_path_len: usize,
    /// The normalised request path, when it differs from the raw one: what was routed
    /// on and what the upstream path is built from.
    normalized_path: Option<String>,
    /// The plugin that authenticated the request, and what it found.
    auth: Option<(Arc<OpenIdConnectPlugin>, Authenticated)>,
    /// Connection retries spent on this request (Kong's service `retries`).
    retries: u32,
    /// Status the gateway answered by itself, for the access log.
    answered: Option<u16>,
}

impl RequestContext {
    /// The matched route and its service.
    fn matched(&self) -> Option<(&CompiledRoute, &CompiledService)> {
        let route = self.snapshot.config.routes.get(self.route?)?;
        let service = self.snapshot.config.services.get(route.service)?;
        Some((route, service))
    }
}

/// The gateway's proxy service.
pub struct Gateway {
    store: Arc<SnapshotStore>,
}

impl Gateway {
    pub fn new(store: Arc<SnapshotStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = RequestContext;

    fn new_ctx(&self) -> RequestContext {
        RequestContext {
            snapshot: self.store.current(),
            started: Instant::now(),
            route: None,
            matched_path_len: 0,
            normalized_path: None,
            auth: None,
            retries: 0,
            answered: None,
        }
    }

    async fn request_filter(
        &self,
        session: &mut Session,
        ctx: &mut RequestContext,
    ) -> Result<bool> {
        let routed = {
            let request = session.req_header();
            match normalize_path(request.uri.path()) {
                Err(_) => Err(ErrorResponse::bad_request()),
                Ok(path) => {
                    let host = request
                        .headers
                        .get(http::header::HOST)
                        .and_then(|h| h.to_str().ok())
                        .or_else(|| request.uri.host());
                    let config = &ctx.snapshot.config;
                    let found = config.router.route(&Request {
                        method: request.method.as_str(),
                        host,
                        path: &path,
                        headers: Some(&request.headers),
                        sni: None,
                    });
                    let redirect = found
                        .and_then(|found| config.routes.get(found.route))
                        .and_then(|route| {
                            let target = request.uri.path_and_query().map_or("/", |p| p.as_str());
                            let code = route.https_redirect_status_code;
                            protocol_check(route.protocols, code, "http", host, target)
                        });
                    let normalized = match path {
                        Cow::Owned(path) => Some(path),
                        Cow::Borrowed(_) => None,
                    };
                    Ok((found, redirect, normalized))
                }
            }
        };
        let (found, redirect, normalized_path) = match routed {
            Ok(routed) => routed,
            Err(response) => return answer(session, ctx, response).await,
        };
        let Some(found) = found else {
            return answer(session, ctx, ErrorResponse::no_route()).await;
        };
        ctx.route = Some(found.route);
        ctx.matched_path_len = found.matched_path_len;
        ctx.normalized_path = normalized_path;
        if let Some(redirect) = redirect {
            let response = match redirect {
                ProtocolRedirect::UpgradeRequired => ErrorResponse::upgrade_required(),
                ProtocolRedirect::Redirect { status, location } => {
                    ErrorResponse::redirect(status, location)
                }
            };
            return answer(session, ctx, response).await;
        }
        let plugin = ctx
            .snapshot
            .openid_connect
            .get(found.route)
            .cloned()
            .flatten();
        if let Some(plugin) = plugin {
            match plugin.access(session, &ctx.snapshot.config.consumers).await {
                Ok(auth) => ctx.auth = Some((plugin, auth)),
                Err(response) => return answer(session, ctx, response).await,
            }
        }
        Ok(false)
    }

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        ctx: &mut RequestContext,
    ) -> Result<Box<HttpPeer>> {
        let (_, service) = ctx
            .matched()
            .ok_or_else(|| Error::new(ErrorType::InternalError))?;
        let mut peer = HttpPeer::new(service.address, false, String::new());
        peer.options.connection_timeout = Some(service.connect_timeout);
        peer.options.read_timeout = Some(service.read_timeout);
        peer.options.write_timeout = Some(service.write_timeout);
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
        let path = upstream_path(
            ctx.normalized_path
                .as_deref()
                .unwrap_or(session.req_header().uri.path()),
            session.req_header().uri.query(),
            ctx.matched_path_len,
            route.strip_path,
            service.path.as_deref(),
            route.path_handling,
        );
        let uri = http::Uri::try_from(path).map_err(|_| Error::new(ErrorType::InternalError))?;
        upstream.set_uri(uri);

        let original_host = session
            .req_header()
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        if !route.preserve_host {
            upstream.insert_header(
                http::header::HOST,
                service_host_header(&service.host, service.port, &service.protocol),
            )?;
        }
        let client = session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip().to_string());
        if let Some(client) = client {
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
        upstream.insert_header("x-forwarded-proto", "http")?;
        if let Some(host) = original_host {
            upstream.insert_header("x-forwarded-host", host)?;
        }
        upstream.append_header(http::header::VIA, VIA)?;

        if let Some((plugin, auth)) = &ctx.auth {
            plugin.rewrite_upstream(auth, upstream)?;
        }
        Ok(())
    }

    async fn request_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        _end_of_stream: bool,
        ctx: &mut RequestContext,
    ) -> Result<()> {
        // Form-body credentials were read whole (and are replayed as one chunk): send the
        // body without them instead, on every attempt.
        let replacement = ctx
            .auth
            .as_ref()
            .and_then(|(_, auth)| auth.replacement_body.as_ref());
        if let (Some(replacement), Some(_)) = (replacement, body.as_ref()) {
            *body = Some(replacement.clone());
        }
        Ok(())
    }

    async fn response_filter(
        &self,
        _session: &mut Session,
        response: &mut ResponseHeader,
        _ctx: &mut RequestContext,
    ) -> Result<()> {
        response.append_header("Via", VIA)?;
        Ok(())
    }

    fn fail_to_connect(
        &self,
        _session: &mut Session,
        _peer: &HttpPeer,
        ctx: &mut RequestContext,
        mut error: Box<Error>,
    ) -> Box<Error> {
        let allowed = ctx.matched().map_or(0, |(_, service)| service.retries);
        if ctx.retries < allowed {
            ctx.retries += 1;
            error.set_retry(true);
        }
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
        let response = match error.etype() {
            ErrorType::ConnectTimedout | ErrorType::ReadTimedout | ErrorType::WriteTimedout => {
                ErrorResponse::upstream_timeout()
            }
            ErrorType::HTTPStatus(code) => ErrorResponse::for_status(*code),
            ErrorType::InternalError => ErrorResponse::internal(),
            _ => match error.esource() {
                pingora::ErrorSource::Downstream => {
                    return FailToProxy {
                        error_code: 0,
                        can_reuse_downstream: false,
                    }
                }
                _ => ErrorResponse::upstream_invalid(),
            },
        };
        let status = response.status;
        ctx.answered = Some(status);
        if let Err(write_error) = response.send(session).await {
            log::debug!("could not send the error response: {write_error}");
        }
        FailToProxy {
            error_code: status,
            can_reuse_downstream: false,
        }
    }

    async fn logging(
        &self,
        session: &mut Session,
        _error: Option<&Error>,
        ctx: &mut RequestContext,
    ) {
        let status = session
            .response_written()
            .map(|r| r.status.as_u16())
            .or(ctx.answered)
            .unwrap_or(0);
        let route = ctx
            .route
            .and_then(|r| ctx.snapshot.config.routes.get(r))
            .map(|r| r.name.as_deref().unwrap_or(r.id.as_str()))
            .unwrap_or("-");
        let consumer = ctx
            .auth
            .as_ref()
            .and_then(|(_, auth)| auth.consumer.as_ref())
            .and_then(|c| c.username.as_deref())
            .unwrap_or("-");
        let request = session.req_header();
        log::info!(
            target: "access",
            "{} {} route={} consumer={} status={} latency_ms={}",
            request.method,
            request.uri.path(),
            route,
            consumer,
            status,
            ctx.started.elapsed().as_millis()
        );
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
    response.send(session).await?;
    Ok(true)
}
