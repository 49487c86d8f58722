//! basic-auth's config: Kong's schema (field names, defaults) and its load-time checks.

use serde::Deserialize;
use serde_yaml::Value;

use crate::config::errors::{join, ConfigErrors};
use crate::plugin::key_auth::config::check_text;
use crate::plugin::plugin_config;

/// Kong's `basic-auth` config record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuthConfig {
    /// Consumer (id or username) that stands in when authentication fails.
    #[serde(default)]
    pub anonymous: Option<String>,
    /// Remove the `Authorization` / `Proxy-Authorization` header from the proxied request.
    #[serde(default)]
    pub hide_credentials: bool,
    /// `WWW-Authenticate: Basic realm="<realm>"`. Default `service`.
    #[serde(default = "default_realm")]
    pub realm: String,
    /// Kong Enterprise 3.13+: counting failed logins (memory / Redis). Not implemented: only
    /// an absent record or `strategy: off` is accepted.
    #[serde(default)]
    pub brute_force_protection: Option<Value>,
}

fn default_realm() -> String {
    "service".to_owned()
}

impl BasicAuthConfig {
    /// The `WWW-Authenticate` value of this instance's 401s.
    pub fn challenge(&self) -> String {
        format!("Basic realm=\"{}\"", self.realm)
    }
}

/// Reads and checks the config of the plugin at `plugin_path`.
pub fn parse(
    config: Option<Value>,
    plugin_path: &str,
    errors: &mut ConfigErrors,
) -> Option<BasicAuthConfig> {
    let config: BasicAuthConfig = plugin_config::parse(config, plugin_path, errors)?;
    let base = join(plugin_path, "config");
    let before = errors.len();
    check_text(
        config.anonymous.as_deref(),
        &join(&base, "anonymous"),
        errors,
    );
    check_text(Some(&config.realm), &join(&base, "realm"), errors);
    if let Some(protection) = &config.brute_force_protection {
        let strategy = protection.get("strategy").and_then(Value::as_str);
        if !protection.is_mapping() || !matches!(strategy, None | Some("off")) {
            errors.push(
                join(&base, "brute_force_protection"),
                "brute force protection (a Kong Enterprise feature) is not supported",
            );
        }
    }
    (errors.len() == before).then_some(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_yaml(text: &str) -> (Option<BasicAuthConfig>, ConfigErrors) {
        let mut errors = ConfigErrors::default();
        let value: Value = serde_yaml::from_str(text).unwrap();
        (
            parse(Some(value), "routes[1].plugins[0]", &mut errors),
            errors,
        )
    }

    #[test]
    fn defaults_and_refusals() {
        let mut errors = ConfigErrors::default();
        let config = parse(None, "plugins[0]", &mut errors).unwrap();
        assert_eq!(config.challenge(), "Basic realm=\"service\"");
        assert!(!config.hide_credentials && config.anonymous.is_none());
        let (config, _) =
            parse_yaml("{realm: test-realm, brute_force_protection: {strategy: off, redis: null}}");
        assert_eq!(config.unwrap().challenge(), "Basic realm=\"test-realm\"");

        let (config, errors) = parse_yaml("{brute_force_protection: {strategy: memory}}");
        assert!(config.is_none());
        assert_eq!(
            errors.iter().next().unwrap().path,
            "routes[1].plugins[0].config.brute_force_protection"
        );
        let (_, errors) = parse_yaml("{realm: ''}");
        assert_eq!(
            errors.iter().next().unwrap().path,
            "routes[1].plugins[0].config.realm"
        );
        let (_, errors) = parse_yaml("{key_names: [a]}");
        assert_eq!(
            errors.iter().next().unwrap().path,
            "routes[1].plugins[0].config.key_names"
        );
    }
}
