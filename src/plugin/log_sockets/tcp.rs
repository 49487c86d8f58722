//! A log server over TCP (tcp-log, statsd's `use_tcp`): each entry is written followed by a
//! newline; the connection is kept for the next batch while it is idle less than
//! `keepalive`, and dropped on any error (the batch is then retried by the queue).

use std::time::{Duration, Instant};

use async_trait::async_trait;
use rustls::pki_types::ServerName;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio::time::timeout;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::tls;
use crate::plugin::log_queue::BatchSender;
use crate::plugin::log_target::host_port;

/// Where and how to connect.
#[derive(Debug, Clone, PartialEq)]
pub struct TcpTarget {
    pub host: String,
    pub port: u16,
    /// Connect, handshake and write, each.
    pub timeout: Duration,
    /// How long an idle connection is kept.
    pub keepalive: Duration,
    pub tls: bool,
    pub tls_sni: Option<String>,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => tls.get_ref().0,
        }
    }

    async fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Stream::Plain(tcp) => tcp.write_all(bytes).await,
            Stream::Tls(tls) => {
                tls.write_all(bytes).await?;
                tls.flush().await
            }
        }
    }
}

struct Kept {
    stream: Stream,
    idle_since: Instant,
}

/// Sends batches to one TCP log server.
pub struct TcpSender {
    target: TcpTarget,
    address: String,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    connection: Mutex<Option<Kept>>,
}

/// Whether the server has closed a kept connection (a read would see the end).
async fn closed_by_peer(tcp: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    // Polled once: a connection with nothing to read is still open.
    matches!(
        timeout(Duration::ZERO, tcp.peek(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

impl TcpSender {
    pub fn new(target: TcpTarget) -> Result<Self, String> {
        let tls = if target.tls {
            Some(tls::connector(&target.host, target.tls_sni.as_deref())?)
        } else {
            None
        };
        Ok(Self {
            address: host_port(&target.host, target.port),
            target,
            tls,
            connection: Mutex::new(None),
        })
    }

    async fn connect(&self) -> Result<Stream, String> {
        let address = &self.address;
        let tcp = match timeout(self.target.timeout, TcpStream::connect(address)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(error)) => return Err(format!("failed to connect to {address}: {error}")),
            Err(_) => return Err(format!("failed to connect to {address}: timeout")),
        };
        let _ = tcp.set_nodelay(true);
        let Some((connector, name)) = &self.tls else {
            return Ok(Stream::Plain(tcp));
        };
        match timeout(self.target.timeout, connector.connect(name.clone(), tcp)).await {
            Ok(Ok(tls)) => Ok(Stream::Tls(Box::new(tls))),
            Ok(Err(error)) => Err(format!(
                "failed to perform TLS handshake to {address}: {error}"
            )),
            Err(_) => Err(format!(
                "failed to perform TLS handshake to {address}: timeout"
            )),
        }
    }
}

/// The batch as written: each entry and a newline.
pub fn lines(batch: &[String]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(batch.iter().map(|e| e.len() + 1).sum());
    for entry in batch {
        bytes.extend_from_slice(entry.as_bytes());
        bytes.push(b'\n');
    }
    bytes
}

#[async_trait]
impl BatchSender for TcpSender {
    async fn send(&self, batch: &[String]) -> Result<(), String> {
        let mut kept = self.connection.lock().await;
        if let Some(old) = kept.take() {
            if old.idle_since.elapsed() < self.target.keepalive
                && !closed_by_peer(old.stream.tcp()).await
            {
                *kept = Some(old);
            }
        }
        let mut stream = match kept.take() {
            Some(old) => old.stream,
            None => self.connect().await?,
        };
        match timeout(self.target.timeout, stream.write_all(&lines(batch))).await {
            Ok(Ok(())) => {
                *kept = Some(Kept {
                    stream,
                    idle_since: Instant::now(),
                });
                Ok(())
            }
            Ok(Err(error)) => Err(format!("failed to send data to {}: {error}", self.address)),
            Err(_) => Err(format!("failed to send data to {}: timeout", self.address)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncBufReadExt as _;

    fn target(port: u16) -> TcpTarget {
        TcpTarget {
            host: "127.0.0.1".into(),
            port,
            timeout: Duration::from_secs(2),
            keepalive: Duration::from_secs(60),
            tls: false,
            tls_sni: None,
        }
    }

    #[tokio::test]
    async fn lines_arrive_on_one_kept_connection_and_a_closed_one_is_replaced() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sender = TcpSender::new(target(port)).unwrap();
        sender.send(&["a".into(), "b".into()]).await.unwrap();
        let (first, _) = listener.accept().await.unwrap();
        sender.send(&["c".into()]).await.unwrap();
        let mut reader = tokio::io::BufReader::new(first);
        let mut got = Vec::new();
        for _ in 0..3 {
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            got.push(line);
        }
        assert_eq!(got, ["a\n", "b\n", "c\n"]);
        // The server goes away: the next batch opens a new connection.
        drop(reader);
        tokio::time::sleep(Duration::from_millis(50)).await;
        sender.send(&["d".into()]).await.unwrap();
        let (second, _) = listener.accept().await.unwrap();
        let mut line = String::new();
        tokio::io::BufReader::new(second)
            .read_line(&mut line)
            .await
            .unwrap();
        assert_eq!(line, "d\n");
    }

    #[tokio::test]
    async fn a_server_that_is_down_fails_the_batch_with_its_address() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let error = TcpSender::new(target(port))
            .unwrap()
            .send(&["x".into()])
            .await
            .unwrap_err();
        assert!(
            error.starts_with(&format!("failed to connect to 127.0.0.1:{port}")),
            "{error}"
        );
    }
}
