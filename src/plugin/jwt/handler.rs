//! The jwt plugin's access phase: finds the token, verifies it against the file's
//! `jwt_secrets`, and sets the consumer (or the anonymous one, or answers 401 as Kong does).

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use super::config::JwtConfig;
use super::sources::{self, Found};
use super::token::{self, Refusal};
use crate::plugin::api::{Access, Phases, Plugin};
use crate::plugin::consumer_headers::{authenticate_credential, set_consumer};
use crate::plugin::consumer_match;
use crate::respond::ErrorResponse;

/// One jwt plugin instance.
#[derive(Debug)]
pub struct JwtPlugin {
    pub config: JwtConfig,
}

/// Why authentication failed, before it becomes a response.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    NoToken,
    MultipleTokens,
    Unrecognizable,
    Token(Refusal),
}

impl JwtPlugin {
    fn response(&self, failure: Failure) -> ErrorResponse {
        let invalid = || self.config.challenge_invalid_token.clone();
        match failure {
            Failure::NoToken => {
                ErrorResponse::unauthorized_with("Unauthorized", self.config.challenge.clone())
            }
            Failure::MultipleTokens => {
                ErrorResponse::unauthorized_with("Multiple tokens provided", invalid())
            }
            Failure::Unrecognizable => {
                ErrorResponse::unauthorized_with("Unrecognizable token", invalid())
            }
            Failure::Token(Refusal::Claims(fields)) => {
                let summary = Refusal::Claims(fields.clone()).message("");
                ErrorResponse::unauthorized_fields(fields, summary, invalid())
            }
            Failure::Token(refusal) => ErrorResponse::unauthorized_with(
                refusal.message(&self.config.rules.key_claim_name),
                invalid(),
            ),
        }
    }
}

fn unix_now() -> f64 {
    // Kong compares with ngx.time(): whole seconds.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs() as f64)
}

#[async_trait]
impl Plugin for JwtPlugin {
    fn phases(&self) -> Phases {
        Phases::ACCESS
    }

    async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        let conf = &self.config;
        if !conf.run_on_preflight && access.session.req_header().method == http::Method::OPTIONS {
            return Ok(());
        }
        // Kong's "OR": with `anonymous`, a request another plugin authenticated is left alone.
        if conf.anonymous.is_some() && access.state.is_authenticated() {
            return Ok(());
        }
        let credentials = &access.config.credentials.jwt;
        let outcome = match sources::find(access.session.req_header(), &conf.places) {
            Found::None => Err(Failure::NoToken),
            Found::Multiple => Err(Failure::MultipleTokens),
            Found::Unrecognizable => Err(Failure::Unrecognizable),
            Found::One(token) => {
                token::verify(&token, credentials, &conf.rules, unix_now()).map_err(Failure::Token)
            }
        };
        match outcome {
            Ok(credential) => {
                let (consumer, key) = (credential.consumer, credential.key.clone());
                authenticate_credential(access, "jwt", consumer, key)
            }
            Err(failure) => {
                log::info!("jwt: request not authenticated: {failure:?}");
                let Some(reference) = &conf.anonymous else {
                    return Err(self.response(failure));
                };
                let Some(anonymous) =
                    consumer_match::anonymous(reference, &access.config.consumers)
                else {
                    let message =
                        format!("anonymous consumer {reference} is configured but doesn't exist");
                    log::error!("jwt: {message}");
                    return Err(ErrorResponse::internal_with(message));
                };
                set_consumer(
                    access.state,
                    access.session.req_header_mut(),
                    Some(anonymous),
                    None,
                );
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::errors::ConfigErrors;

    #[test]
    fn failures_become_kongs_responses() {
        let mut errors = ConfigErrors::default();
        let config = super::super::config::compile(None, "plugins[0]", &mut errors).unwrap();
        let plugin = JwtPlugin { config };
        let none = plugin.response(Failure::NoToken);
        assert_eq!((none.status, none.message.as_ref()), (401, "Unauthorized"));
        assert_eq!(none.www_authenticate.as_deref(), Some("Bearer"));
        let multiple = plugin.response(Failure::MultipleTokens);
        assert_eq!(
            multiple.body(),
            "{\"message\":\"Multiple tokens provided\"}\n"
        );
        assert_eq!(
            multiple.www_authenticate.as_deref(),
            Some("Bearer error=\"invalid_token\"")
        );
        let missing = plugin.response(Failure::Token(Refusal::NoKeyClaim));
        assert_eq!(missing.message, "No mandatory 'iss' in claims");
        let claims = plugin.response(Failure::Token(Refusal::Claims(vec![
            ("exp", "must be a number"),
            ("nbf", "must be a number"),
        ])));
        assert_eq!(
            claims.body(),
            "{\"exp\":\"must be a number\",\"nbf\":\"must be a number\"}\n"
        );
    }
}
