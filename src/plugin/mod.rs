//! Kong plugins: one file per plugin, plus the registry that keeps their state across reloads.

pub mod bearer_source;
pub mod consumer_match;
pub mod credential_source;
pub mod openid_connect;
pub mod registry;
pub mod settings;
pub mod token_methods;
