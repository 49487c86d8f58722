//! Checks a service entry, applies Kong's defaults and expands the `url` shorthand.
//! Its address is resolved later, in `compile.rs`, once every entity has been checked.

use std::time::Duration;

use super::entities::{check_name, entity_id, KONG_PROTOCOLS};
use super::errors::{join, ConfigErrors};
use super::model::ServiceDef;

/// Kong's default for connect/read/write timeouts, in milliseconds.
const DEFAULT_TIMEOUT_MS: u64 = 60_000;
/// Kong's upper bound for timeouts, in milliseconds.
const MAX_TIMEOUT_MS: u64 = (1 << 31) - 2;
/// A service with defaults applied; its address is resolved later.
pub struct ServiceDraft {
    pub id: String,
    pub name: Option<String>,
    pub enabled: bool,
    pub protocol: String,
    pub host: String,
    pub port: u16,
    pub path: Option<String>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub write_timeout: Duration,
    pub retries: u32,
    /// https only: verify the certificate chain and name (Kong default false).
    pub tls_verify: bool,
    /// Ids of the `ca_certificates` to trust, resolved in `compile.rs`.
    pub ca_certificates: Vec<String>,
}

pub fn service_draft(
    def: &ServiceDef,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<ServiceDraft> {
    let before = errors.len();
    let at = |field: &str| join(path, field);
    let key = def.name.as_deref().unwrap_or(path);
    let id = entity_id(def.id.as_deref(), "services", key, path, errors);
    check_name(def.name.as_deref(), path, errors);

    let mut protocol = def.protocol.clone();
    let mut host = def.host.clone();
    let mut port = def.port;
    let mut service_path = def.path.clone();
    if let Some(url) = &def.url {
        match split_url(url) {
            Ok(parts) => {
                // Kong's `url` shorthand overwrites protocol, host, port and path, whatever
                // else the entity says (supabase's file has `url: http://..` + `protocol: ws`).
                protocol = Some(parts.protocol);
                host = Some(parts.host);
                port = parts.port;
                service_path = parts.path;
            }
            Err(message) => {
                errors.push(at("url"), message);
                return None;
            }
        }
    }

    let protocol = protocol.unwrap_or_else(|| "http".to_owned());
    if protocol != "http" && protocol != "https" {
        let message = if KONG_PROTOCOLS.contains(&protocol.as_str()) {
            format!("unsupported value '{protocol}': only http and https are implemented")
        } else {
            "invalid value: expected a protocol such as http".to_owned()
        };
        let field = if def.url.is_some() { "url" } else { "protocol" };
        errors.push(at(field), message);
    }
    let host = match host {
        Some(h) if !h.is_empty() && !h.contains(['/', ' ', '@']) => h,
        Some(_) => {
            errors.push(
                at("host"),
                "invalid value: expected a host name or IP address",
            );
            String::new()
        }
        None => {
            errors.push(at("host"), "missing field");
            String::new()
        }
    };
    let port = port.unwrap_or(if protocol == "https" { 443 } else { 80 });
    if port == 0 {
        errors.push(at("port"), "invalid value: expected 1..=65535");
    }
    if let Some(p) = &service_path {
        if !p.starts_with('/') {
            errors.push(at("path"), "invalid value: must start with '/'");
        }
    }
    let mut timeout = |field: &str, value: Option<u64>| {
        let ms = value.unwrap_or(DEFAULT_TIMEOUT_MS);
        if !(1..=MAX_TIMEOUT_MS).contains(&ms) {
            errors.push(
                at(field),
                format!("invalid value: expected 1..={MAX_TIMEOUT_MS} ms"),
            );
        }
        Duration::from_millis(ms)
    };
    let connect_timeout = timeout("connect_timeout", def.connect_timeout);
    let read_timeout = timeout("read_timeout", def.read_timeout);
    let write_timeout = timeout("write_timeout", def.write_timeout);
    let retries = def.retries.unwrap_or(5);
    if retries > 32_767 {
        errors.push(at("retries"), "invalid value: expected 0..=32767");
    }
    if def.tls_verify_depth.is_some() {
        errors.push(
            at("tls_verify_depth"),
            "unsupported field: the verification depth cannot be set here",
        );
    }
    if def.client_certificate.is_some() {
        errors.push(
            at("client_certificate"),
            "unsupported field: client certificates to upstreams are not implemented",
        );
    }
    if protocol != "https" {
        for (field, set) in [
            ("tls_verify", def.tls_verify == Some(true)),
            ("ca_certificates", !def.ca_certificates.is_empty()),
        ] {
            if set {
                errors.push(at(field), "only allowed when protocol is https");
            }
        }
    }
    (errors.len() == before).then(|| ServiceDraft {
        id,
        name: def.name.clone(),
        enabled: def.enabled.unwrap_or(true),
        protocol,
        host,
        port,
        path: service_path,
        connect_timeout,
        read_timeout,
        write_timeout,
        retries,
        tls_verify: def.tls_verify.unwrap_or(false),
        ca_certificates: def.ca_certificates.clone(),
    })
}

struct UrlParts {
    protocol: String,
    host: String,
    port: Option<u16>,
    path: Option<String>,
}

/// `http://host:port/path` -> its parts. Messages never echo the URL (it could hold a password).
fn split_url(raw: &str) -> Result<UrlParts, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("invalid value: not a URL ({e})"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("invalid value: credentials in the URL are not supported".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("invalid value: a query or fragment is not supported".to_owned());
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| "invalid value: the URL has no host".to_owned())?;
    // `url` turns a missing path into "/": only keep a path that was written.
    let after_scheme = raw.split_once("://").map(|(_, rest)| rest).unwrap_or(raw);
    let path = after_scheme.contains('/').then(|| url.path().to_owned());
    Ok(UrlParts {
        protocol: url.scheme().to_owned(),
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        port: url.port(),
        path,
    })
}
