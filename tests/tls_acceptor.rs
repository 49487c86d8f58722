//! The TLS handshake hook in process, over an in-memory pipe: the certificate for an SNI
//! comes from the current snapshot (so a reload swaps certificates), the SNI reaches the
//! connection's digest, and a name with no certificate and no default fails cleanly.

mod support;

use std::pin::Pin;
use std::sync::Arc;

use oidc_gateway::config::{compile_declarative_str, CompiledConfig};
use oidc_gateway::plugin::registry::PluginRegistry;
use oidc_gateway::plugin::settings::PluginSettings;
use oidc_gateway::snapshot::{Snapshot, SnapshotStore};
use oidc_gateway::tls::acceptor::SniAcceptor;
use oidc_gateway::tls::load_default_certificate;
use oidc_gateway::tls::TlsConnection;
use pingora::protocols::tls::server::handshake_with_callback;
use pingora::protocols::tls::SslStream;
use pingora::tls::nid::Nid;
use pingora::tls::ssl::{Ssl, SslAcceptor, SslContext, SslMethod, SslVerifyMode};
use support::pki::{KeyType, Leaf, Pki};

fn block(pem: &str) -> String {
    let lines: String = pem.lines().map(|l| format!("    {l}\n")).collect();
    format!("|\n{lines}")
}

/// A config serving `leaf` for each of `names`.
fn config(leaf: &Leaf, names: &[&str]) -> CompiledConfig {
    let yaml = format!(
        "_format_version: \"3.0\"\ncertificates:\n- cert: {}  key: {}  snis: [{}]\n",
        block(&leaf.cert_pem()),
        block(&leaf.key_pem()),
        names
            .iter()
            .map(|name| format!("\"{name}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    compile_declarative_str(&yaml).unwrap_or_else(|e| panic!("{e}"))
}

fn snapshot(config: CompiledConfig) -> Snapshot {
    let registry = PluginRegistry::new(PluginSettings::default()).expect("registry");
    Snapshot::build(config, &registry)
}

/// What the client saw (certificate CN) and what the server kept, or the failure.
struct Outcome {
    common_name: Option<String>,
    kept: Option<TlsConnection>,
}

async fn handshake(acceptor: &SniAcceptor, server_name: &str) -> Result<Outcome, String> {
    let (client_io, server_io) = tokio::io::duplex(16 * 1024);
    let server_ssl = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())
        .expect("acceptor")
        .build();
    let server = async {
        handshake_with_callback(&server_ssl, server_io, acceptor)
            .await
            .map_err(|e| e.to_string())
            .map(|stream| {
                stream
                    .ssl_digest()
                    .and_then(|d| d.extension.get::<TlsConnection>().cloned())
            })
    };
    let client = async {
        let context = SslContext::builder(SslMethod::tls())
            .expect("context")
            .build();
        let mut ssl = Ssl::new(&context).expect("ssl");
        ssl.set_hostname(server_name).expect("sni");
        ssl.set_verify(SslVerifyMode::NONE);
        let mut stream = SslStream::new(ssl, client_io).expect("stream");
        Pin::new(&mut stream)
            .connect()
            .await
            .map_err(|e| e.to_string())?;
        let cert = stream.ssl().peer_certificate().ok_or("no certificate")?;
        let common_name = cert
            .subject_name()
            .entries_by_nid(Nid::COMMONNAME)
            .next()
            .and_then(|entry| String::from_utf8(entry.data().as_slice().to_vec()).ok());
        // The stream stays open until the server is done (TLS 1.3 tickets follow the handshake).
        Ok::<_, String>((common_name, stream))
    };
    let (kept, client) = tokio::join!(server, client);
    let (common_name, _open_until_here) = client?;
    Ok(Outcome {
        common_name,
        kept: kept?,
    })
}

#[tokio::test]
async fn certificates_follow_the_current_snapshot() {
    let dir = support::temp_dir("tls-acceptor");
    let pki = Pki::new(&dir);
    let first = pki.leaf("first", "first", &["a.test"], KeyType::Ec);
    let second = pki.leaf("second", "second", &["a.test"], KeyType::Ec);
    let fallback = pki.leaf("fallback", "fallback", &["x.test"], KeyType::Ec);

    let store = Arc::new(SnapshotStore::new(snapshot(config(&first, &["a.test"]))));
    let acceptor = SniAcceptor::new(Arc::clone(&store), None);

    let outcome = handshake(&acceptor, "A.Test").await.expect("handshake");
    assert_eq!(outcome.common_name.as_deref(), Some("first"));
    assert_eq!(
        outcome.kept,
        Some(TlsConnection {
            server_name: Some("a.test".to_owned())
        }),
        "the SNI is kept, lowercase, for routing"
    );
    let refused = handshake(&acceptor, "other.test").await;
    let refused = refused
        .err()
        .expect("no certificate and no default: refused");
    assert!(
        refused.contains("alert handshake failure"),
        "the client gets a handshake alert: {refused}"
    );

    // A reload: the next handshake gets the new certificate.
    store.replace(snapshot(config(&second, &["a.test", "*.b.test"])));
    let outcome = handshake(&acceptor, "a.test").await.expect("after reload");
    assert_eq!(outcome.common_name.as_deref(), Some("second"));
    let outcome = handshake(&acceptor, "x.b.test").await.expect("wildcard");
    assert_eq!(outcome.common_name.as_deref(), Some("second"));

    // With a default certificate, unknown names get it.
    let default = load_default_certificate(&[(fallback.cert.clone(), fallback.key.clone())])
        .expect("default certificate");
    let acceptor = SniAcceptor::new(Arc::clone(&store), default);
    let outcome = handshake(&acceptor, "other.test").await.expect("default");
    assert_eq!(outcome.common_name.as_deref(), Some("fallback"));
    support::remove_temp_dir(&dir);
}
