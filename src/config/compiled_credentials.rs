//! The compiled consumer-side entities the authentication plugins look credentials up in.
//! Secrets are held in [`SecretValue`] (redacted `Debug`); basic-auth passwords only as a salted
//! hash.

use std::collections::HashMap;
use std::time::Instant;

use super::secret_value::SecretValue;

/// Every credential of the file, indexed the way its plugin looks it up.
#[derive(Debug, Default)]
pub struct Credentials {
    /// key-auth, by key.
    pub key_auth: HashMap<String, KeyAuthCredential>,
    /// basic-auth, by username.
    pub basic_auth: HashMap<String, BasicAuthCredential>,
    /// jwt, by key (matched against the token's `key_claim_name` claim).
    pub jwt: HashMap<String, JwtCredential>,
    /// hmac-auth, by username.
    pub hmac_auth: HashMap<String, HmacAuthCredential>,
}

#[derive(Debug)]
pub struct KeyAuthCredential {
    pub id: String,
    /// Index into `Consumers::list`.
    pub consumer: usize,
    /// From `ttl`: the credential is refused from then on.
    pub expires_at: Option<Instant>,
}

#[derive(Debug)]
pub struct BasicAuthCredential {
    pub id: String,
    pub consumer: usize,
    pub username: String,
    /// SHA-256 over the process salt and the password (see `password_hash`).
    pub password_hash: [u8; 32],
}

#[derive(Debug)]
pub struct JwtCredential {
    pub id: String,
    pub consumer: usize,
    pub key: String,
    /// `HS256` (Kong default), `RS256`, `ES256`, ...: as written, checked at load.
    pub algorithm: String,
    /// The HMAC secret (HS* algorithms).
    pub secret: SecretValue,
    /// PEM public key (asymmetric algorithms).
    pub rsa_public_key: Option<String>,
    /// `algorithm` and `rsa_public_key` checked and parsed once, at load
    /// ([`check_jwt_secret`](crate::plugin::jwt::keys::check_jwt_secret)); the plugin
    /// verifies with this alone.
    pub parsed_key: crate::plugin::jwt::keys::ParsedKey,
}

#[derive(Debug)]
pub struct HmacAuthCredential {
    pub id: String,
    pub consumer: usize,
    pub username: String,
    pub secret: SecretValue,
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroup {
    pub id: String,
    pub name: String,
}

/// The salted hash basic-auth passwords are kept and compared as: SHA-256 of a per-process
/// random salt followed by the password. Nothing in clear survives the load.
pub fn password_hash(password: &[u8]) -> [u8; 32] {
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    context.update(process_salt());
    context.update(password);
    let digest = context.finish();
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Compares two hashes in constant time.
pub fn hashes_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

fn process_salt() -> &'static [u8; 32] {
    static SALT: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    SALT.get_or_init(|| {
        let mut salt = [0u8; 32];
        // A failing system RNG leaves a zero salt: the hash is still one-way.
        let _ = aws_lc_rs::rand::fill(&mut salt);
        salt
    })
}
