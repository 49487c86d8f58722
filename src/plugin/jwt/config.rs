//! The jwt plugin's `config`, as Kong's schema: fields, defaults, and its checks
//! (`claims_to_verify` one of exp/nbf, `maximum_expiration` between 0 and 31536000 and only
//! with `exp` verified), compiled into what the access phase reads.

use serde::Deserialize;
use serde_yaml::Value;

use super::sources::Places;
use super::token::{Claim, Rules};
use crate::config::errors::{join, ConfigErrors};
use crate::plugin::plugin_config;

/// Kong's upper bound of `maximum_expiration` (365 days).
pub const MAX_EXPIRATION_LIMIT: f64 = 31_536_000.0;

/// The config as written (Kong's names and defaults).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfigDef {
    #[serde(default = "default_uri_param_names")]
    pub uri_param_names: Vec<String>,
    #[serde(default)]
    pub cookie_names: Vec<String>,
    #[serde(default = "default_key_claim_name")]
    pub key_claim_name: String,
    #[serde(default)]
    pub secret_is_base64: bool,
    #[serde(default)]
    pub claims_to_verify: Vec<String>,
    pub anonymous: Option<String>,
    #[serde(default = "default_true")]
    pub run_on_preflight: bool,
    #[serde(default)]
    pub maximum_expiration: f64,
    #[serde(default = "default_header_names")]
    pub header_names: Vec<String>,
    pub realm: Option<String>,
}

fn default_uri_param_names() -> Vec<String> {
    vec!["jwt".to_owned()]
}

fn default_key_claim_name() -> String {
    "iss".to_owned()
}

fn default_true() -> bool {
    true
}

fn default_header_names() -> Vec<String> {
    vec!["authorization".to_owned()]
}

/// The compiled config.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub places: Places,
    pub rules: Rules,
    pub anonymous: Option<String>,
    pub run_on_preflight: bool,
    /// `WWW-Authenticate` without a token: `Bearer` or `Bearer realm="<realm>"`.
    pub challenge: String,
    /// ... and for a refused token, with `error="invalid_token"`.
    pub challenge_invalid_token: String,
}

/// Parses and checks the `config` of the plugin at `path`.
pub fn compile(config: Option<Value>, path: &str, errors: &mut ConfigErrors) -> Option<JwtConfig> {
    let def: JwtConfigDef = plugin_config::parse(config, path, errors)?;
    let at = |field: &str| join(&join(path, "config"), field);
    let before = errors.len();

    let mut claims = Vec::new();
    for (i, name) in def.claims_to_verify.iter().enumerate() {
        match Claim::from_name(name) {
            Some(claim) if claims.contains(&claim) => {}
            Some(claim) => claims.push(claim),
            None => errors.push(
                format!("{}[{i}]", at("claims_to_verify")),
                "expected one of: exp, nbf",
            ),
        }
    }
    let max = def.maximum_expiration;
    if !(0.0..=MAX_EXPIRATION_LIMIT).contains(&max) {
        errors.push(
            at("maximum_expiration"),
            "value should be between 0 and 31536000",
        );
    } else if max > 0.0 && !claims.contains(&Claim::Exp) {
        errors.push(at("claims_to_verify"), "expected to contain: exp");
    }
    if let Some(realm) = &def.realm {
        if http::HeaderValue::from_str(&format!("Bearer realm=\"{realm}\"")).is_err() {
            errors.push(at("realm"), "invalid value: not usable in a header");
        }
    }
    if def.key_claim_name.is_empty() {
        errors.push(at("key_claim_name"), "length must be at least 1");
    }
    if errors.len() > before {
        return None;
    }
    let (challenge, challenge_invalid_token) = match &def.realm {
        Some(realm) => (
            format!("Bearer realm=\"{realm}\""),
            format!("Bearer realm=\"{realm}\", error=\"invalid_token\""),
        ),
        None => (
            "Bearer".to_owned(),
            "Bearer error=\"invalid_token\"".to_owned(),
        ),
    };
    let redact = crate::plugin::log_serializer::redact::register_credential_names;
    redact(&def.uri_param_names);
    redact(&def.cookie_names);
    redact(&def.header_names);
    Some(JwtConfig {
        places: Places {
            uri_param_names: unique(def.uri_param_names),
            cookie_names: unique(def.cookie_names),
            // nginx's header table: any case, `_` read as `-`.
            header_names: unique(
                def.header_names
                    .iter()
                    .map(|name| name.to_ascii_lowercase().replace('_', "-"))
                    .collect(),
            ),
        },
        rules: Rules {
            key_claim_name: def.key_claim_name,
            secret_is_base64: def.secret_is_base64,
            claims_to_verify: claims,
            maximum_expiration: max,
        },
        anonymous: def.anonymous,
        run_on_preflight: def.run_on_preflight,
        challenge,
        challenge_invalid_token,
    })
}

