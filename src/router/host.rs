//! Host and SNI patterns: exact names, or one leading (`*.example.com`) or trailing
//! (`example.*`) wildcard; a pattern with a port compares the whole Host header.

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum HostPattern {
    Exact(String),
    /// `*.example.com`: stores `.example.com`.
    Suffix(String),
    /// `example.*`: stores `example.`.
    Prefix(String),
}

impl HostPattern {
    pub(super) fn new(host: &str) -> HostPattern {
        let host = host.to_ascii_lowercase();
        if let Some(suffix) = host.strip_prefix('*') {
            HostPattern::Suffix(suffix.to_owned())
        } else if let Some(prefix) = host.strip_suffix('*') {
            HostPattern::Prefix(prefix.to_owned())
        } else {
            HostPattern::Exact(host)
        }
    }

    pub(super) fn is_wildcard(&self) -> bool {
        !matches!(self, HostPattern::Exact(_))
    }

    /// Lowercased name of an exact pattern (with its port, if it has one).
    pub(super) fn exact(&self) -> Option<&str> {
        match self {
            HostPattern::Exact(name) => Some(name),
            _ => None,
        }
    }

    /// Patterns with a port compare the whole Host header; others ignore its port.
    pub(super) fn matches(&self, host_header: &str) -> bool {
        let (pattern, has_port) = match self {
            HostPattern::Exact(p) | HostPattern::Suffix(p) | HostPattern::Prefix(p) => {
                (p.as_str(), p.contains(':'))
            }
        };
        let host = if has_port {
            host_header
        } else {
            strip_port(host_header)
        };
        match self {
            HostPattern::Exact(_) => host.eq_ignore_ascii_case(pattern),
            HostPattern::Suffix(_) => {
                host.len() > pattern.len()
                    && host.is_char_boundary(host.len() - pattern.len())
                    && host[host.len() - pattern.len()..].eq_ignore_ascii_case(pattern)
            }
            HostPattern::Prefix(_) => {
                host.len() > pattern.len()
                    && host.is_char_boundary(pattern.len())
                    && host[..pattern.len()].eq_ignore_ascii_case(pattern)
            }
        }
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
    fn patterns_match_like_kong() {
        let table = [
            ("example.com", "EXAMPLE.com:8080", true),
            ("*.example.com", "a.example.com", true),
            ("*.example.com", "example.com", false),
            ("api.*", "api.local", true),
            ("api.*", "api.", false),
            ("port.test:8000", "port.test:8000", true),
            ("port.test:8000", "port.test", false),
        ];
        for (pattern, host, want) in table {
            assert_eq!(
                HostPattern::new(pattern).matches(host),
                want,
                "{pattern} {host}"
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
