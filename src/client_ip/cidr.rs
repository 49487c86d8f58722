//! IP addresses and CIDR ranges as Kong's `ip_or_cidr` type reads them (`10.0.0.1`,
//! `10.0.0.0/8`, `::1`, `2001:db8::/32`), and the test of an address against a list of them.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// One address (a /32 or /128) or a CIDR range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpCidr {
    network: IpAddr,
    prefix: u8,
}

impl IpCidr {
    /// Whether `ip` is inside the range. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`,
    /// as a dual-stack socket reports IPv4 peers) count as their IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = mask_u32(self.prefix);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = mask_u128(self.prefix);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn mask_u32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask_u128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl FromStr for IpCidr {
    type Err = String;

    /// Kong's message for a value that is neither: `invalid ip or cidr range: 'x'`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("invalid ip or cidr range: '{text}'");
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network = IpAddr::from_str(address).map_err(|_| invalid())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                digits
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(invalid)?
            }
            Some(_) => return Err(invalid()),
        };
        Ok(IpCidr { network, prefix })
    }
}

impl fmt::Display for IpCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// Whether any range of `list` contains `ip`.
pub fn any_contains(list: &[IpCidr], ip: IpAddr) -> bool {
    list.iter().any(|range| range.contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn cidr(text: &str) -> IpCidr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_and_ranges() {
        assert!(cidr("10.0.0.1").contains(ip("10.0.0.1")));
        assert!(!cidr("10.0.0.1").contains(ip("10.0.0.2")));
        assert!(cidr("10.0.0.0/8").contains(ip("10.255.1.2")));
        assert!(!cidr("10.0.0.0/8").contains(ip("11.0.0.1")));
        assert!(cidr("0.0.0.0/0").contains(ip("192.0.2.1")));
        assert!(cidr("::/0").contains(ip("2001:db8::1")));
        assert!(cidr("2001:db8::/32").contains(ip("2001:db8:ffff::1")));
        assert!(!cidr("2001:db8::/32").contains(ip("2001:db9::1")));
        assert!(cidr("127.0.0.0/8").contains(ip("::ffff:127.0.0.1")));
        assert!(!cidr("::/0").contains(ip("127.0.0.1")));
        assert!(!cidr("0.0.0.0/0").contains(ip("::1")));
        assert_eq!(cidr("10.1.2.3/16").to_string(), "10.1.2.3/16");
    }

    #[test]
    fn kongs_message_for_bad_values() {
        for bad in [
            "",
            "10.0.0",
            "10.0.0.1/33",
            "::1/129",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "x/8",
            "10.0.0.0/8/8",
            " 10.0.0.1",
        ] {
            assert_eq!(
                bad.parse::<IpCidr>(),
                Err(format!("invalid ip or cidr range: '{bad}'")),
                "{bad}"
            );
        }
    }
}
