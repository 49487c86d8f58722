//! Plugin attachment: each plugin entry checked against the registry table (unimplemented
//! ones refused by kind), its config compiled, its scope (route, service, consumer, consumer
//! group, or global) resolved, and duplicates on one scope rejected.

use std::collections::HashMap;

use serde_yaml::Value;

use super::compiled::CompiledPlugin;
use super::credentials::find_group;
use super::entities::RouteDraft;
use super::errors::{join, ConfigErrors, Unique};
use super::model::{EntityRef, PluginDef};
use super::parse::{Document, PluginOwner};
use super::service::ServiceDraft;
use crate::plugin::chain::PluginScope;
use crate::plugin::plugin_config::without_nulls;
use crate::plugin::{known_plugins, table};
use crate::router::Protocols;

/// Protocols a plugin's `protocols` may list (Kong's).
const PLUGIN_PROTOCOLS: &[&str] = &[
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

/// The entities plugin scopes refer to.
pub struct ScopeTargets<'a> {
    pub services: &'a [Option<ServiceDraft>],
    pub routes: &'a [Option<(RouteDraft, Option<usize>)>],
    /// Compiled consumers (index, id, username or custom_id) by document index.
    pub consumers: &'a [Option<(usize, String, Option<String>)>],
    /// Compiled group index by document index.
    pub groups: &'a [Option<usize>],
}

/// Every enabled plugin and its scope (parallel lists).
#[derive(Default)]
pub struct AttachedPlugins {
    pub plugins: Vec<CompiledPlugin>,
    pub scopes: Vec<PluginScope>,
}

/// Checks every plugin and returns the enabled ones with their scopes.
pub fn attach_plugins(
    doc: &Document,
    targets: &ScopeTargets<'_>,
    errors: &mut ConfigErrors,
) -> AttachedPlugins {
    let mut attached = AttachedPlugins::default();
    let mut first_by_scope: HashMap<(&str, PluginScope), String> = HashMap::new();
    let mut unique = Unique::default();
    for (entry, owner) in &doc.plugins {
        let Some(def) = entry.def.as_ref() else {
            continue;
        };
        let path = entry.path.as_str();
        let Some(spec) = table::find(&def.name) else {
            errors.push(join(path, "name"), known_plugins::refusal(&def.name));
            continue;
        };
        let id = match &def.id {
            Some(id) if super::ids::is_uuid(id) => {
                let id = id.to_ascii_lowercase();
                unique.check("id", &id, path, errors);
                id
            }
            Some(_) => {
                errors.push(join(path, "id"), "invalid value: expected a UUID");
                continue;
            }
            None => super::ids::generated_id("plugins", path),
        };
        if let Some(instance_name) = &def.instance_name {
            unique.check("instance_name", instance_name, path, errors);
        }
        if def.ordering.is_some() {
            errors.push(
                join(path, "ordering"),
                "unsupported field: dynamic plugin ordering is a Kong Enterprise feature; \
                 plugins run in Kong's priority order",
            );
        }
        let protocols = plugin_protocols(def.protocols.as_deref(), path, errors);
        let config = (spec.compile)(def.config.clone().map(without_nulls), path, errors);
        let Some(scope) = plugin_scope(def, *owner, doc, targets, path, errors) else {
            continue;
        };
        if spec.authentication && (scope.consumer.is_some() || scope.consumer_group.is_some()) {
            let at = match (&def.consumer, &def.consumer_group) {
                (Some(_), _) => join(path, "consumer"),
                (None, Some(_)) => join(path, "consumer_group"),
                (None, None) => path.to_owned(),
            };
            errors.push(
                at,
                "authentication plugins cannot be scoped to a consumer or consumer group",
            );
            continue;
        }
        match first_by_scope.get(&(spec.name, scope)) {
            Some(first) => {
                errors.push(
                    path,
                    format!(
                        "duplicate {} plugin on the same entity (also at {first})",
                        spec.name
                    ),
                );
                continue;
            }
            None => {
                first_by_scope.insert((spec.name, scope), path.to_owned());
            }
        }
        let (Some(config), Some(protocols)) = (config, protocols) else {
            continue;
        };
        if def.enabled.unwrap_or(true) {
            let route_id = scope
                .route
                .and_then(|i| targets.routes.get(i)?.as_ref().map(|(r, _)| r.id.clone()));
            let service_id = scope
                .service
                .and_then(|i| targets.services.get(i)?.as_ref().map(|s| s.id.clone()));
            attached.plugins.push(CompiledPlugin {
                name: spec.name,
                priority: spec.priority,
                path: path.to_owned(),
                id,
                instance_name: def.instance_name.clone(),
                route_id,
                service_id,
                protocols,
                config,
            });
            attached.scopes.push(scope);
        }
    }
    attached
}

