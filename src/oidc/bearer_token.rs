//! Reads a bearer token from an `Authorization` value or an `access_token` form parameter.
//!
//! Pure functions over bytes. A token must be RFC 6750 `b64token` characters and at most
//! `MAX_TOKEN_LEN` bytes; anything else is refused before any cryptography or IdP call.

use super::jwt::MAX_TOKEN_LEN;

/// Why a presented bearer token could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerTokenError {
    /// Empty, over the size limit, or with characters outside RFC 6750's `b64token`.
    Malformed,
    /// More than one token (two headers, two parameters, or a token in two places).
    Ambiguous,
}

/// Name of the query, body and header parameter that carries a token.
pub const ACCESS_TOKEN_PARAM: &str = "access_token";

/// The token of an `Authorization: Bearer <token>` value. `Ok(None)` when the scheme is not
/// Bearer (Basic is for client_credentials).
pub fn from_authorization_header(value: &[u8]) -> Result<Option<&str>, BearerTokenError> {
    let value = value.trim_ascii();
    let Some((scheme, rest)) = value.split_at_checked(6) else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Ok(None);
    }
    match rest.first() {
        Some(b' ') | Some(b'\t') => checked(rest[1..].trim_ascii()).map(Some),
        None => Err(BearerTokenError::Malformed),
        _ => Ok(None),
    }
}

/// The `access_token` parameter of a query string or form body; `Ok(None)` when absent.
pub fn from_form(form: &[u8]) -> Result<Option<String>, BearerTokenError> {
    let mut found = None;
    for (name, value) in form_urlencoded::parse(form) {
        if name != ACCESS_TOKEN_PARAM {
            continue;
        }
        if found.is_some() {
            return Err(BearerTokenError::Ambiguous);
        }
        found = Some(checked(value.as_bytes())?.to_owned());
    }
    Ok(found)
}

/// `bytes` as a token, if it is one.
pub fn checked(bytes: &[u8]) -> Result<&str, BearerTokenError> {
    if bytes.is_empty() || bytes.len() > MAX_TOKEN_LEN {
        return Err(BearerTokenError::Malformed);
    }
    let body_len = bytes.iter().rposition(|b| *b != b'=').map_or(0, |i| i + 1);
    let valid = body_len > 0
        && bytes[..body_len]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(b));
    if !valid {
        return Err(BearerTokenError::Malformed);
    }
    std::str::from_utf8(bytes).map_err(|_| BearerTokenError::Malformed)
}

/// Whether `token` has the shape of a compact JWS (three dot-separated parts); anything else
/// is opaque and goes to introspection.
pub fn looks_like_jwt(token: &str) -> bool {
    token.bytes().filter(|b| *b == b'.').count() == 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_values_are_read() {
        assert_eq!(
            from_authorization_header(b"Bearer a.b.c"),
            Ok(Some("a.b.c"))
        );
        assert_eq!(
            from_authorization_header(b"bEaReR  abc=="),
            Ok(Some("abc=="))
        );
        assert_eq!(from_authorization_header(b"Basic YTpi"), Ok(None));
        assert_eq!(from_authorization_header(b"Bearerx"), Ok(None));
        assert_eq!(
            from_authorization_header(b"Bearer "),
            Err(BearerTokenError::Malformed)
        );
        assert_eq!(
            from_authorization_header(b"Bearer a b"),
            Err(BearerTokenError::Malformed)
        );
        assert_eq!(
            from_authorization_header(b"Bearer a\"b"),
            Err(BearerTokenError::Malformed)
        );
        let big = format!("Bearer {}", "a".repeat(MAX_TOKEN_LEN + 1));
        assert_eq!(
            from_authorization_header(big.as_bytes()),
            Err(BearerTokenError::Malformed)
        );
    }

    #[test]
    fn form_tokens_are_read_once() {
        assert_eq!(
            from_form(b"a=1&access_token=x.y.z"),
            Ok(Some("x.y.z".into()))
        );
        assert_eq!(from_form(b"a=1"), Ok(None));
        assert_eq!(
            from_form(b"access_token=a&access_token=b"),
            Err(BearerTokenError::Ambiguous)
        );
        assert_eq!(
            from_form(b"access_token=a%0Db"),
            Err(BearerTokenError::Malformed)
        );
        assert!(looks_like_jwt("a.b.c"));
        assert!(!looks_like_jwt("a.b.c.d"));
        assert!(!looks_like_jwt("opaque"));
    }
}
