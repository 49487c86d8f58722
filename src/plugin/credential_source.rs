//! Where a request's client credentials come from (Authorization header, query string, form
//! body, as `client_credentials_param_type` allows), and how they are hidden from the upstream.

use bytes::Bytes;
use http::header::AUTHORIZATION;
use pingora::http::RequestHeader;
use pingora_proxy::Session;

use crate::config::openid_connect::ParamType;
use crate::oidc::credentials::{self, CredentialsError};
use crate::oidc::flow_error::FlowError;
use crate::oidc::secret::ClientCredentials;

/// Largest form body read for `client_credentials_param_type: body` (bytes): Pingora's retry
/// buffer, which replays the body to the upstream, holds exactly this much.
const MAX_FORM_BODY: usize = 64 * 1024;

/// Names of the form parameters that carry credentials.
const CREDENTIAL_PARAMS: [&str; 2] = ["client_id", "client_secret"];

/// Where the credentials were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Header,
    Query,
    /// A form body, read whole; it is replayed to the upstream.
    Body(Bytes),
}

/// Reads the credentials, trying the header, the query string, then a form body (`body`, when
/// an earlier reader already took it from the session).
pub async fn read(
    session: &mut Session,
    allowed: &[ParamType],
    body: Option<Bytes>,
) -> Result<(ClientCredentials, Source), FlowError> {
    if allowed.contains(&ParamType::Header) {
        let mut values = session.req_header().headers.get_all(AUTHORIZATION).iter();
        if let Some(value) = values.next() {
            if values.next().is_some() {
                return Err(FlowError::BadCredentials(CredentialsError::Ambiguous));
            }
            if let Some(found) = credentials::from_authorization_header(value.as_bytes())
                .map_err(FlowError::BadCredentials)?
            {
                return Ok((found, Source::Header));
            }
        }
    }
    if allowed.contains(&ParamType::Query) {
        if let Some(query) = session.req_header().uri.query() {
            if let Some(found) =
                credentials::from_form(query.as_bytes()).map_err(FlowError::BadCredentials)?
            {
                return Ok((found, Source::Query));
            }
        }
    }
    if allowed.contains(&ParamType::Body) && is_small_form_post(session.req_header()) {
        let body = match body {
            Some(body) => body,
            None => read_form_body(session)
                .await
                .map_err(FlowError::BadCredentials)?,
        };
        if let Some(found) = credentials::from_form(&body).map_err(FlowError::BadCredentials)? {
            return Ok((found, Source::Body(body)));
        }
    }
    Err(FlowError::NoCredentials)
}

/// `form` (a query string or form body) without the pairs whose decoded name is `client_id`
/// or `client_secret` (`client%5Fsecret` included); other bytes are kept as they were.
pub fn without_credentials(form: &[u8]) -> Vec<u8> {
    without_params(form, &CREDENTIAL_PARAMS)
}

/// `form` without the pairs whose decoded name is one of `names`.
pub fn without_params(form: &[u8], names: &[&str]) -> Vec<u8> {
    let kept: Vec<&[u8]> = form
        .split(|byte| *byte == b'&')
        .filter(|pair| {
            let name = form_urlencoded::parse(pair).next().map(|(name, _)| name);
            !name.is_some_and(|name| names.contains(&name.as_ref()))
        })
        .collect();
    kept.join(&b'&')
}

/// Removes the credential parameters from the upstream query string.
pub fn hide_in_query(request: &mut RequestHeader) -> pingora::Result<()> {
    hide_params_in_query(request, &CREDENTIAL_PARAMS)
}

/// Removes the parameters named `names` from the upstream query string.
pub fn hide_params_in_query(request: &mut RequestHeader, names: &[&str]) -> pingora::Result<()> {
    let Some(query) = request.uri.query() else {
        return Ok(());
    };
    let kept = String::from_utf8_lossy(&without_params(query.as_bytes(), names)).into_owned();
    let path = request.uri.path();
    let uri = if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{kept}")
    };
    let uri = http::Uri::try_from(uri)
        .map_err(|_| pingora::Error::new(pingora::ErrorType::InternalError))?;
    request.set_uri(uri);
    Ok(())
}

/// The form body to send upstream instead of `body`, without the credential parameters.
pub fn hidden_body(body: &[u8]) -> Bytes {
    Bytes::from(without_credentials(body))
}

/// Whether the request has a form body small enough to read whole.
pub fn is_small_form_post(request: &RequestHeader) -> bool {
    let form = request
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .starts_with("application/x-www-form-urlencoded")
        });
    let small = request
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|len| len <= MAX_FORM_BODY);
    form && small
}

/// Reads the whole (small) form body; Pingora's retry buffer replays it to the upstream.
pub async fn read_form_body(session: &mut Session) -> Result<Bytes, CredentialsError> {
    crate::plugin::request_body::read_replayable(session, MAX_FORM_BODY)
        .await
        .map_err(|error| match error {
            crate::plugin::request_body::BodyError::TooLarge => CredentialsError::Ambiguous,
            crate::plugin::request_body::BodyError::Unreadable => CredentialsError::BadCharacters,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_query_parameters_are_stripped() {
        let mut request =
            RequestHeader::build("GET", b"/get?a=1&client_id=x&client_secret=y&b=2", None).unwrap();
        hide_in_query(&mut request).unwrap();
        assert_eq!(request.uri.to_string(), "/get?a=1&b=2");
        let mut only =
            RequestHeader::build("GET", b"/get?client_id=x&client_secret=y", None).unwrap();
        hide_in_query(&mut only).unwrap();
        assert_eq!(only.uri.to_string(), "/get");
    }

    #[test]
    fn encoded_credential_names_are_stripped_too() {
        assert_eq!(
            hidden_body(b"client_id=x&client%5Fsecret=y&a=%FF"),
            &b"a=%FF"[..]
        );
        assert_eq!(hidden_body(b"a=\xff&client_id=x"), &b"a=\xff"[..]);
    }

    #[test]
    fn credential_body_parameters_are_stripped() {
        assert_eq!(
            hidden_body(b"client_id=x&note=hi&client_secret=y"),
            "note=hi"
        );
    }
}
