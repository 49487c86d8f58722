//! Kong declarative configuration (`_format_version: "3.0"`): parse, validate, compile.
//!
//! `load_declarative_file` / `compile_declarative_str` read a whole document and return
//! either the immutable [`CompiledConfig`] or every problem found, each with its path.

use std::path::Path;

mod attach;
mod ca_certificates;
pub mod certificate_model;
mod certificates;
pub mod compile;
pub mod compiled;
pub mod compiled_credentials;
pub mod credential_model;
mod credentials;
mod entities;
pub mod errors;
pub mod ids;
mod legacy_format;
pub mod model;
pub mod openid_connect;
mod openid_connect_fields;
mod parse;
pub mod placeholders;
pub(crate) mod plugin;
pub mod secret_value;
mod service;
mod token_policy;
pub mod upstream;
mod upstream_hash;
mod upstream_health;
pub mod upstream_model;

pub use compiled::{
    CompiledConfig, CompiledPlugin, CompiledRoute, CompiledService, Consumer, Consumers,
    ServiceTarget,
};
pub use errors::{ConfigError, ConfigErrors};

/// Reads and compiles a declarative file. A read error is reported at the file's path.
pub fn load_declarative_file(path: &Path) -> Result<CompiledConfig, ConfigErrors> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(path.display().to_string(), format!("cannot read: {e}")))?;
    compile_declarative_str(&text)
}

/// Compiles a declarative document given as YAML (or JSON) text.
///
/// decK's `${{ env "DECK_*" }}` placeholders and Kong's `{vault://env/...}` references are
/// taken from the process environment.
pub fn compile_declarative_str(yaml: &str) -> Result<CompiledConfig, ConfigErrors> {
    let env = |name: &str| std::env::var(name).ok();
    let rendered = placeholders::render_deck_env(yaml, env)?;
    let mut root: serde_yaml::Value = serde_yaml::from_str(&rendered)
        .map_err(|e| ConfigError::new("document", errors::yaml_syntax_error(&e)))?;
    // YAML merge keys (`<<: *defaults`) are common in hand-written Kong files.
    root.apply_merge()
        .map_err(|e| ConfigError::new("document", errors::yaml_syntax_error(&e)))?;
    let mut vault_errors = ConfigErrors::default();
    let vaults = placeholders::env_vaults(&root, &mut vault_errors);
    placeholders::resolve_vault_refs(&mut root, "", &vaults, &env, &mut vault_errors);
    let compiled = compile::compile_document(root);
    let mut compiled = match (compiled, vault_errors.is_empty()) {
        (Ok(compiled), true) => compiled,
        (Ok(_), false) => return Err(vault_errors),
        (Err(mut errors), _) => {
            errors.0.extend(vault_errors.0);
            return Err(errors);
        }
    };
    compiled.source_hash = source_hash(yaml);
    Ok(compiled)
}

/// Kong-style configuration hash: 32 hex digits (here of a SHA-256) of the source text.
fn source_hash(text: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    digest.as_ref()[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
