//! Header conditions: every named header must be present (names AND) with one of the
//! listed values (values OR), compared case-insensitively; a value starting with `~*`
//! is a case-insensitive regex, searched anywhere in the header value (Kong's form).

use http::{HeaderMap, HeaderName};
use regex::Regex;

use super::path::compile_regex;

#[derive(Debug, Clone)]
pub(super) struct HeaderRule {
    name: HeaderName,
    plain: Vec<String>,
    regexes: Vec<Regex>,
}

impl HeaderRule {
    pub(super) fn new(name: &str, values: &[String]) -> Result<HeaderRule, String> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| "invalid header name".to_owned())?;
        let mut plain = Vec::new();
        let mut regexes = Vec::new();
        for value in values {
            match value.strip_prefix("~*") {
                Some(regex) => regexes.push(compile_regex(regex, true)?),
                None => plain.push(value.clone()),
            }
        }
        Ok(HeaderRule {
            name,
            plain,
            regexes,
        })
    }

    pub(super) fn matches(&self, headers: Option<&HeaderMap>) -> bool {
        let Some(headers) = headers else {
            return false;
        };
        headers.get_all(&self.name).iter().any(|value| {
            let Ok(value) = value.to_str() else {
                return false;
            };
            self.plain.iter().any(|p| p.eq_ignore_ascii_case(value))
                || self.regexes.iter().any(|r| r.is_match(value))
        })
    }
}

/// Checks one header condition's name and values; `Err((value index, message))`, the
/// index being `None` for the name itself.
pub fn check_header(name: &str, values: &[String]) -> Result<(), (Option<usize>, String)> {
    if HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err((None, "invalid value: expected a header name".to_owned()));
    }
    if name.eq_ignore_ascii_case("host") {
        return Err((
            None,
            "not allowed: use 'hosts' to match the Host header".to_owned(),
        ));
    }
    if values.is_empty() {
        return Err((None, "must not be empty".to_owned()));
    }
    for (i, value) in values.iter().enumerate() {
        if let Some(regex) = value.strip_prefix("~*") {
            compile_regex(regex, true).map_err(|m| (Some(i), m))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, http::HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn values_are_or_and_case_insensitive() {
        let rule = HeaderRule::new("X-Version", &["v1".into(), "V2".into()]).unwrap();
        assert!(rule.matches(Some(&headers(&[("x-version", "V1")]))));
        assert!(rule.matches(Some(&headers(&[("x-version", "v3"), ("x-version", "v2")]))));
        assert!(!rule.matches(Some(&headers(&[("x-version", "v3")]))));
        assert!(!rule.matches(Some(&headers(&[]))));
        assert!(!rule.matches(None));
    }

    #[test]
    fn regex_values() {
        let rule = HeaderRule::new("x-tenant", &["~*^acme-\\d+$".into()]).unwrap();
        assert!(rule.matches(Some(&headers(&[("x-tenant", "ACME-12")]))));
        assert!(!rule.matches(Some(&headers(&[("x-tenant", "acme-x")]))));
    }

    #[test]
    fn checks() {
        assert!(check_header("x-a", &["1".into()]).is_ok());
        assert_eq!(check_header("Host", &["a".into()]).unwrap_err().0, None);
        assert_eq!(check_header("bad name", &["a".into()]).unwrap_err().0, None);
        assert_eq!(check_header("x-a", &[]).unwrap_err().0, None);
        assert_eq!(
            check_header("x-a", &["a".into(), "~*(".into()])
                .unwrap_err()
                .0,
            Some(1)
        );
    }
}
