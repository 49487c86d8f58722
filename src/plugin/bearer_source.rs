//! Where a request's bearer token comes from (`Authorization: Bearer`, the `access_token`
//! header, query or form-body parameter, as `bearer_token_param_type` allows), and how it is
//! hidden from the upstream. A token in two places is ambiguous and refused.

use bytes::Bytes;
use http::header::AUTHORIZATION;
use pingora::http::RequestHeader;
use pingora_proxy::Session;

use super::credential_source::{is_small_form_post, read_form_body, without_params};
use crate::config::openid_connect::ParamType;
use crate::oidc::bearer_token::{self, BearerTokenError, ACCESS_TOKEN_PARAM};

/// Where the token was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    Authorization,
    Header,
    Query,
    /// A form body, read whole; it is replayed to the upstream.
    Body(Bytes),
}

/// What looking for a bearer token found.
pub struct Search {
    pub token: Option<(String, TokenSource)>,
    /// The form body, when it was read (for the client_credentials reader after this one).
    pub body: Option<Bytes>,
}

/// Looks for a bearer token in every allowed place; more than one is an error.
pub async fn read(
    session: &mut Session,
    allowed: &[ParamType],
) -> Result<Search, BearerTokenError> {
    let mut found: Vec<(String, TokenSource)> = Vec::new();
    let request = session.req_header();
    if allowed.contains(&ParamType::Header) {
        let mut values = request.headers.get_all(AUTHORIZATION).iter();
        if let Some(value) = values.next() {
            if values.next().is_some() {
                return Err(BearerTokenError::Ambiguous);
            }
            if let Some(token) = bearer_token::from_authorization_header(value.as_bytes())? {
                found.push((token.to_owned(), TokenSource::Authorization));
            }
        }
        let mut values = request.headers.get_all(ACCESS_TOKEN_PARAM).iter();
        if let Some(value) = values.next() {
            if values.next().is_some() {
                return Err(BearerTokenError::Ambiguous);
            }
            let token = bearer_token::located(value.as_bytes().trim_ascii())?;
            found.push((token.to_owned(), TokenSource::Header));
        }
    }
    if allowed.contains(&ParamType::Query) {
        if let Some(query) = request.uri.query() {
            if let Some(token) = bearer_token::from_form(query.as_bytes())? {
                found.push((token, TokenSource::Query));
            }
        }
    }
    let mut body = None;
    if allowed.contains(&ParamType::Body) && is_small_form_post(session.req_header()) {
        let read = read_form_body(session)
            .await
            .map_err(|_| BearerTokenError::Malformed)?;
        if let Some(token) = bearer_token::from_form(&read)? {
            found.push((token, TokenSource::Body(read.clone())));
        }
        body = Some(read);
    }
    if found.len() > 1 {
        return Err(BearerTokenError::Ambiguous);
    }
    Ok(Search {
        token: found.pop(),
        body,
    })
}

/// The form body to send upstream instead of `body`, without `access_token`.
pub fn hidden_body(body: &[u8]) -> Bytes {
    Bytes::from(without_params(body, &[ACCESS_TOKEN_PARAM]))
}

/// Removes the token from where the client put it.
pub fn hide(request: &mut RequestHeader, source: &TokenSource) -> pingora::Result<()> {
    match source {
        TokenSource::Authorization => {
            request.remove_header(&AUTHORIZATION);
        }
        TokenSource::Header => {
            request.remove_header(ACCESS_TOKEN_PARAM);
        }
        TokenSource::Query => {
            super::credential_source::hide_params_in_query(request, &[ACCESS_TOKEN_PARAM])?;
        }
        TokenSource::Body(_) => {}
    }
    Ok(())
}
