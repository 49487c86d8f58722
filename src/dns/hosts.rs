//! The `dns_hostsfile` (`/etc/hosts` format), read once at start: its names resolve from it
//! and are never queried.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

/// Addresses by lowercase name, in file order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HostsFile(HashMap<String, Vec<IpAddr>>);

impl HostsFile {
    /// Reads `path`; a missing or unreadable file is an empty one (logged).
    pub fn read(path: &Path) -> Self {
        match std::fs::read_to_string(path) {
            Ok(text) => HostsFile::parse(&text),
            Err(error) => {
                log::warn!("dns_hostsfile {}: {error}", path.display());
                HostsFile::default()
            }
        }
    }

    pub fn parse(text: &str) -> Self {
        let mut names: HashMap<String, Vec<IpAddr>> = HashMap::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut fields = line.split_whitespace();
            let Some(ip) = fields.next().and_then(|f| f.parse::<IpAddr>().ok()) else {
                continue;
            };
            for name in fields {
                let entry = names.entry(super::registry::normalize(name)).or_default();
                if !entry.contains(&ip) {
                    entry.push(ip);
                }
            }
        }
        HostsFile(names)
    }

    /// The addresses of `name` of the families `dns_order` asks for.
    pub fn lookup(&self, name: &str, v4: bool, v6: bool) -> Option<Vec<IpAddr>> {
        let found: Vec<IpAddr> = self
            .0
            .get(name)?
            .iter()
            .copied()
            .filter(|ip| (ip.is_ipv4() && v4) || (ip.is_ipv6() && v6))
            .collect();
        (!found.is_empty()).then_some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_their_addresses() {
        let hosts =
            HostsFile::parse("127.0.0.1 localhost Box # me\n::1 localhost\n# 10.0.0.1 x\nbad y\n");
        assert_eq!(
            hosts.lookup("localhost", true, false),
            Some(vec![IpAddr::from([127, 0, 0, 1])])
        );
        assert_eq!(
            hosts.lookup("localhost", true, true).map(|v| v.len()),
            Some(2)
        );
        assert!(hosts.lookup("box", true, false).is_some());
        assert_eq!(hosts.lookup("x", true, true), None);
        assert_eq!(hosts.lookup("y", true, true), None);
    }
}
