//! Reads a bearer token from an `Authorization` value or an `access_token` form parameter.
//!
//! Pure functions over bytes. Reading only locates the token (UTF-8, at most `MAX_TOKEN_LEN`
//! bytes); [`checked`] requires RFC 6750 `b64token` characters and runs on a cache miss,
//! before any signature check or IdP call (a cache hit is a token that passed it already, so
//! the hot path skips the scan).

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
        Some(b' ') | Some(b'\t') => located(rest[1..].trim_ascii()).map(Some),
        None => Err(BearerTokenError::Malformed),
        _ => Ok(None),
    }
}

/// `bytes` as a token to look up: non-empty UTF-8 within the size limit.
pub fn located(bytes: &[u8]) -> Result<&str, BearerTokenError> {
    if bytes.is_empty() || bytes.len() > MAX_TOKEN_LEN {
        return Err(BearerTokenError::Malformed);
    }
    std::str::from_utf8(bytes).map_err(|_| BearerTokenError::Malformed)
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
        found = Some(located(value.as_bytes())?.to_owned());
    }
    Ok(found)
}

/// RFC 6750 `b64token` characters (before the trailing `=`s), by byte.
static TOKEN_CHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] =
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
        b += 1;
    }
    table
};

/// `bytes` as a token, if it is one.
pub fn checked(bytes: &[u8]) -> Result<&str, BearerTokenError> {
    if bytes.is_empty() || bytes.len() > MAX_TOKEN_LEN {
        return Err(BearerTokenError::Malformed);
    }
    let body_len = bytes.iter().rposition(|b| *b != b'=').map_or(0, |i| i + 1);
    let valid = body_len > 0
        && bytes[..body_len]
            .iter()
            .all(|b| TOKEN_CHAR[usize::from(*b)]);
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
        assert_eq!(checked(b"a b"), Err(BearerTokenError::Malformed));
        assert_eq!(checked(b"a\"b"), Err(BearerTokenError::Malformed));
        assert_eq!(checked(b"==="), Err(BearerTokenError::Malformed));
        assert_eq!(checked(b"a.b-c_d~e+f/g=="), Ok("a.b-c_d~e+f/g=="));
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
        assert_eq!(from_form(b"access_token=a%0Db"), Ok(Some("a\rb".into())));
        assert_eq!(checked(b"a\rb"), Err(BearerTokenError::Malformed));
        assert!(looks_like_jwt("a.b.c"));
        assert!(!looks_like_jwt("a.b.c.d"));
        assert!(!looks_like_jwt("opaque"));
    }
}
