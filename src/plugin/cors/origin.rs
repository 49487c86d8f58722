//! cors's pure core: Kong's origin rules (plain origins compared after normalising the
//! default port away, other entries as regexes anchored at both ends, matched against the
//! host alone when the entry has no `:`) and the choice of `Access-Control-Allow-Origin`.

use regex::Regex;

use super::config::Origins;

/// One entry of `origins` other than `*`.
#[derive(Debug, Clone)]
pub enum OriginRule {
    /// `*` among several entries: everyone, once a request has an `Origin`.
    Any,
    /// A plain origin, normalised.
    Exact(String),
    /// A regex; `by_host`: matched against the origin's host only.
    Regex { regex: Regex, by_host: bool },
}

/// Whether an entry looks like a plain origin to Kong (only `A-Za-z0-9.:/-`).
pub fn is_plain(entry: &str) -> bool {
    !entry.is_empty()
        && entry
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'-'))
}

/// Compiles one entry of `origins`; the error is Kong's message.
pub fn compile_rule(entry: &str) -> Result<OriginRule, String> {
    let invalid = || format!("'{entry}' is not a valid regex");
    if entry == "*" {
        return Ok(OriginRule::Any);
    }
    // Kong's schema: every entry must compile as a regex.
    Regex::new(entry).map_err(|_| invalid())?;
    if is_plain(entry) {
        return Ok(OriginRule::Exact(normalize(entry).0));
    }
    let mut body = entry.strip_prefix('^').unwrap_or(entry).to_owned();
    if !body.ends_with('$') {
        body.push('$');
    }
    let regex = Regex::new(&format!("^(?:{body})")).map_err(|_| invalid())?;
    Ok(OriginRule::Regex {
        regex,
        by_host: !entry.contains(':'),
    })
}

/// An origin as Kong normalises it: (`scheme://host[:port]` without the scheme's default
/// port, host). Without a host (`null`, `a.test`), both are the value itself.
pub fn normalize(origin: &str) -> (String, String) {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return (origin.to_owned(), origin.to_owned());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        match inner.split_once(']') {
            Some((h, tail)) => (h, tail.strip_prefix(':')),
            None => (inner, None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return (origin.to_owned(), origin.to_owned());
    }
    let port = port.filter(|p| {
        let default_port = (scheme == "http" && *p == "80") || (scheme == "https" && *p == "443");
        !p.is_empty() && !default_port
    });
    let shown_host = if authority.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let domain = match port {
        Some(port) => format!("{scheme}://{shown_host}:{port}"),
        None => format!("{scheme}://{shown_host}"),
    };
    (domain, host.to_owned())
}

/// What `Access-Control-Allow-Origin` becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowOrigin {
    /// `*` (Kong's `allow_all`).
    All,
    /// This origin.
    Origin(String),
    /// None: the header is removed.
    None,
}

/// Kong's `configure_origin`: the allowed origin for a request with this `Origin`, and
/// whether `Vary: Origin` is sent.
pub fn allow_origin(origins: &Origins, request_origin: Option<&str>) -> (AllowOrigin, bool) {
    let rules = match origins {
        Origins::Any => return (AllowOrigin::All, false),
        Origins::Fixed(origin) => return (AllowOrigin::Origin(origin.clone()), true),
        Origins::Rules(rules) => rules,
    };
    let Some(request_origin) = request_origin else {
        return (AllowOrigin::None, true);
    };
    let (domain, host) = normalize(request_origin);
    for rule in rules {
        let found = match rule {
            OriginRule::Any => return (AllowOrigin::All, true),
            OriginRule::Exact(exact) => *exact == domain,
            OriginRule::Regex { regex, by_host } => {
                regex.is_match(if *by_host { &host } else { &domain })
            }
        };
        if found {
            return (AllowOrigin::Origin(domain), true);
        }
    }
    (AllowOrigin::None, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(entries: &[&str]) -> Origins {
        Origins::Rules(entries.iter().map(|e| compile_rule(e).unwrap()).collect())
    }

    #[test]
    fn normalising_origins() {
        assert_eq!(
            normalize("https://a.test:443"),
            ("https://a.test".into(), "a.test".into())
        );
        assert_eq!(
            normalize("http://a.test:8080/x"),
            ("http://a.test:8080".into(), "a.test".into())
        );
        assert_eq!(normalize("null"), ("null".into(), "null".into()));
        assert_eq!(
            normalize("http://[::1]:80"),
            ("http://[::1]".into(), "::1".into())
        );
    }

    #[test]
    fn kongs_origin_choice() {
        let o = rules(&["https://a.test", "https://.*\\.b\\.test"]);
        let allow = |origin| allow_origin(&o, origin).0;
        assert_eq!(
            allow(Some("https://a.test:443")),
            AllowOrigin::Origin("https://a.test".into())
        );
        assert_eq!(
            allow(Some("https://x.b.test")),
            AllowOrigin::Origin("https://x.b.test".into())
        );
        // Anchored at both ends.
        assert_eq!(allow(Some("https://x.b.test.evil")), AllowOrigin::None);
        assert_eq!(allow(Some("https://evil.test")), AllowOrigin::None);
        assert_eq!(allow(None), AllowOrigin::None);
        // No `:` in the entry: matched against the host.
        let o = rules(&["(.*\\.)?c\\.test", "https://d.test"]);
        assert_eq!(
            allow_origin(&o, Some("http://www.c.test:8000")).0,
            AllowOrigin::Origin("http://www.c.test:8000".into())
        );
        assert_eq!(
            allow_origin(&o, Some("http://c.test.evil")).0,
            AllowOrigin::None
        );
        let o = rules(&["https://d.test", "*"]);
        assert_eq!(
            allow_origin(&o, Some("http://z.test")),
            (AllowOrigin::All, true)
        );
        assert_eq!(
            allow_origin(&Origins::Fixed("https://f.test".into()), None),
            (AllowOrigin::Origin("https://f.test".into()), true)
        );
        assert_eq!(
            allow_origin(&Origins::Any, Some("http://z")),
            (AllowOrigin::All, false)
        );
    }
}
