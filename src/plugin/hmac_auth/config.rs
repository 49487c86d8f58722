//! hmac-auth's `config`: Kong's schema (fields, defaults) and its checks, compiled into the
//! form the access phase uses.

use serde::Deserialize;

use super::signature::Algorithm;
use crate::config::errors::{join, ConfigErrors};
use crate::plugin::plugin_config;

/// The `config` as written (Kong's field names and defaults).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    hide_credentials: bool,
    #[serde(default = "default_clock_skew")]
    clock_skew: f64,
    #[serde(default)]
    anonymous: Option<String>,
    #[serde(default)]
    validate_request_body: bool,
    #[serde(default)]
    enforce_headers: Vec<String>,
    #[serde(default = "default_algorithms")]
    algorithms: Vec<String>,
    #[serde(default)]
    realm: Option<String>,
}

fn default_clock_skew() -> f64 {
    300.0
}

fn default_algorithms() -> Vec<String> {
    Algorithm::ALL.iter().map(|a| a.name().to_owned()).collect()
}

/// A checked hmac-auth config.
#[derive(Debug, Clone, PartialEq)]
pub struct HmacAuthConfig {
    pub hide_credentials: bool,
    /// Seconds `Date` / `X-Date` may be away from now.
    pub clock_skew: f64,
    /// Consumer id or username standing in when authentication fails (`""`: none).
    pub anonymous: Option<String>,
    pub validate_request_body: bool,
    /// Names the client must have signed.
    pub enforce_headers: Vec<String>,
    pub algorithms: Vec<Algorithm>,
    /// The `WWW-Authenticate` value of every refusal: `hmac realm="<realm>"` or `hmac`.
    pub challenge: String,
}

/// Parses and checks the `config` of the plugin at `path`.
pub fn compile(
    config: Option<serde_yaml::Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<HmacAuthConfig> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let at = |field: &str| join(&join(path, "config"), field);
    let before = errors.len();
    if !(raw.clock_skew > 0.0 && raw.clock_skew.is_finite()) {
        errors.push(at("clock_skew"), "value must be greater than 0");
    }
    let mut algorithms = Vec::with_capacity(raw.algorithms.len());
    for (i, name) in raw.algorithms.iter().enumerate() {
        match Algorithm::from_name(name.as_bytes()) {
            Some(algorithm) => algorithms.push(algorithm),
            None => errors.push(
                format!("{}[{i}]", at("algorithms")),
                "expected one of: hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512",
            ),
        }
    }
    let challenge = match &raw.realm {
        Some(realm) => format!("hmac realm=\"{realm}\""),
        None => "hmac".to_owned(),
    };
    if raw.realm.as_deref().is_some_and(|r| r.contains('"'))
        || http::HeaderValue::from_str(&challenge).is_err()
    {
        errors.push(
            at("realm"),
            "invalid value: must be printable and have no '\"' (it is sent in WWW-Authenticate)",
        );
    }
    (errors.len() == before).then(|| HmacAuthConfig {
        hide_credentials: raw.hide_credentials,
        clock_skew: raw.clock_skew,
        anonymous: raw.anonymous.filter(|a| !a.is_empty()),
        validate_request_body: raw.validate_request_body,
        enforce_headers: raw.enforce_headers,
        algorithms,
        challenge,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile_yaml(yaml: &str) -> (Option<HmacAuthConfig>, ConfigErrors) {
        let mut errors = ConfigErrors::default();
        let value = serde_yaml::from_str(yaml).unwrap();
        (compile(Some(value), "plugins[0]", &mut errors), errors)
    }

    #[test]
    fn defaults_are_kongs() {
        let mut errors = ConfigErrors::default();
        let c = compile(None, "plugins[0]", &mut errors).unwrap();
        assert_eq!(c.clock_skew, 300.0);
        assert_eq!(c.algorithms, Algorithm::ALL);
        assert_eq!(c.challenge, "hmac");
        assert!(!c.hide_credentials && !c.validate_request_body);
        assert!(c.enforce_headers.is_empty() && c.anonymous.is_none());
        let (c, _) = compile_yaml(
            "{realm: test-realm, algorithms: [hmac-sha256], clock_skew: 10, anonymous: null}",
        );
        let c = c.unwrap();
        assert_eq!(c.challenge, "hmac realm=\"test-realm\"");
        assert_eq!(c.algorithms, [Algorithm::Sha256]);
        assert_eq!(c.clock_skew, 10.0);
    }

    #[test]
    fn errors_have_kongs_messages_at_exact_paths() {
        let (c, errors) =
            compile_yaml("{clock_skew: 0, algorithms: [hmac-sha256, hmac-md5], realm: 'a\"b'}");
        assert!(c.is_none());
        let found: Vec<_> = errors
            .iter()
            .map(|e| (e.path.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            found[0],
            (
                "plugins[0].config.clock_skew",
                "value must be greater than 0"
            )
        );
        assert_eq!(
            found[1],
            (
                "plugins[0].config.algorithms[1]",
                "expected one of: hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512"
            )
        );
        assert_eq!(found[2].0, "plugins[0].config.realm");
        let (_, errors) = compile_yaml("{nope: 1}");
        assert_eq!(errors.iter().next().unwrap().path, "plugins[0].config.nope");
    }
}
