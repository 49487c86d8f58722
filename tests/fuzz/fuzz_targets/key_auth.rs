//! Fuzz target: key-auth's key extraction from a query string and from form, JSON and
//! multipart bodies (the first byte picks the kind). Never panics; a key found in a form
//! survives re-encoding; a body without the key field no longer has it.
#![no_main]

use bytes::Bytes;
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;
use oidc_gateway::plugin::key_auth::body::ParsedBody;
use oidc_gateway::plugin::key_auth::extract::{
    find_key, form_field, Allowed, Field, Lookup, Sources,
};

const CONTENT_TYPES: [&[u8]; 4] = [
    b"application/x-www-form-urlencoded",
    b"application/json",
    b"multipart/form-data; boundary=XyZ",
    b"multipart/form-data; boundary=\"a b\"",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    // The query string.
    if let Field::Text(key) = form_field(rest, "apikey") {
        let encoded: String = form_urlencoded::byte_serialize(&key).collect();
        let again = format!("apikey={encoded}");
        assert_eq!(form_field(again.as_bytes(), "apikey"), Field::Text(key));
    }
    let names = vec!["apikey".to_owned(), "api_key".to_owned()];
    let allowed = Allowed {
        header: true,
        query: true,
        body: true,
    };
    let headers = HeaderMap::new();
    let body = ParsedBody::parse(
        Some(CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()]),
        Bytes::copy_from_slice(rest),
    );
    let sources = Sources {
        headers: &headers,
        query: Some(rest),
        body: Some(&body),
    };
    assert_ne!(find_key(&names, allowed, &sources), Lookup::NeedBody);
    let field = body.field("apikey");
    match body.without("apikey") {
        Some(stripped) => {
            assert_ne!(field, Field::Absent);
            let content_type = CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()];
            let again = ParsedBody::parse(Some(content_type), stripped);
            assert_eq!(again.field("apikey"), Field::Absent);
        }
        None => assert_eq!(field, Field::Absent),
    }
});
