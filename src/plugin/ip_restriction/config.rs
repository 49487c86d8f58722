//! ip-restriction's `config`: Kong's schema (`allow`, `deny` as `ip_or_cidr` lists, at least
//! one of them; `status`, `message`).

use serde::Deserialize;

use crate::client_ip::cidr::IpCidr;
use crate::config::errors::{join, ConfigErrors};
use crate::plugin::plugin_config;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    allow: Option<Vec<String>>,
    #[serde(default)]
    deny: Option<Vec<String>>,
    #[serde(default)]
    status: Option<f64>,
    #[serde(default)]
    message: Option<String>,
}

/// A checked ip-restriction config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpRestrictionConfig {
    pub allow: Vec<IpCidr>,
    pub deny: Vec<IpCidr>,
    /// The refusal's status (Kong: 403).
    pub status: u16,
    /// The refusal's message; `None`: Kong's `IP address not allowed: <client address>`.
    pub message: Option<String>,
}

fn ranges(list: &[String], path: &str, errors: &mut ConfigErrors) -> Vec<IpCidr> {
    list.iter()
        .enumerate()
        .filter_map(|(i, entry)| match entry.parse::<IpCidr>() {
            Ok(range) => Some(range),
            Err(message) => {
                errors.push(format!("{path}[{i}]"), message);
                None
            }
        })
        .collect()
}

/// Parses and checks the `config` of the plugin at `path`.
pub fn compile(
    config: Option<serde_yaml::Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<IpRestrictionConfig> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let config_path = join(path, "config");
    let before = errors.len();
    let allow = ranges(
        raw.allow.as_deref().unwrap_or_default(),
        &join(&config_path, "allow"),
        errors,
    );
    let deny = ranges(
        raw.deny.as_deref().unwrap_or_default(),
        &join(&config_path, "deny"),
        errors,
    );
    if raw.allow.is_none() && raw.deny.is_none() {
        errors.push(
            config_path.clone(),
            "at least one of these fields must be non-empty: 'config.allow', 'config.deny'",
        );
    }
    let status = match raw.status {
        None => 403,
        Some(status) if status.fract() == 0.0 && (100.0..=599.0).contains(&status) => status as u16,
        Some(_) => {
            errors.push(
                join(&config_path, "status"),
                "value should be between 100 and 599",
            );
            403
        }
    };
    (errors.len() == before).then_some(IpRestrictionConfig {
        allow,
        deny,
        status,
        message: raw.message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<IpRestrictionConfig, Vec<(String, String)>> {
        crate::plugin::plugin_config::check_config(compile, yaml)
    }

    #[test]
    fn lists_status_and_message() {
        let c = check("{allow: [10.0.0.0/8, '::1'], status: 401, message: go away}").unwrap();
        assert_eq!(c.allow.len(), 2);
        assert!(c.deny.is_empty());
        assert_eq!((c.status, c.message.as_deref()), (401, Some("go away")));
        let c = check("{deny: [192.0.2.1], allow: null}").unwrap();
        assert_eq!((c.deny.len(), c.status, c.message), (1, 403, None));
    }

    #[test]
    fn kongs_messages_at_their_paths() {
        assert_eq!(
            check("{allow: [10.0.0.1, 10.0.0.0/33]}").unwrap_err(),
            [(
                "plugins[0].config.allow[1]".to_owned(),
                "invalid ip or cidr range: '10.0.0.0/33'".to_owned()
            )]
        );
        assert_eq!(
            check("{}").unwrap_err()[0].1,
            "at least one of these fields must be non-empty: 'config.allow', 'config.deny'"
        );
        assert_eq!(check("{deny: [x], status: 1000}").unwrap_err().len(), 2);
        assert_eq!(
            check("{deny: [], colour: red}").unwrap_err()[0].0,
            "plugins[0].config.colour"
        );
    }
}
