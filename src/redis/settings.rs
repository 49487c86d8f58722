//! Kong's `redis` record (host, port, timeouts, credentials, database, TLS), as the plugins
//! that share counters or entries through Redis write it; the password is kept redacted.

use std::fmt;
use std::time::Duration;

/// Where and how to reach one Redis server.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RedisSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub database: i64,
    pub connect_timeout: Duration,
    /// The longest one command may take (Kong's `read_timeout`, bounded by `send_timeout`).
    pub command_timeout: Duration,
}

impl fmt::Debug for RedisSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("database", &self.database)
            .finish()
    }
}

impl RedisSettings {
    /// `host:port` for logs (never the credentials).
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}
