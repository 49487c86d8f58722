//! Active health checks: probes each target on its interval (healthy and unhealthy
//! targets have their own) with at most `concurrency` probes at once, and feeds the
//! outcome to the target's health counters.
//!
//! `http` probes are a plain `GET http_path` over a fresh connection, `https` probes go
//! through reqwest (rustls), `tcp` probes only connect.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::health::{Checker, Event};
use super::settings::{ActiveSettings, ProbeType, TargetInfo};
use super::Balancer;

/// Longest status-line prefix read from an `http` probe's answer.
const MAX_HEAD: usize = 1024;

/// Runs this balancer's active health checks until the returned future is dropped or
/// aborted (the caller spawns it in a Pingora background service). Returns at once when
/// the upstream has no active checks.
pub async fn run_active_checks(balancer: Arc<Balancer>) {
    if !balancer.has_active_checks() {
        return;
    }
    let active = Arc::new(balancer.settings().healthchecks.active.clone());
    // Targets given by name change with DNS: the probes follow the current addresses.
    let mut targets: Vec<TargetInfo> = Vec::new();
    let mut https: Vec<reqwest::Client> = Vec::new();
    let mut next_due: Vec<Instant> = Vec::new();
    // How often targets whose current interval is 0 are looked at again.
    let tick = [active.healthy_interval, active.unhealthy_interval]
        .into_iter()
        .filter(|d| !d.is_zero())
        .min()
        .unwrap_or(Duration::from_secs(1));
    let mut first = true;
    loop {
        let now = Instant::now();
        let current = balancer.targets();
        if first || current != targets {
            first = false;
            if active.probe == ProbeType::Https {
                https = match https_clients(&current, &active) {
                    Ok(clients) => clients,
                    Err(error) => {
                        log::error!(
                            "upstream {}: cannot build the https health check client: {error}",
                            balancer.name()
                        );
                        return;
                    }
                };
            }
            next_due = current
                .iter()
                .enumerate()
                .map(|(i, target)| {
                    targets
                        .iter()
                        .position(|t| t == target)
                        .and_then(|j| next_due.get(j).copied())
                        .unwrap_or_else(|| now + interval_of(&balancer, &active, i))
                })
                .collect();
            targets = current;
        }
        let mut due = Vec::new();
        for (i, next) in next_due.iter_mut().enumerate() {
            let interval = interval_of(&balancer, &active, i);
            let weight = targets.get(i).map_or(0, |t| t.weight);
            if interval.is_zero() || weight == 0 {
                *next = now + tick;
            } else if *next <= now {
                due.push(i);
                *next = now + interval;
            }
        }
        probe_all(&balancer, &active, &targets, &https, due).await;
        let wake = next_due.iter().copied().min().unwrap_or(now + tick);
        let wake = wake.min(Instant::now() + tick);
        tokio::time::sleep_until(wake.max(Instant::now() + Duration::from_millis(1))).await;
    }
}

/// The probe interval that applies to target `i` in its current state.
fn interval_of(balancer: &Balancer, active: &ActiveSettings, i: usize) -> Duration {
    if balancer.is_healthy(i) {
        active.healthy_interval
    } else {
        active.unhealthy_interval
    }
}

/// Probes `due` targets, `concurrency` at a time, and records each outcome.
async fn probe_all(
    balancer: &Arc<Balancer>,
    active: &Arc<ActiveSettings>,
    targets: &[TargetInfo],
    https: &[reqwest::Client],
    due: Vec<usize>,
) {
    let mut queue = due.into_iter();
    let mut running = JoinSet::new();
    loop {
        while running.len() < active.concurrency.max(1) {
            let Some(i) = queue.next() else { break };
            let Some(target) = targets.get(i) else {
                continue;
            };
            let host = balancer
                .host_header()
                .map(str::to_owned)
                .unwrap_or_else(|| host_with_port(&target.host, target.port));
            let address = target.address;
            let active = Arc::clone(active);
            let https = https.get(i).cloned();
            let url_host = active
                .https_sni
                .clone()
                .unwrap_or_else(|| target.host.clone());
            let port = target.port;
            running.spawn(async move {
                let event = match (active.probe, https) {
                    (ProbeType::Tcp, _) => probe_tcp(address, active.timeout).await,
                    (ProbeType::Https, Some(client)) => {
                        probe_https(&client, &active, &url_host, port, &host).await
                    }
                    _ => probe_http(address, &host, &active).await,
                };
                (i, event)
            });
        }
        match running.join_next().await {
            Some(Ok((i, event))) => {
                if let Some(target) = targets.get(i) {
                    balancer.record_for(target, Checker::Active, event);
                }
            }
            Some(Err(error)) => log::debug!("health check probe task failed: {error}"),
            None => return,
        }
    }
}

