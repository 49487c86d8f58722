//! request-termination's `config`: Kong's schema (fields, defaults, the `between` check of
//! `status_code`, `trigger` as a header name, and the custom validator's exclusions).

use serde::Deserialize;

use crate::config::errors::{join, ConfigErrors};
use crate::plugin::plugin_config;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default = "default_status")]
    status_code: i64,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    echo: bool,
    #[serde(default)]
    trigger: Option<String>,
}

fn default_status() -> i64 {
    503
}

/// A checked request-termination config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTerminationConfig {
    pub status_code: u16,
    pub message: Option<String>,
    pub content_type: Option<String>,
    pub body: Option<String>,
    pub echo: bool,
    /// Terminate only when a header (any case, `_` for `-`) or query argument (exact name) of
    /// this name is present.
    pub trigger: Option<String>,
}

fn present(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| !v.is_empty())
}

/// Parses and checks the `config` of the plugin at `path`.
pub fn compile(
    config: Option<serde_yaml::Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<RequestTerminationConfig> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let config_path = join(path, "config");
    let before = errors.len();
    if !(100..=599).contains(&raw.status_code) {
        errors.push(
            join(&config_path, "status_code"),
            "value should be between 100 and 599",
        );
    }
    if let Some(trigger) = &raw.trigger {
        if trigger.is_empty() {
            errors.push(join(&config_path, "trigger"), "no header name provided");
        } else if !trigger
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            errors.push(
                join(&config_path, "trigger"),
                format!("bad header name '{trigger}', allowed characters are A-Z, a-z, 0-9, '_', and '-'"),
            );
        }
    }
    if let Some(content_type) = &raw.content_type {
        if http::HeaderValue::from_str(content_type).is_err() {
            errors.push(
                join(&config_path, "content_type"),
                "invalid value: not a valid header value",
            );
        }
    }
    let custom = if present(&raw.message) && (present(&raw.content_type) || present(&raw.body)) {
        Some("message cannot be used with content_type or body")
    } else if present(&raw.content_type) && !present(&raw.body) {
        Some("content_type requires a body")
    } else if raw.echo && (present(&raw.content_type) || present(&raw.body)) {
        Some("echo cannot be used with content_type and body")
    } else {
        None
    };
    if let Some(message) = custom {
        errors.push(config_path, message);
    }
    (errors.len() == before).then(|| RequestTerminationConfig {
        status_code: u16::try_from(raw.status_code).unwrap_or(503),
        message: raw.message,
        content_type: raw.content_type,
        body: raw.body,
        echo: raw.echo,
        trigger: raw.trigger,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<RequestTerminationConfig, Vec<(String, String)>> {
        crate::plugin::plugin_config::check_config(compile, yaml)
    }

    #[test]
    fn defaults_and_valid_configs() {
        let mut errors = ConfigErrors::default();
        let c = compile(None, "plugins[0]", &mut errors).unwrap();
        assert_eq!((c.status_code, c.echo), (503, false));
        assert!(c.message.is_none() && c.body.is_none() && c.trigger.is_none());
        let c = check(
            "{status_code: 418, body: '<p>tea</p>', content_type: text/html, trigger: X-Stop}",
        )
        .unwrap();
        assert_eq!(c.trigger.as_deref(), Some("X-Stop"));
        assert!(check("{message: Not found, status_code: 404}").is_ok());
        assert!(check("{echo: true, trigger: gimme-an-echo}").is_ok());
    }

    #[test]
    fn kongs_schema_messages() {
        let one = |yaml: &str| check(yaml).unwrap_err().remove(0);
        assert_eq!(
            one("{status_code: 99}"),
            (
                "plugins[0].config.status_code".into(),
                "value should be between 100 and 599".into()
            )
        );
        assert_eq!(
            one("{status_code: 600}").1,
            "value should be between 100 and 599"
        );
        assert_eq!(
            one("{message: error, body: test}"),
            (
                "plugins[0].config".into(),
                "message cannot be used with content_type or body".into()
            )
        );
        assert_eq!(
            one("{message: error, content_type: text/html}").1,
            "message cannot be used with content_type or body"
        );
        assert_eq!(
            one("{content_type: text/html}").1,
            "content_type requires a body"
        );
        assert_eq!(
            one("{echo: true, body: x, content_type: text/html}").1,
            "echo cannot be used with content_type and body"
        );
        assert_eq!(
            one("{trigger: 'a b'}"),
            (
                "plugins[0].config.trigger".into(),
                "bad header name 'a b', allowed characters are A-Z, a-z, 0-9, '_', and '-'".into()
            )
        );
        assert_eq!(one("{colour: red}").0, "plugins[0].config.colour");
    }
}
