//! Fuzz target: basic-auth's `Authorization: Basic` parser (Kong's regex, nginx's base64).
//! Never panics; a parsed username is non-empty without a colon, a password has no newline,
//! and re-encoding the pair parses back to it; canonical base64 decodes as the base64 crate does.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use oidc_gateway::plugin::basic_auth::header::{decode_base64, parse_basic, Basic};

fuzz_target!(|data: &[u8]| {
    if let Basic::Credentials { username, password } = parse_basic(data) {
        assert!(!username.is_empty() && !username.contains(&b':'));
        assert!(!password.contains(&b'\n'));
        let mut joined = username.clone();
        joined.push(b':');
        joined.extend_from_slice(&password);
        let header = format!("Basic {}", STANDARD.encode(&joined));
        assert_eq!(
            parse_basic(header.as_bytes()),
            Basic::Credentials { username, password }
        );
    }
    let _ = decode_base64(data);
    let encoded = STANDARD.encode(data);
    assert_eq!(decode_base64(encoded.as_bytes()).as_deref(), Some(data));
});
