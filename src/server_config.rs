//! The server configuration file: Pingora's own keys plus a `gateway:` section.
//!
//! Pingora's `ServerConf` ignores keys it does not know, so both live in one file.
//! `GATEWAY_*` environment variables override the file (see `server_env.rs`), and flags
//! override both. Errors name the file or variable and the key, never a value.

use std::path::{Path, PathBuf};
use std::time::Duration;

use pingora::server::configuration::ServerConf;
use serde::Deserialize;

use crate::cli::Cli;
use crate::client_ip::ClientIpSettings;
use crate::dns::settings::{parse_order, parse_resolver, DnsSettings};
use crate::kong_headers::KongHeaders;
use crate::listen::ListenSpec;
use crate::plugin::opentelemetry::instrumentations::Tracing;
use crate::plugin::settings::PluginSettings;
use crate::server_env;

/// The `gateway:` section. Add a new key to `server_env::GATEWAY_KEYS` as well.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySection {
    /// Proxy listeners in Kong's syntax, e.g. `0.0.0.0:8000` or `0.0.0.0:8443 ssl http2`.
    #[serde(default)]
    pub proxy_listen: Vec<String>,
    /// Status listener (`/status`, `/status/ready`, `/metrics`); none when absent or `off`.
    #[serde(default)]
    pub status_listen: Option<String>,
    /// Default TLS certificate files (PEM chains), paired in order with `ssl_cert_key`;
    /// relative paths are taken from this file's folder.
    #[serde(default)]
    pub ssl_cert: Vec<PathBuf>,
    /// Private keys (PEM) of `ssl_cert`.
    #[serde(default)]
    pub ssl_cert_key: Vec<PathBuf>,
    /// Error log level, Kong's names: debug, info, notice, warn, error, crit, alert, emerg.
    #[serde(default)]
    pub log_level: Option<String>,
    /// Access log format: `json` (one object per line, the default) or `text`.
    #[serde(default)]
    pub log_format: Option<LogFormat>,
    /// Where access lines go: `stderr` (the default), `stdout` or `off` (Kong's
    /// `proxy_access_log`; `/dev/stderr` and `/dev/stdout` are accepted too).
    #[serde(default)]
    pub access_log: Option<AccessLog>,
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
    /// Kong's `dns_resolver`: name servers, `ip[:port]`; the system's resolv.conf when unset.
    #[serde(default)]
    pub dns_resolver: Option<StringList>,
    /// Kong's `dns_hostsfile` (default /etc/hosts), read once at start.
    #[serde(default)]
    pub dns_hostsfile: Option<PathBuf>,
    /// Kong's `dns_order` (default `LAST,SRV,A,CNAME`).
    #[serde(default)]
    pub dns_order: Option<StringList>,
    /// Kong's `dns_valid_ttl`, seconds: replaces every record's TTL when set.
    #[serde(default)]
    pub dns_valid_ttl: Option<u64>,
    /// Kong's `dns_stale_ttl`, seconds (default 3600).
    #[serde(default)]
    pub dns_stale_ttl: Option<u64>,
    /// Kong's `dns_not_found_ttl`, seconds (default 30).
    #[serde(default)]
    pub dns_not_found_ttl: Option<u64>,
    /// Kong's `dns_error_ttl`, seconds (default 1).
    #[serde(default)]
    pub dns_error_ttl: Option<u64>,
    /// Kong's `dns_no_sync` (default off; `on`/`off` or a boolean): accepted, no effect
    /// (queries are always one per name, in the background).
    #[serde(default)]
    pub dns_no_sync: Option<OnOff>,
    /// Kong's `dns_cache_size` (default 10000): most names cached.
    #[serde(default)]
    pub dns_cache_size: Option<usize>,
    /// Kong's `trusted_ips`: proxies whose forwarded client address (`real_ip_header`) and
    /// `X-Forwarded-*` headers are believed; none by default.
    #[serde(default)]
    pub trusted_ips: Option<StringList>,
    /// Kong's `real_ip_header` (default `X-Real-IP`).
    #[serde(default)]
    pub real_ip_header: Option<String>,
    /// Kong's `real_ip_recursive` (default off).
    #[serde(default)]
    pub real_ip_recursive: Option<OnOff>,
    /// The local syslog daemon's datagram socket the syslog plugin writes to (default
    /// `/dev/log`, where libc's `syslog(3)` writes, as Kong's plugin does).
    #[serde(default)]
    pub syslog_socket: Option<PathBuf>,
    /// Kong's `headers`: the headers added to responses (default `server_tokens,
    /// latency_tokens, X-Kong-Request-Id`; `off`).
    #[serde(default)]
    pub headers: Option<StringList>,
    /// Kong's `headers_upstream` (default `X-Kong-Request-Id`; `off`).
    #[serde(default)]
    pub headers_upstream: Option<StringList>,
    /// Kong's `tracing_instrumentations` (default `off`: the opentelemetry plugin only
    /// propagates headers).
    #[serde(default)]
    pub tracing_instrumentations: Option<StringList>,
    /// Kong's `tracing_sampling_rate` (default 0.01).
    #[serde(default)]
    pub tracing_sampling_rate: Option<f64>,
}

