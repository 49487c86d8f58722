//! A log server over UDP (udp-log, statsd): one datagram per entry, or for statsd one per
//! metric line, or lines packed into datagrams of up to `udp_packet_size` bytes. The socket
//! is connected, so a server that is down shows as an error and the batch is retried.

use std::time::Duration;

use async_trait::async_trait;
use tokio::net::UdpSocket;
use tokio::sync::Mutex;
use tokio::time::timeout;

use crate::plugin::log_queue::BatchSender;
use crate::plugin::log_target::host_port;

/// How entries become datagrams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// Each entry is one datagram (udp-log).
    PerEntry,
    /// Each entry holds newline-separated lines; lines are packed, newline-joined, into
    /// datagrams of at most this many bytes; 0: each line alone (statsd).
    Lines(usize),
}

/// Sends batches to one UDP log server.
pub struct UdpSender {
    address: String,
    timeout: Duration,
    packing: Packing,
    socket: Mutex<Option<UdpSocket>>,
}

/// The datagrams a batch is sent as.
pub fn datagrams(batch: &[String], packing: Packing) -> Vec<String> {
    let Packing::Lines(size) = packing else {
        return batch.to_vec();
    };
    let lines = batch.iter().flat_map(|entry| entry.split('\n'));
    if size == 0 {
        return lines.map(str::to_owned).collect();
    }
    let mut packets = Vec::new();
    let mut packet = String::new();
    for line in lines {
        if !packet.is_empty() && packet.len() + 1 + line.len() > size {
            packets.push(std::mem::take(&mut packet));
        }
        if !packet.is_empty() {
            packet.push('\n');
        }
        packet.push_str(line);
    }
    if !packet.is_empty() {
        packets.push(packet);
    }
    packets
}

impl UdpSender {
    pub fn new(host: &str, port: u16, timeout: Duration, packing: Packing) -> Self {
        Self {
            address: host_port(host, port),
            timeout,
            packing,
            socket: Mutex::new(None),
        }
    }

    async fn connect(&self) -> Result<UdpSocket, String> {
        let fail = |error: String| format!("could not connect to {}: {error}", self.address);
        let peer = tokio::net::lookup_host(&self.address)
            .await
            .map_err(|e| fail(e.to_string()))?
            .next()
            .ok_or_else(|| fail("no address".into()))?;
        let local = if peer.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let socket = UdpSocket::bind(local)
            .await
            .map_err(|e| fail(e.to_string()))?;
        socket
            .connect(peer)
            .await
            .map_err(|e| fail(e.to_string()))?;
        Ok(socket)
    }
}

#[async_trait]
impl BatchSender for UdpSender {
    async fn send(&self, batch: &[String]) -> Result<(), String> {
        let mut kept = self.socket.lock().await;
        let socket = match kept.take() {
            Some(socket) => socket,
            None => self.connect().await?,
        };
        for datagram in datagrams(batch, self.packing) {
            let sent = match timeout(self.timeout, socket.send(datagram.as_bytes())).await {
                Ok(sent) => sent,
                Err(_) => return Err(format!("could not send data to {}: timeout", self.address)),
            };
            match sent {
                Ok(_) => {}
                // Too large for a datagram: this one can never be sent, the others can.
                Err(error) if error.raw_os_error() == Some(90) => log::error!(
                    "[udp] dropped a {} byte entry for {}: {error}",
                    datagram.len(),
                    self.address
                ),
                Err(error) => {
                    return Err(format!("could not send data to {}: {error}", self.address))
                }
            }
        }
        *kept = Some(socket);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_packed_up_to_the_packet_size() {
        let batch = vec!["a:1|c\nbb:2|c".to_owned(), "ccc:3|c".to_owned()];
        assert_eq!(datagrams(&batch, Packing::PerEntry), batch);
        assert_eq!(
            datagrams(&batch, Packing::Lines(0)),
            ["a:1|c", "bb:2|c", "ccc:3|c"]
        );
        assert_eq!(
            datagrams(&batch, Packing::Lines(12)),
            ["a:1|c\nbb:2|c", "ccc:3|c"]
        );
        // A line longer than the packet goes alone.
        assert_eq!(
            datagrams(&batch, Packing::Lines(3)),
            ["a:1|c", "bb:2|c", "ccc:3|c"]
        );
    }

    #[tokio::test]
    async fn datagrams_arrive() {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = server.local_addr().unwrap().port();
        let sender = UdpSender::new("127.0.0.1", port, Duration::from_secs(1), Packing::PerEntry);
        sender
            .send(&["{\"a\":1}".into(), "{\"b\":2}".into()])
            .await
            .unwrap();
        let mut buffer = [0u8; 64];
        let n = server.recv(&mut buffer).await.unwrap();
        assert_eq!(&buffer[..n], b"{\"a\":1}");
        let n = server.recv(&mut buffer).await.unwrap();
        assert_eq!(&buffer[..n], b"{\"b\":2}");
    }
}
