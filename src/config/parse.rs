//! Walks the YAML document and deserializes every entity on its own, with its path.
//!
//! Nested routes and plugins are flattened into lists that remember their owner, so the
//! compile step sees one list per entity kind. An entity that fails to parse is kept as
//! `None` (its error is recorded) so that indexes and the entities nested in it survive.

use serde_yaml::{Mapping, Value};

use super::certificate_model::{CertificateDef, SniDef};
use super::credential_model::{
    AclDef, BasicAuthCredentialDef, ConsumerGroupConsumerDef, ConsumerGroupDef,
    HmacAuthCredentialDef, JwtSecretDef, KeyAuthCredentialDef,
};
use super::errors::{deserialize_at, join, ConfigErrors};
use super::legacy_format::{migrate_path, FormatVersion};
use super::model::{CaCertificateDef, ConsumerDef, PluginDef, RouteDef, ServiceDef};
use super::upstream_model::{TargetDef, UpstreamDef};

/// Keys accepted at the top level of a declarative file.
const TOP_LEVEL_KEYS: &[&str] = &[
    "_format_version",
    "_transform",
    "_konnect",
    "_info",
    "services",
    "routes",
    "consumers",
    "plugins",
    "upstreams",
    "targets",
    "ca_certificates",
    "certificates",
    "snis",
    "consumer_groups",
    "consumer_group_consumers",
    "keyauth_credentials",
    "basicauth_credentials",
    "jwt_secrets",
    "hmacauth_credentials",
    "acls",
    // Read before parsing (`placeholders.rs`).
    "vaults",
    // decK bookkeeping, without meaning for the data plane.
    "_plugin_configs",
];

/// One entity with the path it was found at.
pub struct Entry<T> {
    /// e.g. `services[0].routes[1]`.
    pub path: String,
    /// `None` when it failed to parse (the error is already recorded).
    pub def: Option<T>,
}

/// Who a route was declared under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteOwner {
    /// Nested under `services[i]` (index into `Document::services`).
    Service(usize),
    /// Top-level `routes[]`: the `service` field says which.
    TopLevel,
}

/// Where a plugin was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginOwner {
    Service(usize),
    /// Index into `Document::routes`.
    Route(usize),
    Consumer(usize),
    /// Index into `Document::consumer_groups`.
    ConsumerGroup(usize),
    /// Top-level `plugins[]`: global unless it names a route, service or consumer.
    TopLevel,
}

/// Who a target was declared under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetOwner {
    /// Nested under `upstreams[i]` (index into `Document::upstreams`).
    Upstream(usize),
    /// Top-level `targets[]`: the `upstream` field says which.
    TopLevel,
}

/// Who an SNI was declared under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SniOwner {
    /// Nested under `certificates[i]` (index into `Document::certificates`).
    Certificate(usize),
    /// Top-level `snis[]`: the `certificate` field says which.
    TopLevel,
}

/// Every entity of the document, flattened.
#[derive(Default)]
pub struct Document {
    pub services: Vec<Entry<ServiceDef>>,
    pub routes: Vec<(Entry<RouteDef>, RouteOwner)>,
    pub consumers: Vec<Entry<ConsumerDef>>,
    pub plugins: Vec<(Entry<PluginDef>, PluginOwner)>,
    pub upstreams: Vec<Entry<UpstreamDef>>,
    pub targets: Vec<(Entry<TargetDef>, TargetOwner)>,
    pub ca_certificates: Vec<Entry<CaCertificateDef>>,
    pub certificates: Vec<Entry<CertificateDef>>,
    pub snis: Vec<(Entry<SniDef>, SniOwner)>,
    pub credentials: CredentialEntries,
    pub consumer_groups: Vec<Entry<ConsumerGroupDef>>,
    /// Memberships: `consumers[i].groups[j]` (owner `Some(i)`) and top-level
    /// `consumer_group_consumers[]` (owner `None`).
    pub group_members: Vec<(Entry<GroupMember>, Option<usize>)>,
}

/// Who a consumer-side entity (credential, acl) was declared under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerOwner {
    /// Nested under `consumers[i]` (index into `Document::consumers`).
    Consumer(usize),
    /// Top level: its `consumer` field says which.
    TopLevel,
}

