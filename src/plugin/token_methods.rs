//! The token methods of one plugin instance, in Kong's fixed order: a JWT-shaped token goes
//! to `bearer` (local verification), any other token to `introspection`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::settings::PluginSettings;
use crate::config::openid_connect::{AuthMethod, OpenIdConnectConfig};
use crate::oidc::bearer::{BearerSettings, BearerVerifier};
use crate::oidc::bearer_token::looks_like_jwt;
use crate::oidc::client_credentials::Now;
use crate::oidc::identity::{Identity, IdentityBuilder};
use crate::oidc::introspection::{IntrospectionSettings, Introspector};
use crate::oidc::jwt::JwtError;
use crate::oidc::provider::Provider;
use crate::oidc::secret::ClientCredentials;
use crate::oidc::token_error::TokenError;

/// `bearer` and/or `introspection`, as configured.
pub struct TokenMethods {
    pub bearer: Option<BearerVerifier>,
    pub introspection: Option<Introspector>,
}

impl TokenMethods {
    /// The token methods `config` enables; `None` when it enables neither.
    pub fn from_config(
        config: &OpenIdConnectConfig,
        provider: &Arc<Provider>,
        settings: &PluginSettings,
    ) -> Option<Self> {
        let builder = IdentityBuilder::from_config(config);
        let bearer = config.auth_methods.contains(&AuthMethod::Bearer).then(|| {
            let settings = BearerSettings {
                issuers_allowed: config.issuers_allowed.clone(),
                leeway_seconds: config.leeway as i64,
                ttl_max: config.cache_ttl_max.map(Duration::from_secs),
                cache_max_entries: settings.token_cache_max_entries,
                hs_secrets: if config.enable_hs_signatures {
                    config.client_secret.clone()
                } else {
                    Vec::new()
                },
            };
            BearerVerifier::new(settings, builder.clone(), provider.clone())
        });
        let introspection = if config.auth_methods.contains(&AuthMethod::Introspection) {
            let client = ClientCredentials::new(
                config.client_id.first().map_or("", String::as_str),
                config.client_secret.first().map_or("", String::as_str),
            );
            let settings = IntrospectionSettings {
                endpoint: config.introspection_endpoint.clone(),
                auth_method: config.introspection_auth_method(),
                client,
                hint: config.introspection_hint.clone().filter(|h| !h.is_empty()),
                check_active: config.introspection_check_active,
                timeout: Duration::from_millis(config.timeout),
                cache: config.cache_introspection,
                default_ttl: Duration::from_secs(config.cache_ttl),
                ttl_min: config.cache_ttl_min.map(Duration::from_secs),
                ttl_max: config.cache_ttl_max.map(Duration::from_secs),
                cache_max_entries: settings.token_cache_max_entries,
            };
            Some(Introspector::new(settings, builder, provider.clone()))
        } else {
            None
        };
        (bearer.is_some() || introspection.is_some()).then_some(Self {
            bearer,
            introspection,
        })
    }

    /// The identity of `token` by the first method that applies to it.
    pub async fn authenticate(&self, token: &str, now: Now) -> Result<Arc<Identity>, TokenError> {
        match (&self.bearer, &self.introspection) {
            (Some(bearer), None) => bearer.authenticate(token, now).await,
            (Some(bearer), Some(_)) if looks_like_jwt(token) => {
                bearer.authenticate(token, now).await
            }
            (_, Some(introspection)) => introspection.authenticate(token, now).await,
            (None, None) => Err(TokenError::Invalid(JwtError::Malformed)),
        }
    }

    /// Drops expired cache entries.
    pub fn sweep(&self, now: Instant) {
        if let Some(bearer) = &self.bearer {
            bearer.cache().sweep(now);
        }
        if let Some(introspection) = &self.introspection {
            introspection.cache().sweep(now);
        }
    }
}
