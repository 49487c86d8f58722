//! Kong's `openid-connect` plugin on Pingora: reads credentials from the request, runs the
//! client_credentials flow, maps the consumer and rewrites the upstream request.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, AUTHORIZATION};
use pingora::http::RequestHeader;
use pingora_proxy::Session;

use super::credential_source::{self, Source};
use super::settings::PluginSettings;
use crate::config::compiled::{Consumer, Consumers};
use crate::config::openid_connect::{ConsumerBy, OpenIdConnectConfig, TokenEndpointAuthMethod};
use crate::oidc::client_credentials::{ClientCredentialsFlow, FlowSettings, Now};
use crate::oidc::flow_error::FlowError;
use crate::oidc::idp_error::IdpError;
use crate::oidc::provider::Provider;
use crate::oidc::token_cache::{CacheLimits, CachedToken};
use crate::respond::ErrorResponse;

/// Headers a client may not forge on a route that authenticates consumers.
const CONSUMER_HEADERS: [&str; 5] = [
    "x-consumer-id",
    "x-consumer-username",
    "x-consumer-custom-id",
    "x-credential-identifier",
    "x-anonymous-consumer",
];

/// What a successful authentication hands to the upstream request.
pub struct Authenticated {
    pub token: Arc<CachedToken>,
    pub consumer: Option<Arc<Consumer>>,
    /// Where the credentials were found, for `hide_credentials`.
    pub source: Source,
    /// With `hide_credentials` and form-body credentials: the body to send instead.
    pub replacement_body: Option<Bytes>,
}

/// One configured instance of the plugin.
pub struct OpenIdConnectPlugin {
    config: Arc<OpenIdConnectConfig>,
    flow: Arc<ClientCredentialsFlow>,
    realm: String,
    upstream_header: HeaderName,
}

impl OpenIdConnectPlugin {
    pub fn new(
        config: Arc<OpenIdConnectConfig>,
        provider: Arc<Provider>,
        settings: &PluginSettings,
    ) -> Self {
        let (header, scheme) = upstream_header(config.upstream_access_token_header.as_deref());
        let flow_settings = FlowSettings {
            auth_method: config
                .token_endpoint_auth_method
                .unwrap_or(TokenEndpointAuthMethod::ClientSecretBasic),
            scopes: config.scopes.clone(),
            timeout: Duration::from_millis(config.timeout),
            leeway_seconds: config.leeway as i64,
            cache_tokens: config.cache_tokens,
            ttl_min: config.cache_ttl_min.map(Duration::from_secs),
            ttl_max: config.cache_ttl_max.map(Duration::from_secs),
            negative_ttl: config
                .cache_ttl_neg
                .map(Duration::from_secs)
                .unwrap_or(settings.default_negative_ttl),
            upstream_scheme: scheme,
            consumer_claims: config.consumer_claim.clone(),
            cache_limits: CacheLimits {
                max_entries: settings.token_cache_max_entries,
            },
        };
        Self {
            realm: realm_of(&config.issuer),
            flow: Arc::new(ClientCredentialsFlow::new(
                flow_settings,
                provider,
                config.cache_tokens_salt.as_deref(),
            )),
            upstream_header: header,
            config,
        }
    }

    pub fn flow(&self) -> &Arc<ClientCredentialsFlow> {
        &self.flow
    }

    /// The access phase: authenticate the request or say what to answer instead.
    pub async fn access(
        &self,
        session: &mut Session,
        consumers: &Consumers,
    ) -> Result<Authenticated, ErrorResponse> {
        let (credentials, source) =
            credential_source::read(session, &self.config.client_credentials_param_type)
                .await
                .map_err(|e| self.flow_error(&e))?;
        let token = self
            .flow
            .token(&credentials, Now::current())
            .await
            .map_err(|e| self.flow_error(&e))?;
        let consumer = self.consumer(&token, consumers);
        if consumer.is_none() && !self.config.consumer_optional {
            log::info!(
                "no consumer matched the token's {:?} claims",
                self.config.consumer_claim
            );
            return Err(ErrorResponse::forbidden(self.forbidden_message()));
        }
        let replacement_body = match &source {
            Source::Body(body) if self.config.hide_credentials => {
                Some(credential_source::hidden_body(body))
            }
            _ => None,
        };
        Ok(Authenticated {
            token,
            consumer,
            source,
            replacement_body,
        })
    }