/// A kong.conf boolean: `on`/`off` (as Kong writes them) or a YAML boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum OnOff {
    Bool(bool),
    Word(OnOffWord),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnOffWord {
    On,
    Off,
}

impl OnOff {
    pub fn enabled(self) -> bool {
        matches!(self, OnOff::Bool(true) | OnOff::Word(OnOffWord::On))
    }
}

/// A list written as a YAML sequence or as Kong's comma-separated string.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum StringList {
    One(String),
    Many(Vec<String>),
}

impl StringList {
    /// The items, split at commas, trimmed, empty ones dropped.
    pub fn items(&self) -> Vec<String> {
        let all: Vec<&str> = match self {
            StringList::One(one) => vec![one.as_str()],
            StringList::Many(many) => many.iter().map(String::as_str).collect(),
        };
        all.iter()
            .flat_map(|item| item.split(','))
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Where the access log is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessLog {
    #[default]
    #[serde(alias = "/dev/stderr")]
    Stderr,
    #[serde(alias = "/dev/stdout")]
    Stdout,
    Off,
}

/// Access log line format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Json,
    Text,
}

#[derive(Deserialize)]
struct GatewayFile {
    #[serde(default)]
    gateway: GatewaySection,
}

/// Everything the process needs to start, after the environment and flags are applied.
pub struct StartupConfig {
    pub server: ServerConf,
    pub proxy_listen: Vec<ListenSpec>,
    pub status_listen: Option<ListenSpec>,
    /// Default certificate and key file pairs for `ssl` listeners.
    pub default_certificates: Vec<(PathBuf, PathBuf)>,
    pub declarative_config: PathBuf,
    pub plugin_settings: PluginSettings,
    pub log_level: log::LevelFilter,
    pub log_format: LogFormat,
    pub access_log: AccessLog,
    pub dns: DnsSettings,
    pub client_ip: ClientIpSettings,
    pub kong_headers: KongHeaders,
}

/// Longest background refresh interval accepted (a day).
const MAX_REFRESH_SECONDS: u64 = 24 * 3600;

/// Default proxy listener, as Kong's.
pub const DEFAULT_PROXY_LISTEN: &str = "0.0.0.0:8000";

/// Reads `-c` (if given), applies `GATEWAY_*` variables and the flags, and fills defaults.
pub fn load(cli: &Cli) -> Result<StartupConfig, String> {
    let overrides = server_env::from_environment()?;
    let (server, section) = match &cli.conf {
        Some(path) => read_file(path, &overrides)?,
        None => read_text("defaults", DEFAULT_SERVER_CONF, &overrides)?,
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
    let proxy_listen =
        ListenSpec::parse_all(&proxy_listen).map_err(|e| format!("gateway.proxy_listen{e}"))?;
    let status_listen = match cli
        .status_listen
        .as_ref()
        .or(section.status_listen.as_ref())
    {
        Some(entry) if entry.trim() != "off" => {
            Some(ListenSpec::parse(entry).map_err(|e| format!("gateway.status_listen: {e}"))?)
        }
        _ => None,
    };
    if section.ssl_cert.len() != section.ssl_cert_key.len() {
        return Err(
            "gateway.ssl_cert and gateway.ssl_cert_key must list the same number of files"
                .to_owned(),
        );
    }
    // Relative paths in the server file are taken from that file's folder.
    let folder = cli
        .conf
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new(""));
    let default_certificates: Vec<(PathBuf, PathBuf)> = section
        .ssl_cert
        .iter()
        .map(|cert| folder.join(cert))
        .zip(section.ssl_cert_key.iter().map(|key| folder.join(key)))
        .collect();
    let log_level = match &section.log_level {
        Some(level) => kong_log_level(level)?,
        None => log::LevelFilter::Info,
    };
    let from_file = section
        .declarative_config
        .as_ref()
        .map(|path| folder.join(path));
    let declarative_config = cli.declarative_config.clone().or(from_file).ok_or(
        "no declarative config: pass --declarative-config FILE or set gateway.declarative_config",
    )?;
    Ok(StartupConfig {
        server,
        proxy_listen,
        status_listen,
        default_certificates,
        declarative_config,
        plugin_settings: plugin_settings(&section)?,
        log_level,
        log_format: section.log_format.unwrap_or_default(),
        access_log: section.access_log.unwrap_or_default(),
        dns: dns_settings(&section, folder)?,
        client_ip: ClientIpSettings::new(
            &section
                .trusted_ips
                .as_ref()
                .map(StringList::items)
                .unwrap_or_default(),
            section.real_ip_header.as_deref(),
            section.real_ip_recursive.is_some_and(OnOff::enabled),
        )?,
        kong_headers: KongHeaders::parse(
            section.headers.as_ref().map(StringList::items).as_deref(),
            section
                .headers_upstream
                .as_ref()
                .map(StringList::items)
                .as_deref(),
        )?,
    })
}

/// Kong's `dns_*` keys over Kong's defaults.
fn dns_settings(section: &GatewaySection, folder: &Path) -> Result<DnsSettings, String> {
    let mut dns = DnsSettings::default();
    if let Some(resolvers) = &section.dns_resolver {
        dns.resolvers = resolvers
            .items()
            .iter()
            .map(|entry| parse_resolver(entry))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("gateway.dns_resolver: {e}"))?;
    }
    if let Some(path) = &section.dns_hostsfile {
        dns.hostsfile = folder.join(path);
    }
    if let Some(order) = &section.dns_order {
        dns.order = parse_order(&order.items()).map_err(|e| format!("gateway.dns_order: {e}"))?;
    }
    let seconds = Duration::from_secs;
    dns.valid_ttl = section.dns_valid_ttl.map(seconds);
    if let Some(ttl) = section.dns_stale_ttl {
        dns.stale_ttl = seconds(ttl);
    }
    if let Some(ttl) = section.dns_not_found_ttl {
        dns.not_found_ttl = seconds(ttl);
    }
    if let Some(ttl) = section.dns_error_ttl {
        dns.error_ttl = seconds(ttl);
    }
    dns.no_sync = section.dns_no_sync.is_some_and(OnOff::enabled);
    if let Some(size) = section.dns_cache_size {
        if size == 0 {
            return Err("gateway.dns_cache_size: must be at least 1".to_owned());
        }
        dns.cache_size = size;
    }
    Ok(dns)
}

