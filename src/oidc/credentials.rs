//! Reads client credentials from the Authorization header, the query string or a form body.
//!
//! Pure functions over bytes: no Pingora types, no I/O. Malformed input is an error that the
//! plugin turns into a 401 without calling the IdP.

use base64::Engine;

use super::secret::ClientCredentials;

/// Why presented credentials could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialsError {
    /// `Authorization: Basic` whose payload is not valid base64.
    BadBase64,
    /// The decoded payload has no `:` separating id and secret.
    MissingColon,
    /// The id or the secret is empty.
    EmptyPart,
    /// Not UTF-8, or a control character inside the id or secret.
    BadCharacters,
    /// More than one value for a credential parameter.
    Ambiguous,
}

/// Longest Authorization header accepted for Basic credentials (bytes).
const MAX_BASIC_HEADER_LEN: usize = 4096;

/// Credentials from an `Authorization` header value.
///
/// `Ok(None)` when the header is not a Basic one (another scheme is not ours to judge).
pub fn from_authorization_header(
    value: &[u8],
) -> Result<Option<ClientCredentials>, CredentialsError> {
    let Some(encoded) = strip_basic_scheme(value) else {
        return Ok(None);
    };
    if value.len() > MAX_BASIC_HEADER_LEN {
        return Err(CredentialsError::BadBase64);
    }
    let encoded = encoded.trim_ascii();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| CredentialsError::BadBase64)?;
    let decoded = String::from_utf8(decoded).map_err(|_| CredentialsError::BadCharacters)?;
    let id_len = decoded.find(':').ok_or(CredentialsError::MissingColon)?;
    checked(decoded, id_len).map(Some)
}

/// Credentials from `client_id` and `client_secret` in an `application/x-www-form-urlencoded`
/// string (a query string or a form body). `Ok(None)` when neither parameter is present.
pub fn from_form(form: &[u8]) -> Result<Option<ClientCredentials>, CredentialsError> {
    let mut id = None;
    let mut secret = None;
    for (name, value) in form_urlencoded::parse(form) {
        let slot = match name.as_ref() {
            "client_id" => &mut id,
            "client_secret" => &mut secret,
            _ => continue,
        };
        if slot.is_some() {
            return Err(CredentialsError::Ambiguous);
        }
        *slot = Some(value.into_owned());
    }
    match (id, secret) {
        (None, None) => Ok(None),
        (Some(id), Some(secret)) => {
            let id_len = id.len();
            checked(id + ":" + &secret, id_len).map(Some)
        }
        _ => Err(CredentialsError::EmptyPart),
    }
}

/// Credentials from `id:secret` (separator at `id_len`), both parts non-empty and free of
/// control characters.
fn checked(joined: String, id_len: usize) -> Result<ClientCredentials, CredentialsError> {
    if id_len == 0 || joined.len() <= id_len + 1 {
        return Err(CredentialsError::EmptyPart);
    }
    if joined.chars().any(char::is_control) {
        return Err(CredentialsError::BadCharacters);
    }
    ClientCredentials::from_joined(joined, id_len).ok_or(CredentialsError::EmptyPart)
}

/// The part after `Basic ` (scheme matched case-insensitively), if the value is Basic.
fn strip_basic_scheme(value: &[u8]) -> Option<&[u8]> {
    let value = value.trim_ascii();
    let (scheme, rest) = value.split_at_checked(5)?;
    if !scheme.eq_ignore_ascii_case(b"basic") {
        return None;
    }
    match rest.first() {
        Some(b' ') | Some(b'\t') => Some(&rest[1..]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> Vec<u8> {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
        .into_bytes()
    }

    #[test]
    fn splits_at_the_first_colon() {
        let creds = from_authorization_header(&basic("kong_id:se:cr:et"))
            .unwrap()
            .unwrap();
        assert_eq!(creds.client_id(), "kong_id");
        assert_eq!(creds.expose_secret(), "se:cr:et");
    }

    #[test]
    fn scheme_is_case_insensitive_and_other_schemes_are_not_ours() {
        let mut lower = basic("a:b");
        lower[..5].copy_from_slice(b"bAsIc");
        assert!(from_authorization_header(&lower).unwrap().is_some());
        assert_eq!(from_authorization_header(b"Bearer abc").unwrap(), None);
        assert_eq!(from_authorization_header(b"Basicxyz").unwrap(), None);
    }

    #[test]
    fn malformed_basic_is_an_error() {
        assert_eq!(
            from_authorization_header(b"Basic !!!"),
            Err(CredentialsError::BadBase64)
        );
        assert_eq!(
            from_authorization_header(&basic("nocolon")),
            Err(CredentialsError::MissingColon)
        );
        assert_eq!(
            from_authorization_header(&basic(":secret")),
            Err(CredentialsError::EmptyPart)
        );
        assert_eq!(
            from_authorization_header(&basic("id:")),
            Err(CredentialsError::EmptyPart)
        );
        assert_eq!(
            from_authorization_header(&basic("id:se\ncret")),
            Err(CredentialsError::BadCharacters)
        );
        let not_utf8 = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode([0xff, b':', b'a'])
        );
        assert_eq!(
            from_authorization_header(not_utf8.as_bytes()),
            Err(CredentialsError::BadCharacters)
        );
    }

    #[test]
    fn form_parameters_are_decoded() {
        let creds = from_form(b"x=1&client_id=kong%5Fid&client_secret=a%2Bb+c")
            .unwrap()
            .unwrap();
        assert_eq!(creds.client_id(), "kong_id");
        assert_eq!(creds.expose_secret(), "a+b c");
        assert_eq!(from_form(b"x=1").unwrap(), None);
        assert_eq!(from_form(b"client_id=a"), Err(CredentialsError::EmptyPart));
        assert_eq!(
            from_form(b"client_id=a&client_id=b&client_secret=c"),
            Err(CredentialsError::Ambiguous)
        );
    }
}
