//! Checks routes and consumers one by one and turns them into drafts (services are in
//! `service.rs`). A draft has Kong's defaults applied and every field validated;
//! cross-entity work (references, duplicates, plugins) happens in `compile.rs`.

use super::compiled::Consumer;
use super::errors::{join, ConfigErrors};
use super::ids::{generated_id, is_uuid};
use super::model::{ConsumerDef, RouteDef};
use crate::router::{check_header, check_regex_path, normalize_path, Protocols, RouteSpec};
use crate::upstream_request::PathHandling;

/// Protocols Kong knows for services and routes; only http(s) is served here.
pub const KONG_PROTOCOLS: &[&str] = &[
    "http",
    "https",
    "grpc",
    "grpcs",
    "tcp",
    "tls",
    "tls_passthrough",
    "udp",
    "ws",
    "wss",
];

/// A route with defaults applied; its service is resolved later.
pub struct RouteDraft {
    pub id: String,
    pub name: Option<String>,
    pub strip_path: bool,
    pub preserve_host: bool,
    pub path_handling: PathHandling,
    pub protocols: Protocols,
    /// Kong default 426.
    pub https_redirect_status_code: u16,
    pub spec: RouteSpec,
}

/// The entity's `id` if valid, else a deterministic one from `kind` and `key`.
pub fn entity_id(
    id: Option<&str>,
    kind: &str,
    key: &str,
    path: &str,
    errors: &mut ConfigErrors,
) -> String {
    match id {
        Some(id) if is_uuid(id) => id.to_ascii_lowercase(),
        Some(_) => {
            errors.push(join(path, "id"), "invalid value: expected a UUID");
            generated_id(kind, key)
        }
        None => generated_id(kind, key),
    }
}

