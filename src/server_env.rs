//! `GATEWAY_*` environment variables over the server configuration file, as `KONG_*`
//! variables are over kong.conf: `GATEWAY_PROXY_LISTEN` sets `gateway.proxy_listen`,
//! `GATEWAY_THREADS` sets Pingora's `threads`. Lists are comma-separated, as in Kong.
//! Only known keys are looked up, so unrelated `GATEWAY_*` variables are left alone.

use serde_yaml::{Mapping, Value};

/// Keys of the `gateway:` section, and whether each takes a list.
const GATEWAY_KEYS: [(&str, bool); 28] = [
    ("proxy_listen", true),
    ("status_listen", false),
    ("ssl_cert", true),
    ("ssl_cert_key", true),
    ("declarative_config", false),
    ("log_level", false),
    ("log_format", false),
    ("access_log", false),
    ("token_cache_max_entries", false),
    ("jwks_refresh_seconds", false),
    ("idp_connect_timeout_ms", false),
    ("dns_resolver", true),
    ("dns_hostsfile", false),
    ("dns_order", true),
    ("dns_valid_ttl", false),
    ("dns_stale_ttl", false),
    ("dns_not_found_ttl", false),
    ("dns_error_ttl", false),
    ("dns_no_sync", false),
    ("dns_cache_size", false),
    ("trusted_ips", true),
    ("real_ip_header", false),
    ("real_ip_recursive", false),
    ("syslog_socket", false),
    ("headers", true),
    ("headers_upstream", true),
    ("tracing_instrumentations", true),
    ("tracing_sampling_rate", false),
];

/// Pingora's own top-level keys that may come from the environment.
/// (`user`/`group` are left out: the systemd unit sets them, and its system-call filter
/// would refuse Pingora's setuid.)
const PINGORA_KEYS: [&str; 8] = [
    "threads",
    "pid_file",
    "upgrade_sock",
    "error_log",
    "grace_period_seconds",
    "graceful_shutdown_timeout_seconds",
    "upstream_keepalive_pool_size",
    "work_stealing",
];

/// One variable that was set.
#[derive(Debug, Clone)]
struct Override {
    variable: String,
    /// false for a Pingora key at the top level.
    in_gateway: bool,
    key: &'static str,
    value: Value,
}

/// The variables found, ready to be laid over a parsed file.
#[derive(Debug, Clone, Default)]
pub struct Overrides(Vec<Override>);

/// Reads the process environment.
pub fn from_environment() -> Result<Overrides, String> {
    from_lookup(|name| std::env::var(name).ok())
}

/// Reads variables through `lookup` (the environment, or a map in tests).
pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Overrides, String> {
    let mut found = Vec::new();
    let keys = GATEWAY_KEYS
        .iter()
        .map(|&(key, list)| (key, list, true))
        .chain(PINGORA_KEYS.iter().map(|&key| (key, false, false)));
    for (key, list, in_gateway) in keys {
        let variable = format!("GATEWAY_{}", key.to_ascii_uppercase());
        let Some(raw) = lookup(&variable) else {
            continue;
        };
        let value = if list {
            Value::Sequence(
                raw.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| Value::String(item.to_owned()))
                    .collect(),
            )
        } else {
            scalar(&raw).ok_or_else(|| format!("{variable}: expected a single value"))?
        };
        found.push(Override {
            variable,
            in_gateway,
            key,
            value,
        });
    }
    Ok(Overrides(found))
}

/// A YAML scalar (number, boolean or string) from a variable's text.
fn scalar(raw: &str) -> Option<Value> {
    match serde_yaml::from_str::<Value>(raw.trim()) {
        Ok(value @ (Value::Number(_) | Value::Bool(_) | Value::String(_))) => Some(value),
        Ok(Value::Null) => Some(Value::String(String::new())),
        Ok(_) | Err(_) => (!raw.contains(['\n', '\r'])).then(|| Value::String(raw.to_owned())),
    }
}

impl Overrides {
    /// Lays the variables over `document` (the whole server file).
    pub fn apply(&self, document: &mut Value) -> Result<(), String> {
        let Value::Mapping(root) = document else {
            return Err("the server configuration must be a YAML mapping".to_owned());
        };
        for entry in &self.0 {
            let target = if entry.in_gateway {
                let section = root
                    .entry(Value::String("gateway".to_owned()))
                    .or_insert_with(|| Value::Mapping(Mapping::new()));
                if section.is_null() {
                    *section = Value::Mapping(Mapping::new());
                }
                match section {
                    Value::Mapping(section) => section,
                    _ => return Err("gateway: must be a mapping".to_owned()),
                }
            } else {
                &mut *root
            };
            target.insert(Value::String(entry.key.to_owned()), entry.value.clone());
        }
        Ok(())
    }

    /// Where the setting at `path` (e.g. `gateway.log_level`) came from, for errors.
    pub fn origin(&self, source: &str, path: &str) -> String {
        let overridden = self.0.iter().find(|entry| {
            let full = if entry.in_gateway {
                format!("gateway.{}", entry.key)
            } else {
                entry.key.to_owned()
            };
            path == full || path.starts_with(&format!("{full}["))
        });
        match overridden {
            Some(entry) => entry.variable.clone(),
            None => format!("{source}: {path}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn overrides(vars: &[(&str, &str)]) -> Overrides {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        from_lookup(|name| map.get(name).cloned()).unwrap()
    }

    #[test]
    fn variables_override_the_file() {
        let mut doc: Value =
            serde_yaml::from_str("threads: 8\ngateway:\n  proxy_listen: [a:1]\n").unwrap();
        overrides(&[
            (
                "GATEWAY_PROXY_LISTEN",
                "0.0.0.0:8000, 0.0.0.0:8443 ssl http2",
            ),
            ("GATEWAY_THREADS", "2"),
            ("GATEWAY_LOG_LEVEL", "warn"),
            ("GATEWAY_INTERFACE", "CGI/1.1"),
        ])
        .apply(&mut doc)
        .unwrap();
        let text = serde_yaml::to_string(&doc).unwrap();
        assert!(text.contains("threads: 2"), "{text}");
        assert!(text.contains("- 0.0.0.0:8443 ssl http2"), "{text}");
        assert!(text.contains("log_level: warn"), "{text}");
        assert!(!text.contains("CGI"), "{text}");
    }

    #[test]
    fn errors_name_the_variable() {
        let set = overrides(&[("GATEWAY_LOG_FORMAT", "xml")]);
        assert_eq!(
            set.origin("gw.yaml", "gateway.log_format"),
            "GATEWAY_LOG_FORMAT"
        );
        assert_eq!(
            set.origin("gw.yaml", "gateway.log_level"),
            "gw.yaml: gateway.log_level"
        );
        let mut not_a_map = Value::Sequence(vec![]);
        assert!(set.apply(&mut not_a_map).is_err());
    }
}
