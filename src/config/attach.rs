//! Plugin attachment: where each plugin applies (route, service or global), with
//! references resolved, consumer scope refused and duplicates on one entity rejected.

use std::collections::HashMap;
use std::sync::Arc;

use serde_yaml::Value;

use super::entities::RouteDraft;
use super::errors::{join, ConfigErrors, Unique};
use super::model::{EntityRef, PluginDef};
use super::openid_connect::OpenIdConnectConfig;
use super::parse::{Document, PluginOwner};
use super::plugin::{openid_connect_config, OPENID_CONNECT};
use super::service::ServiceDraft;

/// What a plugin is attached to (indexes into the document's lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Service(usize),
    Route(usize),
}

/// An enabled `openid-connect` plugin and where it was declared.
pub struct Attached {
    pub path: String,
    pub config: Arc<OpenIdConnectConfig>,
}

/// Checks every plugin and returns the enabled ones by scope.
pub fn attach_plugins(
    doc: &Document,
    services: &[Option<ServiceDraft>],
    routes: &[Option<(RouteDraft, Option<usize>)>],
    errors: &mut ConfigErrors,
) -> HashMap<Scope, Attached> {
    let mut attached = HashMap::new();
    let mut first_by_scope: HashMap<Scope, String> = HashMap::new();
    let mut unique = Unique::default();
    for (entry, owner) in &doc.plugins {
        let Some(def) = entry.def.as_ref() else {
            continue;
        };
        let path = entry.path.as_str();
        if def.name != OPENID_CONNECT {
            errors.push(join(path, "name"), format!("unknown plugin '{}'", def.name));
            continue;
        }
        if let Some(id) = &def.id {
            if super::ids::is_uuid(id) {
                unique.check("id", &id.to_ascii_lowercase(), path, errors);
            } else {
                errors.push(join(path, "id"), "invalid value: expected a UUID");
            }
        }
        if let Some(instance_name) = &def.instance_name {
            unique.check("instance_name", instance_name, path, errors);
        }
        let config = openid_connect_config(def.config.clone(), path, errors);
        let Some(scope) = plugin_scope(def, *owner, services, routes, path, errors) else {
            continue;
        };
        match first_by_scope.get(&scope) {
            Some(first) => {
                errors.push(
                    path,
                    format!("duplicate openid-connect plugin on the same entity (also at {first})"),
                );
                continue;
            }
            None => {
                first_by_scope.insert(scope, path.to_owned());
            }
        }
        if let Some(config) = config.filter(|_| def.enabled.unwrap_or(true)) {
            let config = Arc::new(config);
            attached.insert(
                scope,
                Attached {
                    path: path.to_owned(),
                    config,
                },
            );
        }
    }
    attached
}

/// Where a plugin applies; `None` (with an error) when that can't be decided or is refused.
fn plugin_scope(
    def: &PluginDef,
    owner: PluginOwner,
    services: &[Option<ServiceDraft>],
    routes: &[Option<(RouteDraft, Option<usize>)>],
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Scope> {
    const NO_CONSUMER: &str = "authentication plugins cannot be scoped to a consumer";
    if def.consumer.is_some() {
        errors.push(join(path, "consumer"), NO_CONSUMER);
        return None;
    }
    let nested = owner != PluginOwner::TopLevel;
    if nested {
        for (field, set) in [
            ("route", def.route.is_some()),
            ("service", def.service.is_some()),
        ] {
            if set {
                errors.push(join(path, field), "not allowed in a nested plugin");
            }
        }
    }
    match owner {
        PluginOwner::Consumer(_) => {
            errors.push(path, NO_CONSUMER);
            None
        }
        PluginOwner::Service(i) => Some(Scope::Service(i)),
        PluginOwner::Route(i) => Some(Scope::Route(i)),
        PluginOwner::TopLevel => match (&def.route, &def.service) {
            (Some(_), Some(_)) => {
                errors.push(path, "set either 'route' or 'service', not both");
                None
            }
            (Some(route), None) => {
                find_route(route, routes, &join(path, "route"), errors).map(Scope::Route)
            }
            (None, Some(service)) => {
                find_service(service, services, &join(path, "service"), errors).map(Scope::Service)
            }
            (None, None) => Some(Scope::Global),
        },
    }
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
