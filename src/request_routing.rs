//! The routing step of a request: normalise its path once, find its route, and check the
//! route's protocols. What it decides is used for matching and for forwarding alike.

use std::borrow::Cow;

use pingora::http::RequestHeader;

use crate::config::compiled::CompiledConfig;
use crate::respond::ErrorResponse;
use crate::router::{normalize_path, protocol_check, ProtocolRedirect, Request, RouteMatch};
use crate::tls::Downstream;

/// Longest path and query accepted (nginx's default under Kong answers 414 beyond 8 KiB);
/// also keeps every joined upstream path far below what `http::Uri` accepts.
pub const MAX_REQUEST_TARGET: usize = 8192;

/// A request that matched a route.
pub struct Routed {
    /// Index into `CompiledConfig::routes`.
    pub route: usize,
    /// How the route matched (a regex path's captures are read from it).
    pub found: RouteMatch,
    /// Bytes of the normalised path matched by the route's path (for `strip_path`).
    pub matched_path_len: usize,
    /// The normalised path, when it differs from the request's.
    pub normalized_path: Option<String>,
    /// The route matched, but the request must be answered instead (426 or a redirect to https).
    pub refusal: Option<ErrorResponse>,
}

/// The host a request is for: its Host header, else (HTTP/2) its `:authority`, port included.
pub fn request_host(request: &RequestHeader) -> Option<&str> {
    request
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri.authority().map(|a| a.as_str()))
}

/// Routes a request that came on `downstream` (its SNI feeds `snis`, its scheme the
/// `protocols` check); `Err` is the answer (400 for a malformed path, 404).
pub fn route_request(
    config: &CompiledConfig,
    request: &RequestHeader,
    downstream: Downstream<'_>,
) -> Result<Routed, ErrorResponse> {
    let target_len = request.uri.path_and_query().map_or(0, |p| p.as_str().len());
    if target_len > MAX_REQUEST_TARGET {
        return Err(ErrorResponse::for_status(414));
    }
    let path = normalize_path(request.uri.path()).map_err(|_| ErrorResponse::bad_request())?;
    let host = request_host(request);
    let found = config
        .router
        .route(&Request {
            method: request.method.as_str(),
            host,
            path: &path,
            headers: Some(&request.headers),
            sni: downstream.server_name,
            local_port: downstream.local_port,
        })
        .ok_or_else(ErrorResponse::no_route)?;
    let refusal = config.routes.get(found.route).and_then(|route| {
        let target = request.uri.path_and_query().map_or("/", |p| p.as_str());
        let code = route.https_redirect_status_code;
        protocol_check(route.protocols, code, downstream.scheme(), host, target).map(|redirect| {
            match redirect {
                ProtocolRedirect::UpgradeRequired => ErrorResponse::upgrade_required(),
                ProtocolRedirect::Redirect { status, location } => {
                    ErrorResponse::redirect(status, location)
                }
            }
        })
    });
    Ok(Routed {
        route: found.route,
        found,
        matched_path_len: found.matched_path_len,
        normalized_path: match path {
            Cow::Owned(path) => Some(path),
            Cow::Borrowed(_) => None,
        },
        refusal,
    })
}
