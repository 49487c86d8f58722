//! key-auth's access phase: find the key (header, query, body), hide it if asked, look the
//! credential up, and authenticate its consumer, or answer Kong's 401 (or fall back to the
//! `anonymous` consumer).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;

use super::body::ParsedBody;
use super::config::KeyAuthConfig;
use super::extract::{find_key, Allowed, Found, Lookup, Sources};
use crate::config::compiled_credentials::KeyAuthCredential;
use crate::plugin::api::{Access, Phases, Plugin};
use crate::plugin::consumer_headers::{authenticate_credential, set_consumer};
use crate::plugin::consumer_match;
use crate::plugin::credential_source::{hide_params_in_query, read_form_body};
use crate::respond::ErrorResponse;

pub const NO_API_KEY: &str = "No API key found in request";
pub const DUPLICATE_API_KEY: &str = "Duplicate API key found";
pub const INVALID_KEY: &str = "Unauthorized";

/// Largest body read for `key_in_body` (bytes): what Pingora's retry buffer replays to the
/// upstream. A larger body, or one without `Content-Length`, holds no key (Kong: a body
/// nginx buffered to a file is not read either).
pub const MAX_BODY: usize = 64 * 1024;

/// One key-auth instance at run time.
pub struct KeyAuth {
    config: Arc<KeyAuthConfig>,
    challenge: String,
    allowed: Allowed,
}

impl KeyAuth {
    pub fn new(config: Arc<KeyAuthConfig>) -> Self {
        Self {
            challenge: config.challenge(),
            allowed: Allowed {
                header: config.key_in_header,
                query: config.key_in_query,
                body: config.key_in_body,
            },
            config,
        }
    }

    fn unauthorized(&self, message: &'static str) -> ErrorResponse {
        ErrorResponse::unauthorized_challenge(message, self.challenge.clone())
    }

    async fn authenticate(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        let conf = &self.config;
        let mut body: Option<ParsedBody> = None;
        let lookup = loop {
            let request = access.session.req_header();
            let sources = Sources {
                headers: &request.headers,
                query: request.uri.query().map(str::as_bytes),
                body: body.as_ref(),
            };
            match find_key(&conf.key_names, self.allowed, &sources) {
                Lookup::NeedBody if body.is_none() => body = Some(read_body(access).await),
                other => break other,
            }
        };
        let found: Found = match lookup {
            Lookup::Found(found) => found,
            Lookup::Duplicate => {
                log::info!("key-auth: the API key was sent more than once");
                return Err(self.unauthorized(DUPLICATE_API_KEY));
            }
            Lookup::Missing | Lookup::NeedBody => {
                log::info!("key-auth: no API key in the request");
                return Err(self.unauthorized(NO_API_KEY));
            }
        };
        if conf.hide_credentials {
            self.hide(access, &found, &mut body).await?;
        }
        if found.key.is_empty() {
            log::info!("key-auth: empty API key");
            return Err(self.unauthorized(NO_API_KEY));
        }
        let credentials = &access.config.credentials.key_auth;
        let Some(credential) = valid_credential(credentials, &found.key, Instant::now()) else {
            log::info!("key-auth: unknown or expired API key");
            return Err(self.unauthorized(INVALID_KEY));
        };
        let (consumer, identifier) = (credential.consumer, credential.id.clone());
        authenticate_credential(access, "key-auth", consumer, identifier)
    }

    /// Removes the key from the proxied request: the header, the query argument and (with
    /// `key_in_body`) the body field of the name it was found under.
    async fn hide(
        &self,
        access: &mut Access<'_>,
        found: &Found,
        body: &mut Option<ParsedBody>,
    ) -> Result<(), ErrorResponse> {
        let Some(name) = self.config.key_names.get(found.name) else {
            return Ok(());
        };
        let request = access.session.req_header_mut();
        request.remove_header(name.as_str());
        if let Some(header) = &found.header {
            request.remove_header(header.as_str());
        }
        hide_params_in_query(request, &[name.as_str()]).map_err(|_| ErrorResponse::internal())?;
        if self.config.key_in_body {
            if body.is_none() {
                *body = Some(read_body(access).await);
            }
            if let Some(stripped) = body.as_ref().and_then(|body| body.without(name)) {
                access.state.upstream_body = Some(stripped);
            }
        }
        Ok(())
    }
}

