//! Reading a plugin's `config` the way Kong does: an absent config and `null` fields mean
//! "the default" (Kong's exports write every unset field as `null`), unknown fields are
//! errors at their exact path.

use serde::de::DeserializeOwned;
use serde_yaml::{Mapping, Value};

use crate::config::errors::{deserialize_at, join, ConfigErrors};

/// Deserializes the `config` of the plugin at `plugin_path` into `T` (whose fields carry
/// Kong's names and defaults, with `#[serde(deny_unknown_fields)]`).
pub fn parse<T: DeserializeOwned>(
    config: Option<Value>,
    plugin_path: &str,
    errors: &mut ConfigErrors,
) -> Option<T> {
    let config = config.unwrap_or_else(|| Value::Mapping(Mapping::new()));
    deserialize_at(without_nulls(config), &join(plugin_path, "config"), errors)
}

/// Drops `null` entries from mappings, at every depth (Kong: null = unset).
pub fn without_nulls(value: Value) -> Value {
    match value {
        Value::Mapping(map) => Value::Mapping(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// For the plugins' config tests: compiles `yaml` as the `config` of `plugins[0]`; the
/// errors as (path, message) pairs.
#[cfg(test)]
pub fn check_config<T>(
    compile: fn(Option<Value>, &str, &mut ConfigErrors) -> Option<T>,
    yaml: &str,
) -> Result<T, Vec<(String, String)>> {
    let mut errors = ConfigErrors::default();
    let value = serde_yaml::from_str(yaml).map_err(|e| vec![(String::new(), e.to_string())])?;
    compile(Some(value), "plugins[0]", &mut errors).ok_or_else(|| {
        errors
            .iter()
            .map(|e| (e.path.clone(), e.message.clone()))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Example {
        #[serde(default = "default_names")]
        key_names: Vec<String>,
        #[serde(default)]
        hide_credentials: bool,
    }

    fn default_names() -> Vec<String> {
        vec!["apikey".into()]
    }

    #[test]
    fn nulls_mean_defaults_and_unknown_fields_are_named() {
        let config: Value =
            serde_yaml::from_str("{key_names: null, hide_credentials: true}").unwrap();
        let mut errors = ConfigErrors::default();
        let parsed: Example = parse(Some(config), "plugins[0]", &mut errors).unwrap();
        assert_eq!(parsed.key_names, ["apikey"]);
        assert!(parsed.hide_credentials);
        let parsed: Example = parse(None, "plugins[0]", &mut errors).unwrap();
        assert!(!parsed.hide_credentials);

        let bad: Value = serde_yaml::from_str("{nope: 1}").unwrap();
        assert!(parse::<Example>(Some(bad), "plugins[0]", &mut errors).is_none());
        assert_eq!(errors.iter().next().unwrap().path, "plugins[0].config.nope");
    }
}
