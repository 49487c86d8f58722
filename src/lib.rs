//! oidc-gateway: a Kong-compatible data plane on Pingora; this is the module map.
#![forbid(unsafe_code)]

pub mod access_log;
pub mod background;
pub mod balancer;
pub mod cli;
pub mod client_ip;
pub mod config;
pub mod dns;
pub mod drain;
pub mod finished_request;
pub mod health_checks;
pub mod kong_headers;
pub mod listen;
pub mod logging;
pub mod metrics;
pub mod oidc;
pub mod plugin;
pub mod proxy;
pub mod proxy_listeners;
pub mod redis;
pub mod reload;
pub mod request_id;
pub mod request_routing;
pub mod respond;
pub mod router;
pub mod server;
pub mod server_config;
pub mod server_env;
pub mod signals;
pub mod snapshot;
pub mod tls;
pub mod upstream_request;
pub mod upstream_target;

/// `Server` header of the gateway's own responses.
pub const SERVER_NAME: &str = concat!("oidc-gateway/", env!("CARGO_PKG_VERSION"));
