//! request-size-limiting's `config`: Kong 3.9's schema (`allowed_payload_size`,
//! `size_unit`, `require_content_length`) and its messages.

use serde::Deserialize;

use crate::config::errors::{join, ConfigErrors};
use crate::plugin::plugin_config;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default = "default_size")]
    allowed_payload_size: i64,
    #[serde(default = "default_unit")]
    size_unit: String,
    #[serde(default)]
    require_content_length: bool,
}

fn default_size() -> i64 {
    128
}

fn default_unit() -> String {
    "megabytes".to_owned()
}

/// A checked request-size-limiting config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSizeLimitingConfig {
    pub allowed_payload_size: u64,
    /// Bytes per unit: 1, 1024 (kilobytes) or 1048576 (megabytes), as Kong counts them.
    pub unit_bytes: u64,
    pub require_content_length: bool,
}

impl RequestSizeLimitingConfig {
    pub fn allowed_bytes(&self) -> u64 {
        self.allowed_payload_size.saturating_mul(self.unit_bytes)
    }
}

/// Parses and checks the `config` of the plugin at `path`.
pub fn compile(
    config: Option<serde_yaml::Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<RequestSizeLimitingConfig> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let config_path = join(path, "config");
    let before = errors.len();
    let unit_bytes = match raw.size_unit.as_str() {
        "megabytes" => 1_048_576,
        "kilobytes" => 1024,
        "bytes" => 1,
        _ => {
            errors.push(
                join(&config_path, "size_unit"),
                "expected one of: megabytes, kilobytes, bytes",
            );
            1
        }
    };
    // Kong's schema takes any integer; a negative limit refuses every body.
    let allowed_payload_size = u64::try_from(raw.allowed_payload_size).unwrap_or(0);
    (errors.len() == before).then_some(RequestSizeLimitingConfig {
        allowed_payload_size,
        unit_bytes,
        require_content_length: raw.require_content_length,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<RequestSizeLimitingConfig, Vec<(String, String)>> {
        plugin_config::check_config(compile, yaml)
    }

    #[test]
    fn kongs_defaults_units_and_messages() {
        let c = compile(None, "plugins[0]", &mut ConfigErrors::default()).unwrap();
        assert_eq!(c.allowed_bytes(), 128 * 1_048_576);
        assert!(!c.require_content_length);
        assert_eq!(
            check("{allowed_payload_size: 10, size_unit: kilobytes}")
                .unwrap()
                .allowed_bytes(),
            10_240
        );
        assert_eq!(
            check("{allowed_payload_size: 5, size_unit: bytes, require_content_length: true}")
                .unwrap()
                .allowed_bytes(),
            5
        );
        assert_eq!(
            check("{size_unit: gigabytes}").unwrap_err(),
            [(
                "plugins[0].config.size_unit".to_owned(),
                "expected one of: megabytes, kilobytes, bytes".to_owned()
            )]
        );
        assert_eq!(
            check("{allowed_payload_size: 1.5}").unwrap_err()[0].0,
            "plugins[0].config.allowed_payload_size"
        );
    }
}
