//! A stub upstream for gateway tests: answers every request with its method, path and headers as JSON.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use super::http;

/// A running echo server; dropping it stops it.
pub struct EchoUpstream {
    addr: SocketAddr,
    task: JoinHandle<()>,
    connections: Arc<AtomicUsize>,
}

impl EchoUpstream {
    pub async fn start() -> EchoUpstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind echo");
        let addr = listener.local_addr().expect("echo addr");
        let connections_accepted = Arc::new(AtomicUsize::new(0));
        let counter = connections_accepted.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            counter.fetch_add(1, Ordering::Relaxed);
                            connections.spawn(echo(stream));
                        }
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        EchoUpstream {
            addr,
            task,
            connections: connections_accepted,
        }
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for EchoUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn echo(mut stream: TcpStream) {
    let mut buf = Vec::new();
    while let Some(request) = http::read_request(&mut stream, &mut buf).await {
        let headers: serde_json::Map<String, serde_json::Value> = request
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone().into()))
            .collect();
        let body = serde_json::json!({
            "method": request.method,
            "path": request.path,
            "headers": headers,
            "body": String::from_utf8_lossy(&request.body),
        });
        if !http::send(&mut stream, &http::json(200, &body, true)).await || request.wants_close() {
            return;
        }
    }
}
