//! Builds and runs the Pingora server: config check, proxy services, background refresher,
//! SIGHUP reload, draining during a graceful upgrade.

use std::process::ExitCode;
use std::sync::Arc;

use pingora::apps::http_app::HttpServer;
use pingora::server::configuration::Opt;
use pingora::server::Server;
use pingora::services::background::background_service;
use pingora::services::listening::Service;

use crate::background::Refresher;
use crate::cli::Cli;
use crate::config::{load_declarative_file, CompiledConfig, ServiceTarget};
use crate::dns::{check_names, DnsRefresher, DnsSettings};
use crate::health_checks::HealthChecks;
use crate::listen::ListenSpec;
use crate::metrics::status_app::StatusApp;
use crate::plugin::registry::PluginRegistry;
use crate::proxy::ProxySettings;
use crate::proxy_listeners::proxy_services;
use crate::reload::Reloader;
use crate::server_config;
use crate::signals::{HangupListener, SignalService};
use crate::snapshot::{Snapshot, SnapshotStore};
use crate::tls::load_default_certificate;

/// Runs the gateway (never returns while serving), or only checks the config with `-t`.
pub fn run(cli: Cli) -> Result<ExitCode, String> {
    // First: SIGHUP's default action would end the process; one that arrives while the
    // config is compiled is kept and served as a reload once the server runs.
    let hangups = HangupListener::install()?;
    let startup = server_config::load(&cli)?;
    if startup.server.daemon_wait_for_ready {
        // Pingora would wait for a readiness signal sent from a bootstrap that, here, runs
        // before the fork (the sockets are taken first), so the parent would wait in vain.
        return Err(
            "daemon_wait_for_ready is not supported (the listening sockets are taken before \
             the daemon forks): leave it false"
                .to_owned(),
        );
    }
    crate::logging::init(startup.log_level, startup.access_log);
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
        warn_unresolved(&compiled, &startup.dns);
        println!("ok");
        return Ok(ExitCode::SUCCESS);
    }

    let registry = Arc::new(
        PluginRegistry::new(startup.plugin_settings.clone())
            .map_err(|e| format!("cannot build the IdP client: {e}"))?,
    );
    let store = Arc::new(SnapshotStore::new(Snapshot::build(compiled, &registry)));
    // Absolute: a daemon changes its working directory to `/`.
    let declarative_path = std::path::absolute(&startup.declarative_config)
        .map_err(|e| format!("{}: {e}", startup.declarative_config.display()))?;
    let reloader = Reloader::new(declarative_path, Arc::clone(&store), Arc::clone(&registry));

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
        &Arc::new(ProxySettings {
            log_format: startup.log_format,
            client_ip: startup.client_ip.clone(),
            kong_headers: startup.kong_headers,
        }),
    )?;
    for proxy in proxies {
        server.add_service(proxy);
    }
    if let Some(status_listen) = &startup.status_listen {
        server.add_service(status_service(status_listen, &store)?);
    }
    server.add_service(background_service(
        "oidc refresher",
        Refresher::new(registry),
    ));
    server.add_service(background_service("upstream health checks", health_checks));
    server.add_service(background_service(
        "dns",
        DnsRefresher::new(startup.dns.clone()),
    ));
    server.add_service(background_service(
        "signals",
        SignalService::new(hangups, server.watch_execution_phase(), reloader),
    ));
    let addresses: Vec<&str> = startup
        .proxy_listen
        .iter()
        .map(|listener| listener.address.as_str())
        .collect();
    log::info!("oidc-gateway listening on {}", addresses.join(", "));
    server.run_forever()
}

/// `-t`: a service or target host that does not resolve is not an error (requests to it get a 503
/// until it does, as in Kong), but it is worth a warning.
fn warn_unresolved(compiled: &CompiledConfig, dns: &DnsSettings) {
    let services = compiled
        .services
        .iter()
        .filter_map(|service| match &service.target {
            ServiceTarget::Name(name) => Some(name.name().to_owned()),
            _ => None,
        });
    let targets = compiled
        .upstreams
        .iter()
        .flat_map(|upstream| upstream.settings().targets.iter())
        .filter_map(|target| target.dns.as_ref().map(|name| name.name().to_owned()));
    let mut names: Vec<String> = services.chain(targets).collect();
    names.sort();
    names.dedup();
    for (name, why) in check_names(dns, &names, DNS_CHECK_LIMIT) {
        eprintln!(
            "warning: host '{name}' does not resolve ({why}): requests to it get 503 \
             \"name resolution failed\" until it does"
        );
    }
}

/// Longest `-t` waits for one name.
const DNS_CHECK_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The status listener (`/status`, `/status/ready`, `/metrics`): plain HTTP, one thread.
fn status_service(
    listen: &ListenSpec,
    store: &Arc<SnapshotStore>,
) -> Result<Service<HttpServer<StatusApp>>, String> {
    if listen.ssl {
        return Err(format!(
            "gateway.status_listen: {}: TLS status listeners are not supported",
            listen.address
        ));
    }
    let mut status = Service::new(
        "oidc-gateway status".to_owned(),
        HttpServer::new_app(StatusApp::new(Arc::clone(store))),
    );
    status.threads = Some(1);
    status.add_tcp(&listen.address);
    log::info!("status listener on {}", listen.address);
    Ok(status)
}
