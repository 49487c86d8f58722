//! The server configuration file: Pingora's own keys plus a `gateway:` section.
//!
//! Pingora's `ServerConf` ignores keys it does not know, so both live in one file. Errors
//! are reported with the file name and the YAML location only, never the file's content.

use std::path::{Path, PathBuf};
use std::time::Duration;

use pingora::server::configuration::ServerConf;
use serde::Deserialize;

use crate::cli::Cli;
use crate::plugin::settings::PluginSettings;

/// The `gateway:` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySection {
    /// Proxy listen addresses, e.g. `0.0.0.0:8000`.
    #[serde(default)]
    pub proxy_listen: Vec<String>,
    /// Path of the Kong declarative config; relative to the folder of the file it is in.
    #[serde(default)]
    pub declarative_config: Option<PathBuf>,
    /// Most cached credentials per openid-connect plugin instance.
    #[serde(default)]
    pub token_cache_max_entries: Option<usize>,
    /// Seconds between background discovery/JWKS refreshes.
    #[serde(default)]
    pub jwks_refresh_seconds: Option<u64>,
    /// Connect timeout to the IdP in milliseconds.
    #[serde(default)]
    pub idp_connect_timeout_ms: Option<u64>,
}

#[derive(Deserialize)]
struct GatewayFile {
    #[serde(default)]
    gateway: GatewaySection,
}

/// Everything the process needs to start, after flags override the file.
pub struct StartupConfig {
    pub server: ServerConf,
    pub proxy_listen: Vec<String>,
    pub declarative_config: PathBuf,
    pub plugin_settings: PluginSettings,
}

/// Longest background refresh interval accepted (a day).
const MAX_REFRESH_SECONDS: u64 = 24 * 3600;

/// Default proxy listener, as Kong's.
pub const DEFAULT_PROXY_LISTEN: &str = "0.0.0.0:8000";

/// Reads `-c` (if given), applies the flags, and fills defaults.
pub fn load(cli: &Cli) -> Result<StartupConfig, String> {
    let (server, section) = match &cli.conf {
        Some(path) => read_file(path)?,
        None => (default_server_conf()?, GatewaySection::default()),
    };
    let proxy_listen = if cli.proxy_listen.is_empty() {
        if section.proxy_listen.is_empty() {
            vec![DEFAULT_PROXY_LISTEN.to_owned()]
        } else {
            section.proxy_listen.clone()
        }
    } else {
        cli.proxy_listen.clone()
    };
    let from_file = section.declarative_config.as_ref().map(|path| {
        let folder = cli
            .conf
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(Path::new(""));
        folder.join(path)
    });
    let declarative_config = cli.declarative_config.clone().or(from_file).ok_or(
        "no declarative config: pass --declarative-config FILE or set gateway.declarative_config",
    )?;
    Ok(StartupConfig {
        server,
        proxy_listen,
        declarative_config,
        plugin_settings: plugin_settings(&section),
    })
}

fn read_file(path: &Path) -> Result<(ServerConf, GatewaySection), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let file: GatewayFile = serde_yaml::from_str(&text)
        .map_err(|e| format!("{}: {}", path.display(), location_only(&e)))?;
    let server = ServerConf::from_yaml(&text).map_err(|_| {
        format!(
            "{}: not a valid Pingora server configuration",
            path.display()
        )
    })?;
    Ok((server, file.gateway))
}

/// Pingora's defaults, except the shutdown grace period: Pingora waits 300 s after SIGTERM;
/// without a server file we wait 1 s (a server file sets its own, see conf/gateway.yaml).
const DEFAULT_SERVER_CONF: &str =
    "---\nversion: 1\ngrace_period_seconds: 1\ngraceful_shutdown_timeout_seconds: 5\n";

fn default_server_conf() -> Result<ServerConf, String> {
    ServerConf::from_yaml(DEFAULT_SERVER_CONF)
        .map_err(|_| "default server configuration rejected".to_owned())
}

/// A YAML error without any quoted content.
fn location_only(error: &serde_yaml::Error) -> String {
    match error.location() {
        Some(at) => format!("invalid YAML at line {} column {}", at.line(), at.column()),
        None => "invalid gateway section".to_owned(),
    }
}

fn plugin_settings(section: &GatewaySection) -> PluginSettings {
    let mut settings = PluginSettings::default();
    if let Some(entries) = section.token_cache_max_entries {
        settings.token_cache_max_entries = entries.max(1);
    }
    let refresh = std::env::var("OIDC_GATEWAY_JWKS_REFRESH_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .or(section.jwks_refresh_seconds);
    if let Some(seconds) = refresh {
        settings.jwks_refresh_interval = Duration::from_secs(seconds.clamp(1, MAX_REFRESH_SECONDS));
        settings.jwks_min_refetch_interval = settings
            .jwks_min_refetch_interval
            .min(settings.jwks_refresh_interval);
    }
    if let Some(ms) = section.idp_connect_timeout_ms {
        settings.idp_connect_timeout = Duration::from_millis(ms.max(1));
    }
    settings
}
