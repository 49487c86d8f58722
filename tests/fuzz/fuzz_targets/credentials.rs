//! Fuzz target: client credentials from a Basic `Authorization` header and from a form or
//! query string. Never panics; whatever parses has a non-empty id and secret, survives
//! re-encoding unchanged, and never shows its secret in `Debug`.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use oidc_gateway::oidc::credentials::{from_authorization_header, from_form};
use oidc_gateway::oidc::secret::ClientCredentials;

/// Longest Basic header `from_authorization_header` accepts (its private limit).
const MAX_BASIC_HEADER_LEN: usize = 4096;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(credentials)) = from_authorization_header(data) {
        check_parts(&credentials);
        // Basic splits at the first colon, so the id never holds one.
        assert!(!credentials.client_id().contains(':'));
        check_basic_round_trip(&credentials);
        check_form_round_trip(&credentials);
    }
    if let Ok(Some(credentials)) = from_form(data) {
        check_parts(&credentials);
        check_form_round_trip(&credentials);
        if !credentials.client_id().contains(':') {
            check_basic_round_trip(&credentials);
        }
    }
});

/// Non-empty id and secret without control characters; `Debug` redacts the secret.
fn check_parts(credentials: &ClientCredentials) {
    let (id, secret) = (credentials.client_id(), credentials.expose_secret());
    assert!(!id.is_empty() && !secret.is_empty());
    assert!(!id.chars().chain(secret.chars()).any(char::is_control));
    assert_eq!(
        format!("{credentials:?}"),
        format!("ClientCredentials {{ client_id: {id:?}, client_secret: \"[redacted]\" }}")
    );
    assert_eq!(&ClientCredentials::new(id, secret), credentials);
}

fn check_basic_round_trip(credentials: &ClientCredentials) {
    let joined = format!(
        "{}:{}",
        credentials.client_id(),
        credentials.expose_secret()
    );
    let header = format!("Basic {}", STANDARD.encode(joined));
    let again = from_authorization_header(header.as_bytes());
    if header.len() > MAX_BASIC_HEADER_LEN {
        // Form credentials have no such cap; Basic refuses a header this long.
        assert!(again.is_err());
    } else {
        assert_eq!(again, Ok(Some(credentials.clone())), "{header}");
    }
}

fn check_form_round_trip(credentials: &ClientCredentials) {
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", credentials.client_id())
        .append_pair("client_secret", credentials.expose_secret())
        .finish();
    let again = from_form(form.as_bytes());
    assert_eq!(again, Ok(Some(credentials.clone())), "{form}");
}
