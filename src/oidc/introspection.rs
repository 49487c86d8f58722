//! The introspection method (RFC 7662): an opaque token is sent to the IdP's introspection
//! endpoint, authenticated as the gateway's own client; the answer is cached by the token's
//! hash until its `exp`, within the cache TTLs.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::bearer_token;
use super::client_credentials::Now;
use super::http_fetch::send_bounded;
use super::identity::{Identity, IdentityBuilder};
use super::identity_cache::IdentityCache;
use super::idp_error::IdpError;
use super::provider::Provider;
use super::secret::ClientCredentials;
use super::token_endpoint::basic_authorization;
use super::token_error::TokenError;
use crate::config::openid_connect::TokenEndpointAuthMethod;

/// Longest an introspection result is cached, whatever it says.
const MAX_CACHE_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Settings of the introspection method, from the plugin config.
#[derive(Debug, Clone)]
pub struct IntrospectionSettings {
    /// Configured endpoint; discovered from the issuer when `None`.
    pub endpoint: Option<String>,
    pub auth_method: TokenEndpointAuthMethod,
    /// The gateway's own client at the IdP.
    pub client: ClientCredentials,
    /// `token_type_hint`, if any.
    pub hint: Option<String>,
    pub check_active: bool,
    pub timeout: Duration,
    pub cache: bool,
    /// Lifetime of a result without `exp` (`cache_ttl`).
    pub default_ttl: Duration,
    pub ttl_min: Option<Duration>,
    pub ttl_max: Option<Duration>,
    pub cache_max_entries: usize,
}

/// Introspects opaque tokens for one plugin configuration.
pub struct Introspector {
    provider: Arc<Provider>,
    settings: IntrospectionSettings,
    builder: IdentityBuilder,
    cache: IdentityCache,
}

impl Introspector {
    pub fn new(
        settings: IntrospectionSettings,
        builder: IdentityBuilder,
        provider: Arc<Provider>,
    ) -> Self {
        Self {
            cache: IdentityCache::new(settings.cache_max_entries),
            settings,
            builder,
            provider,
        }
    }

    pub fn cache(&self) -> &IdentityCache {
        &self.cache
    }

    /// The identity of `token`, from the cache or from one introspection call.
    pub async fn authenticate(&self, token: &str, now: Now) -> Result<Arc<Identity>, TokenError> {
        let key = self.settings.cache.then(|| self.cache.key(token));
        if let Some(identity) = key.and_then(|key| self.cache.get(&key, now.monotonic)) {
            return Ok(identity);
        }
        // Never send the IdP what cannot be a token.
        bearer_token::checked(token.as_bytes()).map_err(|_| TokenError::Inactive)?;
        let claims = self.introspect(token).await?;
        let now = Now::current().max_of(now);
        let expires_at = now.monotonic + self.lifetime(&claims, now);
        let identity = Arc::new(self.builder.build(&claims, expires_at, None, 0)?);
        if let Some(key) = key {
            self.cache.insert(key, identity.clone(), now.monotonic);
        }
        Ok(identity)
    }

    /// One call to the introspection endpoint; the answer's members, if the token is usable.
    async fn introspect(&self, token: &str) -> Result<Map<String, Value>, TokenError> {
        let endpoint = match &self.settings.endpoint {
            Some(endpoint) => endpoint.clone(),
            None => self
                .provider
                .introspection_endpoint()
                .await
                .map_err(TokenError::IdpUnavailable)?,
        };
        let client = &self.settings.client;
        let post = self.settings.auth_method == TokenEndpointAuthMethod::ClientSecretPost;
        let body = request_body(token, self.settings.hint.as_deref(), post.then_some(client));
        let mut request = self
            .provider
            .client()
            .post(&endpoint)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json")
            .body(body);
        if !post {
            request = request.header(http::header::AUTHORIZATION, basic_authorization(client));
        }
        let exchange = send_bounded(request, self.settings.timeout);
        let (status, body) = crate::metrics::timed_introspection(exchange)
            .await
            .map_err(TokenError::IdpUnavailable)?;
        read_response(status, &body, self.settings.check_active)
    }

    /// Until the result's `exp`, else `cache_ttl`; within `cache_ttl_min`/`cache_ttl_max`,
    /// never past `exp` nor beyond a day.
    fn lifetime(&self, claims: &Map<String, Value>, now: Now) -> Duration {
        let until_exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .map(|exp| Duration::from_secs(exp.saturating_sub(now.unix_seconds).max(0) as u64));
        let mut lifetime = until_exp.unwrap_or(self.settings.default_ttl);
        if let Some(max) = self.settings.ttl_max {
            lifetime = lifetime.min(max);
        }
        if let Some(min) = self.settings.ttl_min {
            lifetime = lifetime.max(min);
        }
        if let Some(until_exp) = until_exp {
            lifetime = lifetime.min(until_exp);
        }
        lifetime.min(MAX_CACHE_LIFETIME)
    }
}

/// The form body of an introspection request (client credentials in it for
/// `client_secret_post`).
pub fn request_body(token: &str, hint: Option<&str>, client: Option<&ClientCredentials>) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("token", token);
    if let Some(hint) = hint {
        form.append_pair("token_type_hint", hint);
    }
    if let Some(client) = client {
        form.append_pair("client_id", client.client_id());
        form.append_pair("client_secret", client.expose_secret());
    }
    form.finish()
}

/// Reads an introspection answer: a 200 JSON object (strictly parsed) whose `active` is
/// `true` when `check_active`; a non-200 answer is the IdP's (or the configuration's) fault.
pub fn read_response(
    status: u16,
    body: &[u8],
    check_active: bool,
) -> Result<Map<String, Value>, TokenError> {
    match status {
        200 => {}
        500..=599 => return Err(TokenError::IdpUnavailable(IdpError::ServerError { status })),
        _ => {
            return Err(TokenError::IdpUnavailable(IdpError::UnexpectedStatus {
                status,
            }))
        }
    }
    let claims = super::strict_json::parse_object(body).map_err(|_| {
        TokenError::IdpUnavailable(IdpError::InvalidResponse("introspection is not JSON"))
    })?;
    let active = claims.get("active") == Some(&Value::Bool(true));
    if check_active && !active {
        return Err(TokenError::Inactive);
    }
    if claims.get("exp").is_some_and(|exp| !exp.is_i64()) {
        return Err(TokenError::IdpUnavailable(IdpError::InvalidResponse(
            "introspection exp is not an integer",
        )));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified() {
        assert!(read_response(200, br#"{"active":true,"sub":"x"}"#, true).is_ok());
        assert_eq!(
            read_response(200, br#"{"active":false}"#, true),
            Err(TokenError::Inactive)
        );
        assert_eq!(
            read_response(200, br#"{"active":"true"}"#, true),
            Err(TokenError::Inactive)
        );
        assert!(read_response(200, br#"{"active":false}"#, false).is_ok());
        assert!(matches!(
            read_response(200, br#"{"active":true,"active":false}"#, true),
            Err(TokenError::IdpUnavailable(_))
        ));
        assert!(matches!(
            read_response(401, br#"{"error":"invalid_client"}"#, true),
            Err(TokenError::IdpUnavailable(IdpError::UnexpectedStatus {
                status: 401
            }))
        ));
        assert!(matches!(
            read_response(503, b"", true),
            Err(TokenError::IdpUnavailable(IdpError::ServerError { .. }))
        ));
    }
}
