//! Kong's `openid-connect` plugin on Pingora: finds the request's credential (a bearer token,
//! else client credentials), authenticates it by the first configured method that applies,
//! applies the claim policy, maps the consumer and rewrites the upstream request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderName, AUTHORIZATION};
use http::HeaderValue;
use pingora::http::RequestHeader;
use pingora_proxy::Session;

use super::bearer_source::{self, TokenSource};
use super::consumer_match;
use super::credential_source::{self, Source};
use super::settings::PluginSettings;
use super::token_methods::TokenMethods;
use crate::config::compiled::{Consumer, Consumers};
use crate::config::openid_connect::{AuthMethod, OpenIdConnectConfig};
use crate::oidc::bearer_token::BearerTokenError;
use crate::oidc::client_credentials::{ClientCredentialsFlow, FlowSettings, Now};
use crate::oidc::flow_error::FlowError;
use crate::oidc::identity::Identity;
use crate::oidc::idp_error::IdpError;
use crate::oidc::provider::Provider;
use crate::oidc::token_cache::CacheLimits;
use crate::oidc::token_error::TokenError;
use crate::respond::ErrorResponse;

/// Headers a client may not forge on a route that authenticates consumers.
const CONSUMER_HEADERS: [&str; 5] = [
    "x-consumer-id",
    "x-consumer-username",
    "x-consumer-custom-id",
    "x-credential-identifier",
    "x-anonymous-consumer",
];

/// Where the credential that authenticated the request was found, for `hide_credentials`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    ClientCredentials(Source),
    Token(TokenSource),
    /// Nothing was authenticated (anonymous consumer, or a preflight request let through).
    Nothing,
}

/// What a successful authentication hands to the upstream request.
pub struct Authenticated {
    /// Value of the upstream token header (`Bearer <token>`), if a token was authenticated.
    pub upstream_token: Option<HeaderValue>,
    pub consumer: Option<Arc<Consumer>>,
    /// The token's identity (bearer and introspection): credential id and claim headers.
    pub identity: Option<Arc<Identity>>,
    /// The consumer is the configured `anonymous` one.
    pub anonymous: bool,
    /// Where the credentials were found, for `hide_credentials`.
    pub source: Found,
    /// With `hide_credentials` and form-body credentials: the body to send instead.
    pub replacement_body: Option<Bytes>,
}

impl Authenticated {
    fn nothing() -> Self {
        Self {
            upstream_token: None,
            consumer: None,
            identity: None,
            anonymous: false,
            source: Found::Nothing,
            replacement_body: None,
        }
    }
}

/// A failed authentication: the response, and whether `anonymous` may stand in for it.
struct Refusal {
    response: ErrorResponse,
    anonymous_allowed: bool,
}

impl From<ErrorResponse> for Refusal {
    fn from(response: ErrorResponse) -> Self {
        let anonymous_allowed = response.status == 401;
        Self {
            response,
            anonymous_allowed,
        }
    }
}

/// One configured instance of the plugin.
pub struct OpenIdConnectPlugin {
    config: Arc<OpenIdConnectConfig>,
    flow: Arc<ClientCredentialsFlow>,
    tokens: Option<TokenMethods>,
    client_credentials: bool,
    realm: String,
    upstream_header: HeaderName,
    upstream_scheme: Option<String>,
    /// Client headers named like `upstream_headers_names`, removed so none can be forged.
    claim_header_names: Vec<HeaderName>,
}

impl OpenIdConnectPlugin {
    pub fn new(
        config: Arc<OpenIdConnectConfig>,
        provider: Arc<Provider>,
        settings: &PluginSettings,
    ) -> Self {
        let (header, scheme) = upstream_header(config.upstream_access_token_header.as_deref());
        let flow_settings = FlowSettings {
            auth_method: config.token_auth_method(),
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
            upstream_scheme: scheme.clone(),
            consumer_claims: config.consumer_claim.clone(),
            cache_limits: CacheLimits {
                max_entries: settings.token_cache_max_entries,
            },
        };
        let claim_header_names = config
            .upstream_headers_names
            .iter()
            .filter_map(|n| HeaderName::from_bytes(n.to_ascii_lowercase().as_bytes()).ok())
            .collect();
        Self {
            realm: realm_of(&config.issuer),
            tokens: TokenMethods::from_config(&config, &provider, settings),
            client_credentials: config.auth_methods.contains(&AuthMethod::ClientCredentials),
            flow: Arc::new(ClientCredentialsFlow::new(
                flow_settings,
                provider,
                config.cache_tokens_salt.as_deref(),
            )),
            upstream_header: header,
            upstream_scheme: scheme,
            claim_header_names,
            config,
        }
    }

    pub fn flow(&self) -> &Arc<ClientCredentialsFlow> {
        &self.flow
    }

    /// Drops expired entries of the bearer and introspection caches.
    pub fn sweep_token_caches(&self, now: Instant) {
        if let Some(tokens) = &self.tokens {
            tokens.sweep(now);
        }
    }