/// Kong's `log_level` names mapped onto the levels this process logs at.
fn kong_log_level(level: &str) -> Result<log::LevelFilter, String> {
    Ok(match level {
        "debug" => log::LevelFilter::Debug,
        "info" | "notice" => log::LevelFilter::Info,
        "warn" => log::LevelFilter::Warn,
        "error" | "crit" | "alert" | "emerg" => log::LevelFilter::Error,
        _ => {
            return Err(
                "gateway.log_level: expected one of debug, info, notice, warn, error, crit, alert, emerg"
                    .to_owned(),
            )
        }
    })
}

fn read_file(
    path: &Path,
    overrides: &server_env::Overrides,
) -> Result<(ServerConf, GatewaySection), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    read_text(&path.display().to_string(), &text, overrides)
}

/// Parses the file's text (or the defaults) with the environment's overrides applied.
fn read_text(
    source: &str,
    text: &str,
    overrides: &server_env::Overrides,
) -> Result<(ServerConf, GatewaySection), String> {
    let mut document: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| format!("{source}: {}", location_only(&e)))?;
    if document.is_null() {
        document = serde_yaml::Value::Mapping(Default::default());
    }
    overrides.apply(&mut document)?;
    let file: GatewayFile = serde_path_to_error::deserialize(document.clone()).map_err(|e| {
        let key = e.path().to_string();
        format!(
            "{}: {}",
            overrides.origin(source, &key),
            type_error_only(e.inner())
        )
    })?;
    let merged = serde_yaml::to_string(&document)
        .map_err(|_| format!("{source}: cannot apply the GATEWAY_* variables"))?;
    let server = ServerConf::from_yaml(&merged)
        .map_err(|_| format!("{source}: not a valid Pingora server configuration"))?;
    Ok((server, file.gateway))
}

