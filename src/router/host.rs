//! Host and SNI patterns: exact names, or one leading (`*.example.com`) or trailing
//! (`example.*`) wildcard, each with an optional port (`example.com:8443`,
//! `*.example.com:8080`). As in Kong's `traditional_compatible` router, the name is
//! compared with the Host header's name and the port with the request's port: the Host
//! header's, else the port of the listener the request came in on (Kong's
//! `net.dst.port`); a pattern without a port accepts any port.

#[derive(Debug, Clone, PartialEq, Eq)]
enum NamePattern {
    Exact(String),
    /// `*.example.com`: stores `.example.com`.
    Suffix(String),
    /// `example.*`: stores `example.`.
    Prefix(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HostPattern {
    name: NamePattern,
    port: Option<u16>,
}

impl HostPattern {
    pub(super) fn new(host: &str) -> HostPattern {
        let host = host.to_ascii_lowercase();
        let (name, port) = split_port(&host);
        let name = if let Some(suffix) = name.strip_prefix('*') {
            NamePattern::Suffix(suffix.to_owned())
        } else if let Some(prefix) = name.strip_suffix('*') {
            NamePattern::Prefix(prefix.to_owned())
        } else {
            NamePattern::Exact(name.to_owned())
        };
        HostPattern { name, port }
    }

    pub(super) fn is_wildcard(&self) -> bool {
        !matches!(self.name, NamePattern::Exact(_))
    }

    /// The pattern names a port.
    pub(super) fn has_port(&self) -> bool {
        self.port.is_some()
    }

    /// Lowercased name (without port) of an exact pattern.
    pub(super) fn exact(&self) -> Option<&str> {
        match &self.name {
            NamePattern::Exact(name) => Some(name),
            _ => None,
        }
    }

    /// Whether a request for `name` (no port) on `port` matches.
    pub(super) fn matches(&self, name: &str, port: Option<u16>) -> bool {
        if self.port.is_some() && self.port != port {
            return false;
        }
        match &self.name {
            NamePattern::Exact(pattern) => name.eq_ignore_ascii_case(pattern),
            NamePattern::Suffix(pattern) => {
                name.len() > pattern.len()
                    && name.is_char_boundary(name.len() - pattern.len())
                    && name[name.len() - pattern.len()..].eq_ignore_ascii_case(pattern)
            }
            NamePattern::Prefix(pattern) => {
                name.len() > pattern.len()
                    && name.is_char_boundary(pattern.len())
                    && name[..pattern.len()].eq_ignore_ascii_case(pattern)
            }
        }
    }
}

/// `example.com:8000` -> (`example.com`, 8000); `[::1]:80` -> (`[::1]`, 80); a name
/// without a (valid) port is returned whole, as is an IPv6 literal without brackets.
pub fn split_port(host: &str) -> (&str, Option<u16>) {
    let Some((name, port)) = host.rsplit_once(':') else {
        return (host, None);
    };
    let bracketed = name.starts_with('[') && name.ends_with(']');
    if name.contains(':') && !bracketed {
        return (host, None);
    }
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return (host, None);
    }
    match port.parse::<u16>() {
        Ok(port) if port > 0 => (name, Some(port)),
        _ => (host, None),
    }
}

/// `example.com:8000` -> `example.com`; `[::1]:80` -> `[::1]`.
pub fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Lowercases `host` into `buffer` without allocating; `None` when it does not fit.
pub(super) fn lowercase<'b>(host: &str, buffer: &'b mut [u8; 320]) -> Option<&'b str> {
    let out = buffer.get_mut(..host.len())?;
    out.copy_from_slice(host.as_bytes());
    out.make_ascii_lowercase();
    std::str::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_port_handles_ipv6_and_names() {
        assert_eq!(strip_port("a.test:80"), "a.test");
        assert_eq!(strip_port("a.test"), "a.test");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
    }

    #[test]
    fn split_port_reads_valid_ports_only() {
        assert_eq!(split_port("a.test:8443"), ("a.test", Some(8443)));
        assert_eq!(split_port("*.a.test:8080"), ("*.a.test", Some(8080)));
        assert_eq!(split_port("[::1]:80"), ("[::1]", Some(80)));
        assert_eq!(split_port("a.test"), ("a.test", None));
        assert_eq!(split_port("::1"), ("::1", None));
        assert_eq!(split_port("a.test:0"), ("a.test:0", None));
        assert_eq!(split_port("a.test:65536"), ("a.test:65536", None));
        assert_eq!(split_port("a.test:+80"), ("a.test:+80", None));
    }

    /// (pattern, request host name, request port, matches).
    #[test]
    fn patterns_match_like_kong() {
        let table = [
            ("example.com", "EXAMPLE.com", Some(8080), true),
            ("example.com", "example.com", None, true),
            ("*.example.com", "a.example.com", Some(80), true),
            ("*.example.com", "example.com", Some(80), false),
            ("api.*", "api.local", None, true),
            ("api.*", "api.", None, false),
            ("port.test:8000", "port.test", Some(8000), true),
            ("port.test:8000", "port.test", Some(8001), false),
            ("port.test:8000", "port.test", None, false),
            ("*.port.test:8080", "a.port.test", Some(8080), true),
            ("*.port.test:8080", "a.port.test", Some(80), false),
            ("route.*:123", "route.org", Some(123), true),
            ("[::1]:80", "[::1]", Some(80), true),
        ];
        for (pattern, name, port, want) in table {
            assert_eq!(
                HostPattern::new(pattern).matches(name, port),
                want,
                "{pattern} {name} {port:?}"
            );
        }
    }

    #[test]
    fn lowercase_uses_the_buffer() {
        let mut buffer = [0; 320];
        assert_eq!(lowercase("A.Test", &mut buffer), Some("a.test"));
        assert_eq!(lowercase(&"a".repeat(400), &mut buffer), None);
    }
}
