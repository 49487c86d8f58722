//! acl's `config`: Kong's schema (`allow` / `deny`, exactly one non-empty; the header and
//! authenticated-groups switches; Kong Enterprise's `include_consumer_groups`).

use serde::Deserialize;

use super::groups::{Rule, Rules};
use crate::config::errors::ConfigErrors;
use crate::plugin::plugin_config;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
    #[serde(default)]
    hide_groups_header: bool,
    #[serde(default)]
    always_use_authenticated_groups: bool,
    #[serde(default)]
    include_consumer_groups: bool,
}

/// A checked acl config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclConfig {
    pub rules: Rules,
    /// The consumer's consumer groups count as its groups too.
    pub include_consumer_groups: bool,
}

/// Parses and checks the `config` of the plugin at `path`; Kong's entity-check errors are
/// reported at the plugin itself.
pub fn compile(
    config: Option<serde_yaml::Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<AclConfig> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let rule = match (raw.allow.is_empty(), raw.deny.is_empty()) {
        (false, true) => Rule::Allow(raw.allow),
        (true, false) => Rule::Deny(raw.deny),
        (true, true) => {
            errors.push(
                path,
                "at least one of these fields must be non-empty: 'config.allow', 'config.deny'",
            );
            return None;
        }
        (false, false) => {
            errors.push(
                path,
                "exactly one of these fields must be non-empty: 'config.allow', 'config.deny'",
            );
            return None;
        }
    };
    Some(AclConfig {
        rules: Rules {
            rule,
            hide_groups_header: raw.hide_groups_header,
            always_use_authenticated_groups: raw.always_use_authenticated_groups,
        },
        include_consumer_groups: raw.include_consumer_groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile_yaml(yaml: &str) -> (Option<AclConfig>, Vec<(String, String)>) {
        let mut errors = ConfigErrors::default();
        let value = serde_yaml::from_str(yaml).unwrap();
        let c = compile(Some(value), "routes[0].plugins[1]", &mut errors);
        (
            c,
            errors
                .iter()
                .map(|e| (e.path.clone(), e.message.clone()))
                .collect(),
        )
    }

    #[test]
    fn exactly_one_of_allow_and_deny() {
        let (c, _) = compile_yaml("{allow: [admin], deny: null}");
        assert_eq!(c.unwrap().rules.rule, Rule::Allow(vec!["admin".into()]));
        let (c, _) = compile_yaml("{deny: [bad], allow: []}");
        assert_eq!(c.unwrap().rules.rule, Rule::Deny(vec!["bad".into()]));
        let (c, errors) = compile_yaml("{allow: [a], deny: [b]}");
        assert!(c.is_none());
        assert_eq!(
            errors,
            [(
                "routes[0].plugins[1]".to_string(),
                "exactly one of these fields must be non-empty: 'config.allow', 'config.deny'"
                    .to_string()
            )]
        );
        let (_, errors) = compile_yaml("{hide_groups_header: true}");
        assert_eq!(
            errors[0].1,
            "at least one of these fields must be non-empty: 'config.allow', 'config.deny'"
        );
        let (_, errors) = compile_yaml("{allow: [a], whitelist: [b]}");
        assert_eq!(errors[0].0, "routes[0].plugins[1].config.whitelist");
    }
}
