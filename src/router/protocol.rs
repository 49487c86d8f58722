//! Kong's protocol check, done after routing: a route that does not accept the request's
//! scheme answers 426 (or redirects to https) instead of being skipped by the router.

use super::host::strip_port;

/// The schemes a route accepts (its `protocols`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protocols {
    pub http: bool,
    pub https: bool,
}

impl Default for Protocols {
    /// Kong's default `[http, https]`.
    fn default() -> Self {
        Protocols {
            http: true,
            https: true,
        }
    }
}

/// What to answer instead of proxying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolRedirect {
    /// 426 "Please use HTTPS protocol".
    UpgradeRequired,
    /// 301, 302, 307 or 308 to the https URL.
    Redirect { status: u16, location: String },
}

/// `None` when the route accepts `scheme`. Otherwise, for a plain-http request, Kong's
/// answer per `https_redirect_status_code` (426 also when there is no host to redirect
/// to). `path_and_query` is the request target as the client sent it.
pub fn protocol_check(
    protocols: Protocols,
    https_redirect_status_code: u16,
    scheme: &str,
    host: Option<&str>,
    path_and_query: &str,
) -> Option<ProtocolRedirect> {
    let accepted = match scheme {
        "https" => protocols.https,
        _ => protocols.http,
    };
    if accepted || scheme == "https" {
        return None;
    }
    match (https_redirect_status_code, host.map(strip_port)) {
        (status @ (301 | 302 | 307 | 308), Some(host)) if !host.is_empty() => {
            Some(ProtocolRedirect::Redirect {
                status,
                location: format!("https://{host}{path_and_query}"),
            })
        }
        _ => Some(ProtocolRedirect::UpgradeRequired),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTTPS_ONLY: Protocols = Protocols {
        http: false,
        https: true,
    };

    #[test]
    fn protocol_table() {
        let table = [
            (Protocols::default(), 426, "http", None),
            (
                HTTPS_ONLY,
                426,
                "http",
                Some(ProtocolRedirect::UpgradeRequired),
            ),
            (HTTPS_ONLY, 426, "https", None),
            (
                HTTPS_ONLY,
                301,
                "http",
                Some(ProtocolRedirect::Redirect {
                    status: 301,
                    location: "https://a.test/p?q=1".into(),
                }),
            ),
            (
                HTTPS_ONLY,
                308,
                "http",
                Some(ProtocolRedirect::Redirect {
                    status: 308,
                    location: "https://a.test/p?q=1".into(),
                }),
            ),
        ];
        for (protocols, code, scheme, want) in table {
            assert_eq!(
                protocol_check(protocols, code, scheme, Some("a.test:8000"), "/p?q=1"),
                want,
                "{protocols:?} {code} {scheme}"
            );
        }
        assert_eq!(
            protocol_check(HTTPS_ONLY, 302, "http", None, "/"),
            Some(ProtocolRedirect::UpgradeRequired)
        );
    }
}
