//! jwt credentials' keys, checked and parsed once when the config is loaded: the algorithm a
//! `jwt_secrets` entry pins (Kong's list, default HS256) and, for the asymmetric ones, its
//! `rsa_public_key` PEM as a ready-to-verify public key. A token's `alg` header never chooses
//! the algorithm; it must equal the credential's.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Smallest RSA modulus accepted, in bits (as the openid-connect key sets).
pub const MIN_RSA_BITS: usize = 2048;

/// Longest `rsa_public_key` accepted, in bytes (an RSA-8192 SPKI PEM is about 1.5 KB).
pub const MAX_PEM_LEN: usize = 16 * 1024;

/// The algorithms of Kong's `jwt_secrets.algorithm` (`one_of`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JwtAlgorithm {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    ES256,
    ES384,
    ES512,
    PS256,
    PS384,
    PS512,
    EdDSA,
}

/// Kong's names, in its schema's order.
pub const ALGORITHM_NAMES: [&str; 13] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256",
    "PS384", "PS512", "EdDSA",
];

impl JwtAlgorithm {
    /// The algorithm called `name` (exactly, as Kong's `one_of`), or `None`.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "HS256" => Self::HS256,
            "HS384" => Self::HS384,
            "HS512" => Self::HS512,
            "RS256" => Self::RS256,
            "RS384" => Self::RS384,
            "RS512" => Self::RS512,
            "ES256" => Self::ES256,
            "ES384" => Self::ES384,
            "ES512" => Self::ES512,
            "PS256" => Self::PS256,
            "PS384" => Self::PS384,
            "PS512" => Self::PS512,
            "EdDSA" => Self::EdDSA,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::ES512 => "ES512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::EdDSA => "EdDSA",
        }
    }

    /// The HMAC of an HS algorithm; `None` for the asymmetric ones.
    pub fn hmac(self) -> Option<hmac::Algorithm> {
        match self {
            Self::HS256 => Some(hmac::HMAC_SHA256),
            Self::HS384 => Some(hmac::HMAC_SHA384),
            Self::HS512 => Some(hmac::HMAC_SHA512),
            _ => None,
        }
    }

    fn verification(self) -> Option<&'static dyn VerificationAlgorithm> {
        Some(match self {
            Self::HS256 | Self::HS384 | Self::HS512 => return None,
            Self::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Self::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Self::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            Self::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
            Self::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
            Self::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
            Self::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
            Self::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
            Self::ES512 => &signature::ECDSA_P521_SHA512_FIXED,
            Self::EdDSA => &signature::ED25519,
        })
    }

    fn is_rsa(self) -> bool {
        matches!(
            self,
            Self::RS256 | Self::RS384 | Self::RS512 | Self::PS256 | Self::PS384 | Self::PS512
        )
    }

    /// Whether Kong requires `rsa_public_key` (its entity check: RS*, PS*, EdDSA; not ES*).
    pub fn requires_public_key(self) -> bool {
        self.is_rsa() || self == Self::EdDSA
    }
}

/// What a `jwt_secrets` entry verifies with, besides its HMAC `secret`.
#[derive(Clone)]
pub struct ParsedKey {
    pub algorithm: JwtAlgorithm,
    /// The parsed `rsa_public_key` (asymmetric algorithms). `None` for HS*, and for an ES*
    /// entry without one (Kong accepts it; its tokens are refused: "Invalid key/secret").
    pub public_key: Option<Arc<ParsedPublicKey>>,
}

impl ParsedKey {
    /// Checks `signature` over `message` with the public key.
    pub fn verify_public(&self, message: &[u8], signature: &[u8]) -> bool {
        self.public_key
            .as_ref()
            .is_some_and(|key| key.verify_sig(message, signature).is_ok())
    }
}

impl fmt::Debug for ParsedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedKey")
            .field("algorithm", &self.algorithm)
            .field("public_key", &self.public_key.is_some())
            .finish()
    }
}

/// A problem with one `jwt_secrets` entry: the field it is in (`algorithm` or
/// `rsa_public_key`, to be joined to the entry's path) and what is wrong, never the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtSecretError {
    pub field: &'static str,
    pub message: String,
}

impl JwtSecretError {
    fn key(message: impl Into<String>) -> Self {
        Self {
            field: "rsa_public_key",
            message: message.into(),
        }
    }
}

