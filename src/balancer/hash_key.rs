//! Extracts the consistent-hashing input from a request (`hash_on` / `hash_fallback`) and
//! generates the value of a missing hash cookie.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use super::settings::HashSource;

/// What the balancer may hash on, borrowed from the request.
#[derive(Debug, Clone, Copy)]
pub struct HashInput<'a> {
    /// The authenticated consumer's id.
    pub consumer_id: Option<&'a str>,
    pub client_ip: Option<std::net::IpAddr>,
    pub headers: &'a http::HeaderMap,
    pub path: &'a str,
    /// The raw query string, without '?'.
    pub query: Option<&'a str>,
}

/// The hash input `source` finds in `input`; `None` when it is missing or empty.
pub fn extract(source: &HashSource, input: &HashInput<'_>) -> Option<String> {
    let value = match source {
        HashSource::None => None,
        HashSource::Consumer => input.consumer_id.map(str::to_owned),
        HashSource::Ip => input.client_ip.map(|ip| ip.to_string()),
        HashSource::Header(name) => {
            let values: Vec<&str> = input
                .headers
                .get_all(name.as_str())
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            (!values.is_empty()).then(|| values.join(","))
        }
        HashSource::Cookie { name, .. } => cookie(input.headers, name).map(str::to_owned),
        HashSource::Path => Some(input.path.to_owned()),
        HashSource::QueryArg(name) => {
            let query = input.query?;
            let values: Vec<String> = form_urlencoded::parse(query.as_bytes())
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .collect();
            (!values.is_empty()).then(|| values.join(","))
        }
    };
    value.filter(|v| !v.is_empty())
}

/// The value of cookie `name` in the request's Cookie header(s).
fn cookie<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// A fresh random UUID-shaped cookie value (not a secret: it only pins a target).
pub fn new_cookie_value() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let state = RandomState::new();
    let word = |salt: u64| {
        let mut h = state.build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u64(salt);
        if let Ok(since) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            h.write_u128(since.as_nanos());
        }
        h.finish()
    };
    crate::config::ids::uuid_shaped(word(1), word(2), 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(headers: &'a http::HeaderMap, query: Option<&'a str>) -> HashInput<'a> {
        HashInput {
            consumer_id: Some("c-1"),
            client_ip: "192.0.2.7".parse().ok(),
            headers,
            path: "/a/b",
            query,
        }
    }

    #[test]
    fn sources() {
        let mut headers = http::HeaderMap::new();
        headers.append("x-user", http::HeaderValue::from_static("u1"));
        headers.append("x-user", http::HeaderValue::from_static("u2"));
        headers.append(
            http::header::COOKIE,
            http::HeaderValue::from_static("a=1; sticky=abc"),
        );
        let i = input(&headers, Some("q=1&user=bob&user=eve"));
        assert_eq!(extract(&HashSource::Consumer, &i).as_deref(), Some("c-1"));
        assert_eq!(extract(&HashSource::Ip, &i).as_deref(), Some("192.0.2.7"));
        let header = HashSource::Header("X-User".into());
        assert_eq!(extract(&header, &i).as_deref(), Some("u1,u2"));
        let cookie = HashSource::Cookie {
            name: "sticky".into(),
            path: "/".into(),
        };
        assert_eq!(extract(&cookie, &i).as_deref(), Some("abc"));
        assert_eq!(extract(&HashSource::Path, &i).as_deref(), Some("/a/b"));
        let arg = HashSource::QueryArg("user".into());
        assert_eq!(extract(&arg, &i).as_deref(), Some("bob,eve"));
        let missing = HashSource::QueryArg("nope".into());
        assert_eq!(extract(&missing, &i), None);
        assert_eq!(extract(&HashSource::None, &i), None);
    }

    #[test]
    fn cookie_values_are_fresh() {
        assert_ne!(new_cookie_value(), new_cookie_value());
        assert_eq!(new_cookie_value().len(), 36);
    }
}
