//! Command-line flags: ours plus Pingora's `-c`, `-d`, `-u`, `-t`.

use std::path::PathBuf;

use clap::Parser;

/// Kong-compatible gateway data plane (openid-connect client_credentials) on Pingora.
#[derive(Parser, Debug, Clone)]
#[command(name = "oidc-gateway", version)]
pub struct Cli {
    /// Server configuration file (Pingora keys plus a `gateway:` section).
    #[arg(short = 'c', long = "conf")]
    pub conf: Option<PathBuf>,

    /// Kong declarative configuration file (overrides gateway.declarative_config).
    #[arg(long = "declarative-config")]
    pub declarative_config: Option<PathBuf>,

    /// Proxy listen address, repeatable (overrides gateway.proxy_listen).
    #[arg(long = "proxy-listen")]
    pub proxy_listen: Vec<String>,

    /// Status listener (`/status`, `/metrics`), Kong syntax or `off` (overrides
    /// gateway.status_listen).
    #[arg(long = "status-listen")]
    pub status_listen: Option<String>,

    /// Check the configuration, print every problem (or "ok") and exit.
    #[arg(short = 't', long = "test")]
    pub test: bool,

    /// Run in the background.
    #[arg(short = 'd', long = "daemon")]
    pub daemon: bool,

    /// Take over the listening sockets of a running instance (graceful upgrade).
    #[arg(short = 'u', long = "upgrade")]
    pub upgrade: bool,
}