    /// The plugin's config.
    pub fn config(&self) -> &Arc<OpenIdConnectConfig> {
        &self.config
    }

    /// The access phase: authenticate the request or say what to answer instead.
    pub async fn authenticate_request(
        &self,
        session: &mut Session,
        consumers: &Consumers,
    ) -> Result<Authenticated, ErrorResponse> {
        if !self.config.run_on_preflight && is_preflight(session.req_header()) {
            return Ok(Authenticated::nothing());
        }
        match self.authenticate(session, consumers).await {
            Ok(auth) => Ok(auth),
            Err(refusal) => match &self.config.anonymous {
                Some(reference) if refusal.anonymous_allowed => {
                    let Some(consumer) = consumer_match::anonymous(reference, consumers) else {
                        log::error!("openid-connect: the anonymous consumer does not exist");
                        return Err(ErrorResponse::internal());
                    };
                    Ok(Authenticated {
                        consumer: Some(consumer),
                        anonymous: true,
                        ..Authenticated::nothing()
                    })
                }
                _ => Err(refusal.response),
            },
        }
    }

    async fn authenticate(
        &self,
        session: &mut Session,
        consumers: &Consumers,
    ) -> Result<Authenticated, Refusal> {
        let mut body = None;
        if let Some(tokens) = &self.tokens {
            let search = bearer_source::read(session, &self.config.bearer_token_param_type)
                .await
                .map_err(|e| self.bad_token_request(e))?;
            body = search.body;
            if let Some((token, source)) = search.token {
                return self
                    .authenticate_token(tokens, &token, source, consumers)
                    .await;
            }
        }
        if !self.client_credentials {
            log::info!("openid-connect: no bearer token");
            return Err(ErrorResponse::invalid_token(
                self.unauthorized_message(Some("no credentials")),
                &self.realm,
            )
            .into());
        }
        self.authenticate_client(session, body, consumers).await
    }

    async fn authenticate_token(
        &self,
        tokens: &TokenMethods,
        token: &str,
        source: TokenSource,
        consumers: &Consumers,
    ) -> Result<Authenticated, Refusal> {
        let identity = tokens
            .authenticate(token, Now::current())
            .await
            .map_err(|e| self.token_error(&e))?;
        if let Err(what) = identity.policy {
            log::info!("openid-connect: token lacks the required {what}");
            let message = self.forbidden_message(Some(&format!("insufficient {what}")));
            return Err(Refusal {
                response: ErrorResponse::insufficient_scope(message, &self.realm),
                anonymous_allowed: false,
            });
        }
        let consumer = self.required_consumer(&identity.consumer_claim_values, consumers)?;
        let value = match &self.upstream_scheme {
            Some(scheme) => HeaderValue::try_from(format!("{scheme} {token}")),
            None => HeaderValue::try_from(token),
        }
        .map_err(|_| {
            self.token_error(&TokenError::Invalid(crate::oidc::jwt::JwtError::Malformed))
        })?;
        let replacement_body = match &source {
            TokenSource::Body(body) if self.config.hide_credentials => {
                Some(bearer_source::hidden_body(body))
            }
            _ => None,
        };
        Ok(Authenticated {
            upstream_token: Some(value),
            consumer,
            identity: Some(identity),
            anonymous: false,
            source: Found::Token(source),
            replacement_body,
        })
    }

    async fn authenticate_client(
        &self,
        session: &mut Session,
        body: Option<Bytes>,
        consumers: &Consumers,
    ) -> Result<Authenticated, Refusal> {
        let (credentials, source) =
            credential_source::read(session, &self.config.client_credentials_param_type, body)
                .await
                .map_err(|e| self.flow_error(&e))?;
        let token = self
            .flow
            .token(&credentials, Now::current())
            .await
            .map_err(|e| self.flow_error(&e))?;
        let consumer = self.required_consumer(&token.consumer_claim_values, consumers)?;
        let replacement_body = match &source {
            Source::Body(body) if self.config.hide_credentials => {
                Some(credential_source::hidden_body(body))
            }
            _ => None,
        };
        Ok(Authenticated {
            upstream_token: Some(token.upstream_value.clone()),
            consumer,
            identity: None,
            anonymous: false,
            source: Found::ClientCredentials(source),
            replacement_body,
        })
    }

