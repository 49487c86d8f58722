//! Compiles a parsed document into a [`CompiledConfig`]: drafts every entity, resolves
//! route-to-service references, rejects duplicates, takes the plugins attached by
//! `attach.rs` with Kong's precedence (route, then service, then global), registers service
//! host names with the run-time resolver (or finds the upstream a host names; no lookup
//! here) and builds the router.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use pingora::protocols::tls::CaType;
use serde_yaml::Value;

use super::attach::{attach_plugins, find_service, ScopeTargets};
use super::ca_certificates::CaCertificates;
use super::certificates::compile_certificates;
use super::compiled::{
    CompiledConfig, CompiledRoute, CompiledService, Consumer, Consumers, ServiceTarget,
};
use super::credentials::{compile_consumer_side, ConsumerDrafts};
use super::entities::{consumer, route_draft, RouteDraft};
use super::errors::{join, ConfigErrors, Unique};
use super::model::EntityRef;
use super::parse::{parse_document, Document, RouteOwner, TargetOwner};
use super::service::{service_draft, ServiceDraft};
use super::upstream::{target_draft, upstream_draft, UpstreamDraft};
use crate::balancer::{Balancer, TargetInfo};
use crate::plugin::chain::slots;
use crate::router::Router;

/// Compiles a whole document (already read as YAML).
pub fn compile_document(root: Value) -> Result<CompiledConfig, ConfigErrors> {
    let mut errors = ConfigErrors::default();
    let doc = parse_document(root, &mut errors);

    let mut unique = Unique::default();
    let services: Vec<Option<ServiceDraft>> = doc
        .services
        .iter()
        .map(|entry| {
            let def = entry.def.as_ref()?;
            let draft = service_draft(def, &entry.path, &mut errors)?;
            // Generated ids only collide when names do, which is reported below.
            if def.id.is_some() {
                unique.check("id", &draft.id, &entry.path, &mut errors);
            }
            if let Some(name) = &draft.name {
                unique.check("name", name, &entry.path, &mut errors);
            }
            Some(draft)
        })
        .collect();

    let mut unique = Unique::default();
    let routes: Vec<Option<(RouteDraft, Option<usize>)>> = doc
        .routes
        .iter()
        .map(|(entry, owner)| {
            let def = entry.def.as_ref()?;
            let draft = route_draft(def, &entry.path, &mut errors);
            let service = route_service(
                def.service.as_ref(),
                *owner,
                &services,
                &entry.path,
                &mut errors,
            );
            let draft = draft?;
            if def.id.is_some() {
                unique.check("id", &draft.id, &entry.path, &mut errors);
            }
            if let Some(name) = &draft.name {
                unique.check("name", name, &entry.path, &mut errors);
            }
            Some((draft, service?))
        })
        .collect();

    let (mut consumer_list, consumer_by_doc) = consumer_drafts(&doc, &mut errors);
    let (credentials, consumer_groups, group_by_doc) = compile_consumer_side(
        &doc,
        ConsumerDrafts {
            list: &mut consumer_list,
            by_doc: &consumer_by_doc,
        },
        &mut errors,
    );
    let consumer_refs: Vec<Option<(usize, String, Option<String>)>> = consumer_by_doc
        .iter()
        .map(|index| {
            let c = consumer_list.get((*index)?)?;
            Some((
                (*index)?,
                c.id.clone(),
                c.username.clone().or(c.custom_id.clone()),
            ))
        })
        .collect();
    let consumers = Consumers::new(consumer_list);
    let ca_certificates = CaCertificates::compile(&doc.ca_certificates, &mut errors);
    let certificates = compile_certificates(&doc.certificates, &doc.snis, &mut errors);
    let attached = attach_plugins(
        &doc,
        &ScopeTargets {
            services: &services,
            routes: &routes,
            consumers: &consumer_refs,
            groups: &group_by_doc,
        },
        &mut errors,
    );
    let (upstreams, upstream_by_name) = compile_upstreams(&doc, &mut errors);

    // Enabled services in document order, with their address, name or upstream.
    let mut service_index = HashMap::new();
    let mut compiled_services = Vec::new();
    for (i, draft) in services.iter().enumerate() {
        let Some(draft) = draft.as_ref().filter(|d| d.enabled) else {
            continue;
        };
        let ca =
            ca_certificates.trust_store(&draft.ca_certificates, &doc.services[i].path, &mut errors);
        let host = draft.host.to_ascii_lowercase();
        let target = match upstream_by_name.get(&host) {
            Some(&upstream) => ServiceTarget::Upstream(upstream),
            // It names an upstream whose errors are already reported.
            None if named_upstream(&doc, &host) => continue,
            None => service_target(&draft.host, draft.port),
        };
        service_index.insert(i, compiled_services.len());
        compiled_services.push(compiled_service(draft, target, ca));
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let candidates = |route: Option<usize>, service: Option<usize>| {
        let attached = &attached;
        attached
            .scopes
            .iter()
            .enumerate()
            .filter(move |(_, scope)| {
                (scope.route.is_none() || scope.route == route)
                    && (scope.service.is_none() || scope.service == service)
            })
            .map(move |(i, scope)| {
                let plugin = &attached.plugins[i];
                (i, plugin.name, plugin.priority, scope, plugin.protocols)
            })
    };
    let global_plugins = slots(
        candidates(None, None)
            .filter(|(_, _, _, scope, _)| scope.route.is_none() && scope.service.is_none()),
    );
    let mut compiled_routes = Vec::new();
    let mut specs = Vec::new();
    let mut spec_paths = Vec::new();
    for (i, route) in routes.iter().enumerate() {
        let Some((draft, service)) = route else {
            continue;
        };
        // A route without a service (Kong allows one) is routed, then answered 503.
        let compiled_service = match service {
            Some(service) => match service_index.get(service) {
                Some(&compiled) => Some(compiled),
                None => continue, // its service is disabled
            },
            None => None,
        };
        let plugins = slots(candidates(Some(i), *service));
        specs.push(draft.spec.clone());
        spec_paths.push(doc.routes[i].0.path.clone());
        compiled_routes.push(CompiledRoute {
            id: draft.id.clone(),
            name: draft.name.clone(),
            service: compiled_service,
            strip_path: draft.strip_path,
            preserve_host: draft.preserve_host,
            path_handling: draft.path_handling,
            protocols: draft.protocols,
            https_redirect_status_code: draft.https_redirect_status_code,
            plugins,
        });
    }
    // Validation already refused what the router cannot build; this is a safety net.
    let router = Router::new(&specs).map_err(|e| {
        let at = spec_paths.get(e.route).map_or("routes", String::as_str);
        ConfigErrors::from(super::errors::ConfigError::new(
            join(at, &e.field),
            e.message,
        ))
    })?;
    Ok(CompiledConfig {
        router,
        routes: compiled_routes,
        services: compiled_services,
        consumers,
        upstreams,
        certificates,
        credentials,
        consumer_groups,
        plugins: attached.plugins,
        global_plugins,
        source_hash: String::new(),
    })
}

/// Checks upstreams and their targets, registers target host names with the run-time
/// resolver and builds one balancer per upstream. Returns the balancers and, by lowercase name, their indexes.
fn compile_upstreams(
    doc: &Document,
    errors: &mut ConfigErrors,
) -> (Vec<Arc<Balancer>>, HashMap<String, usize>) {
    let mut unique = Unique::default();
    let mut drafts: Vec<Option<UpstreamDraft>> = doc
        .upstreams
        .iter()
        .map(|entry| {
            let def = entry.def.as_ref()?;
            let draft = upstream_draft(def, &entry.path, errors)?;
            if def.id.is_some() {
                unique.check("id", &draft.id, &entry.path, errors);
            }
            unique.check(
                "name",
                &draft.name.to_ascii_lowercase(),
                &entry.path,
                errors,
            );
            Some(draft)
        })
        .collect();

    // (upstream index, "host:port") -> where that target was first seen.
    let mut seen: HashMap<(usize, String), String> = HashMap::new();
    for (entry, owner) in &doc.targets {
        let Some(def) = entry.def.as_ref() else {
            continue;
        };
        let draft = target_draft(def, &entry.path, errors);
        let at = join(&entry.path, "upstream");
        let upstream = match (owner, &def.upstream) {
            (TargetOwner::Upstream(_), Some(_)) => {
                errors.push(at, "not allowed in a target nested in an upstream");
                None
            }
            (TargetOwner::Upstream(i), None) => Some(*i),
            (TargetOwner::TopLevel, None) => {
                errors.push(at, "missing field");
                None
            }
            (TargetOwner::TopLevel, Some(value)) => find_upstream(value, &drafts, &at, errors),
        };
        let (Some(draft), Some(upstream)) = (draft, upstream) else {
            continue;
        };
        let identity = draft.identity();
        let target_at = join(&entry.path, "target");
        if let Some(first) = seen.get(&(upstream, identity.clone())) {
            errors.push(
                target_at,
                format!("duplicate target '{identity}' (also at {first})"),
            );
            continue;
        }
        seen.insert((upstream, identity), target_at.clone());
        // An IP literal as is; a name resolves at run time (no lookup here).
        let bare = draft.host.trim_start_matches('[').trim_end_matches(']');
        let (address, dns) = match bare.parse::<IpAddr>() {
            Ok(ip) => (SocketAddr::new(ip, draft.port), None),
            Err(_) => (
                SocketAddr::from(([0, 0, 0, 0], draft.port)),
                Some(crate::dns::registry().register(bare)),
            ),
        };
        if let Some(Some(up)) = drafts.get_mut(upstream) {
            up.settings.targets.push(TargetInfo {
                address,
                host: draft.host,
                port: draft.port,
                weight: draft.weight,
                dns,
            });
        }
    }

    let mut balancers = Vec::new();
    let mut by_name = HashMap::new();
    for draft in drafts.into_iter().flatten() {
        by_name.insert(draft.name.to_ascii_lowercase(), balancers.len());
        balancers.push(Arc::new(Balancer::new(draft.settings)));
    }
    (balancers, by_name)
}

/// Whether an upstream entry of the document (valid or not) has this lowercase name.
fn named_upstream(doc: &Document, host: &str) -> bool {
    doc.upstreams.iter().any(|entry| {
        entry
            .def
            .as_ref()
            .and_then(|def| def.name.as_deref())
            .is_some_and(|name| name.eq_ignore_ascii_case(host))
    })
}

/// The document index of the upstream a top-level target references.
fn find_upstream(
    value: &Value,
    drafts: &[Option<UpstreamDraft>],
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<usize> {
    let reference = match EntityRef::parse(value) {
        Ok(reference) => reference,
        Err(message) => {
            errors.push(path, message);
            return None;
        }
    };
    let found = drafts.iter().position(|d| {
        d.as_ref()
            .is_some_and(|d| reference.matches(&d.id, Some(&d.name)))
    });
    if found.is_none() {
        errors.push(path, format!("no upstream {reference}"));
    }
    found
}

fn compiled_service(
    draft: &ServiceDraft,
    target: ServiceTarget,
    ca: Option<Arc<CaType>>,
) -> CompiledService {
    CompiledService {
        id: draft.id.clone(),
        name: draft.name.clone(),
        protocol: draft.protocol.clone(),
        host: draft.host.clone(),
        port: draft.port,
        target,
        path: draft.path.clone(),
        connect_timeout: draft.connect_timeout,
        read_timeout: draft.read_timeout,
        write_timeout: draft.write_timeout,
        retries: draft.retries,
        tls_verify: draft.tls_verify,
        ca,
    }
}

/// The document index of a route's service: its parent, its `service` reference, or
/// none (`Some(None)`: a top-level route without `service`, or `service: null`).
fn route_service(
    reference: Option<&Value>,
    owner: RouteOwner,
    services: &[Option<ServiceDraft>],
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Option<usize>> {
    let at = join(path, "service");
    match (owner, reference) {
        (RouteOwner::Service(_), Some(_)) => {
            errors.push(at, "not allowed in a route nested in a service");
            None
        }
        (RouteOwner::Service(i), None) => Some(Some(i)),
        (RouteOwner::TopLevel, None | Some(Value::Null)) => Some(None),
        (RouteOwner::TopLevel, Some(value)) => find_service(value, services, &at, errors).map(Some),
    }
}

/// Checks consumers; returns them and, by document index, their compiled index.
fn consumer_drafts(
    doc: &Document,
    errors: &mut ConfigErrors,
) -> (Vec<Consumer>, Vec<Option<usize>>) {
    let mut list = Vec::new();
    let mut by_doc = Vec::new();
    let mut unique = Unique::default();
    for entry in &doc.consumers {
        let compiled = entry.def.as_ref().and_then(|def| {
            let c = consumer(def, &entry.path, errors)?;
            if def.id.is_some() {
                unique.check("id", &c.id, &entry.path, errors);
            }
            if let Some(username) = &c.username {
                unique.check("username", username, &entry.path, errors);
            }
            if let Some(custom_id) = &c.custom_id {
                unique.check("custom_id", custom_id, &entry.path, errors);
            }
            Some(c)
        });
        by_doc.push(compiled.is_some().then_some(list.len()));
        list.extend(compiled);
    }
    (list, by_doc)
}

/// A service host: an IP literal as is, a name registered with the run-time resolver (a
/// name that does not resolve is not a config error: requests to it get a 503).
fn service_target(host: &str, port: u16) -> ServiceTarget {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ServiceTarget::Address(SocketAddr::new(ip, port)),
        Err(_) => ServiceTarget::Name(crate::dns::registry().register(bare)),
    }
}
