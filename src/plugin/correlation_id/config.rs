//! correlation-id's `config`: Kong 3.9's schema (`header_name`, `generator`,
//! `echo_downstream`) and its messages.

use serde::Deserialize;

use super::generator::Generator;
use crate::config::errors::{join, ConfigErrors};
use crate::plugin::plugin_config;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default = "default_header_name")]
    header_name: String,
    #[serde(default = "default_generator")]
    generator: String,
    #[serde(default)]
    echo_downstream: bool,
}

fn default_header_name() -> String {
    "Kong-Request-ID".to_owned()
}

fn default_generator() -> String {
    "uuid#counter".to_owned()
}

/// A checked correlation-id config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationIdConfig {
    pub header_name: String,
    pub generator: Generator,
    pub echo_downstream: bool,
}

/// Parses and checks the `config` of the plugin at `path`.
pub fn compile(
    config: Option<serde_yaml::Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<CorrelationIdConfig> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let config_path = join(path, "config");
    let before = errors.len();
    let generator = match raw.generator.as_str() {
        "uuid" => Generator::Uuid,
        "uuid#counter" => Generator::UuidCounter,
        "tracker" => Generator::Tracker,
        _ => {
            errors.push(
                join(&config_path, "generator"),
                "expected one of: uuid, uuid#counter, tracker",
            );
            Generator::Uuid
        }
    };
    if http::HeaderName::from_bytes(raw.header_name.as_bytes()).is_err() {
        errors.push(
            join(&config_path, "header_name"),
            format!("'{}' is not a valid header name", raw.header_name),
        );
    }
    (errors.len() == before).then_some(CorrelationIdConfig {
        header_name: raw.header_name,
        generator,
        echo_downstream: raw.echo_downstream,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<CorrelationIdConfig, Vec<(String, String)>> {
        plugin_config::check_config(compile, yaml)
    }

    #[test]
    fn kongs_defaults_and_messages() {
        let c = compile(None, "plugins[0]", &mut ConfigErrors::default()).unwrap();
        assert_eq!(
            c,
            CorrelationIdConfig {
                header_name: "Kong-Request-ID".into(),
                generator: Generator::UuidCounter,
                echo_downstream: false
            }
        );
        let c = check("{header_name: X-Call-ID, generator: uuid, echo_downstream: true}").unwrap();
        assert_eq!((c.generator, c.echo_downstream), (Generator::Uuid, true));
        assert_eq!(
            check("{generator: random}").unwrap_err(),
            [(
                "plugins[0].config.generator".to_owned(),
                "expected one of: uuid, uuid#counter, tracker".to_owned()
            )]
        );
        assert_eq!(
            check("{header_name: 'a b'}").unwrap_err()[0].0,
            "plugins[0].config.header_name"
        );
    }
}
