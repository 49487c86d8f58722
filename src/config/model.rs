//! Kong declarative entities as written in the file (`_format_version: "3.0"`).
//!
//! Each entity is deserialized on its own from a `serde_yaml::Value`, so that errors of
//! different entities are all reported. Nested lists (`routes`, `plugins`) are taken out
//! of the entity's mapping first (see `parse.rs`) and deserialized with their own paths.

use serde::Deserialize;
use serde_yaml::Value;

/// A `services[]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    pub id: Option<String>,
    pub name: Option<String>,
    /// Shorthand for protocol, host, port and path.
    pub url: Option<String>,
    pub protocol: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub path: Option<String>,
    /// Milliseconds. Kong default 60000.
    pub connect_timeout: Option<u64>,
    /// Milliseconds. Kong default 60000.
    pub read_timeout: Option<u64>,
    /// Milliseconds. Kong default 60000.
    pub write_timeout: Option<u64>,
    /// Kong default 5.
    pub retries: Option<u32>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Kong default true; a disabled service and its routes are left out.
    pub enabled: Option<bool>,
    /// https services: verify the upstream's certificate and name. Kong default: off.
    pub tls_verify: Option<bool>,
    /// Refused when set: the TLS library offers no per-connection depth.
    pub tls_verify_depth: Option<u8>,
    /// Ids of top-level `ca_certificates` trusted for this service (else the system store).
    #[serde(default)]
    pub ca_certificates: Vec<String>,
    /// Refused when set: client certificates to upstreams are not implemented.
    pub client_certificate: Option<Value>,
}

/// A top-level `ca_certificates[]` entry: a PEM CA certificate services may trust.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaCertificateDef {
    pub id: Option<String>,
    /// PEM text, one or more certificates.
    pub cert: String,
    pub cert_digest: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A `routes[]` entry, nested in a service or at the top level.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteDef {
    pub id: Option<String>,
    pub name: Option<String>,
    /// Top-level routes only: the service's name or id, or `{name: ..}` / `{id: ..}`.
    pub service: Option<Value>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Header name -> accepted values (`~*` = case-insensitive regex).
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, Vec<String>>,
    /// TLS server names; needs `https` in `protocols`.
    #[serde(default)]
    pub snis: Vec<String>,
    /// Stream routing only: refused as unsupported.
    pub sources: Option<Value>,
    /// Stream routing only: refused as unsupported.
    pub destinations: Option<Value>,
    /// Kong default `[http, https]`.
    pub protocols: Option<Vec<String>>,
    /// Kong default true.
    pub strip_path: Option<bool>,
    /// Kong default false.
    pub preserve_host: Option<bool>,
    /// Order among regex paths (higher first). Kong default 0.
    pub regex_priority: Option<i64>,
    /// "v0" (Kong default) or "v1".
    pub path_handling: Option<String>,
    /// 426 (default), 301, 302, 307 or 308: the answer to http on an https-only route.
    pub https_redirect_status_code: Option<u16>,
    pub request_buffering: Option<bool>,
    pub response_buffering: Option<bool>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A `consumers[]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerDef {
    pub id: Option<String>,
    pub username: Option<String>,
    pub custom_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A `plugins[]` entry, nested or at the top level.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginDef {
    pub name: String,
    pub instance_name: Option<String>,
    pub id: Option<String>,
    /// Kong default true; disabled plugins are validated, then ignored.
    pub enabled: Option<bool>,
    /// Deserialized by the plugin's own schema.
    pub config: Option<Value>,
    pub protocols: Option<Vec<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Top-level plugins: the route it applies to (name, id, `{name}` or `{id}`).
    pub route: Option<Value>,
    /// Top-level plugins: the service it applies to.
    pub service: Option<Value>,
    /// Consumer scope; refused for authentication plugins.
    pub consumer: Option<Value>,
    /// Consumer group scope; refused for authentication plugins.
    pub consumer_group: Option<Value>,
    /// Kong Enterprise's dynamic plugin ordering: refused by name.
    pub ordering: Option<Value>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

/// A reference to another entity: `name-or-id`, `{name: ..}` or `{id: ..}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntityRef {
    /// A bare string: matches a name or an id.
    NameOrId(String),
    Name(String),
    Id(String),
}

impl EntityRef {
    /// Reads a reference; `Err` carries the message for the reference's path.
    pub fn parse(value: &Value) -> Result<EntityRef, String> {
        match value {
            Value::String(s) if !s.is_empty() => Ok(EntityRef::NameOrId(s.clone())),
            Value::Mapping(map) if map.len() == 1 => {
                let mut entries = map.iter();
                match entries.next() {
                    Some((Value::String(key), Value::String(v))) if key == "name" => {
                        Ok(EntityRef::Name(v.clone()))
                    }
                    Some((Value::String(key), Value::String(v))) if key == "id" => {
                        Ok(EntityRef::Id(v.clone()))
                    }
                    _ => Err(REF_SHAPE.to_owned()),
                }
            }
            _ => Err(REF_SHAPE.to_owned()),
        }
    }

    /// As [`parse`](Self::parse), for a reference decK may write as the entity's own record:
    /// `{name: gold, tags: [..]}` or `{username: bob}` (read as a name).
    pub fn parse_record(value: &Value) -> Result<EntityRef, String> {
        match value {
            Value::Mapping(map) => {
                let field = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
                if let Some(id) = field("id") {
                    Ok(EntityRef::Id(id))
                } else if let Some(name) = field("name").or_else(|| field("username")) {
                    Ok(EntityRef::Name(name))
                } else {
                    Err(REF_SHAPE.to_owned())
                }
            }
            other => EntityRef::parse(other),
        }
    }

    /// Whether an entity with this `id` and `name` is the one referenced.
    pub fn matches(&self, id: &str, name: Option<&str>) -> bool {
        match self {
            EntityRef::NameOrId(s) => s == id || name == Some(s.as_str()),
            EntityRef::Name(s) => name == Some(s.as_str()),
            EntityRef::Id(s) => s == id,
        }
    }
}

impl std::fmt::Display for EntityRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntityRef::NameOrId(s) => write!(f, "'{s}'"),
            EntityRef::Name(s) => write!(f, "named '{s}'"),
            EntityRef::Id(s) => write!(f, "with id '{s}'"),
        }
    }
}

const REF_SHAPE: &str = "invalid reference: expected a name or id, or {name: ..} or {id: ..}";
