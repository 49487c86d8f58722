//! The config checks the log plugins share: Kong's `host` (a name or an address, without a
//! port) and `port` fields with their messages, and the refusal of `custom_fields_by_lua`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use crate::config::errors::ConfigErrors;
use crate::config::upstream::is_hostname;

/// Refuses a non-empty `custom_fields_by_lua` (it runs Lua code) at `path`. Kong's exports
/// write it as `{}`, which passes.
pub fn refuse_lua_fields(
    fields: &BTreeMap<String, serde_yaml::Value>,
    path: String,
    errors: &mut ConfigErrors,
) {
    if !fields.is_empty() {
        errors.push(
            path,
            "custom_fields_by_lua runs Lua code: not available on this data plane",
        );
    }
}

/// Kong's `typedefs.host`: a host name or an IP address (IPv6 bare or in brackets), never
/// with a port. `None` when `host` is missing (`required field missing`) or invalid.
pub fn host(host: Option<&str>, path: String, errors: &mut ConfigErrors) -> Option<String> {
    let Some(host) = host else {
        errors.push(path, "required field missing");
        return None;
    };
    let bracketed = host
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'));
    if let Some(address) = bracketed.or(Some(host)) {
        if address.parse::<IpAddr>().is_ok() {
            return Some(address.to_owned());
        }
    }
    if let Some((name, port)) = host.rsplit_once(':') {
        let name = name.trim_start_matches('[').trim_end_matches(']');
        if !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && (is_hostname(name) || name.parse::<IpAddr>().is_ok())
        {
            errors.push(path, "must not have a port");
            return None;
        }
    }
    if is_hostname(host) {
        Some(host.to_owned())
    } else {
        errors.push(path, format!("invalid value: {host}"));
        None
    }
}

/// Kong's `typedefs.port`: an integer from 0 to 65535.
pub fn port(port: Option<f64>, path: String, errors: &mut ConfigErrors) -> Option<u16> {
    let Some(port) = port else {
        errors.push(path, "required field missing");
        return None;
    };
    if port.fract() != 0.0 {
        errors.push(path, "expected an integer");
        return None;
    }
    if !(0.0..=65535.0).contains(&port) {
        errors.push(path, "value should be between 0 and 65535");
        return None;
    }
    Some(port as u16)
}

/// Milliseconds as Kong's `number` fields hold them (negative: zero).
pub fn millis(value: f64) -> Duration {
    Duration::try_from_secs_f64(value / 1000.0).unwrap_or(Duration::ZERO)
}

/// `host:port` as a socket address string (IPv6 in brackets), for connecting and labels.
pub fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_of(value: &str) -> Result<String, String> {
        let mut errors = ConfigErrors::default();
        host(Some(value), "h".into(), &mut errors)
            .ok_or_else(|| errors.iter().next().map(|e| e.message.clone()).unwrap())
    }

    #[test]
    fn hosts_as_kong_checks_them() {
        assert_eq!(host_of("logs.example.com").unwrap(), "logs.example.com");
        assert_eq!(host_of("127.0.0.1").unwrap(), "127.0.0.1");
        assert_eq!(host_of("::1").unwrap(), "::1");
        assert_eq!(host_of("[::1]").unwrap(), "::1");
        assert_eq!(host_of("logs:5000").unwrap_err(), "must not have a port");
        assert_eq!(host_of("[::1]:5000").unwrap_err(), "must not have a port");
        assert_eq!(host_of("a b").unwrap_err(), "invalid value: a b");
        assert_eq!(host_of("").unwrap_err(), "invalid value: ");
        assert_eq!(host_port("::1", 9), "[::1]:9");
        assert_eq!(host_port("a", 9), "a:9");
    }

    #[test]
    fn ports_as_kong_checks_them() {
        let mut errors = ConfigErrors::default();
        assert_eq!(port(Some(8125.0), "p".into(), &mut errors), Some(8125));
        assert_eq!(port(Some(70000.0), "p".into(), &mut errors), None);
        assert_eq!(port(Some(1.5), "p".into(), &mut errors), None);
        assert_eq!(port(None, "p".into(), &mut errors), None);
        let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "value should be between 0 and 65535",
                "expected an integer",
                "required field missing"
            ]
        );
    }
}
