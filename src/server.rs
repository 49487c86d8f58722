//! Builds and runs the Pingora server: config check, proxy service, background refresher.

use std::process::ExitCode;
use std::sync::Arc;

use pingora::apps::http_app::HttpServer;
use pingora::server::configuration::Opt;
use pingora::server::Server;
use pingora::services::background::background_service;
use pingora::services::listening::Service;

use crate::background::Refresher;
use crate::cli::Cli;
use crate::config::load_declarative_file;
use crate::health_checks::HealthChecks;
use crate::metrics::connections::CountedConnections;
use crate::metrics::status_app::StatusApp;
use crate::plugin::registry::PluginRegistry;
use crate::proxy::Gateway;
use crate::server_config;
use crate::snapshot::{Snapshot, SnapshotStore};

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
    let gateway = Gateway::new(Arc::clone(&store), startup.log_format);
    let mut proxy = Service::new(
        "oidc-gateway proxy".to_owned(),
        CountedConnections::new(pingora_proxy::http_proxy(&server.configuration, gateway)),
    );
    for listener in &startup.proxy_listen {
        if listener.ssl {
            return Err(format!(
                "{}: TLS listeners are not supported yet",
                listener.address
            ));
        }
        proxy.add_tcp(&listener.address);
    }
    server.add_service(proxy);
    if let Some(status_listen) = &startup.status_listen {
        if status_listen.ssl {
            return Err(format!(
                "{}: TLS status listeners are not supported yet",
                status_listen.address
            ));
        }
        let mut status = Service::new(
            "oidc-gateway status".to_owned(),
            HttpServer::new_app(StatusApp::new(Arc::clone(&store))),
        );
        status.threads = Some(1);
        status.add_tcp(&status_listen.address);
        log::info!("status listener on {}", status_listen.address);
        server.add_service(status);
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
