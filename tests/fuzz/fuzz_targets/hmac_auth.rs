//! Fuzz target: hmac-auth's `Authorization: hmac ...` parser, signing string, signature and
//! digest checks and HTTP date parser. Never panics; a parsed credential has non-empty fields
//! without newlines and, read from one line, parses back to itself once written in Kong's
//! canonical form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oidc_gateway::plugin::hmac_auth::signature::{
    body_matches, decode_base64_lenient, parse_authorization, parse_http_date, sign,
    signature_matches, signing_string, Algorithm, RequestLine,
};

fuzz_target!(|data: &[u8]| {
    if let Some(params) = parse_authorization(data) {
        for field in [params.username, params.algorithm, params.signature] {
            assert!(!field.is_empty());
            assert!(!field.contains(&b'\n'));
        }
        let headers = params.headers.join(&b' ');
        assert!(!headers.is_empty() && !headers.contains(&b'\n'));

        let mut canonical = Vec::new();
        for part in [
            &b"hmac username=\""[..],
            params.username,
            b"\", algorithm=\"",
            params.algorithm,
            b"\", headers=\"",
            &headers,
            b"\", signature=\"",
            params.signature,
            b"\"",
        ] {
            canonical.extend_from_slice(part);
        }
        // Kong's `\s*` also matches a newline, which `.` does not: only a single-line value
        // (every real header value) is sure to read back the same.
        if !data.contains(&b'\n') {
            assert_eq!(parse_authorization(&canonical).as_ref(), Some(&params));
        }

        let request = RequestLine {
            method: "GET",
            path_with_query: b"/request?a=1",
            version: "1.1",
        };
        let value =
            |name: &[u8]| (name == b"date").then_some(&b"Thu, 03 Dec 2026 15:00:00 GMT"[..]);
        let string = signing_string(&params.headers, request, value);
        let algorithm = Algorithm::from_name(params.algorithm).unwrap_or(Algorithm::Sha256);
        let _ = signature_matches(algorithm, b"secret", &string, params.signature);
        let good = sign(algorithm, b"secret", &string);
        assert!(signature_matches(
            algorithm,
            b"secret",
            &string,
            good.as_bytes()
        ));
    }
    if let Some(seconds) = parse_http_date(data) {
        // Four-digit years at most: within year 0..=9999.
        assert!((-62_167_219_200..=253_402_300_799).contains(&seconds));
    }
    let _ = decode_base64_lenient(data);
    let _ = body_matches(data, Some(data));
});
