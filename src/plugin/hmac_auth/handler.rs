//! hmac-auth's access phase: Kong's order of checks (a credential header at all, the
//! clock skew, the credential fields, the signature, the body digest), `hide_credentials`,
//! `anonymous` and the consumer headers.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::plugin::request_body;
use pingora::http::RequestHeader;

use super::config::HmacAuthConfig;
use super::signature::{self, Algorithm, HmacParams, RequestLine};
use crate::plugin::api::Access;
use crate::plugin::consumer_headers::set_consumer;
use crate::plugin::consumer_match;
use crate::respond::ErrorResponse;

const AUTHORIZATION: &str = "authorization";
const PROXY_AUTHORIZATION: &str = "proxy-authorization";
const SIGNATURE_NOT_VALID: &str = "HMAC signature cannot be verified";
const SIGNATURE_NOT_SAME: &str = "HMAC signature does not match";
const DATE_REQUIRED: &str = "HMAC signature cannot be verified, a valid date or x-date header \
                             is required for HMAC Authentication";

/// Largest body read for `validate_request_body` (bytes): Pingora's retry buffer, which
/// replays the body to the upstream, holds this much. A larger body fails the check (Kong:
/// a body beyond `client_body_buffer_size` cannot be read and fails it too).
const MAX_BODY: usize = 64 * 1024;

/// Runs the plugin for one request.
pub async fn access(conf: &HmacAuthConfig, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
    let Some(anonymous) = &conf.anonymous else {
        // Kong's "AND": this plugin must authenticate the request.
        return authenticate(conf, access).await;
    };
    // Kong's "OR": already authenticated by another plugin, or anonymous on failure.
    if access.state.is_authenticated() {
        return Ok(());
    }
    if authenticate(conf, access).await.is_ok() {
        return Ok(());
    }
    let Some(consumer) = consumer_match::anonymous(anonymous, &access.config.consumers) else {
        log::error!("hmac-auth: the anonymous consumer is configured but does not exist");
        return Err(ErrorResponse::with_status(
            500,
            format!("anonymous consumer {anonymous} is configured but doesn't exist"),
        ));
    };
    set_consumer(
        access.state,
        access.session.req_header_mut(),
        Some(consumer),
        None,
    );
    Ok(())
}

async fn authenticate(conf: &HmacAuthConfig, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
    let refuse = |message: &'static str| ErrorResponse::challenge(message, conf.challenge.clone());
    let request = access.session.req_header();
    let has_authorization = request.headers.contains_key(AUTHORIZATION);
    let has_proxy_authorization = request.headers.contains_key(PROXY_AUTHORIZATION);
    if !(has_authorization || has_proxy_authorization) {
        return Err(refuse("Unauthorized"));
    }
    let now = unix_now();
    if !(date_within_skew(request, "x-date", now, conf.clock_skew)
        || date_within_skew(request, "date", now, conf.clock_skew))
    {
        log::info!("hmac-auth: no date or x-date header within the clock skew");
        return Err(refuse(DATE_REQUIRED));
    }

    // Proxy-Authorization first; Authorization when it has no hmac credential.
    let (from, params) = match credential(request, PROXY_AUTHORIZATION) {
        Ok(Some(params)) => (PROXY_AUTHORIZATION, Ok(params)),
        Err(()) => (PROXY_AUTHORIZATION, Err(())),
        Ok(None) => match credential(request, AUTHORIZATION) {
            Ok(Some(params)) => (AUTHORIZATION, Ok(params)),
            Ok(None) | Err(()) => (AUTHORIZATION, Err(())),
        },
    };
    let params = params.map(owned);
    if conf.hide_credentials {
        access.session.req_header_mut().remove_header(from);
    }
    let Ok(params) = params else {
        log::info!("hmac-auth: no hmac credential in {from} (missing, malformed or repeated)");
        return Err(refuse(SIGNATURE_NOT_VALID));
    };
    let algorithm = check_params(conf, &params).map_err(|why| {
        log::info!("hmac-auth: {why}");
        refuse(SIGNATURE_NOT_VALID)
    })?;

    let credentials = &access.config.credentials.hmac_auth;
    let Some(credential) = std::str::from_utf8(&params.username)
        .ok()
        .and_then(|username| credentials.get(username))
    else {
        log::info!("hmac-auth: no credential for the username given");
        return Err(refuse(SIGNATURE_NOT_VALID));
    };

    let request = access.session.req_header();
    let headers: Vec<&[u8]> = params.headers.iter().map(Vec::as_slice).collect();
    let signing_string = signature::signing_string(
        &headers,
        RequestLine {
            method: request.method.as_str(),
            path_with_query: request.raw_path(),
            version: http_version(request.version),
        },
        |name| header_value(request, name),
    );
    if !signature::signature_matches(
        algorithm,
        credential.secret.expose(),
        &signing_string,
        &params.signature,
    ) {
        log::info!("hmac-auth: the signature does not match");
        return Err(refuse(SIGNATURE_NOT_SAME));
    }

    if conf.validate_request_body {
        let digest = access
            .session
            .req_header()
            .headers
            .get("digest")
            .map(|v| v.as_bytes().to_vec());
        let body_ok = match request_body::read_replayable(access.session, MAX_BODY)
            .await
            .ok()
        {
            Some(body) => signature::body_matches(&body, digest.as_deref()),
            None => false,
        };
        if !body_ok {
            log::info!("hmac-auth: the body digest does not match (or the body is too large)");
            return Err(refuse(SIGNATURE_NOT_SAME));
        }
    }

    let Some(consumer) = access
        .config
        .consumers
        .list
        .get(credential.consumer)
        .cloned()
    else {
        log::error!("hmac-auth: the credential's consumer is missing");
        return Err(ErrorResponse::internal());
    };
    set_consumer(
        access.state,
        access.session.req_header_mut(),
        Some(consumer),
        Some(credential.username.clone()),
    );
    Ok(())
}

