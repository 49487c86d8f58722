//! The TLS handshake hooks of `ssl` listeners: the certificate for the client's SNI from
//! the current configuration snapshot (else the default one), and the SNI kept for requests.

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use pingora::listeners::TlsAccept;
use pingora::protocols::tls::TlsRef;
use pingora::tls::ext::{ssl_add_chain_cert, ssl_use_certificate, ssl_use_private_key};
use pingora::tls::ssl::NameType;

use super::sni_certificates::ServerCertificate;
use super::TlsConnection;
use crate::snapshot::SnapshotStore;

/// Chooses certificates per handshake; shared by every `ssl` listener.
pub struct SniAcceptor {
    store: Arc<SnapshotStore>,
    /// From `gateway.ssl_cert` / `ssl_cert_key`: served when no SNI entity matches.
    default: Option<Arc<ServerCertificate>>,
}

impl SniAcceptor {
    pub fn new(store: Arc<SnapshotStore>, default: Option<Arc<ServerCertificate>>) -> Self {
        Self { store, default }
    }
}

#[async_trait]
impl TlsAccept for SniAcceptor {
    async fn certificate_callback(&self, ssl: &mut TlsRef) {
        let snapshot = self.store.current();
        let server_name = ssl.servername(NameType::HOST_NAME).map(str::to_owned);
        let chosen = server_name
            .as_deref()
            .and_then(|name| snapshot.config.certificates.select(name))
            .or(self.default.as_ref());
        let Some(certificate) = chosen else {
            // Without a certificate the handshake fails with an alert to the client.
            log::debug!(
                "TLS handshake refused: no certificate for server name {:?} and no default",
                server_name.as_deref().unwrap_or("")
            );
            return;
        };
        if let Err(error) = install(ssl, certificate) {
            log::warn!("TLS handshake: cannot use the chosen certificate: {error}");
        }
    }

    async fn handshake_complete_callback(
        &self,
        ssl: &TlsRef,
    ) -> Option<Arc<dyn Any + Send + Sync>> {
        let server_name = ssl
            .servername(NameType::HOST_NAME)
            .map(|name| name.trim_end_matches('.').to_ascii_lowercase());
        Some(Arc::new(TlsConnection { server_name }))
    }
}

/// Puts every pair of `certificate` on the connection; each chain goes with its leaf.
fn install(
    ssl: &mut TlsRef,
    certificate: &ServerCertificate,
) -> Result<(), pingora::tls::error::ErrorStack> {
    for pair in &certificate.pairs {
        let mut chain = pair.chain.iter();
        if let Some(leaf) = chain.next() {
            ssl_use_certificate(ssl, leaf)?;
            ssl_use_private_key(ssl, &pair.key)?;
            for intermediate in chain {
                ssl_add_chain_cert(ssl, intermediate)?;
            }
        }
    }
    Ok(())
}