/// Every credential and acl entity, with its owner.
#[derive(Default)]
pub struct CredentialEntries {
    pub key_auth: Vec<(Entry<KeyAuthCredentialDef>, ConsumerOwner)>,
    pub basic_auth: Vec<(Entry<BasicAuthCredentialDef>, ConsumerOwner)>,
    pub jwt: Vec<(Entry<JwtSecretDef>, ConsumerOwner)>,
    pub hmac_auth: Vec<(Entry<HmacAuthCredentialDef>, ConsumerOwner)>,
    pub acls: Vec<(Entry<AclDef>, ConsumerOwner)>,
}

/// A consumer's membership of a group: `{name: ..}`/`{id: ..}` under `consumers[].groups`,
/// or a `consumer_group_consumers[]` entry.
pub enum GroupMember {
    /// The group reference of a nested membership.
    Nested(serde_yaml::Value),
    TopLevel(ConsumerGroupConsumerDef),
}

impl<'de> serde::Deserialize<'de> for GroupMember {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_yaml::Value::deserialize(d).map(GroupMember::Nested)
    }
}

/// Reads the document's top level and every entity in it.
pub fn parse_document(root: Value, errors: &mut ConfigErrors) -> Document {
    let mut doc = Document::default();
    let Value::Mapping(mut top) = root else {
        errors.push("document", "expected a mapping at the top level");
        return doc;
    };
    for key in top.keys() {
        match key.as_str() {
            Some(k) if TOP_LEVEL_KEYS.contains(&k) => {}
            Some(k) => errors.push(k, "unknown field"),
            None => errors.push("document", "keys must be strings"),
        }
    }
    let format = check_format_version(top.get("_format_version"), errors);
    if let Some(transform) = top.get("_transform") {
        if !transform.is_bool() {
            errors.push("_transform", "invalid type: expected a boolean");
        }
    }

    for (i, value) in take_list(&mut top, "services", "", errors)
        .into_iter()
        .enumerate()
    {
        parse_service(&mut doc, value, format!("services[{i}]"), errors);
    }
    for (i, value) in take_list(&mut top, "routes", "", errors)
        .into_iter()
        .enumerate()
    {
        parse_route(
            &mut doc,
            value,
            format!("routes[{i}]"),
            RouteOwner::TopLevel,
            errors,
        );
    }
    for (i, value) in take_list(&mut top, "consumers", "", errors)
        .into_iter()
        .enumerate()
    {
        parse_consumer(&mut doc, value, format!("consumers[{i}]"), errors);
    }
    parse_credentials(&mut doc, &mut top, "", ConsumerOwner::TopLevel, errors);
    for (i, value) in take_list(&mut top, "consumer_groups", "", errors)
        .into_iter()
        .enumerate()
    {
        let path = format!("consumer_groups[{i}]");
        let mut value = value;
        let plugins = take_nested(&mut value, "plugins", &path, errors);
        // decK may list the members under the group: `consumers: [{username: ..}]`.
        let members = take_nested(&mut value, "consumers", &path, errors);
        if !members.is_empty() {
            errors.push(
                join(&path, "consumers"),
                "unsupported field: list the groups under each consumer (consumers[].groups)",
            );
        }
        let index = doc.consumer_groups.len();
        doc.consumer_groups.push(entry(value, path.clone(), errors));
        parse_plugins(
            &mut doc,
            plugins,
            &path,
            PluginOwner::ConsumerGroup(index),
            errors,
        );
    }
    for (i, value) in take_list(&mut top, "consumer_group_consumers", "", errors)
        .into_iter()
        .enumerate()
    {
        let path = format!("consumer_group_consumers[{i}]");
        let def: Option<ConsumerGroupConsumerDef> = deserialize_at(value, &path, errors);
        let def = def.map(GroupMember::TopLevel);
        doc.group_members.push((Entry { path, def }, None));
    }
    let plugins = take_list(&mut top, "plugins", "", errors);
    parse_plugins(&mut doc, plugins, "", PluginOwner::TopLevel, errors);
    for (i, value) in take_list(&mut top, "upstreams", "", errors)
        .into_iter()
        .enumerate()
    {
        let path = format!("upstreams[{i}]");
        let mut value = value;
        let targets = take_nested(&mut value, "targets", &path, errors);
        let index = doc.upstreams.len();
        doc.upstreams.push(entry(value, path.clone(), errors));
        for (j, target) in targets.into_iter().enumerate() {
            let target_path = format!("{path}.targets[{j}]");
            let owner = TargetOwner::Upstream(index);
            doc.targets
                .push((entry(target, target_path, errors), owner));
        }
    }
    for (i, value) in take_list(&mut top, "targets", "", errors)
        .into_iter()
        .enumerate()
    {
        let path = format!("targets[{i}]");
        doc.targets
            .push((entry(value, path, errors), TargetOwner::TopLevel));
    }
    for (i, value) in take_list(&mut top, "ca_certificates", "", errors)
        .into_iter()
        .enumerate()
    {
        let certificate = entry(value, format!("ca_certificates[{i}]"), errors);
        doc.ca_certificates.push(certificate);
    }
    parse_certificates(&mut doc, &mut top, errors);
    if format == FormatVersion::Legacy {
        for (entry, _) in doc.routes.iter_mut() {
            if let Some(def) = entry.def.as_mut() {
                def.paths = def.paths.iter().map(|p| migrate_path(p)).collect();
            }
        }
    }
    doc
}

