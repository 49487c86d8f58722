//! Checks an upstream's `hash_on` / `hash_fallback` and the fields each needs, with
//! Kong's rules between the two.

use super::errors::{join, ConfigErrors};
use super::upstream_model::UpstreamDef;
use crate::balancer::HashSource;

/// `hash_on` (primary) or `hash_fallback` with the fields it needs.
pub fn hash_source(
    def: &UpstreamDef,
    primary: bool,
    path: &str,
    errors: &mut ConfigErrors,
) -> HashSource {
    let (field, value, header, query_arg) = if primary {
        (
            "hash_on",
            def.hash_on.as_deref(),
            ("hash_on_header", def.hash_on_header.as_deref()),
            ("hash_on_query_arg", def.hash_on_query_arg.as_deref()),
        )
    } else {
        (
            "hash_fallback",
            def.hash_fallback.as_deref(),
            ("hash_fallback_header", def.hash_fallback_header.as_deref()),
            (
                "hash_fallback_query_arg",
                def.hash_fallback_query_arg.as_deref(),
            ),
        )
    };
    let required = |(name, value): (&str, Option<&str>), errors: &mut ConfigErrors| match value
        .filter(|v| !v.is_empty())
    {
        Some(v) => Some(v.to_owned()),
        None => {
            errors.push(
                join(path, name),
                format!(
                    "missing field: required when {field} is '{}'",
                    value_or(def, primary)
                ),
            );
            None
        }
    };
    match value.unwrap_or("none") {
        "none" => HashSource::None,
        "consumer" => HashSource::Consumer,
        "ip" => HashSource::Ip,
        "path" => HashSource::Path,
        "header" => match required(header, errors) {
            Some(name) if http::HeaderName::from_bytes(name.as_bytes()).is_ok() => {
                HashSource::Header(name.to_ascii_lowercase())
            }
            Some(_) => {
                errors.push(
                    join(path, header.0),
                    "invalid value: expected a header name",
                );
                HashSource::None
            }
            None => HashSource::None,
        },
        "query_arg" => required(query_arg, errors)
            .map(HashSource::QueryArg)
            .unwrap_or(HashSource::None),
        "cookie" if primary => {
            let cookie = required(("hash_on_cookie", def.hash_on_cookie.as_deref()), errors);
            let cookie_path = def
                .hash_on_cookie_path
                .clone()
                .unwrap_or_else(|| "/".to_owned());
            // RFC 6265 path-value: visible ASCII without ';' (and no ',' or space here).
            let path_ok = cookie_path
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b';' && b != b',');
            if !cookie_path.starts_with('/') || !path_ok {
                errors.push(
                    join(path, "hash_on_cookie_path"),
                    "invalid value: expected a path starting with '/'",
                );
            }
            let valid_name = |c: &str| {
                c.bytes()
                    .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
            };
            match cookie {
                Some(name) if valid_name(&name) => HashSource::Cookie {
                    name,
                    path: cookie_path,
                },
                Some(_) => {
                    errors.push(
                        join(path, "hash_on_cookie"),
                        "invalid value: expected a cookie name",
                    );
                    HashSource::None
                }
                None => HashSource::None,
            }
        }
        "cookie" => {
            errors.push(
                join(path, field),
                "invalid value: 'cookie' is only allowed as hash_on",
            );
            HashSource::None
        }
        "uri_capture" => {
            errors.push(
                join(path, field),
                "unsupported value 'uri_capture': regex route captures are not implemented",
            );
            HashSource::None
        }
        _ => {
            errors.push(
                join(path, field),
                "invalid value: expected one of none, consumer, ip, header, cookie, path, query_arg",
            );
            HashSource::None
        }
    }
}

fn value_or(def: &UpstreamDef, primary: bool) -> &str {
    let value = if primary {
        def.hash_on.as_deref()
    } else {
        def.hash_fallback.as_deref()
    };
    value.unwrap_or("none")
}

/// Kong's rules between `hash_on` and `hash_fallback`.
pub fn check_hash_pair(
    def: &UpstreamDef,
    on: &HashSource,
    fallback: &HashSource,
    path: &str,
    errors: &mut ConfigErrors,
) {
    let at = join(path, "hash_fallback");
    let fallback_set = def.hash_fallback.as_deref().is_some_and(|f| f != "none");
    if !fallback_set {
        return;
    }
    match on {
        HashSource::None => errors.push(at, "invalid value: must be 'none' when hash_on is 'none'"),
        HashSource::Cookie { .. } => {
            errors.push(at, "invalid value: must be 'none' when hash_on is 'cookie'")
        }
        HashSource::Header(a) => {
            if matches!(fallback, HashSource::Header(b) if a == b) {
                errors.push(
                    join(path, "hash_fallback_header"),
                    "invalid value: must differ from hash_on_header",
                );
            }
        }
        HashSource::QueryArg(a) => {
            if matches!(fallback, HashSource::QueryArg(b) if a == b) {
                errors.push(
                    join(path, "hash_fallback_query_arg"),
                    "invalid value: must differ from hash_on_query_arg",
                );
            }
        }
        _ if on == fallback => errors.push(at, "invalid value: must differ from hash_on"),
        _ => {}
    }
}
