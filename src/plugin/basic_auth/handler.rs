//! basic-auth's access phase: credentials from `Proxy-Authorization`, then `Authorization`,
//! the password checked against the credential's salted hash in constant time, and the
//! consumer authenticated, or Kong's 401 (or the `anonymous` consumer instead).

use std::sync::Arc;

use async_trait::async_trait;
use http::header::{AUTHORIZATION, PROXY_AUTHORIZATION};
use http::HeaderName;

use super::config::BasicAuthConfig;
use super::header::{parse_basic, Basic};
use crate::config::compiled_credentials::{hashes_equal, password_hash, BasicAuthCredential};
use crate::plugin::api::{Access, Phases, Plugin};
use crate::plugin::consumer_headers::{authenticate_credential, set_consumer};
use crate::plugin::consumer_match;
use crate::respond::ErrorResponse;

/// Kong 3.x answers every failure with this.
pub const UNAUTHORIZED: &str = "Unauthorized";

/// One basic-auth instance at run time.
pub struct BasicAuth {
    config: Arc<BasicAuthConfig>,
    challenge: String,
}

/// Credentials taken from a header: the username and the password given.
struct Given {
    username: Vec<u8>,
    password: Vec<u8>,
}

impl BasicAuth {
    pub fn new(config: Arc<BasicAuthConfig>) -> Self {
        Self {
            challenge: config.challenge(),
            config,
        }
    }

    fn unauthorized(&self) -> ErrorResponse {
        ErrorResponse::unauthorized_challenge(UNAUTHORIZED, self.challenge.clone())
    }

    fn authenticate(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        let headers = &access.session.req_header().headers;
        let proxy = headers
            .get(PROXY_AUTHORIZATION)
            .map(|v| v.as_bytes().to_vec());
        let authorization = headers.get(AUTHORIZATION).map(|v| v.as_bytes().to_vec());
        if proxy.is_none() && authorization.is_none() {
            log::info!("basic-auth: no credentials in the request");
            return Err(self.unauthorized());
        }
        let credentials = &access.config.credentials.basic_auth;
        let lookup = |given: Given| {
            let found = std::str::from_utf8(&given.username)
                .ok()
                .and_then(|username| credentials.get(username));
            found.map(|credential| (credential, given))
        };
        let mut found = self
            .retrieve(access, PROXY_AUTHORIZATION, proxy.as_deref())
            .and_then(lookup);
        if found.is_none() {
            let Some(given) = self.retrieve(access, AUTHORIZATION, authorization.as_deref()) else {
                log::info!("basic-auth: no usable credentials in the request");
                return Err(self.unauthorized());
            };
            found = lookup(given);
        }
        let Some((credential, given)) = found else {
            log::info!("basic-auth: unknown username");
            return Err(self.unauthorized());
        };
        if !password_matches(credential, &given.password) {
            log::info!("basic-auth: wrong password for a known username");
            return Err(self.unauthorized());
        }
        let (consumer, identifier) = (credential.consumer, credential.username.clone());
        authenticate_credential(access, "basic-auth", consumer, identifier)
    }

    /// The credentials of one header; with `hide_credentials` the header is removed from the
    /// proxied request as Kong does (not when it decoded to something other than `user:pass`).
    fn retrieve(
        &self,
        access: &mut Access<'_>,
        name: HeaderName,
        value: Option<&[u8]>,
    ) -> Option<Given> {
        let parsed = value.map_or(Basic::NoCredentials, parse_basic);
        let given = match parsed {
            Basic::Unrecognized => {
                log::info!("basic-auth: {name} has an unrecognized format");
                return None;
            }
            Basic::NoCredentials => None,
            Basic::Credentials { username, password } => Some(Given { username, password }),
        };
        if self.config.hide_credentials {
            access.session.req_header_mut().remove_header(&name);
        }
        given
    }
}

/// Constant-time comparison of the given password's salted hash with the stored one.
pub fn password_matches(credential: &BasicAuthCredential, password: &[u8]) -> bool {
    hashes_equal(&password_hash(password), &credential.password_hash)
}

#[async_trait]
impl Plugin for BasicAuth {
    fn phases(&self) -> Phases {
        Phases::ACCESS
    }

    async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        let Some(anonymous) = &self.config.anonymous else {
            // Kong's logical AND: this plugin's refusal is the answer.
            return self.authenticate(access);
        };
        // Kong's logical OR: already authenticated by another plugin, nothing to do; a
        // failure here makes the request the anonymous consumer's.
        if access.state.is_authenticated() || self.authenticate(access).is_ok() {
            return Ok(());
        }
        let Some(consumer) = consumer_match::anonymous(anonymous, &access.config.consumers) else {
            log::error!("basic-auth: the anonymous consumer is configured but does not exist");
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
