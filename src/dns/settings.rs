//! Kong's `dns_*` settings (kong.conf), checked, with Kong 3's defaults.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// One entry of `dns_order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// The type of the last successful lookup of that name.
    Last,
    Srv,
    A,
    Aaaa,
    /// An A lookup that follows CNAMEs (every A lookup does).
    Cname,
}

/// The resolver's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsSettings {
    /// `dns_resolver`: name servers (`ip[:port]`, port 53 by default); empty = the system's
    /// `/etc/resolv.conf`.
    pub resolvers: Vec<SocketAddr>,
    /// `dns_hostsfile`: read once at start; its names are never queried.
    pub hostsfile: PathBuf,
    /// `dns_order` (Kong default `LAST,SRV,A,CNAME`).
    pub order: Vec<RecordKind>,
    /// `dns_valid_ttl`: replaces the TTL of every answer when set.
    pub valid_ttl: Option<Duration>,
    /// `dns_stale_ttl` (Kong 3 default 3600 s): how long past its TTL an answer is served
    /// while refreshes fail.
    pub stale_ttl: Duration,
    /// `dns_not_found_ttl` (30 s): retry delay of a name the server says does not exist.
    pub not_found_ttl: Duration,
    /// `dns_error_ttl` (1 s): retry delay after a failed query.
    pub error_ttl: Duration,
    /// `dns_no_sync` (off): accepted; every query runs in the background, one per name.
    pub no_sync: bool,
    /// `dns_cache_size` (10000): most names kept.
    pub cache_size: usize,
}

impl Default for DnsSettings {
    fn default() -> Self {
        DnsSettings {
            resolvers: Vec::new(),
            hostsfile: PathBuf::from("/etc/hosts"),
            order: vec![
                RecordKind::Last,
                RecordKind::Srv,
                RecordKind::A,
                RecordKind::Cname,
            ],
            valid_ttl: None,
            stale_ttl: Duration::from_secs(3600),
            not_found_ttl: Duration::from_secs(30),
            error_ttl: Duration::from_secs(1),
            no_sync: false,
            cache_size: 10_000,
        }
    }
}

/// Parses one `dns_resolver` entry: `ip`, `ip:port`, `[v6]:port` or a bare IPv6 address.
pub fn parse_resolver(entry: &str) -> Result<SocketAddr, String> {
    let entry = entry.trim();
    if let Ok(address) = entry.parse::<SocketAddr>() {
        return Ok(address);
    }
    let bare = entry.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| "expected ip[:port]".to_owned())
}

/// Parses `dns_order`: a comma-separated (or listed), case-insensitive list of
/// LAST, SRV, A, AAAA and CNAME.
pub fn parse_order(items: &[String]) -> Result<Vec<RecordKind>, String> {
    let mut order = Vec::new();
    for item in items.iter().flat_map(|item| item.split(',')) {
        let kind = match item.trim().to_ascii_uppercase().as_str() {
            "" => continue,
            "LAST" => RecordKind::Last,
            "SRV" => RecordKind::Srv,
            "A" => RecordKind::A,
            "AAAA" => RecordKind::Aaaa,
            "CNAME" => RecordKind::Cname,
            _ => return Err("expected LAST, SRV, A, AAAA or CNAME".to_owned()),
        };
        if !order.contains(&kind) {
            order.push(kind);
        }
    }
    if order.iter().all(|k| *k == RecordKind::Last) {
        return Err("must list at least one of SRV, A, AAAA or CNAME".to_owned());
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolvers_default_to_port_53() {
        assert_eq!(
            parse_resolver("10.0.0.1").unwrap(),
            "10.0.0.1:53".parse().unwrap()
        );
        assert_eq!(
            parse_resolver("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(parse_resolver("::1").unwrap(), "[::1]:53".parse().unwrap());
        assert!(parse_resolver("dns.example").is_err());
    }

    #[test]
    fn order_is_case_insensitive_and_needs_a_type() {
        let order = parse_order(&["last, srv,a".to_owned(), "AAAA".to_owned()]).unwrap();
        assert_eq!(
            order,
            [
                RecordKind::Last,
                RecordKind::Srv,
                RecordKind::A,
                RecordKind::Aaaa
            ]
        );
        assert!(parse_order(&["LAST".to_owned()]).is_err());
        assert!(parse_order(&["MX".to_owned()]).is_err());
    }
}