impl fmt::Display for JwtSecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Checks a `jwt_secrets` entry's `algorithm` (absent: HS256) and `rsa_public_key`, as Kong's
/// schema does, and parses the key once. The config compiler calls it for every entry and
/// reports an error at `<entry path>.<error.field>`.
///
/// Stricter than Kong, which only checks that OpenSSL can load the key: the PEM must be a
/// public key (`PUBLIC KEY`, or `RSA PUBLIC KEY` for RSA) of the algorithm's type, RSA keys at
/// least 2048 bits, EdDSA keys Ed25519; an ES* key is checked too when given. HS* entries
/// ignore `rsa_public_key`, as Kong does.
pub fn check_jwt_secret(
    algorithm: Option<&str>,
    rsa_public_key: Option<&str>,
) -> Result<ParsedKey, JwtSecretError> {
    let algorithm = match algorithm {
        None => JwtAlgorithm::HS256,
        Some(name) => JwtAlgorithm::from_name(name).ok_or_else(|| JwtSecretError {
            field: "algorithm",
            message: format!(
                "unsupported value '{name}': expected one of {}",
                ALGORITHM_NAMES.join(", ")
            ),
        })?,
    };
    let Some(verification) = algorithm.verification() else {
        return Ok(ParsedKey {
            algorithm,
            public_key: None,
        });
    };
    let pem = match rsa_public_key {
        Some(pem) => pem,
        None if algorithm.requires_public_key() => {
            return Err(JwtSecretError::key(format!(
                "required for algorithm {}",
                algorithm.name()
            )))
        }
        None => {
            return Ok(ParsedKey {
                algorithm,
                public_key: None,
            })
        }
    };
    let der = public_key_der(pem, algorithm)?;
    if algorithm.is_rsa() {
        let rsa = aws_lc_rs::rsa::PublicKey::from_der(&der).map_err(|_| {
            JwtSecretError::key(format!(
                "invalid key: not an RSA public key (algorithm {})",
                algorithm.name()
            ))
        })?;
        if rsa.modulus_len() * 8 < MIN_RSA_BITS {
            return Err(JwtSecretError::key(format!(
                "invalid key: RSA keys under {MIN_RSA_BITS} bits are not accepted"
            )));
        }
    }
    let key = ParsedPublicKey::new(verification, &der).map_err(|_| {
        JwtSecretError::key(format!(
            "invalid key: not a public key for algorithm {}",
            algorithm.name()
        ))
    })?;
    Ok(ParsedKey {
        algorithm,
        public_key: Some(Arc::new(key)),
    })
}

/// The DER inside the first PEM block of `pem`: `PUBLIC KEY` (SubjectPublicKeyInfo), or
/// `RSA PUBLIC KEY` (PKCS#1) for the RSA algorithms.
fn public_key_der(pem: &str, algorithm: JwtAlgorithm) -> Result<Vec<u8>, JwtSecretError> {
    if pem.len() > MAX_PEM_LEN {
        return Err(JwtSecretError::key("invalid key: longer than 16 KiB"));
    }
    let (label, body) =
        first_pem_block(pem).ok_or_else(|| JwtSecretError::key("invalid key: not a PEM block"))?;
    match label {
        "PUBLIC KEY" => {}
        "RSA PUBLIC KEY" if algorithm.is_rsa() => {}
        label if label.contains("PRIVATE KEY") => {
            return Err(JwtSecretError::key(
                "invalid key: a private key; give the public key",
            ))
        }
        _ => {
            return Err(JwtSecretError::key(
                "invalid key: expected a PEM \"PUBLIC KEY\" block",
            ))
        }
    }
    let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(compact)
        .map_err(|_| JwtSecretError::key("invalid key: bad base64 in the PEM block"))
}

