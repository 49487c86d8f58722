//! oidc-gateway's entry point: parse flags, load and check configuration, run Pingora.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use oidc_gateway::cli::Cli;

/// mimalloc instead of glibc's malloc: less user-space time per proxied request (see the
/// commit that added it for the load kit's before/after figures).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match oidc_gateway::server::run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("oidc-gateway: {message}");
            ExitCode::from(1)
        }
    }
}
