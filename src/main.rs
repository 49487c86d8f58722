//! oidc-gateway's entry point: parse flags, load and check configuration, run Pingora.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use oidc_gateway::cli::Cli;

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
