//! request-transformer's access phase, in Kong's order: the upstream path (`replace.uri`),
//! the method, the headers, the body, the query string. Templates read the request as the
//! client sent it.

use std::borrow::Cow;

use bytes::Bytes;
use http::HeaderMap;
use pingora::http::RequestHeader;

use super::body::{self, BodyType};
use super::config::RequestTransformerConfig;
use super::headers;
use super::query;
use super::template::{Template, TemplateInput};
use crate::plugin::api::Access;
use crate::plugin::request_body::{self, BodyError};
use crate::respond::ErrorResponse;
use crate::router::normalize_path;

pub async fn access(
    conf: &RequestTransformerConfig,
    access: &mut Access<'_>,
) -> Result<(), ErrorResponse> {
    let request = access.session.req_header();
    let looks_up = conf.any_template(|t| t.as_text().is_none());
    let original_headers = if looks_up {
        request.headers.clone()
    } else {
        HeaderMap::new()
    };
    let original_query = request.uri.query().map(str::to_owned);
    let path = if conf.any_template(Template::uses_captures) {
        normalize_path(request.uri.path())
            .map(Cow::into_owned)
            .unwrap_or_default()
    } else {
        String::new()
    };
    let config = access.config;
    let captures = access
        .state
        .route_match
        .as_ref()
        .and_then(|found| config.router.captures(found, &path));
    let input = TemplateInput {
        headers: &original_headers,
        query: original_query.as_deref(),
        captures: captures.as_ref(),
    };

    if let Some(uri) = &conf.replace_uri {
        let path = uri.render(&input);
        if !path.starts_with('/') || http::uri::PathAndQuery::try_from(path.as_str()).is_err() {
            log::warn!("request-transformer: replace.uri rendered a path that is not one");
            return Err(ErrorResponse::internal());
        }
        access.state.upstream_path = Some(path);
    }
    if let Some(method) = &conf.http_method {
        access.session.req_header_mut().set_method(method.clone());
        let moves_body = matches!(method.as_str(), "GET" | "HEAD" | "TRACE");
        if moves_body && body_type(access.session.req_header()) == Some(BodyType::Form) {
            let form = current_body(access).await?;
            move_form_to_query(access.session.req_header_mut(), &form)?;
        }
    }
    if let Some(host) = headers::transform(conf, access.session.req_header_mut(), &input) {
        access.state.upstream_host = Some(host);
    }
    let ops = conf.body_operations();
    if let Some(kind) = body_type(access.session.req_header()).filter(|_| ops.any()) {
        let content_type = header(access.session.req_header(), http::header::CONTENT_TYPE)
            .unwrap_or_default()
            .to_owned();
        let current = current_body(access).await?;
        if let Some(changed) = body::transform(ops, kind, &content_type, &current, &input) {
            access.state.upstream_body = Some(changed);
        }
    }
    if conf.query_operations().any() {
        let current = access.session.req_header().uri.query().map(str::to_owned);
        let changed = query::transform(conf.query_operations(), current.as_deref(), &input);
        set_query(access.session.req_header_mut(), changed.as_deref())?;
    }
    Ok(())
}

fn header(request: &RequestHeader, name: http::header::HeaderName) -> Option<&str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

fn body_type(request: &RequestHeader) -> Option<BodyType> {
    BodyType::of(header(request, http::header::CONTENT_TYPE))
}

/// The body as it will be sent: an earlier plugin's replacement, or the client's (read
/// whole, at most what Pingora can replay).
async fn current_body(access: &mut Access<'_>) -> Result<Bytes, ErrorResponse> {
    if let Some(replaced) = &access.state.upstream_body {
        return Ok(replaced.clone());
    }
    match request_body::read_replayable(access.session, request_body::REPLAY_LIMIT).await {
        Ok(body) => Ok(body),
        Err(BodyError::TooLarge) => Err(ErrorResponse::with_status(
            413,
            "Request body too large to transform",
        )),
        Err(BodyError::Unreadable) => Err(ErrorResponse::bad_request()),
    }
}

/// Kong's `http_method` to GET, HEAD or TRACE: the form's arguments join the query.
fn move_form_to_query(request: &mut RequestHeader, form: &[u8]) -> Result<(), ErrorResponse> {
    let form = std::str::from_utf8(form).unwrap_or_default();
    let added: Vec<&str> = form.split('&').filter(|a| !a.is_empty()).collect();
    if added.is_empty() {
        return Ok(());
    }
    let mut joined: Vec<&str> = request
        .uri
        .query()
        .map(|q| q.split('&').filter(|a| !a.is_empty()).collect())
        .unwrap_or_default();
    joined.extend(added);
    let query = joined.join("&");
    set_query(request, Some(&query))
}

/// Replaces the request's query (scheme and authority kept).
fn set_query(request: &mut RequestHeader, query: Option<&str>) -> Result<(), ErrorResponse> {
    let path = request.uri.path();
    let path_and_query = match query {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let mut parts = request.uri.clone().into_parts();
    parts.path_and_query = Some(
        http::uri::PathAndQuery::try_from(path_and_query).map_err(|_| ErrorResponse::internal())?,
    );
    let uri = http::Uri::from_parts(parts).map_err(|_| ErrorResponse::internal())?;
    request.set_uri(uri);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_replaced_and_forms_moved_into_them() {
        let mut request = RequestHeader::build("GET", b"/a%20b?x=1", None).unwrap();
        move_form_to_query(&mut request, b"y=2&&z").unwrap();
        assert_eq!(request.uri.to_string(), "/a%20b?x=1&y=2&z");
        set_query(&mut request, None).unwrap();
        assert_eq!(request.uri.to_string(), "/a%20b");
        move_form_to_query(&mut request, b"").unwrap();
        assert_eq!(request.uri.to_string(), "/a%20b");
    }
}
