//! Builds and runs the Pingora server: config check, proxy services, background refresher.

use std::process::ExitCode;
use std::sync::Arc;

use pingora::server::configuration::Opt;
use pingora::server::Server;
use pingora::services::background::background_service;

use crate::background::Refresher;
use crate::cli::Cli;
use crate::config::load_declarative_file;
use crate::health_checks::HealthChecks;
use crate::plugin::registry::PluginRegistry;
use crate::proxy_listeners::proxy_services;
use crate::server_config;
use crate::snapshot::{Snapshot, SnapshotStore};
use crate::tls::load_default_certificate;

/// Runs the gateway (never returns while serving), or only checks the config with `-t`.
pub fn run(cli: Cli) -> Result<ExitCode, String> {
    let startup = server_config::load(&cli)?;
    crate::logging::init(startup.log_level);
    let compiled = match load_declarative_file(&startup.declarative_config) {
        Ok(compiled) => compiled,
        Err(errors) => {
            for error in &errors.0 {
                eprintln!("{error}");
            }
            if cli.test {
                return Ok(ExitCode::from(1));
            }
            return Err(format!(
                "{}: {} configuration error(s)",
                startup.declarative_config.display(),
                errors.0.len()
            ));
        }
    };
    let default_certificate = load_default_certificate(&startup.default_certificates)?;
    if cli.test {
        println!("ok");
        return Ok(ExitCode::SUCCESS);
    }

    let registry = Arc::new(
        PluginRegistry::new(startup.plugin_settings.clone())
            .map_err(|e| format!("cannot build the IdP client: {e}"))?,
    );
    let store = Arc::new(SnapshotStore::new(Snapshot::build(compiled, &registry)));

    let opt = Opt {
        upgrade: cli.upgrade,
        daemon: cli.daemon,
        nocapture: false,
        test: false,
        conf: None,
    };
    let mut server = Server::new_with_opt_and_conf(opt, startup.server);
    server.bootstrap();

    let health_checks = HealthChecks::new(Arc::clone(&store));
    let proxies = proxy_services(
        &server.configuration,
        &startup.proxy_listen,
        &store,
        default_certificate,
    )?;
    for proxy in proxies {
        server.add_service(proxy);
    }
    server.add_service(background_service(
        "oidc refresher",
        Refresher::new(registry),
    ));
    server.add_service(background_service("upstream health checks", health_checks));
    let addresses: Vec<&str> = startup
        .proxy_listen
        .iter()
        .map(|listener| listener.address.as_str())
        .collect();
    log::info!("oidc-gateway listening on {}", addresses.join(", "));
    server.run_forever()
}
