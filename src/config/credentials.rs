//! Compiles the consumer-side entities: credentials (each kind indexed the way its plugin
//! looks it up, duplicates refused), acl groups, consumer groups and memberships. References
//! to consumers and groups name an id or a username (a name for groups).

use std::time::{Duration, Instant};

use serde_yaml::Value;

use super::compiled::Consumer;
use super::compiled_credentials::{
    password_hash, BasicAuthCredential, ConsumerGroup, Credentials, HmacAuthCredential,
    JwtCredential, KeyAuthCredential,
};
use super::entities::entity_id;
use super::errors::{join, ConfigErrors, Unique};
use super::model::EntityRef;
use super::parse::{ConsumerOwner, Document, Entry, GroupMember};
use super::secret_value::SecretValue;

/// The consumers being compiled: `by_doc[i]` is the compiled index of `doc.consumers[i]`.
pub struct ConsumerDrafts<'a> {
    pub list: &'a mut [Consumer],
    pub by_doc: &'a [Option<usize>],
}

/// Algorithms a `jwt_secrets` entry may name (Kong's jwt schema).
pub const JWT_ALGORITHMS: &[&str] = &[
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256",
    "PS384", "PS512", "EdDSA",
];

/// Compiles credentials, acls and consumer groups; fills each consumer's `acls` and `groups`.
pub fn compile_consumer_side(
    doc: &Document,
    consumers: ConsumerDrafts<'_>,
    errors: &mut ConfigErrors,
) -> (Credentials, Vec<ConsumerGroup>, Vec<Option<usize>>) {
    let mut credentials = Credentials::default();
    let entries = &doc.credentials;
    let owner_of =
        |owner: ConsumerOwner, reference: Option<&Value>, path: &str, errors: &mut ConfigErrors| {
            consumer_index(doc, &consumers, owner, reference, path, errors)
        };
    let now = Instant::now();

    let mut unique = Unique::default();
    for (entry, owner) in &entries.key_auth {
        let Some(def) = &entry.def else { continue };
        let consumer = owner_of(*owner, def.consumer.as_ref(), &entry.path, errors);
        let key = match &def.key {
            Some(key) if key.is_empty() => {
                errors.push(join(&entry.path, "key"), "must not be empty");
                continue;
            }
            Some(key) => key.clone(),
            None => random_token(),
        };
        unique.check("key", &key, &entry.path, errors);
        let id = entity_id(
            def.id.as_deref(),
            "keyauth_credentials",
            &key,
            &entry.path,
            errors,
        );
        if let Some(consumer) = consumer {
            let expires_at = def
                .ttl
                .filter(|ttl| *ttl > 0)
                .and_then(|ttl| now.checked_add(Duration::from_secs(ttl)));
            let credential = KeyAuthCredential {
                id,
                consumer,
                expires_at,
            };
            credentials.key_auth.insert(key, credential);
        }
    }

    let mut unique = Unique::default();
    for (entry, owner) in &entries.basic_auth {
        let Some(def) = &entry.def else { continue };
        let consumer = owner_of(*owner, def.consumer.as_ref(), &entry.path, errors);
        if def.username.is_empty() {
            errors.push(join(&entry.path, "username"), "must not be empty");
            continue;
        }
        unique.check("username", &def.username, &entry.path, errors);
        let id = entity_id(
            def.id.as_deref(),
            "basicauth_credentials",
            &def.username,
            &entry.path,
            errors,
        );
        if let Some(consumer) = consumer {
            credentials.basic_auth.insert(
                def.username.clone(),
                BasicAuthCredential {
                    id,
                    consumer,
                    username: def.username.clone(),
                    password_hash: password_hash(def.password.as_bytes()),
                },
            );
        }
    }

    let mut unique = Unique::default();
    for (entry, owner) in &entries.jwt {
        let Some(def) = &entry.def else { continue };
        let consumer = owner_of(*owner, def.consumer.as_ref(), &entry.path, errors);
        let algorithm = def.algorithm.clone().unwrap_or_else(|| "HS256".to_owned());
        if !JWT_ALGORITHMS.contains(&algorithm.as_str()) {
            errors.push(
                join(&entry.path, "algorithm"),
                format!(
                    "unsupported value '{algorithm}': expected one of {}",
                    JWT_ALGORITHMS.join(", ")
                ),
            );
            continue;
        }
        let asymmetric = !algorithm.starts_with("HS");
        if asymmetric && def.rsa_public_key.as_deref().is_none_or(str::is_empty) {
            errors.push(
                join(&entry.path, "rsa_public_key"),
                format!("required for algorithm {algorithm}"),
            );
            continue;
        }
        let key = def.key.clone().unwrap_or_else(random_token);
        unique.check("key", &key, &entry.path, errors);
        let id = entity_id(def.id.as_deref(), "jwt_secrets", &key, &entry.path, errors);
        let secret = def.secret.clone().unwrap_or_else(random_token);
        if let Some(consumer) = consumer {
            credentials.jwt.insert(
                key.clone(),
                JwtCredential {
                    id,
                    consumer,
                    key,
                    algorithm,
                    secret: SecretValue::new(secret.into_bytes()),
                    rsa_public_key: def.rsa_public_key.clone(),
                },
            );
        }
    }

    let mut unique = Unique::default();
    for (entry, owner) in &entries.hmac_auth {
        let Some(def) = &entry.def else { continue };
        let consumer = owner_of(*owner, def.consumer.as_ref(), &entry.path, errors);
        if def.username.is_empty() {
            errors.push(join(&entry.path, "username"), "must not be empty");
            continue;
        }
        unique.check("username", &def.username, &entry.path, errors);
        let id = entity_id(
            def.id.as_deref(),
            "hmacauth_credentials",
            &def.username,
            &entry.path,
            errors,
        );
        let secret = def.secret.clone().unwrap_or_else(random_token);
        if let Some(consumer) = consumer {
            credentials.hmac_auth.insert(
                def.username.clone(),
                HmacAuthCredential {
                    id,
                    consumer,
                    username: def.username.clone(),
                    secret: SecretValue::new(secret.into_bytes()),
                },
            );
        }
    }

    let mut acls: Vec<(usize, String)> = Vec::new();
    for (entry, owner) in &entries.acls {
        let Some(def) = &entry.def else { continue };
        let consumer = owner_of(*owner, def.consumer.as_ref(), &entry.path, errors);
        if def.group.is_empty() {
            errors.push(join(&entry.path, "group"), "must not be empty");
            continue;
        }
        if let Some(consumer) = consumer {
            acls.push((consumer, def.group.clone()));
        }
    }

    let (groups, group_by_doc) = compile_groups(doc, errors);
    let mut memberships: Vec<(usize, usize)> = Vec::new();
    for (entry, owner) in &doc.group_members {
        let Some(member) = &entry.def else { continue };
        let (consumer, group, group_path) = match (member, owner) {
            (GroupMember::Nested(group), Some(i)) => (
                consumers.by_doc.get(*i).copied().flatten(),
                group,
                entry.path.clone(),
            ),
            (GroupMember::TopLevel(def), _) => {
                let consumer = consumer_index(
                    doc,
                    &consumers,
                    ConsumerOwner::TopLevel,
                    Some(&def.consumer),
                    &entry.path,
                    errors,
                );
                (
                    consumer,
                    &def.consumer_group,
                    join(&entry.path, "consumer_group"),
                )
            }
            (GroupMember::Nested(_), None) => continue,
        };
        let group = find_group(doc, &group_by_doc, group, &group_path, errors);
        if let (Some(consumer), Some(group)) = (consumer, group) {
            memberships.push((consumer, group));
        }
    }

    for (consumer, group) in acls {
        if let Some(c) = consumers.list.get_mut(consumer) {
            if !c.acls.contains(&group) {
                c.acls.push(group);
            }
        }
    }
    for (consumer, group) in memberships {
        if let Some(c) = consumers.list.get_mut(consumer) {
            if !c.groups.contains(&group) {
                c.groups.push(group);
            }
        }
    }
    for consumer in consumers.list.iter_mut() {
        consumer
            .groups
            .sort_by(|a, b| groups[*a].name.cmp(&groups[*b].name));
    }
    (credentials, groups, group_by_doc)
}

