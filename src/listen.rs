//! Kong's listener syntax (`proxy_listen`, `status_listen`): `ADDRESS [ssl] [http2] ...`.
//!
//! `ssl` terminates TLS (certificates from `ssl_cert`/`ssl_cert_key` and the declarative
//! `certificates`); `http2` offers HTTP/2 by ALPN on TLS listeners and h2c (prior
//! knowledge) on plain ones. nginx tuning flags Kong accepts (`reuseport`, `backlog=N`,
//! `deferred`, `bind`) are accepted and have no effect; anything else is an error.

/// One parsed listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenSpec {
    /// `host:port` as given, e.g. `0.0.0.0:8443` or `[::1]:8000`.
    pub address: String,
    pub ssl: bool,
    pub http2: bool,
}

/// Flags Kong accepts for nginx tuning; accepted here and ignored.
const IGNORED_FLAGS: [&str; 3] = ["reuseport", "deferred", "bind"];

impl ListenSpec {
    /// Parses one entry; the error says what is wrong without echoing more than the flag.
    pub fn parse(entry: &str) -> Result<Self, String> {
        let mut words = entry.split_whitespace();
        let address = words.next().ok_or("empty listener")?;
        if !address.contains(':') {
            return Err("listener address must be HOST:PORT".to_owned());
        }
        let port = address.rsplit(':').next().unwrap_or("");
        if port.parse::<u16>().is_err() {
            return Err("listener port must be a number from 0 to 65535".to_owned());
        }
        let mut spec = Self {
            address: address.to_owned(),
            ssl: false,
            http2: false,
        };
        for flag in words {
            match flag {
                "ssl" => spec.ssl = true,
                "http2" => spec.http2 = true,
                _ if IGNORED_FLAGS.contains(&flag) || flag.starts_with("backlog=") => {}
                _ => return Err(format!("unsupported listener flag `{flag}`")),
            }
        }
        Ok(spec)
    }

    /// Parses a list; Kong's `off` (alone) means no listener at all.
    pub fn parse_all(entries: &[String]) -> Result<Vec<Self>, String> {
        if entries.len() == 1 && entries[0].trim() == "off" {
            return Ok(Vec::new());
        }
        entries
            .iter()
            .enumerate()
            .map(|(i, entry)| Self::parse(entry).map_err(|e| format!("[{i}]: {e}")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kong_listener_syntax() {
        let spec = ListenSpec::parse("0.0.0.0:8443 ssl http2 reuseport backlog=16384").unwrap();
        assert_eq!(spec.address, "0.0.0.0:8443");
        assert!(spec.ssl && spec.http2);
        let plain = ListenSpec::parse("[::1]:8000").unwrap();
        assert!(!plain.ssl && !plain.http2);
        assert!(ListenSpec::parse("0.0.0.0:8000 proxy_protocol").is_err());
        assert!(ListenSpec::parse("8000").is_err());
        assert!(ListenSpec::parse("host:99999").is_err());
        assert!(ListenSpec::parse_all(&["off".to_owned()])
            .unwrap()
            .is_empty());
        let err = ListenSpec::parse_all(&["a:1".to_owned(), "b:x".to_owned()]).unwrap_err();
        assert!(err.starts_with("[1]: "), "{err}");
    }
}