/// `certificates[]` with their nested `snis`, then the top-level `snis[]`.
fn parse_certificates(doc: &mut Document, top: &mut Mapping, errors: &mut ConfigErrors) {
    for (i, mut value) in take_list(top, "certificates", "", errors)
        .into_iter()
        .enumerate()
    {
        let path = format!("certificates[{i}]");
        let snis = take_nested(&mut value, "snis", &path, errors);
        let owner = SniOwner::Certificate(doc.certificates.len());
        doc.certificates.push(entry(value, path.clone(), errors));
        for (j, sni) in snis.into_iter().enumerate() {
            let sni_path = format!("{path}.snis[{j}]");
            let (sni, bare) = match sni {
                // Kong's shorthand: a list of names.
                Value::String(name) => {
                    let mut map = Mapping::new();
                    map.insert(Value::from("name"), Value::String(name));
                    (Value::Mapping(map), true)
                }
                other => (other, false),
            };
            let mut sni: Entry<SniDef> = entry(sni, sni_path, errors);
            if let Some(def) = sni.def.as_mut() {
                def.bare = bare;
            }
            doc.snis.push((sni, owner));
        }
    }
    for (i, value) in take_list(top, "snis", "", errors).into_iter().enumerate() {
        let sni = entry(value, format!("snis[{i}]"), errors);
        doc.snis.push((sni, SniOwner::TopLevel));
    }
}

fn check_format_version(version: Option<&Value>, errors: &mut ConfigErrors) -> FormatVersion {
    let current = FormatVersion::Current;
    match version {
        None => errors.push("_format_version", "missing field"),
        Some(Value::String(v)) if v == "3.0" || v == "3.0.0" => {}
        Some(Value::String(v)) if v == "1.1" || v == "2.1" => return FormatVersion::Legacy,
        // An unquoted `3.0` is read as a number: same meaning.
        Some(Value::Number(n)) if n.as_f64() == Some(3.0) => {}
        Some(Value::Number(n)) if matches!(n.as_f64(), Some(v) if v == 1.1 || v == 2.1) => {
            return FormatVersion::Legacy
        }
        Some(Value::String(_)) | Some(Value::Number(_)) => errors.push(
            "_format_version",
            "unsupported value: expected \"3.0\", \"2.1\" or \"1.1\"",
        ),
        Some(_) => errors.push("_format_version", "invalid type: expected a string"),
    }
    current
}

fn parse_consumer(doc: &mut Document, mut value: Value, path: String, errors: &mut ConfigErrors) {
    let plugins = take_nested(&mut value, "plugins", &path, errors);
    let groups = take_nested(&mut value, "groups", &path, errors);
    let index = doc.consumers.len();
    if let Value::Mapping(map) = &mut value {
        parse_credentials(doc, map, &path, ConsumerOwner::Consumer(index), errors);
    }
    doc.consumers.push(entry(value, path.clone(), errors));
    for (j, group) in groups.into_iter().enumerate() {
        let member = Entry {
            path: format!("{path}.groups[{j}]"),
            def: Some(GroupMember::Nested(group)),
        };
        doc.group_members.push((member, Some(index)));
    }
    parse_plugins(doc, plugins, &path, PluginOwner::Consumer(index), errors);
}