/// The plugin's `protocols` as the schemes it runs for (Kong default: every protocol).
fn plugin_protocols(
    list: Option<&[String]>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Protocols> {
    let Some(list) = list else {
        return Some(Protocols::default());
    };
    let before = errors.len();
    if list.is_empty() {
        errors.push(join(path, "protocols"), "must not be empty");
    }
    for (i, protocol) in list.iter().enumerate() {
        if !PLUGIN_PROTOCOLS.contains(&protocol.as_str()) {
            errors.push(
                join(path, &format!("protocols[{i}]")),
                format!(
                    "unsupported value '{protocol}': expected one of {}",
                    PLUGIN_PROTOCOLS.join(", ")
                ),
            );
        }
    }
    let has = |names: &[&str]| list.iter().any(|p| names.contains(&p.as_str()));
    (errors.len() == before).then(|| Protocols {
        http: has(&["http", "grpc", "ws"]),
        https: has(&["https", "grpcs", "wss"]),
    })
}

/// Where a plugin applies; `None` (with an error) when that can't be decided.
fn plugin_scope(
    def: &PluginDef,
    owner: PluginOwner,
    doc: &Document,
    targets: &ScopeTargets<'_>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<PluginScope> {
    let mut scope = PluginScope::default();
    let mut ok = true;
    let mut refer = |field: &str, value: &Option<Value>, owned: bool| -> Option<Value> {
        match value {
            Some(_) if owned => {
                errors.push(
                    join(path, field),
                    "not allowed in a plugin nested in that entity",
                );
                ok = false;
                None
            }
            other => other.clone(),
        }
    };
    let route = refer("route", &def.route, matches!(owner, PluginOwner::Route(_)));
    let service = refer(
        "service",
        &def.service,
        matches!(owner, PluginOwner::Service(_)),
    );
    let consumer = refer(
        "consumer",
        &def.consumer,
        matches!(owner, PluginOwner::Consumer(_)),
    );
    let group = refer(
        "consumer_group",
        &def.consumer_group,
        matches!(owner, PluginOwner::ConsumerGroup(_)),
    );
    match owner {
        PluginOwner::Route(i) => scope.route = Some(i),
        PluginOwner::Service(i) => scope.service = Some(i),
        PluginOwner::Consumer(i) => match targets.consumers.get(i).cloned().flatten() {
            Some((index, ..)) => scope.consumer = Some(index),
            None => ok = false,
        },
        PluginOwner::ConsumerGroup(i) => match targets.groups.get(i).copied().flatten() {
            Some(index) => scope.consumer_group = Some(index),
            None => ok = false,
        },
        PluginOwner::TopLevel => {}
    }
    if let Some(value) = route {
        scope.route = find_route(&value, targets.routes, &join(path, "route"), errors);
        ok &= scope.route.is_some();
    }
    if let Some(value) = service {
        scope.service = find_service(&value, targets.services, &join(path, "service"), errors);
        ok &= scope.service.is_some();
    }
    if let Some(value) = consumer {
        scope.consumer = find_consumer(&value, targets.consumers, &join(path, "consumer"), errors);
        ok &= scope.consumer.is_some();
    }
    if let Some(value) = group {
        scope.consumer_group = find_group(
            doc,
            targets.groups,
            &value,
            &join(path, "consumer_group"),
            errors,
        );
        ok &= scope.consumer_group.is_some();
    }
    if scope.consumer.is_some() && scope.consumer_group.is_some() {
        errors.push(path, "set either 'consumer' or 'consumer_group', not both");
        ok = false;
    }
    ok.then_some(scope)
}

/// The document index of the service `value` refers to.
pub fn find_service(
    value: &Value,
    services: &[Option<ServiceDraft>],
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<usize> {
    find_referenced(
        value,
        services,
        |s| (&s.id, s.name.as_deref()),
        "service",
        path,
        errors,
    )
}

/// The document index of the route `value` refers to.
fn find_route(
    value: &Value,
    routes: &[Option<(RouteDraft, Option<usize>)>],
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<usize> {
    find_referenced(
        value,
        routes,
        |(r, _)| (&r.id, r.name.as_deref()),
        "route",
        path,
        errors,
    )
}

/// The compiled index of the consumer `value` refers to (by id, username or custom_id).
fn find_consumer(
    value: &Value,
    consumers: &[Option<(usize, String, Option<String>)>],
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<usize> {
    let position = find_referenced(
        value,
        consumers,
        |(_, id, name)| (id, name.as_deref()),
        "consumer",
        path,
        errors,
    )?;
    consumers
        .get(position)
        .cloned()
        .flatten()
        .map(|(index, ..)| index)
}

/// The index of the entity (by id or name) that the reference `value` names.
fn find_referenced<T>(
    value: &Value,
    entities: &[Option<T>],
    id_and_name: impl Fn(&T) -> (&String, Option<&str>),
    kind: &str,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<usize> {
    let reference = EntityRef::parse(value)
        .map_err(|m| errors.push(path, m))
        .ok()?;
    let found = entities.iter().position(|entity| {
        entity.as_ref().is_some_and(|entity| {
            let (id, name) = id_and_name(entity);
            reference.matches(id, name)
        })
    });
    if found.is_none() {
        errors.push(path, format!("no {kind} {reference}"));
    }
    found
}