/// The credential of `key`, unless it does not exist (a key that is not UTF-8 never does) or
/// its `ttl` ran out by `now`.
pub fn valid_credential<'a>(
    credentials: &'a HashMap<String, KeyAuthCredential>,
    key: &[u8],
    now: Instant,
) -> Option<&'a KeyAuthCredential> {
    let credential = credentials.get(std::str::from_utf8(key).ok()?)?;
    credential
        .expires_at
        .is_none_or(|at| now < at)
        .then_some(credential)
}

#[async_trait]
impl Plugin for KeyAuth {
    fn phases(&self) -> Phases {
        Phases::ACCESS
    }

    async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        if !self.config.run_on_preflight
            && access.session.req_header().method == http::Method::OPTIONS
        {
            return Ok(());
        }
        let Some(anonymous) = &self.config.anonymous else {
            // Kong's logical AND: this plugin's refusal is the answer.
            return self.authenticate(access).await;
        };
        // Kong's logical OR: a request another plugin authenticated is left as it is; a
        // failure here makes the request the anonymous consumer's.
        if access.state.is_authenticated() {
            return Ok(());
        }
        if self.authenticate(access).await.is_ok() {
            return Ok(());
        }
        let Some(consumer) = consumer_match::anonymous(anonymous, &access.config.consumers) else {
            log::error!("key-auth: the anonymous consumer is configured but does not exist");
            return Err(ErrorResponse::internal());
        };
        set_consumer(
            access.state,
            access.session.req_header_mut(),
            Some(consumer),
            None,
        );
        Ok(())
    }
}

/// Reads the body for `key_in_body`, when it is of a type Kong parses and small enough;
/// otherwise Kong's empty body. A body an earlier plugin replaced is read from there.
async fn read_body(access: &mut Access<'_>) -> ParsedBody {
    let request = access.session.req_header();
    let content_type = request
        .headers
        .get(http::header::CONTENT_TYPE)
        .map(|v| v.as_bytes().to_vec());
    if !ParsedBody::is_supported(content_type.as_deref()) {
        return ParsedBody::Empty;
    }
    if let Some(replaced) = &access.state.upstream_body {
        return ParsedBody::parse(content_type.as_deref(), replaced.clone());
    }
    let length = request
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<usize>().ok());
    let body = match length {
        Some(0) => Bytes::new(),
        Some(length) if length <= MAX_BODY => match read_form_body(access.session).await {
            Ok(body) => body,
            Err(_) => {
                log::info!("key-auth: the request body could not be read");
                return ParsedBody::Empty;
            }
        },
        _ => {
            log::info!("key-auth: request body without Content-Length or over {MAX_BODY} bytes not searched");
            return ParsedBody::Empty;
        }
    };
    ParsedBody::parse(content_type.as_deref(), body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn expired_and_unknown_keys_have_no_credential() {
        let now = Instant::now();
        let credential = |expires_at| KeyAuthCredential {
            id: "c".into(),
            consumer: 0,
            expires_at,
        };
        let credentials = HashMap::from([
            ("forever".to_owned(), credential(None)),
            (
                "later".to_owned(),
                credential(Some(now + Duration::from_secs(5))),
            ),
            ("gone".to_owned(), credential(Some(now))),
        ]);
        assert!(valid_credential(&credentials, b"forever", now).is_some());
        assert!(valid_credential(&credentials, b"later", now).is_some());
        assert!(valid_credential(&credentials, b"gone", now).is_none());
        assert!(valid_credential(&credentials, b"nope", now).is_none());
        assert!(valid_credential(&credentials, b"forever\xff", now).is_none());
    }
}