/// Checks `consumer_groups`; returns them and, by document index, their compiled index.
fn compile_groups(
    doc: &Document,
    errors: &mut ConfigErrors,
) -> (Vec<ConsumerGroup>, Vec<Option<usize>>) {
    let mut unique = Unique::default();
    let mut groups = Vec::new();
    let mut by_doc = Vec::new();
    for entry in &doc.consumer_groups {
        let Some(def) = &entry.def else {
            by_doc.push(None);
            continue;
        };
        if def.name.is_empty() {
            errors.push(join(&entry.path, "name"), "must not be empty");
            by_doc.push(None);
            continue;
        }
        unique.check("name", &def.name, &entry.path, errors);
        let id = entity_id(
            def.id.as_deref(),
            "consumer_groups",
            &def.name,
            &entry.path,
            errors,
        );
        by_doc.push(Some(groups.len()));
        groups.push(ConsumerGroup {
            id,
            name: def.name.clone(),
        });
    }
    (groups, by_doc)
}

/// The compiled index of the consumer an entity belongs to: its parent, or its reference.
fn consumer_index(
    doc: &Document,
    consumers: &ConsumerDrafts<'_>,
    owner: ConsumerOwner,
    reference: Option<&Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<usize> {
    let at = join(path, "consumer");
    match (owner, reference) {
        (ConsumerOwner::Consumer(_), Some(_)) => {
            errors.push(at, "not allowed in an entity nested in a consumer");
            None
        }
        (ConsumerOwner::Consumer(i), None) => consumers.by_doc.get(i).copied().flatten(),
        (ConsumerOwner::TopLevel, None) => {
            errors.push(at, "missing field");
            None
        }
        (ConsumerOwner::TopLevel, Some(value)) => {
            let reference = EntityRef::parse_record(value)
                .map_err(|m| errors.push(&at, m))
                .ok()?;
            let found = doc.consumers.iter().enumerate().find_map(|(i, entry)| {
                let index = consumers.by_doc.get(i).copied().flatten()?;
                let consumer = consumers.list.get(index)?;
                let name = entry
                    .def
                    .as_ref()
                    .and_then(|d| d.username.as_deref().or(d.custom_id.as_deref()));
                reference.matches(&consumer.id, name).then_some(index)
            });
            if found.is_none() {
                errors.push(at, format!("no consumer {reference}"));
            }
            found
        }
    }
}

/// The compiled index of the consumer group `value` references (by name or id).
pub fn find_group(
    doc: &Document,
    by_doc: &[Option<usize>],
    value: &Value,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<usize> {
    let reference = EntityRef::parse_record(value)
        .map_err(|m| errors.push(path, m))
        .ok()?;
    let found =
        doc.consumer_groups
            .iter()
            .enumerate()
            .find_map(|(i, entry): (usize, &Entry<_>)| {
                let def = entry.def.as_ref()?;
                let id = entity_id(
                    def.id.as_deref(),
                    "consumer_groups",
                    &def.name,
                    &entry.path,
                    &mut ConfigErrors::default(),
                );
                reference
                    .matches(&id, Some(&def.name))
                    .then_some(by_doc.get(i).copied().flatten())
                    .flatten()
            });
    if found.is_none() {
        errors.push(path, format!("no consumer_group {reference}"));
    }
    found
}

/// A random key or secret for a credential that gives none (Kong generates one too).
fn random_token() -> String {
    let mut bytes = [0u8; 16];
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
