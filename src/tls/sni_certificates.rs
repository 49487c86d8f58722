//! Server certificates for TLS listeners and their choice by the client's SNI, in Kong's
//! order: the exact name, then a leading wildcard (`*.example.com`), then a trailing one
//! (`example.*`). Each wildcard stands for exactly one label.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use pingora::tls::pkey::{PKey, Private};
use pingora::tls::x509::X509;

/// A certificate chain (leaf first) with the private key of its leaf.
pub struct CertifiedKey {
    pub chain: Vec<X509>,
    pub key: PKey<Private>,
}

/// Which half of a certificate/key pair is wrong; never carries the PEM text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PemProblem {
    /// No PEM certificate could be read.
    Certificate,
    /// No unencrypted PEM private key could be read.
    PrivateKey,
    /// The key is not the key of the first certificate.
    Mismatch,
}

impl PemProblem {
    /// Message for a config error at the field in question.
    pub fn message(self) -> &'static str {
        match self {
            PemProblem::Certificate => "invalid value: expected one or more PEM certificates",
            PemProblem::PrivateKey => "invalid value: expected an unencrypted PEM private key",
            PemProblem::Mismatch => "the private key does not match the certificate",
        }
    }
}

impl CertifiedKey {
    /// Parses a PEM chain and its key and checks that they belong together.
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<Self, PemProblem> {
        let chain = X509::stack_from_pem(cert)
            .ok()
            .filter(|chain| !chain.is_empty())
            .ok_or(PemProblem::Certificate)?;
        // An empty passphrase: an encrypted key fails instead of prompting on a terminal.
        let key =
            PKey::private_key_from_pem_passphrase(key, b"").map_err(|_| PemProblem::PrivateKey)?;
        let leaf_key = chain[0].public_key().map_err(|_| PemProblem::Certificate)?;
        if !leaf_key.public_eq(&key) {
            return Err(PemProblem::Mismatch);
        }
        Ok(CertifiedKey { chain, key })
    }
}

/// What one handshake serves: one pair per key type (e.g. RSA and ECDSA); the TLS library
/// picks the one the client's signature algorithms allow.
pub struct ServerCertificate {
    pub pairs: Vec<CertifiedKey>,
}

/// Shows how many pairs there are, never key material.
impl fmt::Debug for ServerCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerCertificate")
            .field("pairs", &self.pairs.len())
            .finish()
    }
}

/// Certificates by SNI name, as compiled from the declarative `certificates` and `snis`.
pub type SniCertificates = SniTable<Arc<ServerCertificate>>;

/// Values by server name: exact names and the two wildcard forms.
pub struct SniTable<T> {
    exact: HashMap<String, T>,
    /// `*.example.com`, stored as `example.com`.
    leading: HashMap<String, T>,
    /// `example.*`, stored as `example`.
    trailing: HashMap<String, T>,
}

impl<T> Default for SniTable<T> {
    fn default() -> Self {
        SniTable {
            exact: HashMap::new(),
            leading: HashMap::new(),
            trailing: HashMap::new(),
        }
    }
}

impl<T> SniTable<T> {
    /// Adds a name checked by [`check_sni_name`]; a name given twice keeps the first value.
    pub fn insert(&mut self, name: &str, value: T) {
        let name = name.to_ascii_lowercase();
        let (map, key) = if let Some(suffix) = name.strip_prefix("*.") {
            (&mut self.leading, suffix.to_owned())
        } else if let Some(prefix) = name.strip_suffix(".*") {
            (&mut self.trailing, prefix.to_owned())
        } else {
            (&mut self.exact, name)
        };
        map.entry(key).or_insert(value);
    }

    /// The value for a client's server name: exact, then leading wildcard, then trailing.
    pub fn select(&self, server_name: &str) -> Option<&T> {
        let name = server_name.trim_end_matches('.').to_ascii_lowercase();
        self.exact
            .get(&name)
            .or_else(|| {
                let (_, rest) = name.split_once('.')?;
                self.leading.get(rest)
            })
            .or_else(|| {
                let (head, _) = name.rsplit_once('.')?;
                self.trailing.get(head)
            })
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.exact.len() + self.leading.len() + self.trailing.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Lists the names only.
impl<T> fmt::Debug for SniTable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<String> = self.exact.keys().cloned().collect();
        names.extend(self.leading.keys().map(|k| format!("*.{k}")));
        names.extend(self.trailing.keys().map(|k| format!("{k}.*")));
        names.sort();
        f.debug_struct("SniTable").field("names", &names).finish()
    }
}

/// Checks an SNI entity's name: a host name (not an IP address), or one wildcard label
/// `*` at its start or end (`*.example.com`, `example.*`).
pub fn check_sni_name(name: &str) -> Result<(), &'static str> {
    const EXPECTED: &str =
        "invalid value: expected a host name, optionally with one wildcard like '*.example.com' or 'example.*'";
    if name.is_empty() || name.len() > 253 {
        return Err(EXPECTED);
    }
    if name.parse::<IpAddr>().is_ok() {
        return Err("invalid value: must not be an IP address");
    }
    let labels: Vec<&str> = name.split('.').collect();
    let last = labels.len() - 1;
    let stars = labels.iter().filter(|label| **label == "*").count();
    let wildcard_ok = match stars {
        0 => true,
        1 => labels.len() > 1 && (labels[0] == "*" || labels[last] == "*"),
        _ => false,
    };
    let labels_ok = labels.iter().all(|label| {
        *label == "*"
            || (!label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    });
    if wildcard_ok && labels_ok {
        Ok(())
    } else {
        Err(EXPECTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> SniTable<&'static str> {
        let mut table = SniTable::default();
        table.insert("example.*", "trailing");
        table.insert("*.example.com", "leading");
        table.insert("api.example.com", "exact");
        table.insert("A.Test", "a");
        table
    }

    #[test]
    fn exact_name_wins_over_both_wildcards() {
        assert_eq!(table().select("api.example.com"), Some(&"exact"));
        assert_eq!(table().select("API.Example.COM."), Some(&"exact"));
        assert_eq!(table().select("a.test"), Some(&"a"));
    }

    #[test]
    fn leading_wildcard_wins_over_trailing_and_covers_one_label() {
        assert_eq!(table().select("www.example.com"), Some(&"leading"));
        // `example.com` itself matches `example.*`, not `*.example.com`.
        assert_eq!(table().select("example.com"), Some(&"trailing"));
        // Two labels in front of example.com: neither wildcard covers it.
        assert_eq!(table().select("a.b.example.com"), None);
    }

    #[test]
    fn trailing_wildcard_covers_one_label() {
        assert_eq!(table().select("example.org"), Some(&"trailing"));
        assert_eq!(table().select("example.co.uk"), None);
        assert_eq!(table().select("other.org"), None);
        assert_eq!(table().select(""), None);
    }

    #[test]
    fn first_insert_of_a_name_is_kept() {
        let mut table = SniTable::default();
        table.insert("a.test", 1);
        table.insert("A.TEST", 2);
        assert_eq!(table.select("a.test"), Some(&1));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn sni_names() {
        for good in ["a.test", "*.example.com", "example.*", "localhost", "x-1.y"] {
            assert_eq!(check_sni_name(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "*",
            "*.*.com",
            "a.*.com",
            "a*.com",
            "-a.com",
            "a..com",
            "a.com:443",
            "a_b.com",
            "127.0.0.1",
            "::1",
        ] {
            assert!(check_sni_name(bad).is_err(), "{bad}");
        }
    }
}
