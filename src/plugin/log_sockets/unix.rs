//! The local syslog daemon's socket (syslog): each entry, already a syslog message, is one
//! datagram to the Unix socket (`/dev/log` unless `gateway.syslog_socket` says otherwise).

use std::path::PathBuf;

use async_trait::async_trait;
use tokio::net::UnixDatagram;

use crate::plugin::log_queue::BatchSender;

/// Sends batches to a Unix datagram socket.
pub struct UnixSender {
    path: PathBuf,
}

impl UnixSender {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }
}

#[async_trait]
impl BatchSender for UnixSender {
    async fn send(&self, batch: &[String]) -> Result<(), String> {
        let fail = |error: std::io::Error| format!("{}: {error}", self.path.display());
        let socket = UnixDatagram::unbound().map_err(fail)?;
        for entry in batch {
            socket
                .send_to(entry.as_bytes(), &self.path)
                .await
                .map_err(fail)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_arrive_as_datagrams_and_a_missing_socket_fails() {
        let dir = std::env::temp_dir().join(format!("unix-sender-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log.sock");
        let _ = std::fs::remove_file(&path);
        let server = UnixDatagram::bind(&path).unwrap();
        let sender = UnixSender::new(path.clone());
        sender.send(&["<14>one".into()]).await.unwrap();
        let mut buffer = [0u8; 64];
        let n = server.recv(&mut buffer).await.unwrap();
        assert_eq!(&buffer[..n], b"<14>one");
        drop(server);
        std::fs::remove_file(&path).unwrap();
        assert!(sender.send(&["<14>two".into()]).await.is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
