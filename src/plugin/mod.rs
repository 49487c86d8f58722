//! Kong plugins: the plugin contract (`api`), the registry table of implemented plugins
//! (`table`), Kong's precedence (`chain`), one folder or file per plugin, and the registry
//! that keeps plugin state across reloads.

pub mod acl;
pub mod api;
pub mod basic_auth;
pub mod bearer_source;
pub mod chain;
pub mod chain_run;
pub mod colon_pairs;
pub mod consumer_headers;
pub mod consumer_match;
pub mod correlation_id;
pub mod cors;
pub mod credential_source;
pub mod file_log;
pub mod hmac_auth;
pub mod http_log;
pub mod ip_restriction;
pub mod jwt;
pub mod key_auth;
pub mod known_plugins;
pub mod log_phase;
pub mod log_queue;
pub mod log_serializer;
pub mod log_sockets;
pub mod log_target;
pub mod openid_connect;
pub mod openid_connect_plugin;
pub mod opentelemetry;
pub mod plugin_config;
pub mod prometheus;
pub mod rate_limiting;
pub mod registry;
pub mod request_body;
pub mod request_size_limiting;
pub mod request_termination;
pub mod request_transformer;
pub mod response_transformer;
pub mod settings;
pub mod statsd;
pub mod syslog;
pub mod table;
pub mod tcp_log;
pub mod token_methods;
pub mod udp_log;