pub fn route_draft(def: &RouteDef, path: &str, errors: &mut ConfigErrors) -> Option<RouteDraft> {
    let before = errors.len();
    let at = |field: &str| join(path, field);
    let key = def.name.as_deref().unwrap_or(path);
    let id = entity_id(def.id.as_deref(), "routes", key, path, errors);
    check_name(def.name.as_deref(), path, errors);
    if def.paths.is_empty()
        && def.hosts.is_empty()
        && def.methods.is_empty()
        && def.headers.is_empty()
        && def.snis.is_empty()
    {
        errors.push(
            path,
            "must set at least one of 'paths', 'hosts', 'methods', 'headers', 'snis'",
        );
    }
    let mut paths = Vec::with_capacity(def.paths.len());
    for (i, p) in def.paths.iter().enumerate() {
        let at_path = at(&format!("paths[{i}]"));
        if let Some(regex) = p.strip_prefix('~') {
            match check_regex_path(regex) {
                Ok(()) => paths.push(p.clone()),
                Err(message) => errors.push(at_path, message),
            }
        } else if !p.starts_with('/') {
            errors.push(
                at_path,
                "invalid value: must start with '/' (or '~' for a regex)",
            );
        } else {
            // Requests are matched normalised, so prefixes are normalised the same way.
            match normalize_path(p) {
                Ok(normal) => paths.push(normal.into_owned()),
                Err(_) => errors.push(at_path, "invalid value: malformed percent-encoding"),
            }
        }
    }
    for (name, values) in &def.headers {
        if let Err((index, message)) = check_header(name, values) {
            let field = match index {
                Some(i) => format!("headers.{name}[{i}]"),
                None => format!("headers.{name}"),
            };
            errors.push(at(&field), message);
        }
    }
    for (i, sni) in def.snis.iter().enumerate() {
        if sni.contains(':') || !valid_host_pattern(sni) {
            errors.push(
                at(&format!("snis[{i}]")),
                "invalid value: expected a server name with at most one leading or trailing '*'",
            );
        }
    }
    for (field, value) in [
        ("sources", &def.sources),
        ("destinations", &def.destinations),
    ] {
        if value.is_some() {
            errors.push(
                at(field),
                "unsupported field: stream routing is not implemented",
            );
        }
    }
    for (i, m) in def.methods.iter().enumerate() {
        if m.is_empty() || !m.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.push(
                at(&format!("methods[{i}]")),
                "invalid value: expected an uppercase HTTP method",
            );
        }
    }
    for (i, h) in def.hosts.iter().enumerate() {
        if !valid_host_pattern(h) {
            errors.push(
                at(&format!("hosts[{i}]")),
                "invalid value: expected a host name with at most one leading or trailing '*'",
            );
        }
    }
    match &def.protocols {
        Some(list) if list.is_empty() => errors.push(at("protocols"), "must not be empty"),
        Some(list) => {
            for (i, p) in list.iter().enumerate() {
                if !matches!(p.as_str(), "http" | "https") {
                    let message = if KONG_PROTOCOLS.contains(&p.as_str()) {
                        format!("unsupported value '{p}': only http and https are implemented")
                    } else {
                        "invalid value: expected http or https".to_owned()
                    };
                    errors.push(at(&format!("protocols[{i}]")), message);
                }
            }
        }
        None => {}
    }
    let protocols = match &def.protocols {
        Some(list) => Protocols {
            http: list.iter().any(|p| p == "http"),
            https: list.iter().any(|p| p == "https"),
        },
        None => Protocols::default(),
    };
    if !def.snis.is_empty() && !protocols.https {
        errors.push(at("snis"), "not allowed unless 'protocols' contains https");
    }
    let path_handling = match def.path_handling.as_deref() {
        None | Some("v0") => PathHandling::V0,
        Some("v1") => PathHandling::V1,
        Some(_) => {
            errors.push(at("path_handling"), "invalid value: expected v0 or v1");
            PathHandling::V0
        }
    };
    if let Some(code) = def.https_redirect_status_code {
        if ![426, 301, 302, 307, 308].contains(&code) {
            errors.push(
                at("https_redirect_status_code"),
                "invalid value: expected 426, 301, 302, 307 or 308",
            );
        }
    }
    (errors.len() == before).then(|| RouteDraft {
        id,
        name: def.name.clone(),
        strip_path: def.strip_path.unwrap_or(true),
        preserve_host: def.preserve_host.unwrap_or(false),
        path_handling,
        protocols,
        https_redirect_status_code: def.https_redirect_status_code.unwrap_or(426),
        spec: RouteSpec {
            methods: def.methods.clone(),
            hosts: def.hosts.clone(),
            paths,
            headers: def
                .headers
                .iter()
                .map(|(name, values)| (name.clone(), values.clone()))
                .collect(),
            snis: def.snis.clone(),
            regex_priority: def.regex_priority.unwrap_or(0),
        },
    })
}

/// A host name, `*.suffix` or `prefix.*`; an optional `:port` is allowed.
fn valid_host_pattern(host: &str) -> bool {
    let stars = host.matches('*').count();
    let wildcard_ok = stars == 0
        || (stars == 1 && host.len() > 1 && (host.starts_with('*') || host.ends_with('*')));
    let chars_ok = host.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'*' | b':' | b'[' | b']')
    });
    !host.is_empty() && wildcard_ok && chars_ok
}

pub fn consumer(def: &ConsumerDef, path: &str, errors: &mut ConfigErrors) -> Option<Consumer> {
    let before = errors.len();
    for (field, value) in [("username", &def.username), ("custom_id", &def.custom_id)] {
        if value.as_deref() == Some("") {
            errors.push(join(path, field), "must not be empty");
        }
    }
    let key = match (&def.username, &def.custom_id) {
        (Some(u), _) => format!("username:{u}"),
        (None, Some(c)) => format!("custom_id:{c}"),
        (None, None) => {
            errors.push(path, "must set at least one of 'username', 'custom_id'");
            String::new()
        }
    };
    let id = entity_id(def.id.as_deref(), "consumers", &key, path, errors);
    (errors.len() == before).then(|| Consumer {
        id,
        username: def.username.clone(),
        custom_id: def.custom_id.clone(),
        groups: Vec::new(),
        acls: Vec::new(),
    })
}

pub fn check_name(name: Option<&str>, path: &str, errors: &mut ConfigErrors) {
    if name == Some("") {
        errors.push(join(path, "name"), "must not be empty");
    }
}