/// Takes the credential and acl lists out of `map` (a consumer's, or the top level).
fn parse_credentials(
    doc: &mut Document,
    map: &mut Mapping,
    base: &str,
    owner: ConsumerOwner,
    errors: &mut ConfigErrors,
) {
    fn each<T: serde::de::DeserializeOwned>(
        map: &mut Mapping,
        key: &str,
        base: &str,
        owner: ConsumerOwner,
        errors: &mut ConfigErrors,
        list: &mut Vec<(Entry<T>, ConsumerOwner)>,
    ) {
        for (i, value) in take_list(map, key, base, errors).into_iter().enumerate() {
            let path = join(base, &format!("{key}[{i}]"));
            list.push((entry(value, path, errors), owner));
        }
    }
    let c = &mut doc.credentials;
    each(
        map,
        "keyauth_credentials",
        base,
        owner,
        errors,
        &mut c.key_auth,
    );
    each(
        map,
        "basicauth_credentials",
        base,
        owner,
        errors,
        &mut c.basic_auth,
    );
    each(map, "jwt_secrets", base, owner, errors, &mut c.jwt);
    each(
        map,
        "hmacauth_credentials",
        base,
        owner,
        errors,
        &mut c.hmac_auth,
    );
    each(map, "acls", base, owner, errors, &mut c.acls);
}

fn parse_service(doc: &mut Document, mut value: Value, path: String, errors: &mut ConfigErrors) {
    let routes = take_nested(&mut value, "routes", &path, errors);
    let plugins = take_nested(&mut value, "plugins", &path, errors);
    let index = doc.services.len();
    doc.services.push(entry(value, path.clone(), errors));
    for (i, route) in routes.into_iter().enumerate() {
        let route_path = format!("{path}.routes[{i}]");
        parse_route(doc, route, route_path, RouteOwner::Service(index), errors);
    }
    parse_plugins(doc, plugins, &path, PluginOwner::Service(index), errors);
}

fn parse_route(
    doc: &mut Document,
    mut value: Value,
    path: String,
    owner: RouteOwner,
    errors: &mut ConfigErrors,
) {
    let plugins = take_nested(&mut value, "plugins", &path, errors);
    let index = doc.routes.len();
    doc.routes.push((entry(value, path.clone(), errors), owner));
    parse_plugins(doc, plugins, &path, PluginOwner::Route(index), errors);
}

fn parse_plugins(
    doc: &mut Document,
    plugins: Vec<Value>,
    base: &str,
    owner: PluginOwner,
    errors: &mut ConfigErrors,
) {
    for (i, value) in plugins.into_iter().enumerate() {
        let path = join(base, &format!("plugins[{i}]"));
        doc.plugins.push((entry(value, path, errors), owner));
    }
}

fn entry<T: serde::de::DeserializeOwned>(
    mut value: Value,
    path: String,
    errors: &mut ConfigErrors,
) -> Entry<T> {
    // Kong's declarative format lets any entity carry a `_comment`.
    if let Value::Mapping(map) = &mut value {
        map.remove("_comment");
    }
    let def = deserialize_at(value, &path, errors);
    Entry { path, def }
}

/// Removes `key` from an entity's mapping and returns it as a list (empty when absent).
fn take_nested(value: &mut Value, key: &str, base: &str, errors: &mut ConfigErrors) -> Vec<Value> {
    match value {
        Value::Mapping(map) => take_list(map, key, base, errors),
        _ => Vec::new(),
    }
}

fn take_list(map: &mut Mapping, key: &str, base: &str, errors: &mut ConfigErrors) -> Vec<Value> {
    match map.remove(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) => items,
        Some(_) => {
            errors.push(join(base, key), "invalid type: expected a sequence");
            Vec::new()
        }
    }
}
