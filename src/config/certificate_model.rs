//! The `certificates` and `snis` entities as written in the file (Kong 3.0 declarative).

use serde::Deserialize;
use serde_yaml::Value;

/// A `certificates[]` entry; its nested `snis` are taken out by `parse.rs`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateDef {
    /// Needed when a top-level `snis[]` entry refers to this certificate.
    pub id: Option<String>,
    /// PEM chain, leaf first.
    pub cert: String,
    /// PEM private key of the leaf.
    pub key: String,
    /// A second chain with a key of the other type (RSA and ECDSA), served to clients
    /// that support it.
    pub cert_alt: Option<String>,
    pub key_alt: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// An `snis[]` entry: nested in a certificate (`- name: a.test`, or just `- a.test`) or at
/// the top level with a `certificate` reference (`{id: ..}` or the id).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SniDef {
    pub id: Option<String>,
    pub name: String,
    /// Top-level entries only.
    pub certificate: Option<Value>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Written as a bare name in a certificate's list: its errors are reported at the entry.
    #[serde(skip)]
    pub bare: bool,
}
