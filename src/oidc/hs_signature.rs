//! Shared-secret JWS signatures (HS256/384/512), accepted only with `enable_hs_signatures`:
//! verified with the plugin's client secrets (OIDC Core 10.1), never with key-set material,
//! so an HS token "signed" with a public RSA key has nothing to verify against.

use aws_lc_rs::hmac;

/// The HMAC of an `HS*` algorithm name; `None` for every other name.
pub fn algorithm(name: &str) -> Option<hmac::Algorithm> {
    match name {
        "HS256" => Some(hmac::HMAC_SHA256),
        "HS384" => Some(hmac::HMAC_SHA384),
        "HS512" => Some(hmac::HMAC_SHA512),
        _ => None,
    }
}

/// Shortest secret usable with `algorithm`: the hash output's length (RFC 7518 3.2).
pub fn min_secret_len(algorithm: hmac::Algorithm) -> usize {
    algorithm.digest_algorithm().output_len()
}

/// Whether `signature` over `message` is the HMAC of one of `secrets` (too short ones are
/// skipped). The comparison is constant-time.
pub fn verify(
    algorithm: hmac::Algorithm,
    secrets: &[String],
    message: &[u8],
    signature: &[u8],
) -> bool {
    secrets
        .iter()
        .filter(|secret| secret.len() >= min_secret_len(algorithm))
        .any(|secret| {
            let key = hmac::Key::new(algorithm, secret.as_bytes());
            hmac::verify(&key, message, signature).is_ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_long_enough_secrets_verify() {
        let secret = "0123456789abcdef0123456789abcdef".to_owned();
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
        let tag = hmac::sign(&key, b"m");
        let secrets = ["short".to_owned(), secret.clone()];
        assert!(verify(hmac::HMAC_SHA256, &secrets, b"m", tag.as_ref()));
        assert!(!verify(hmac::HMAC_SHA256, &secrets, b"x", tag.as_ref()));
        let short = "short".to_owned();
        let short_tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, short.as_bytes()), b"m");
        assert!(!verify(
            hmac::HMAC_SHA256,
            &[short],
            b"m",
            short_tag.as_ref()
        ));
        assert!(algorithm("RS256").is_none());
        assert_eq!(min_secret_len(hmac::HMAC_SHA512), 64);
    }
}
