//! Gateway-wide settings the plugins need that are not part of a plugin's Kong config.

use std::path::PathBuf;
use std::time::Duration;

use super::opentelemetry::instrumentations::Tracing;

/// Knobs from the server configuration (and environment) for the plugins.
#[derive(Debug, Clone)]
pub struct PluginSettings {
    /// Most cached credentials per plugin instance.
    pub token_cache_max_entries: usize,
    /// How long rejected credentials are remembered when `cache_ttl_neg` is not set.
    pub default_negative_ttl: Duration,
    /// Background refresh interval of discovery and JWKS.
    pub jwks_refresh_interval: Duration,
    /// Least time between two key refreshes caused by unknown `kid`s.
    pub jwks_min_refetch_interval: Duration,
    /// Connect timeout of the IdP client.
    pub idp_connect_timeout: Duration,
    /// The syslog plugin's socket (`gateway.syslog_socket`).
    pub syslog_socket: PathBuf,
    /// Kong's `tracing_instrumentations` and `tracing_sampling_rate`.
    pub tracing: Tracing,
}

impl Default for PluginSettings {
    fn default() -> Self {
        Self {
            token_cache_max_entries: 1_000_000,
            default_negative_ttl: Duration::from_secs(5),
            jwks_refresh_interval: Duration::from_secs(300),
            jwks_min_refetch_interval: Duration::from_secs(5),
            idp_connect_timeout: Duration::from_secs(5),
            syslog_socket: PathBuf::from("/dev/log"),
            tracing: Tracing::default(),
        }
    }
}
