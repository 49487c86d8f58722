//! correlation-id's generators: `uuid` (a random v4 UUID), `uuid#counter` (a UUID drawn once
//! per process and a counter, Kong's per-worker form) and `tracker` (Kong's
//! `server_addr-server_port-pid-connection-connection_requests-time`; nginx's connection
//! serial and per-connection request count are stood for by the client's port and a
//! per-process request counter, which Pingora does not expose).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use pingora_proxy::Session;

/// Kong's `generator` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generator {
    Uuid,
    UuidCounter,
    Tracker,
}

/// What `tracker` puts in an id, read off the request's connection.
#[derive(Debug, Clone, Default)]
pub struct ConnectionFacts {
    pub server_addr: String,
    pub server_port: u16,
    pub client_port: u16,
}

impl ConnectionFacts {
    pub fn of(session: &Session) -> ConnectionFacts {
        let server = session.server_addr().and_then(|a| a.as_inet());
        let client = session.client_addr().and_then(|a| a.as_inet());
        ConnectionFacts {
            server_addr: server.map(|a| a.ip().to_string()).unwrap_or_default(),
            server_port: server.map_or(0, |a| a.port()),
            client_port: client.map_or(0, |a| a.port()),
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);
static PROCESS_UUID: OnceLock<String> = OnceLock::new();

impl Generator {
    pub fn generate(&self, facts: &ConnectionFacts) -> String {
        match self {
            Generator::Uuid => uuid_v4(),
            Generator::UuidCounter => {
                let base = PROCESS_UUID.get_or_init(uuid_v4);
                let n = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
                format!("{base}#{n}")
            }
            Generator::Tracker => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64());
                let n = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
                format!(
                    "{}-{}-{}-{}-{n}-{now:.3}",
                    facts.server_addr,
                    facts.server_port,
                    std::process::id(),
                    facts.client_port
                )
            }
        }
    }
}

/// A random (version 4, RFC 9562) UUID in lowercase hex with dashes.
pub fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        log::warn!("random source failed; correlation id is not random");
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        let _ = write!(out, "{byte:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_have_the_v4_shape() {
        let id = uuid_v4();
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(id.as_bytes()[14], b'4');
        assert!(matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(uuid_v4(), id);
    }

    #[test]
    fn counter_ids_share_the_process_uuid() {
        let facts = ConnectionFacts::default();
        let a = Generator::UuidCounter.generate(&facts);
        let b = Generator::UuidCounter.generate(&facts);
        let (base_a, n_a) = a.split_once('#').unwrap();
        let (base_b, n_b) = b.split_once('#').unwrap();
        assert_eq!(base_a, base_b);
        assert!(n_b.parse::<u64>().unwrap() > n_a.parse::<u64>().unwrap());
    }

    #[test]
    fn tracker_ids_name_the_connection() {
        let facts = ConnectionFacts {
            server_addr: "127.0.0.1".into(),
            server_port: 8000,
            client_port: 51000,
        };
        let id = Generator::Tracker.generate(&facts);
        let pid = std::process::id().to_string();
        assert!(
            id.starts_with(&format!("127.0.0.1-8000-{pid}-51000-")),
            "{id}"
        );
    }
}