/// The hmac credential in the header `name`: `Ok(None)` when the header is absent or holds
/// none, `Err` when it is sent more than once (refused rather than picking one).
fn credential<'r>(request: &'r RequestHeader, name: &str) -> Result<Option<HmacParams<'r>>, ()> {
    let mut values = request.headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(());
    }
    Ok(signature::parse_authorization(value.as_bytes()))
}

/// The credential's fields, copied out of the request header (which hide_credentials edits).
struct Params {
    username: Vec<u8>,
    algorithm: Vec<u8>,
    headers: Vec<Vec<u8>>,
    signature: Vec<u8>,
}

fn owned(params: HmacParams<'_>) -> Params {
    Params {
        username: params.username.to_vec(),
        algorithm: params.algorithm.to_vec(),
        headers: params.headers.iter().map(|h| h.to_vec()).collect(),
        signature: params.signature.to_vec(),
    }
}

/// Kong's `validate_params`: every enforced header signed, an allowed algorithm.
fn check_params(conf: &HmacAuthConfig, params: &Params) -> Result<Algorithm, &'static str> {
    let signed = |name: &str| params.headers.iter().any(|h| h == name.as_bytes());
    if !conf.enforce_headers.iter().all(|name| signed(name)) {
        return Err("enforced header not used for signature creation");
    }
    Algorithm::from_name(&params.algorithm)
        .filter(|a| conf.algorithms.contains(a))
        .ok_or("algorithm not supported")
}

/// The first value of the header `name` (any case; `_` stands for `-`, as nginx's
/// `$http_*` variables read it).
fn header_value<'r>(request: &'r RequestHeader, name: &[u8]) -> Option<&'r [u8]> {
    let name: Vec<u8> = name
        .iter()
        .map(|b| {
            if *b == b'_' {
                b'-'
            } else {
                b.to_ascii_lowercase()
            }
        })
        .collect();
    let name = http::HeaderName::from_bytes(&name).ok()?;
    request.headers.get(name).map(|v| v.as_bytes())
}

fn date_within_skew(request: &RequestHeader, name: &str, now: i64, skew: f64) -> bool {
    request
        .headers
        .get(name)
        .and_then(|v| signature::parse_http_date(v.as_bytes()))
        .is_some_and(|date| (now.saturating_sub(date)).unsigned_abs() as f64 <= skew)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn http_version(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_09 => "0.9",
        http::Version::HTTP_10 => "1.0",
        http::Version::HTTP_2 => "2.0",
        http::Version::HTTP_3 => "3.0",
        _ => "1.1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf() -> HmacAuthConfig {
        HmacAuthConfig {
            hide_credentials: false,
            clock_skew: 300.0,
            anonymous: None,
            validate_request_body: false,
            enforce_headers: vec!["date".into(), "request-line".into()],
            algorithms: vec![Algorithm::Sha256],
            challenge: "hmac".into(),
        }
    }

    fn params(algorithm: &str, headers: &[&str]) -> Params {
        Params {
            username: b"bob".to_vec(),
            algorithm: algorithm.as_bytes().to_vec(),
            headers: headers.iter().map(|h| h.as_bytes().to_vec()).collect(),
            signature: b"x".to_vec(),
        }
    }

    #[test]
    fn enforced_headers_and_algorithms() {
        let conf = conf();
        assert_eq!(
            check_params(&conf, &params("hmac-sha256", &["request-line", "date"])),
            Ok(Algorithm::Sha256)
        );
        assert!(check_params(&conf, &params("hmac-sha256", &["date"])).is_err());
        assert!(check_params(&conf, &params("hmac-sha1", &["date", "request-line"])).is_err());
    }

    #[test]
    fn dates_skew_and_header_lookup() {
        let mut request = RequestHeader::build("GET", b"/", None).unwrap();
        request
            .insert_header("Date", "Sun, 06 Nov 1994 08:49:37 GMT")
            .unwrap();
        request.append_header("X-Custom-Thing", "one").unwrap();
        request.append_header("X-Custom-Thing", "two").unwrap();
        let t = 784_111_777;
        assert!(date_within_skew(&request, "date", t + 300, 300.0));
        assert!(date_within_skew(&request, "date", t - 300, 300.0));
        assert!(!date_within_skew(&request, "date", t + 301, 300.0));
        assert!(!date_within_skew(&request, "x-date", t, 300.0));
        assert_eq!(header_value(&request, b"X_CUSTOM_thing"), Some(&b"one"[..]));
        assert_eq!(header_value(&request, b"bad name"), None);
        assert_eq!(http_version(http::Version::HTTP_10), "1.0");
    }

    #[test]
    fn repeated_credential_headers_are_refused() {
        let value =
            r#"hmac username="bob", algorithm="hmac-sha256", headers="date", signature="x""#;
        let mut request = RequestHeader::build("GET", b"/", None).unwrap();
        request.append_header(AUTHORIZATION, value).unwrap();
        assert!(credential(&request, AUTHORIZATION).unwrap().is_some());
        request.append_header(AUTHORIZATION, value).unwrap();
        assert!(credential(&request, AUTHORIZATION).is_err());
        assert_eq!(credential(&request, PROXY_AUTHORIZATION), Ok(None));
    }
}