/// A deserialisation error reduced to what was expected; serde's message can quote values.
fn type_error_only(error: &serde_yaml::Error) -> String {
    let message = error.to_string();
    if message.starts_with("unknown field") {
        "unknown key".to_owned()
    } else if message.contains("unknown variant") {
        "unsupported value".to_owned()
    } else {
        "wrong type of value".to_owned()
    }
}

/// Pingora's defaults, except the shutdown grace period: Pingora waits 300 s after SIGTERM;
/// without a server file we wait 1 s (a server file sets its own, see conf/gateway.yaml).
const DEFAULT_SERVER_CONF: &str =
    "---\nversion: 1\ngrace_period_seconds: 1\ngraceful_shutdown_timeout_seconds: 5\n";

/// A YAML error without any quoted content.
fn location_only(error: &serde_yaml::Error) -> String {
    match error.location() {
        Some(at) => format!("invalid YAML at line {} column {}", at.line(), at.column()),
        None => "invalid gateway section".to_owned(),
    }
}

fn plugin_settings(section: &GatewaySection) -> Result<PluginSettings, String> {
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
    if let Some(path) = &section.syslog_socket {
        settings.syslog_socket = path.clone();
    }
    settings.tracing = Tracing::parse(
        section
            .tracing_instrumentations
            .as_ref()
            .map(StringList::items)
            .as_deref(),
        section.tracing_sampling_rate,
    )?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(yaml: &str) -> GatewaySection {
        serde_yaml::from_str(yaml).expect("gateway section")
    }

    #[test]
    fn dns_keys_take_kong_forms_and_defaults() {
        let defaults = dns_settings(&GatewaySection::default(), Path::new("")).unwrap();
        assert_eq!(defaults, DnsSettings::default());
        let dns = dns_settings(
            &section(
                "dns_resolver: 127.0.0.1:5353, 10.0.0.1\ndns_order: [A, AAAA]\ndns_valid_ttl: 5\n\
                 dns_stale_ttl: 60\ndns_not_found_ttl: 2\ndns_error_ttl: 3\ndns_no_sync: on\n\
                 dns_cache_size: 50\ndns_hostsfile: hosts\n",
            ),
            Path::new("/etc/gw"),
        )
        .unwrap();
        assert_eq!(dns.resolvers.len(), 2);
        assert_eq!(dns.resolvers[1], "10.0.0.1:53".parse().unwrap());
        assert_eq!(dns.order.len(), 2);
        assert_eq!(dns.valid_ttl, Some(Duration::from_secs(5)));
        assert_eq!(dns.stale_ttl, Duration::from_secs(60));
        assert_eq!(dns.not_found_ttl, Duration::from_secs(2));
        assert_eq!(dns.error_ttl, Duration::from_secs(3));
        assert!(dns.no_sync);
        assert_eq!(dns.cache_size, 50);
        assert_eq!(dns.hostsfile, Path::new("/etc/gw/hosts"));
        let bad = dns_settings(&section("dns_resolver: [dns.example]\n"), Path::new(""));
        assert!(bad.unwrap_err().starts_with("gateway.dns_resolver"));
        let bad = dns_settings(&section("dns_order: [MX]\n"), Path::new(""));
        assert!(bad.unwrap_err().starts_with("gateway.dns_order"));
    }
}