    /// Sets the token and consumer headers on the upstream request; consumer headers the
    /// client sent are removed first, so none can be forged.
    pub fn rewrite_upstream(
        &self,
        auth: &Authenticated,
        request: &mut RequestHeader,
    ) -> pingora::Result<()> {
        for name in CONSUMER_HEADERS {
            request.remove_header(name);
        }
        request.insert_header(
            self.upstream_header.clone(),
            auth.token.upstream_value.clone(),
        )?;
        if let Some(consumer) = &auth.consumer {
            request.insert_header("x-consumer-id", consumer.id.as_str())?;
            if let Some(username) = &consumer.username {
                request.insert_header("x-consumer-username", username.as_str())?;
            }
            if let Some(custom_id) = &consumer.custom_id {
                request.insert_header("x-consumer-custom-id", custom_id.as_str())?;
            }
        }
        if let Some(body) = &auth.replacement_body {
            request.remove_header(&http::header::TRANSFER_ENCODING);
            request.insert_header(http::header::CONTENT_LENGTH, body.len().to_string())?;
        }
        if self.config.hide_credentials {
            if self.upstream_header != AUTHORIZATION {
                request.remove_header(&AUTHORIZATION);
            }
            if auth.source == Source::Query {
                credential_source::hide_in_query(request)?;
            }
        }
        Ok(())
    }

    fn consumer(&self, token: &CachedToken, consumers: &Consumers) -> Option<Arc<Consumer>> {
        token
            .consumer_claim_values
            .iter()
            .flatten()
            .find_map(|value| {
                self.config
                    .consumer_by
                    .iter()
                    .find_map(|by: &ConsumerBy| consumers.find(*by, value).cloned())
            })
    }

    fn flow_error(&self, error: &FlowError) -> ErrorResponse {
        match error {
            FlowError::IdpUnavailable(IdpError::Timeout) => {
                log::warn!("openid-connect: {error}");
                ErrorResponse::identity_provider_timeout()
            }
            FlowError::IdpUnavailable(_) => {
                log::warn!("openid-connect: {error}");
                ErrorResponse::identity_provider_unavailable()
            }
            _ => {
                log::info!("openid-connect: {error}");
                ErrorResponse::unauthorized(self.unauthorized_message(), &self.realm)
            }
        }
    }

    fn unauthorized_message(&self) -> String {
        self.config
            .unauthorized_error_message
            .clone()
            .unwrap_or_else(|| "Unauthorized".to_owned())
    }

    fn forbidden_message(&self) -> String {
        self.config
            .forbidden_error_message
            .clone()
            .unwrap_or_else(|| "Forbidden".to_owned())
    }
}

/// `authorization:bearer` -> (`authorization`, Some("Bearer")); `x-token` -> (`x-token`, None).
fn upstream_header(setting: Option<&str>) -> (HeaderName, Option<String>) {
    let setting = setting.unwrap_or("authorization:bearer");
    let (name, scheme) = match setting.split_once(':') {
        Some((name, scheme)) => (name.trim(), Some(scheme.trim())),
        None => (setting.trim(), None),
    };
    let header = HeaderName::try_from(name.to_ascii_lowercase()).unwrap_or(AUTHORIZATION);
    let scheme = scheme.filter(|s| !s.is_empty()).map(capitalise);
    (header, scheme)
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => {
            first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
        }
        None => String::new(),
    }
}

/// The issuer's host, as Kong puts it in `WWW-Authenticate: Bearer realm="..."`.
fn realm_of(issuer: &str) -> String {
    url::Url::parse(issuer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "kong".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_header_setting_is_parsed() {
        assert_eq!(
            upstream_header(None),
            (AUTHORIZATION, Some("Bearer".into()))
        );
        assert_eq!(upstream_header(Some("X-Token")).0.as_str(), "x-token");
        assert_eq!(upstream_header(Some("X-Token")).1, None);
    }

    #[test]
    fn realm_is_the_issuer_host() {
        assert_eq!(realm_of("http://127.0.0.1:8080/realms/kong"), "127.0.0.1");
        assert_eq!(
            realm_of("https://keycloak.keycloak/realms/kong"),
            "keycloak.keycloak"
        );
    }
}