    /// Sets the token, consumer and claim headers on the request to be proxied; consumer and
    /// claim headers the client sent are removed first, so none can be forged. (A replacement
    /// body's framing is set by the proxy on the upstream request only.)
    pub fn rewrite_upstream(
        &self,
        auth: &Authenticated,
        request: &mut RequestHeader,
    ) -> pingora::Result<()> {
        for name in CONSUMER_HEADERS {
            request.remove_header(name);
        }
        for name in &self.claim_header_names {
            request.remove_header(name);
        }
        if self.config.hide_credentials {
            match &auth.source {
                Found::ClientCredentials(source) => {
                    request.remove_header(&AUTHORIZATION);
                    if *source == Source::Query {
                        credential_source::hide_in_query(request)?;
                    }
                }
                Found::Token(source) => bearer_source::hide(request, source)?,
                Found::Nothing => {}
            }
        }
        match &auth.upstream_token {
            Some(value) => request.insert_header(self.upstream_header.clone(), value.clone())?,
            // Anonymous or preflight: a client must not pass off its own value of a custom
            // token header as one the gateway verified.
            None if self.upstream_header != AUTHORIZATION => {
                request.remove_header(&self.upstream_header);
            }
            None => {}
        }
        if let Some(consumer) = &auth.consumer {
            request.insert_header("x-consumer-id", consumer.id.as_str())?;
            if let Some(username) = &consumer.username {
                request.insert_header("x-consumer-username", username.as_str())?;
            }
            if let Some(custom_id) = &consumer.custom_id {
                request.insert_header("x-consumer-custom-id", custom_id.as_str())?;
            }
        }
        if auth.anonymous {
            request.insert_header("x-anonymous-consumer", "true")?;
        }
        if let Some(identity) = &auth.identity {
            if let Some(credential) = &identity.credential_identifier {
                request.insert_header("x-credential-identifier", credential.clone())?;
            }
            for (name, value) in &identity.upstream_headers {
                request.insert_header(name.clone(), value.clone())?;
            }
        }
        Ok(())
    }

    /// The consumer the claim values map to; 403 when none does and `consumer_claim` is set
    /// without `consumer_optional`.
    fn required_consumer(
        &self,
        values: &[Vec<String>],
        consumers: &Consumers,
    ) -> Result<Option<Arc<Consumer>>, Refusal> {
        // Kong: without consumer_claim no consumer is mapped, and that is no refusal.
        if self.config.consumer_claim.is_empty() {
            return Ok(None);
        }
        let consumer = self.consumer(values, consumers);
        if consumer.is_none() && !self.config.consumer_optional {
            log::info!(
                "no consumer matched the token's {:?} claims",
                self.config.consumer_claim
            );
            return Err(Refusal {
                response: ErrorResponse::forbidden(self.forbidden_message(None)),
                anonymous_allowed: false,
            });
        }
        Ok(consumer)
    }

    fn consumer(&self, values: &[Vec<String>], consumers: &Consumers) -> Option<Arc<Consumer>> {
        consumer_match::find(
            values,
            &self.config.consumer_by,
            self.config.by_username_ignore_case,
            consumers,
        )
    }

    fn flow_error(&self, error: &FlowError) -> Refusal {
        match error {
            FlowError::IdpUnavailable(idp) => self.idp_unavailable(error, idp).into(),
            _ => {
                log::info!("openid-connect: {error}");
                ErrorResponse::unauthorized(self.unauthorized_message(None), &self.realm).into()
            }
        }
    }

    fn token_error(&self, error: &TokenError) -> Refusal {
        match error {
            TokenError::IdpUnavailable(idp) => self.idp_unavailable(error, idp).into(),
            _ => {
                log::info!("openid-connect: {error}");
                let message = self.unauthorized_message(Some(error.reason()));
                ErrorResponse::invalid_token(message, &self.realm).into()
            }
        }
    }

    fn idp_unavailable(&self, error: &dyn std::fmt::Display, idp: &IdpError) -> ErrorResponse {
        log::warn!("openid-connect: {error}");
        match idp {
            IdpError::Timeout => ErrorResponse::identity_provider_timeout(),
            _ => ErrorResponse::identity_provider_unavailable(),
        }
    }

    fn bad_token_request(&self, error: BearerTokenError) -> Refusal {
        log::info!("openid-connect: unreadable bearer token ({error:?})");
        match error {
            BearerTokenError::Ambiguous => Refusal {
                response: ErrorResponse::invalid_request(
                    self.with_reason("Bad Request".to_owned(), Some("more than one token")),
                    &self.realm,
                ),
                anonymous_allowed: false,
            },
            BearerTokenError::Malformed => ErrorResponse::invalid_token(
                self.unauthorized_message(Some("invalid token")),
                &self.realm,
            )
            .into(),
        }
    }

    fn unauthorized_message(&self, reason: Option<&str>) -> String {
        let message = self
            .config
            .unauthorized_error_message
            .clone()
            .unwrap_or_else(|| "Unauthorized".to_owned());
        self.with_reason(message, reason)
    }

    fn forbidden_message(&self, reason: Option<&str>) -> String {
        let message = self
            .config
            .forbidden_error_message
            .clone()
            .unwrap_or_else(|| "Forbidden".to_owned());
        self.with_reason(message, reason)
    }

    /// With `display_errors`, the message followed by the reason in parentheses.
    fn with_reason(&self, message: String, reason: Option<&str>) -> String {
        match reason {
            Some(reason) if self.config.display_errors => format!("{message} ({reason})"),
            _ => message,
        }
    }
}

/// A CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
fn is_preflight(request: &RequestHeader) -> bool {
    request.method == http::Method::OPTIONS
        && request.headers.contains_key(http::header::ORIGIN)
        && request
            .headers
            .contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD)
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
