//! Compiles the top-level `ca_certificates` entities into trust stores services refer to by id.

use std::collections::HashMap;
use std::sync::Arc;

use pingora::protocols::tls::CaType;
use pingora::tls::x509::X509;

use super::entities::entity_id;
use super::errors::{join, ConfigErrors, Unique};
use super::model::CaCertificateDef;
use super::parse::Entry;

/// Parsed CA certificates by entity id.
#[derive(Default)]
pub struct CaCertificates {
    by_id: HashMap<String, Vec<X509>>,
}

impl CaCertificates {
    /// Parses every entry; a bad PEM is reported at `ca_certificates[i].cert`.
    pub fn compile(entries: &[Entry<CaCertificateDef>], errors: &mut ConfigErrors) -> Self {
        let mut by_id = HashMap::new();
        let mut unique = Unique::default();
        for entry in entries {
            let Some(def) = entry.def.as_ref() else {
                continue;
            };
            let Some(given) = def.id.as_deref() else {
                errors.push(join(&entry.path, "id"), "missing field");
                continue;
            };
            let id = entity_id(Some(given), "ca_certificates", given, &entry.path, errors);
            unique.check("id", &id, &entry.path, errors);
            match X509::stack_from_pem(def.cert.as_bytes()) {
                Ok(certs) if !certs.is_empty() => {
                    by_id.insert(id, certs);
                }
                _ => errors.push(
                    join(&entry.path, "cert"),
                    "invalid value: expected one or more PEM certificates",
                ),
            }
        }
        CaCertificates { by_id }
    }

    /// The trust store made of the referenced certificates; unknown ids are reported at
    /// `<service>.ca_certificates[i]`.
    pub fn trust_store(
        &self,
        ids: &[String],
        service_path: &str,
        errors: &mut ConfigErrors,
    ) -> Option<Arc<CaType>> {
        if ids.is_empty() {
            return None;
        }
        let mut certs = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            match self.by_id.get(&id.to_ascii_lowercase()) {
                Some(found) => certs.extend(found.iter().cloned()),
                None => errors.push(
                    join(service_path, &format!("ca_certificates[{i}]")),
                    format!("no ca_certificate with id '{id}'"),
                ),
            }
        }
        Some(Arc::new(certs.into_boxed_slice()))
    }
}