/// Kong's `set`: each element once, first place kept.
fn unique(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile_yaml(yaml: &str) -> (Option<JwtConfig>, ConfigErrors) {
        let mut errors = ConfigErrors::default();
        let value = serde_yaml::from_str(yaml).unwrap();
        (compile(Some(value), "plugins[0]", &mut errors), errors)
    }

    #[test]
    fn defaults_are_kongs() {
        let mut errors = ConfigErrors::default();
        let config = compile(None, "plugins[0]", &mut errors).unwrap();
        assert_eq!(config.places.uri_param_names, ["jwt"]);
        assert!(config.places.cookie_names.is_empty());
        assert_eq!(config.places.header_names, ["authorization"]);
        assert_eq!(config.rules.key_claim_name, "iss");
        assert!(!config.rules.secret_is_base64);
        assert!(config.rules.claims_to_verify.is_empty());
        assert_eq!(config.rules.maximum_expiration, 0.0);
        assert!(config.run_on_preflight);
        assert!(config.anonymous.is_none());
        assert_eq!(config.challenge, "Bearer");
        assert_eq!(
            config.challenge_invalid_token,
            "Bearer error=\"invalid_token\""
        );
        let (config, _) = compile_yaml(
            "{realm: kong, header_names: [X_Jwt, x-jwt], claims_to_verify: [exp, exp, nbf], uri_param_names: null}",
        );
        let config = config.unwrap();
        assert_eq!(
            config.challenge_invalid_token,
            "Bearer realm=\"kong\", error=\"invalid_token\""
        );
        assert_eq!(config.places.header_names, ["x-jwt"]);
        assert_eq!(config.places.uri_param_names, ["jwt"]);
        assert_eq!(config.rules.claims_to_verify, [Claim::Exp, Claim::Nbf]);
    }

    #[test]
    fn kongs_schema_checks_at_exact_paths() {
        let (config, errors) = compile_yaml("{claims_to_verify: [exp, iat]}");
        assert!(config.is_none());
        let error = errors.iter().next().unwrap();
        assert_eq!(error.path, "plugins[0].config.claims_to_verify[1]");
        assert_eq!(error.message, "expected one of: exp, nbf");

        let (_, errors) = compile_yaml("{maximum_expiration: -1, claims_to_verify: [exp]}");
        let error = errors.iter().next().unwrap();
        assert_eq!(error.path, "plugins[0].config.maximum_expiration");
        assert_eq!(error.message, "value should be between 0 and 31536000");
        let (_, errors) = compile_yaml("{maximum_expiration: 31536001, claims_to_verify: [exp]}");
        assert_eq!(errors.len(), 1);

        let (_, errors) = compile_yaml("{maximum_expiration: 60, claims_to_verify: [nbf]}");
        let error = errors.iter().next().unwrap();
        assert_eq!(error.path, "plugins[0].config.claims_to_verify");
        assert_eq!(error.message, "expected to contain: exp");
        let (config, _) = compile_yaml("{maximum_expiration: 60, claims_to_verify: [exp, nbf]}");
        assert_eq!(config.unwrap().rules.maximum_expiration, 60.0);

        let (_, errors) = compile_yaml("{nope: 1}");
        assert_eq!(errors.iter().next().unwrap().path, "plugins[0].config.nope");
        let (_, errors) = compile_yaml("{realm: \"a\\nb\"}");
        assert_eq!(
            errors.iter().next().unwrap().path,
            "plugins[0].config.realm"
        );
    }
}
