//! key-auth's config: Kong's schema (field names, defaults) and its load-time checks.

use serde::Deserialize;
use serde_yaml::Value;

use crate::config::errors::{join, ConfigErrors};
use crate::plugin::plugin_config;

/// Kong's `key-auth` config record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAuthConfig {
    /// Header / query / body names the key is looked for under, in order. Default `[apikey]`.
    #[serde(default = "default_key_names")]
    pub key_names: Vec<String>,
    /// Remove the key from the proxied request.
    #[serde(default)]
    pub hide_credentials: bool,
    /// Consumer (id or username) that stands in when authentication fails.
    #[serde(default)]
    pub anonymous: Option<String>,
    #[serde(default = "yes")]
    pub key_in_header: bool,
    #[serde(default = "yes")]
    pub key_in_query: bool,
    /// Read form, JSON and multipart bodies (Kong default: false).
    #[serde(default)]
    pub key_in_body: bool,
    /// Authenticate `OPTIONS` requests too.
    #[serde(default = "yes")]
    pub run_on_preflight: bool,
    /// `WWW-Authenticate: Key realm="<realm>"`; unset: plain `Key` (Kong 3.7+).
    #[serde(default)]
    pub realm: Option<String>,
    /// Konnect-only: where keys are looked up. Only Kong's default (the control plane's own
    /// consumers) is accepted.
    #[serde(default)]
    pub identity_realms: Option<Value>,
}

fn default_key_names() -> Vec<String> {
    vec!["apikey".to_owned()]
}

fn yes() -> bool {
    true
}

impl KeyAuthConfig {
    /// The `WWW-Authenticate` value of this instance's 401s.
    pub fn challenge(&self) -> String {
        match &self.realm {
            Some(realm) => format!("Key realm=\"{realm}\""),
            None => "Key".to_owned(),
        }
    }
}

/// Reads and checks the config of the plugin at `plugin_path`.
pub fn parse(
    config: Option<Value>,
    plugin_path: &str,
    errors: &mut ConfigErrors,
) -> Option<KeyAuthConfig> {
    let config: KeyAuthConfig = plugin_config::parse(config, plugin_path, errors)?;
    let base = join(plugin_path, "config");
    let before = errors.len();
    for (i, name) in config.key_names.iter().enumerate() {
        if !is_header_name(name) {
            errors.push(
                format!("{}[{i}]", join(&base, "key_names")),
                format!(
                    "bad header name '{name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'"
                ),
            );
        }
    }
    check_text(
        config.anonymous.as_deref(),
        &join(&base, "anonymous"),
        errors,
    );
    check_text(config.realm.as_deref(), &join(&base, "realm"), errors);
    if let Some(realms) = &config.identity_realms {
        if !is_default_identity_realms(realms) {
            errors.push(
                join(&base, "identity_realms"),
                "Konnect identity realms are not supported: only Kong's default [{scope: cp}] \
                 (this file's own consumers) is accepted",
            );
        }
    }
    if errors.len() > before {
        return None;
    }
    crate::plugin::log_serializer::redact::register_credential_names(&config.key_names);
    Some(config)
}

/// Kong's `typedefs.header_name`: `[A-Za-z0-9_-]+`.
pub fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A string field: Kong's strings are at least one character; ours also end up in a header
/// value or are compared with one, so control characters are refused.
pub(crate) fn check_text(value: Option<&str>, path: &str, errors: &mut ConfigErrors) {
    match value {
        Some("") => errors.push(path, "length must be at least 1"),
        Some(text) if text.chars().any(|c| c.is_control()) || text.contains('"') => {
            errors.push(path, "must not contain control characters or '\"'")
        }
        _ => {}
    }
}

/// `[{scope: cp}]` (nulls already dropped), Kong's default.
fn is_default_identity_realms(value: &Value) -> bool {
    let Value::Sequence(items) = value else {
        return false;
    };
    let [Value::Mapping(only)] = items.as_slice() else {
        return false;
    };
    only.len() == 1 && only.get("scope").and_then(Value::as_str) == Some("cp")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_yaml(text: &str) -> (Option<KeyAuthConfig>, ConfigErrors) {
        let mut errors = ConfigErrors::default();
        let value: Value = serde_yaml::from_str(text).unwrap();
        (parse(Some(value), "plugins[0]", &mut errors), errors)
    }

    #[test]
    fn defaults_are_kongs() {
        let mut errors = ConfigErrors::default();
        let config = parse(None, "plugins[0]", &mut errors).unwrap();
        assert_eq!(config.key_names, ["apikey"]);
        assert!(!config.hide_credentials && !config.key_in_body);
        assert!(config.key_in_header && config.key_in_query && config.run_on_preflight);
        assert_eq!(config.challenge(), "Key");
        let (config, _) = parse_yaml("{realm: kong, key_names: null, identity_realms: [{scope: cp, id: null, region: null}]}");
        assert_eq!(config.unwrap().challenge(), "Key realm=\"kong\"");
    }

    #[test]
    fn bad_fields_are_named() {
        let (config, errors) = parse_yaml("{key_names: [ok_name-1, 'bad name']}");
        assert!(config.is_none());
        let error = errors.iter().next().unwrap();
        assert_eq!(error.path, "plugins[0].config.key_names[1]");
        assert!(error.message.starts_with("bad header name 'bad name'"));

        let (_, errors) = parse_yaml("{identity_realms: [{scope: realm, id: abc}]}");
        assert_eq!(
            errors.iter().next().unwrap().path,
            "plugins[0].config.identity_realms"
        );
        let (_, errors) = parse_yaml("{anonymous: ''}");
        assert_eq!(
            errors.iter().next().unwrap().path,
            "plugins[0].config.anonymous"
        );
        let (_, errors) = parse_yaml("{realm: \"a\\nb\"}");
        assert_eq!(
            errors.iter().next().unwrap().path,
            "plugins[0].config.realm"
        );
        let (_, errors) = parse_yaml("{key_in_cookie: true}");
        assert_eq!(
            errors.iter().next().unwrap().path,
            "plugins[0].config.key_in_cookie"
        );
    }
}
