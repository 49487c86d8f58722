//! The client's address as Kong computes it (nginx's realip module under Kong's
//! `trusted_ips`, `real_ip_header` and `real_ip_recursive`): the peer, unless the peer is a
//! trusted proxy, then the address that proxy forwarded.

pub mod cidr;

use std::net::IpAddr;

use http::header::HeaderName;
use http::HeaderMap;

use cidr::IpCidr;

/// Kong's default `real_ip_header`.
pub const DEFAULT_REAL_IP_HEADER: &str = "X-Real-IP";

/// Kong's client address settings (kong.conf keys of the same names).
#[derive(Debug, Clone)]
pub struct ClientIpSettings {
    trusted: Vec<IpCidr>,
    header: HeaderName,
    recursive: bool,
}

impl Default for ClientIpSettings {
    fn default() -> Self {
        ClientIpSettings {
            trusted: Vec::new(),
            header: HeaderName::from_static("x-real-ip"),
            recursive: false,
        }
    }
}

impl ClientIpSettings {
    /// From `trusted_ips` (addresses or ranges; Kong's `unix:` entry is accepted and has
    /// nothing to match here), `real_ip_header` and `real_ip_recursive`. Errors name the key.
    pub fn new(
        trusted_ips: &[String],
        real_ip_header: Option<&str>,
        recursive: bool,
    ) -> Result<Self, String> {
        let mut trusted = Vec::new();
        for entry in trusted_ips.iter().filter(|entry| *entry != "unix:") {
            trusted.push(
                entry
                    .parse::<IpCidr>()
                    .map_err(|e| format!("gateway.trusted_ips: {e}"))?,
            );
        }
        let name = real_ip_header.unwrap_or(DEFAULT_REAL_IP_HEADER);
        if name == "proxy_protocol" {
            return Err("gateway.real_ip_header: 'proxy_protocol' is not supported: the listeners do not read the PROXY protocol".to_owned());
        }
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("gateway.real_ip_header: '{name}' is not a header name"))?;
        Ok(ClientIpSettings {
            trusted,
            header,
            recursive,
        })
    }

    /// Whether `peer` is one of the trusted proxies (whose `X-Forwarded-*` are kept).
    pub fn trusts(&self, peer: IpAddr) -> bool {
        cidr::any_contains(&self.trusted, peer)
    }

    /// The client's address: `peer`, or for a trusted `peer` the last address of the
    /// `real_ip_header` values (with `real_ip_recursive`, the last one that is not itself
    /// trusted). A value that is not an address is ignored and the address found so far
    /// kept, as nginx does.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if self.trusted.is_empty() || !self.trusts(peer) {
            return peer;
        }
        let mut elements = headers
            .get_all(&self.header)
            .iter()
            .rev()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.rsplit(','))
            .map(str::trim);
        let mut found = peer;
        for element in elements.by_ref() {
            let Some(address) = parse_forwarded_address(element) else {
                return found;
            };
            found = address;
            if !self.recursive || !self.trusts(address) {
                return found;
            }
        }
        found
    }
}

/// One element of a forwarding header: an address, with brackets and a port allowed
/// (`[2001:db8::1]:443`, `192.0.2.1:80`) as proxies write them.
fn parse_forwarded_address(element: &str) -> Option<IpAddr> {
    if let Ok(address) = element.parse::<IpAddr>() {
        return Some(address.to_canonical());
    }
    if let Some(rest) = element.strip_prefix('[') {
        let (inner, _) = rest.split_once(']')?;
        return inner.parse::<IpAddr>().ok().map(|a| a.to_canonical());
    }
    let (host, port) = element.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(name: &'static str, values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(name, value.parse().unwrap());
        }
        map
    }

    fn settings(trusted: &[&str], header: Option<&str>, recursive: bool) -> ClientIpSettings {
        let trusted: Vec<String> = trusted.iter().map(|s| s.to_string()).collect();
        ClientIpSettings::new(&trusted, header, recursive).unwrap()
    }

    #[test]
    fn untrusted_peers_are_the_client() {
        let xff = headers("x-real-ip", &["198.51.100.7"]);
        assert_eq!(
            ClientIpSettings::default().client_ip(ip("127.0.0.1"), &xff),
            ip("127.0.0.1")
        );
        let s = settings(&["10.0.0.0/8"], None, false);
        assert_eq!(s.client_ip(ip("127.0.0.1"), &xff), ip("127.0.0.1"));
        assert_eq!(s.client_ip(ip("10.1.1.1"), &xff), ip("198.51.100.7"));
    }

    #[test]
    fn forwarded_for_last_or_recursive() {
        let xff = headers(
            "x-forwarded-for",
            &["203.0.113.9, 198.51.100.7", "10.0.0.2"],
        );
        let plain = settings(&["10.0.0.0/8"], Some("X-Forwarded-For"), false);
        assert_eq!(plain.client_ip(ip("10.0.0.1"), &xff), ip("10.0.0.2"));
        let recursive = settings(&["10.0.0.0/8"], Some("X-Forwarded-For"), true);
        assert_eq!(
            recursive.client_ip(ip("10.0.0.1"), &xff),
            ip("198.51.100.7")
        );
        let all_trusted = settings(&["0.0.0.0/0"], Some("X-Forwarded-For"), true);
        assert_eq!(
            all_trusted.client_ip(ip("10.0.0.1"), &xff),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn bad_values_keep_what_was_found() {
        let s = settings(&["127.0.0.1"], Some("X-Forwarded-For"), true);
        let bad = headers("x-forwarded-for", &["not-an-ip"]);
        assert_eq!(s.client_ip(ip("127.0.0.1"), &bad), ip("127.0.0.1"));
        let mixed = headers("x-forwarded-for", &["garbage, 127.0.0.1"]);
        assert_eq!(s.client_ip(ip("127.0.0.1"), &mixed), ip("127.0.0.1"));
        let empty = HeaderMap::new();
        assert_eq!(s.client_ip(ip("127.0.0.1"), &empty), ip("127.0.0.1"));
        let ported = headers("x-forwarded-for", &["[2001:db8::5]:443"]);
        assert_eq!(s.client_ip(ip("127.0.0.1"), &ported), ip("2001:db8::5"));
        let v4port = headers("x-forwarded-for", &["192.0.2.1:8080"]);
        assert_eq!(s.client_ip(ip("127.0.0.1"), &v4port), ip("192.0.2.1"));
    }

    #[test]
    fn settings_errors_name_the_key() {
        let bad = ClientIpSettings::new(&["10.0.0.0/99".into()], None, false).unwrap_err();
        assert_eq!(
            bad,
            "gateway.trusted_ips: invalid ip or cidr range: '10.0.0.0/99'"
        );
        assert!(ClientIpSettings::new(&[], Some("proxy_protocol"), false)
            .unwrap_err()
            .starts_with("gateway.real_ip_header: 'proxy_protocol'"));
        assert!(ClientIpSettings::new(&[], Some("bad header"), false).is_err());
        assert!(ClientIpSettings::new(&["unix:".into()], None, false).is_ok());
    }
}
