//! cors's phases: the preflight (`OPTIONS` with `Origin` and
//! `Access-Control-Request-Method`) answered 200 by the gateway unless `preflight_continue`,
//! and the `Access-Control-*` headers and `Vary: Origin` on every other response.

use bytes::Bytes;
use pingora::http::ResponseHeader;

use super::config::CorsConfig;
use super::origin::{allow_origin, AllowOrigin};
use crate::plugin::api::{Access, RequestState};
use crate::respond::ErrorResponse;

/// What access learned of the request, for header_filter.
#[derive(Clone)]
struct CorsRequest {
    origin: Option<String>,
    /// A preflight: its headers were answered (or left to the upstream) already.
    skip_response_headers: bool,
}

fn header<'a>(access: &'a Access<'_>, name: &str) -> Option<&'a str> {
    access
        .session
        .req_header()
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
}

/// The origin and credentials headers (Kong's `configure_origin` + `configure_credentials`).
fn origin_headers(
    conf: &CorsConfig,
    request_origin: Option<&str>,
) -> (Vec<(&'static str, String)>, bool, bool) {
    let (allow, mut vary) = allow_origin(&conf.origins, request_origin);
    let mut headers = Vec::new();
    let mut remove_acao = false;
    match &allow {
        AllowOrigin::All => headers.push(("Access-Control-Allow-Origin", "*".to_owned())),
        AllowOrigin::Origin(origin) => {
            headers.push(("Access-Control-Allow-Origin", origin.clone()))
        }
        AllowOrigin::None => remove_acao = true,
    }
    if conf.credentials {
        if allow != AllowOrigin::All {
            headers.push(("Access-Control-Allow-Credentials", "true".to_owned()));
        } else if let Some(origin) = request_origin {
            // `*` cannot go with credentials: the request's origin instead.
            vary = true;
            headers.retain(|(name, _)| *name != "Access-Control-Allow-Origin");
            headers.push(("Access-Control-Allow-Origin", origin.to_owned()));
            headers.push(("Access-Control-Allow-Credentials", "true".to_owned()));
        }
    }
    (headers, vary, remove_acao)
}

pub fn access(conf: &CorsConfig, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
    let origin = header(access, "origin").map(str::to_owned);
    let preflight = access.session.req_header().method == http::Method::OPTIONS
        && origin.is_some()
        && access
            .session
            .req_header()
            .headers
            .contains_key("access-control-request-method");
    access.state.extensions.insert(CorsRequest {
        origin: origin.clone(),
        skip_response_headers: preflight,
    });
    if !preflight || conf.preflight_continue {
        return Ok(());
    }
    let (mut headers, vary, _) = origin_headers(conf, origin.as_deref());
    if vary {
        headers.push(("Vary", "Origin".to_owned()));
    }
    if !conf.headers.is_empty() {
        headers.push(("Access-Control-Allow-Headers", conf.headers.join(",")));
    } else if let Some(requested) = header(access, "access-control-request-headers") {
        headers.push(("Access-Control-Allow-Headers", requested.to_owned()));
    }
    headers.push(("Access-Control-Allow-Methods", conf.methods.join(",")));
    if let Some(max_age) = &conf.max_age {
        headers.push(("Access-Control-Max-Age", max_age.clone()));
    }
    if conf.private_network
        && header(access, "access-control-request-private-network") == Some("true")
    {
        headers.push(("Access-Control-Allow-Private-Network", "true".to_owned()));
    }
    let mut answer = ErrorResponse::raw(200, Bytes::new(), None);
    answer.headers = headers;
    Err(answer)
}

pub fn header_filter(conf: &CorsConfig, state: &mut RequestState, response: &mut ResponseHeader) {
    let request = state.extensions.get::<CorsRequest>().cloned();
    if request.as_ref().is_some_and(|r| r.skip_response_headers) {
        return;
    }
    let origin = request.and_then(|r| r.origin);
    let (headers, vary, remove_acao) = origin_headers(conf, origin.as_deref());
    if remove_acao {
        response.remove_header("Access-Control-Allow-Origin");
    }
    if vary {
        let _ = response.append_header("Vary", "Origin");
    }
    for (name, value) in headers {
        let _ = response.insert_header(name, value);
    }
    if !conf.exposed_headers.is_empty() {
        let _ = response.insert_header(
            "Access-Control-Expose-Headers",
            conf.exposed_headers.join(","),
        );
    }
}