fn host_with_port(host: &str, port: u16) -> String {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    if port == 80 {
        host
    } else {
        format!("{host}:{port}")
    }
}

async fn probe_tcp(address: SocketAddr, timeout: Duration) -> Event {
    match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
        Err(_) => Event::Timeout,
        Ok(Err(_)) => Event::TcpFailure,
        Ok(Ok(_)) => Event::Success,
    }
}

async fn probe_http(address: SocketAddr, host: &str, active: &ActiveSettings) -> Event {
    let exchange = async {
        let mut stream = TcpStream::connect(address)
            .await
            .map_err(|_| Event::TcpFailure)?;
        let mut request = format!(
            "GET {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: oidc-gateway health check\r\nConnection: close\r\n",
            active.http_path
        );
        for (name, values) in &active.headers {
            for value in values {
                request.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        request.push_str("\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|_| Event::TcpFailure)?;
        let mut head = Vec::with_capacity(128);
        let mut buffer = [0u8; 256];
        while !head.windows(2).any(|w| w == b"\r\n") && head.len() < MAX_HEAD {
            let read = stream
                .read(&mut buffer)
                .await
                .map_err(|_| Event::TcpFailure)?;
            if read == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..read]);
        }
        status_of(&head).map(Event::Status).ok_or(Event::TcpFailure)
    };
    match tokio::time::timeout(active.timeout, exchange).await {
        Err(_) => Event::Timeout,
        Ok(Ok(event)) | Ok(Err(event)) => event,
    }
}

/// The status code of an HTTP/1.x status line.
fn status_of(head: &[u8]) -> Option<u16> {
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let code = parts.next()?;
    (code.len() == 3).then(|| code.parse().ok()).flatten()
}

/// One https client per target (index = target index): each resolves the probe's host
/// name (`https_sni`, or the target's name) to that target's own address, so targets that
/// share a name are still probed each at its own address.
fn https_clients(
    targets: &[TargetInfo],
    active: &ActiveSettings,
) -> reqwest::Result<Vec<reqwest::Client>> {
    targets
        .iter()
        .map(|target| {
            let mut builder = reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(active.timeout)
                .tls_danger_accept_invalid_certs(!active.https_verify_certificate);
            let name = active.https_sni.as_deref().unwrap_or(&target.host);
            if name.parse::<std::net::IpAddr>().is_err() {
                builder = builder.resolve(name, target.address);
            }
            builder.build()
        })
        .collect()
}

async fn probe_https(
    client: &reqwest::Client,
    active: &ActiveSettings,
    url_host: &str,
    port: u16,
    host: &str,
) -> Event {
    let url_host = if url_host.contains(':') {
        format!("[{url_host}]")
    } else {
        url_host.to_owned()
    };
    let mut request = client
        .get(format!("https://{url_host}:{port}{}", active.http_path))
        .header(http::header::HOST, host);
    for (name, values) in &active.headers {
        for value in values {
            request = request.header(name.as_str(), value.as_str());
        }
    }
    match request.send().await {
        Ok(response) => Event::Status(response.status().as_u16()),
        Err(error) if error.is_timeout() => Event::Timeout,
        Err(_) => Event::TcpFailure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(status_of(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(status_of(b"HTTP/1.0 503\r\n"), Some(503));
        assert_eq!(status_of(b"SSH-2.0\r\n"), None);
        assert_eq!(status_of(b""), None);
    }
}
