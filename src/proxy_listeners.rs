//! The proxy's listeners as Pingora services sharing one snapshot store: plain HTTP/1.1,
//! TLS (`ssl`: certificate by SNI, HTTP/2 by ALPN with `http2`) and h2c (plain `http2`).
//!
//! Pingora turns h2c on per service, so plain `http2` listeners get a second proxy
//! service; every other listener is on the first one.

use std::sync::Arc;

use pingora::apps::HttpServerOptions;
use pingora::listeners::tls::TlsSettings;
use pingora::server::configuration::ServerConf;
use pingora::services::listening::Service;
use pingora_proxy::HttpProxy;

use crate::listen::ListenSpec;
use crate::metrics::connections::CountedConnections;
use crate::proxy::{Gateway, ProxySettings};
use crate::snapshot::SnapshotStore;
use crate::tls::acceptor::SniAcceptor;
use crate::tls::sni_certificates::ServerCertificate;

/// One proxy service, its connections counted for `/status` and `/metrics`.
pub type ProxyService = Service<CountedConnections<HttpProxy<Gateway>>>;

/// The services serving `listeners` (the first one always, an h2c one when needed).
pub fn proxy_services(
    conf: &Arc<ServerConf>,
    listeners: &[ListenSpec],
    store: &Arc<SnapshotStore>,
    default_certificate: Option<Arc<ServerCertificate>>,
    settings: &Arc<ProxySettings>,
) -> Result<Vec<ProxyService>, String> {
    if default_certificate.is_none() && listeners.iter().any(|l| l.ssl) {
        log::warn!(
            "no gateway.ssl_cert: TLS clients whose server name matches no `snis` entry are refused"
        );
    }
    let mut main = proxy_service(conf, store, settings, false);
    let mut h2c: Option<ProxyService> = None;
    for listener in listeners {
        let address = listener.address.as_str();
        if listener.ssl {
            let acceptor = SniAcceptor::new(Arc::clone(store), default_certificate.clone());
            let mut settings = TlsSettings::with_callbacks(Box::new(acceptor))
                .map_err(|e| format!("{address}: cannot set up TLS: {e}"))?;
            if listener.http2 {
                settings.enable_h2();
            }
            main.add_tls_with_settings(address, None, settings);
        } else if listener.http2 {
            h2c.get_or_insert_with(|| proxy_service(conf, store, settings, true))
                .add_tcp(address);
        } else {
            main.add_tcp(address);
        }
    }
    Ok(std::iter::once(main).chain(h2c).collect())
}

/// A proxy service; with `h2c` it also accepts HTTP/2 with prior knowledge on plain
/// connections.
fn proxy_service(
    conf: &Arc<ServerConf>,
    store: &Arc<SnapshotStore>,
    settings: &Arc<ProxySettings>,
    h2c: bool,
) -> ProxyService {
    let mut proxy =
        pingora_proxy::http_proxy(conf, Gateway::new(Arc::clone(store), Arc::clone(settings)));
    let name = if h2c {
        proxy
            .server_options
            .get_or_insert_with(HttpServerOptions::default)
            .h2c = true;
        "oidc-gateway proxy (h2c)"
    } else {
        "oidc-gateway proxy"
    };
    Service::new(name.to_owned(), CountedConnections::new(proxy))
}