/// The label and body of the first `-----BEGIN <label>-----` ... `-----END <label>-----`.
fn first_pem_block(pem: &str) -> Option<(&str, &str)> {
    const BEGIN: &str = "-----BEGIN ";
    const DASHES: &str = "-----";
    let start = pem.find(BEGIN)? + BEGIN.len();
    let label_len = pem[start..].find(DASHES)?;
    let label = &pem[start..start + label_len];
    let body_start = start + label_len + DASHES.len();
    let end_marker = format!("-----END {label}-----");
    let body_len = pem[body_start..].find(&end_marker)?;
    Some((label, &pem[body_start..body_start + body_len]))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};

    pub fn pem(label: &str, der: &[u8]) -> String {
        let body = STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    }

    pub fn rsa_pem(pair: &RsaKeyPair) -> String {
        pem("PUBLIC KEY", pair.public_key().as_der().unwrap().as_ref())
    }

    #[test]
    fn algorithms_default_and_must_be_kongs() {
        let key = check_jwt_secret(None, None).unwrap();
        assert_eq!(key.algorithm, JwtAlgorithm::HS256);
        assert!(key.public_key.is_none());
        // HS entries ignore rsa_public_key, as Kong does.
        assert!(check_jwt_secret(Some("HS512"), Some("junk")).is_ok());
        let error = check_jwt_secret(Some("none"), None).unwrap_err();
        assert_eq!(error.field, "algorithm");
        assert!(error
            .message
            .starts_with("unsupported value 'none': expected one of HS256, HS384"));
        assert!(check_jwt_secret(Some("hs256"), None).is_err());
        for name in ALGORITHM_NAMES {
            assert_eq!(JwtAlgorithm::from_name(name).unwrap().name(), name);
        }
    }

    #[test]
    fn public_keys_are_required_checked_and_typed() {
        let error = check_jwt_secret(Some("RS256"), None).unwrap_err();
        assert_eq!(
            (error.field, error.message.as_str()),
            ("rsa_public_key", "required for algorithm RS256")
        );
        assert!(check_jwt_secret(Some("EdDSA"), None).is_err());
        // ES* without a key is accepted, as in Kong.
        assert!(check_jwt_secret(Some("ES256"), None)
            .unwrap()
            .public_key
            .is_none());
        let error = check_jwt_secret(Some("RS256"), Some("not a pem")).unwrap_err();
        assert_eq!(error.message, "invalid key: not a PEM block");
        let bad = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert!(check_jwt_secret(Some("RS256"), Some(bad)).is_err());

        let rsa = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let rsa_pem = rsa_pem(&rsa);
        for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
            let key = check_jwt_secret(Some(alg), Some(&rsa_pem)).unwrap();
            assert!(key.public_key.is_some(), "{alg}");
        }
        // The wrong key type for the algorithm.
        assert!(check_jwt_secret(Some("ES256"), Some(&rsa_pem)).is_err());
        assert!(check_jwt_secret(Some("EdDSA"), Some(&rsa_pem)).is_err());
        let private = pem("PRIVATE KEY", b"whatever");
        let error = check_jwt_secret(Some("RS256"), Some(&private)).unwrap_err();
        assert!(error.message.contains("private key"));

        let p256 = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let p256_pem = pem("PUBLIC KEY", p256.public_key().as_der().unwrap().as_ref());
        assert!(check_jwt_secret(Some("ES256"), Some(&p256_pem)).is_ok());
        assert!(check_jwt_secret(Some("ES384"), Some(&p256_pem)).is_err());
        assert!(check_jwt_secret(Some("RS256"), Some(&p256_pem)).is_err());

        let ed = Ed25519KeyPair::generate().unwrap();
        let ed_pem = pem("PUBLIC KEY", ed.public_key().as_der().unwrap().as_ref());
        assert!(check_jwt_secret(Some("EdDSA"), Some(&ed_pem)).is_ok());
        assert!(check_jwt_secret(Some("ES256"), Some(&ed_pem)).is_err());
    }

    #[test]
    fn small_rsa_keys_are_refused() {
        // A 1024-bit RSA public key (SPKI), generated once with openssl.
        let small = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDU9ONUmWIVuwkbbXeHDzMvbjBf
+brfqyxOvN7gAgQilobYdv6M0deYZp//uGlCXd1KlxY6wUhgnZq88ri7NV2aO1ym
JOQ0Vu2T6npb/6slWiCPZQvlOZA6MX5AFMvsoT1EpKQKgGuY1FZzwiJVfP7OqhFI
R1NHhGL0LMYD0dPpjwIDAQAB
-----END PUBLIC KEY-----";
        let error = check_jwt_secret(Some("RS256"), Some(small)).unwrap_err();
        assert!(error.message.contains("2048"), "{error}");
    }
}
