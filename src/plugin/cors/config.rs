//! cors's `config`: Kong's schema (origins as `*` or regexes, methods from Kong's list,
//! numbers and flags with Kong's defaults) and the compiled origin matchers.

use serde::Deserialize;

use super::origin::{self, OriginRule};
use crate::config::errors::{join, ConfigErrors};
use crate::plugin::plugin_config;

/// Kong's `METHODS`, also the default of `methods`.
pub const METHODS: [&str; 9] = [
    "GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    origins: Option<Vec<String>>,
    #[serde(default)]
    headers: Option<Vec<String>>,
    #[serde(default)]
    exposed_headers: Option<Vec<String>>,
    #[serde(default = "default_methods")]
    methods: Vec<String>,
    #[serde(default)]
    max_age: Option<f64>,
    #[serde(default)]
    credentials: bool,
    #[serde(default)]
    private_network: bool,
    #[serde(default)]
    preflight_continue: bool,
}

fn default_methods() -> Vec<String> {
    METHODS.iter().map(|m| (*m).to_owned()).collect()
}

/// How `Access-Control-Allow-Origin` is decided.
#[derive(Debug, Clone)]
pub enum Origins {
    /// No origins, or only `*`: `*` for everyone.
    Any,
    /// One plain origin: sent as it is, whatever the request's `Origin`.
    Fixed(String),
    /// Several entries (or one regex): the request's `Origin` is matched against each.
    Rules(Vec<OriginRule>),
}

/// A checked cors config.
#[derive(Debug, Clone)]
pub struct CorsConfig {
    pub origins: Origins,
    /// `Access-Control-Allow-Headers` (empty: echo `Access-Control-Request-Headers`).
    pub headers: Vec<String>,
    pub exposed_headers: Vec<String>,
    pub methods: Vec<String>,
    /// `Access-Control-Max-Age`, as Lua's `tostring` writes the number.
    pub max_age: Option<String>,
    pub credentials: bool,
    pub private_network: bool,
    pub preflight_continue: bool,
}

/// Lua's `tostring` of a number: integers without a fraction.
fn lua_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Parses and checks the `config` of the plugin at `path`.
pub fn compile(
    config: Option<serde_yaml::Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<CorsConfig> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let config_path = join(path, "config");
    let before = errors.len();
    let entries = raw.origins.unwrap_or_default();
    let mut rules = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        match origin::compile_rule(entry) {
            Ok(rule) => rules.push(rule),
            Err(message) => errors.push(format!("{config_path}.origins[{i}]"), message),
        }
    }
    for (i, method) in raw.methods.iter().enumerate() {
        if !METHODS.contains(&method.as_str()) {
            errors.push(
                format!("{config_path}.methods[{i}]"),
                format!("expected one of: {}", METHODS.join(", ")),
            );
        }
    }
    if errors.len() != before {
        return None;
    }
    let origins = if entries.is_empty() || (entries.len() == 1 && entries[0] == "*") {
        Origins::Any
    } else if entries.len() == 1 && origin::is_plain(&entries[0]) {
        Origins::Fixed(entries[0].clone())
    } else {
        Origins::Rules(rules)
    };
    Some(CorsConfig {
        origins,
        headers: raw.headers.unwrap_or_default(),
        exposed_headers: raw.exposed_headers.unwrap_or_default(),
        methods: raw.methods,
        max_age: raw.max_age.map(lua_number),
        credentials: raw.credentials,
        private_network: raw.private_network,
        preflight_continue: raw.preflight_continue,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<CorsConfig, Vec<(String, String)>> {
        crate::plugin::plugin_config::check_config(compile, yaml)
    }

    #[test]
    fn defaults() {
        let mut errors = ConfigErrors::default();
        let c = compile(None, "plugins[0]", &mut errors).unwrap();
        assert!(matches!(c.origins, Origins::Any));
        assert_eq!(c.methods.len(), 9);
        assert!(!c.credentials && !c.private_network && !c.preflight_continue);
        assert!(c.max_age.is_none());
        let c = check("{origins: ['https://a.test'], max_age: 3600}").unwrap();
        assert!(matches!(c.origins, Origins::Fixed(ref o) if o == "https://a.test"));
        assert_eq!(c.max_age.as_deref(), Some("3600"));
        let c = check("{origins: ['https://.*\\.a\\.test'], max_age: 1.5}").unwrap();
        assert!(matches!(c.origins, Origins::Rules(ref r) if r.len() == 1));
        assert_eq!(c.max_age.as_deref(), Some("1.5"));
    }

    #[test]
    fn kongs_messages_at_their_paths() {
        assert_eq!(
            check("{origins: ['https://a.test', '(bad']}").unwrap_err(),
            vec![(
                "plugins[0].config.origins[1]".to_owned(),
                "'(bad' is not a valid regex".to_owned()
            )]
        );
        assert_eq!(
            check("{methods: [GET, FETCH]}").unwrap_err(),
            vec![(
                "plugins[0].config.methods[1]".to_owned(),
                "expected one of: GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS, TRACE, CONNECT"
                    .to_owned()
            )]
        );
        assert_eq!(
            check("{colour: red}").unwrap_err()[0].0,
            "plugins[0].config.colour"
        );
    }
}
