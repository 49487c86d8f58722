//! Consumer-side entities as written in the file: credentials of the authentication plugins,
//! acl groups, consumer groups and their memberships. Nested in a consumer, or at the top
//! level with a `consumer:` reference.

use serde::Deserialize;
use serde_yaml::Value;

/// A `keyauth_credentials[]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAuthCredentialDef {
    pub id: Option<String>,
    /// Top-level entries only: the consumer it belongs to.
    pub consumer: Option<Value>,
    /// Kong generates one when absent.
    pub key: Option<String>,
    /// Seconds the credential lives after load; Kong's `ttl`.
    pub ttl: Option<u64>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub created_at: Option<i64>,
}

/// A `basicauth_credentials[]` entry.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuthCredentialDef {
    pub id: Option<String>,
    pub consumer: Option<Value>,
    pub username: String,
    /// Kept only as a salted hash once compiled.
    pub password: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub created_at: Option<i64>,
}

/// Never shows the password.
impl std::fmt::Debug for BasicAuthCredentialDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuthCredentialDef")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A `jwt_secrets[]` entry.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSecretDef {
    pub id: Option<String>,
    pub consumer: Option<Value>,
    /// Matched against the token's `key_claim_name` claim (Kong default `iss`); generated
    /// when absent.
    pub key: Option<String>,
    /// HMAC secret (HS*); generated when absent.
    pub secret: Option<String>,
    /// Kong default HS256.
    pub algorithm: Option<String>,
    /// PEM public key for the asymmetric algorithms.
    pub rsa_public_key: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub created_at: Option<i64>,
}

/// Never shows the secret.
impl std::fmt::Debug for JwtSecretDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSecretDef")
            .field("key", &self.key)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// A `hmacauth_credentials[]` entry.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmacAuthCredentialDef {
    pub id: Option<String>,
    pub consumer: Option<Value>,
    pub username: String,
    /// Generated when absent.
    pub secret: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub created_at: Option<i64>,
}

/// Never shows the secret.
impl std::fmt::Debug for HmacAuthCredentialDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HmacAuthCredentialDef")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// An `acls[]` entry: the consumer belongs to `group`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AclDef {
    pub id: Option<String>,
    pub consumer: Option<Value>,
    pub group: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub created_at: Option<i64>,
}

/// A `consumer_groups[]` entry (its nested `plugins` are taken out first).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerGroupDef {
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

/// A top-level `consumer_group_consumers[]` entry (Kong's DB-less membership entity).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerGroupConsumerDef {
    pub consumer: Value,
    pub consumer_group: Value,
}
