//! How the stub answers a request under each `Behaviour`, the normal documents included.

use std::sync::atomic::Ordering;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::http::{self, Request};
use super::token::{self, Signer};
use super::{Behaviour, Endpoint, Shared};

/// Answers `request`; returns whether the connection may serve another request.
pub(super) async fn respond(
    stream: &mut TcpStream,
    shared: &Shared,
    endpoint: Endpoint,
    behaviour: Behaviour,
    request: &Request,
) -> bool {
    let mut behaviour = behaviour;
    loop {
        match behaviour {
            Behaviour::Delay(pause) => {
                tokio::time::sleep(pause).await;
                behaviour = Behaviour::Normal;
            }
            Behaviour::DelayThen(pause, then) => {
                tokio::time::sleep(pause).await;
                behaviour = *then;
            }
            other => return respond_now(stream, shared, endpoint, other, request).await,
        }
    }
}

async fn respond_now(
    stream: &mut TcpStream,
    shared: &Shared,
    endpoint: Endpoint,
    behaviour: Behaviour,
    request: &Request,
) -> bool {
    match behaviour {
        Behaviour::Status(status) => {
            let body = serde_json::json!({"error": "stub_failure", "status": status});
            http::send(stream, &http::json(status, &body, true)).await
        }
        Behaviour::Garbage => {
            let body = b"<html><body>502 Bad Gateway (not JSON)</body></html>";
            http::send(stream, &http::response(200, "application/json", body, true)).await
        }
        Behaviour::Oversized {
            bytes,
            content_length,
        } => {
            oversized(stream, shared, bytes, content_length).await;
            false
        }
        Behaviour::Reset => {
            reset(stream);
            false
        }
        Behaviour::DripFeed(interval) => {
            let bytes = normal(shared, endpoint, request, Signer::Normal, None);
            for byte in bytes {
                if !http::send(stream, &[byte]).await {
                    break;
                }
                tokio::time::sleep(interval).await;
            }
            false
        }
        Behaviour::TokenSignedByUnknownKey => {
            let bytes = normal(shared, endpoint, request, Signer::Stranger, None);
            http::send(stream, &bytes).await
        }
        Behaviour::ShortLifetime(secs) => {
            let bytes = normal(shared, endpoint, request, Signer::Normal, Some(secs));
            http::send(stream, &bytes).await
        }
        // Normal, and the delays already unwrapped by `respond`.
        _ => {
            let bytes = normal(shared, endpoint, request, Signer::Normal, None);
            http::send(stream, &bytes).await
        }
    }
}

/// The normal answer of `endpoint`, as bytes.
fn normal(
    shared: &Shared,
    endpoint: Endpoint,
    request: &Request,
    signer: Signer,
    lifetime: Option<u64>,
) -> Vec<u8> {
    match endpoint {
        Endpoint::Discovery => http::json(200, &discovery(shared), true),
        Endpoint::Jwks => {
            let jwks = crate::mint::jwks(&[&shared.state().signer]);
            http::response(200, "application/json", jwks.as_bytes(), true)
        }
        Endpoint::Token => token::answer(shared, request, signer, lifetime),
        Endpoint::Other => http::json(404, &serde_json::json!({"error": "not found"}), true),
    }
}

fn discovery(shared: &Shared) -> serde_json::Value {
    let issuer = shared.issuer();
    serde_json::json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/protocol/openid-connect/token"),
        "jwks_uri": format!("{issuer}/protocol/openid-connect/certs"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "id_token_signing_alg_values_supported": ["RS256"],
    })
}

/// Writes a 200 whose body is `bytes` long, until done or until the client hangs up.
async fn oversized(stream: &mut TcpStream, shared: &Shared, bytes: usize, content_length: bool) {
    shared.oversized_written.store(0, Ordering::SeqCst);
    let head = if content_length {
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes}\r\nConnection: close\r\n\r\n")
    } else {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".to_owned()
    };
    if !http::send(stream, head.as_bytes()).await {
        return;
    }
    let chunk = vec![b'x'; 16 * 1024];
    let mut written = 0;
    while written < bytes {
        let n = chunk.len().min(bytes - written);
        if stream.write_all(&chunk[..n]).await.is_err() {
            return;
        }
        written += n;
        shared.oversized_written.store(written, Ordering::SeqCst);
    }
    let _ = stream.shutdown().await;
}

/// Closes with RST (SO_LINGER 0), so the client sees "connection reset", not a clean EOF.
fn reset(stream: &mut TcpStream) {
    #[allow(deprecated)]
    let _ = stream.set_linger(Some(std::time::Duration::ZERO));
}
