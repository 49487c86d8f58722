//! Compiles `certificates` and `snis` into the SNI table TLS listeners serve from: PEM
//! chains and keys parsed and matched, SNI names checked, unique and resolved to their
//! certificate. Errors name the field and never quote PEM text.

use std::collections::HashMap;
use std::sync::Arc;

use serde_yaml::Value;

use super::certificate_model::{CertificateDef, SniDef};
use super::entities::entity_id;
use super::errors::{join, ConfigErrors, Unique};
use super::model::EntityRef;
use super::parse::{Entry, SniOwner};
use crate::tls::sni_certificates::{
    check_sni_name, CertifiedKey, PemProblem, ServerCertificate, SniCertificates,
};

/// Builds the SNI table; every problem is added to `errors`.
pub fn compile_certificates(
    certificates: &[Entry<CertificateDef>],
    snis: &[(Entry<SniDef>, SniOwner)],
    errors: &mut ConfigErrors,
) -> SniCertificates {
    let mut unique = Unique::default();
    // By document index: the id (of every entry that parsed) and the usable certificate.
    let mut ids: Vec<Option<String>> = Vec::with_capacity(certificates.len());
    let mut compiled: Vec<Option<Arc<ServerCertificate>>> = Vec::new();
    for entry in certificates {
        let Some(def) = entry.def.as_ref() else {
            ids.push(None);
            compiled.push(None);
            continue;
        };
        let id = entity_id(
            def.id.as_deref(),
            "certificates",
            &def.cert,
            &entry.path,
            errors,
        );
        if def.id.is_some() {
            unique.check("id", &id, &entry.path, errors);
        }
        ids.push(Some(id));
        compiled.push(server_certificate(def, &entry.path, errors).map(Arc::new));
    }

    let mut table = SniCertificates::default();
    let mut unique = Unique::default();
    let mut names: HashMap<String, String> = HashMap::new();
    for (entry, owner) in snis {
        let Some(def) = entry.def.as_ref() else {
            continue;
        };
        if let Some(given) = def.id.as_deref() {
            let id = entity_id(Some(given), "snis", given, &entry.path, errors);
            unique.check("id", &id, &entry.path, errors);
        }
        let name_at = if def.bare {
            entry.path.clone()
        } else {
            join(&entry.path, "name")
        };
        let name = def.name.to_ascii_lowercase();
        let mut usable = match check_sni_name(&name) {
            Ok(()) => true,
            Err(message) => {
                errors.push(&name_at, message);
                false
            }
        };
        if usable {
            if let Some(first) = names.get(&name) {
                errors.push(
                    &name_at,
                    format!("duplicate sni '{name}' (also at {first})"),
                );
                usable = false;
            } else {
                names.insert(name.clone(), name_at);
            }
        }
        let certificate = sni_certificate(def, *owner, &ids, &entry.path, errors);
        if let Some(Some(certificate)) = certificate.and_then(|i| compiled.get(i)) {
            if usable {
                table.insert(&name, Arc::clone(certificate));
            }
        }
    }
    table
}

/// The document index of the certificate an SNI belongs to.
fn sni_certificate(
    def: &SniDef,
    owner: SniOwner,
    ids: &[Option<String>],
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<usize> {
    let at = join(path, "certificate");
    match (owner, &def.certificate) {
        (SniOwner::Certificate(_), Some(_)) => {
            errors.push(at, "not allowed in an sni nested in a certificate");
            None
        }
        (SniOwner::Certificate(i), None) => Some(i),
        (SniOwner::TopLevel, None) => {
            errors.push(at, "missing field");
            None
        }
        (SniOwner::TopLevel, Some(value)) => find_certificate(value, ids, &at, errors),
    }
}

/// Resolves `certificate: {id: ..}` or `certificate: <id>`; certificates have no name.
fn find_certificate(
    value: &Value,
    ids: &[Option<String>],
    at: &str,
    errors: &mut ConfigErrors,
) -> Option<usize> {
    let wanted = match EntityRef::parse(value) {
        Ok(EntityRef::Id(id) | EntityRef::NameOrId(id)) => id,
        Ok(EntityRef::Name(_)) => {
            errors.push(at, "certificates have no name: refer to one by {id: ..}");
            return None;
        }
        Err(_) => {
            errors.push(
                at,
                "invalid reference: expected a certificate id or {id: ..}",
            );
            return None;
        }
    };
    let found = ids.iter().position(|id| {
        id.as_deref()
            .is_some_and(|id| id.eq_ignore_ascii_case(&wanted))
    });
    if found.is_none() {
        errors.push(at, format!("no certificate with id '{wanted}'"));
    }
    found
}

/// Parses `cert`/`key` and the optional `cert_alt`/`key_alt` of one certificate.
fn server_certificate(
    def: &CertificateDef,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<ServerCertificate> {
    let primary = certified_key(&def.cert, &def.key, path, ("cert", "key"), errors);
    let alternative = match (&def.cert_alt, &def.key_alt) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(certified_key(
            cert,
            key,
            path,
            ("cert_alt", "key_alt"),
            errors,
        )?),
        (Some(_), None) => {
            errors.push(
                join(path, "key_alt"),
                "missing field: required with 'cert_alt'",
            );
            return None;
        }
        (None, Some(_)) => {
            errors.push(
                join(path, "cert_alt"),
                "missing field: required with 'key_alt'",
            );
            return None;
        }
    };
    let primary = primary?;
    if let Some(alternative) = &alternative {
        if alternative.key.id() == primary.key.id() {
            errors.push(
                join(path, "cert_alt"),
                "invalid value: must use another key type than 'cert' (one RSA, one ECDSA)",
            );
            return None;
        }
    }
    let mut pairs = vec![primary];
    pairs.extend(alternative);
    Some(ServerCertificate { pairs })
}

fn certified_key(
    cert: &str,
    key: &str,
    path: &str,
    (cert_field, key_field): (&str, &str),
    errors: &mut ConfigErrors,
) -> Option<CertifiedKey> {
    match CertifiedKey::from_pem(cert.as_bytes(), key.as_bytes()) {
        Ok(pair) => Some(pair),
        Err(problem) => {
            let (field, message) = match problem {
                PemProblem::Certificate => (cert_field, problem.message().to_owned()),
                PemProblem::PrivateKey => (key_field, problem.message().to_owned()),
                PemProblem::Mismatch => (
                    key_field,
                    format!("invalid value: does not match the certificate in '{cert_field}'"),
                ),
            };
            errors.push(join(path, field), message);
            None
        }
    }
}
