//! TLS termination on `ssl` listeners: certificates chosen by SNI (`sni_certificates.rs`),
//! the handshake hooks (`acceptor.rs`), the default certificate from `gateway.ssl_cert`,
//! and what request code learns of a TLS connection.

pub mod acceptor;
pub mod sni_certificates;

use std::path::PathBuf;
use std::sync::Arc;

use pingora_proxy::Session;

use sni_certificates::{CertifiedKey, PemProblem, ServerCertificate};

/// Stored on each TLS connection after its handshake (the `SslDigest` extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConnection {
    /// The client's SNI, lowercase, without a trailing dot.
    pub server_name: Option<String>,
}

/// What routing needs to know of the connection a request came on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Downstream<'a> {
    /// The request came over TLS (scheme `https`).
    pub tls: bool,
    /// The client's SNI, on TLS connections that sent one.
    pub server_name: Option<&'a str>,
    /// The port of the listener the connection came in on (TCP listeners only).
    pub local_port: Option<u16>,
}

impl<'a> Downstream<'a> {
    /// The connection facts of a request's session.
    pub fn of(session: &'a Session) -> Self {
        let local_port = session
            .server_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.port());
        let Some(ssl) = session.digest().and_then(|d| d.ssl_digest.as_ref()) else {
            return Downstream {
                local_port,
                ..Downstream::default()
            };
        };
        Downstream {
            tls: true,
            server_name: ssl
                .extension
                .get::<TlsConnection>()
                .and_then(|c| c.server_name.as_deref()),
            local_port,
        }
    }

    pub fn scheme(&self) -> &'static str {
        if self.tls {
            "https"
        } else {
            "http"
        }
    }
}

/// Loads `gateway.ssl_cert` / `ssl_cert_key` pairs into one default certificate (none when
/// the lists are empty). Errors name the entry, e.g. `gateway.ssl_cert[1]`, never content.
pub fn load_default_certificate(
    files: &[(PathBuf, PathBuf)],
) -> Result<Option<Arc<ServerCertificate>>, String> {
    if files.is_empty() {
        return Ok(None);
    }
    let mut pairs = Vec::with_capacity(files.len());
    for (i, (cert_path, key_path)) in files.iter().enumerate() {
        let cert_at = format!("gateway.ssl_cert[{i}]");
        let key_at = format!("gateway.ssl_cert_key[{i}]");
        let read = |at: &str, path: &PathBuf| {
            std::fs::read(path).map_err(|e| format!("{at}: cannot read {}: {e}", path.display()))
        };
        let cert = read(&cert_at, cert_path)?;
        let key = read(&key_at, key_path)?;
        let pair = CertifiedKey::from_pem(&cert, &key).map_err(|problem| match problem {
            PemProblem::Certificate => format!("{cert_at}: {}", problem.message()),
            PemProblem::PrivateKey => format!("{key_at}: {}", problem.message()),
            PemProblem::Mismatch => format!("{key_at}: does not match {cert_at}"),
        })?;
        pairs.push(pair);
    }
    Ok(Some(Arc::new(ServerCertificate { pairs })))
}
