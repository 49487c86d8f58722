//! Active health checks against real loopback listeners: http statuses, refused
//! connections, timeouts, tcp probes, and healing after a passive failure.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oidc_gateway::balancer::{
    run_active_checks, Balancer, BalancerSettings, PassiveOutcome, ProbeType, TargetInfo,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A loopback HTTP server answering every request with the current `status`, and
/// remembering the last request head.
struct Server {
    address: SocketAddr,
    status: Arc<AtomicU16>,
    last_request: Arc<Mutex<String>>,
}

async fn server(status: u16) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let status = Arc::new(AtomicU16::new(status));
    let last_request = Arc::new(Mutex::new(String::new()));
    let (s, last) = (status.clone(), last_request.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let (s, last) = (s.clone(), last.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0u8; 512];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                *last.lock().unwrap() = String::from_utf8_lossy(&head).into_owned();
                let status = s.load(Ordering::SeqCst);
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    Server {
        address,
        status,
        last_request,
    }
}

/// A listener that accepts and never answers.
async fn silent() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (address, task)
}

/// A loopback port nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

fn target(address: SocketAddr) -> TargetInfo {
    TargetInfo {
        address,
        host: "127.0.0.1".into(),
        port: address.port(),
        weight: 100,
        dns: None,
    }
}

/// Fast checks: both intervals 50 ms, timeout 200 ms, one event of each kind is enough.
fn fast(addresses: &[SocketAddr]) -> BalancerSettings {
    let mut s = BalancerSettings::new(
        "up.internal",
        addresses.iter().copied().map(target).collect(),
    );
    let a = &mut s.healthchecks.active;
    a.healthy_interval = Duration::from_millis(50);
    a.unhealthy_interval = Duration::from_millis(50);
    a.timeout = Duration::from_millis(200);
    a.thresholds.successes = 2;
    a.thresholds.http_failures = 2;
    a.thresholds.tcp_failures = 1;
    a.thresholds.timeouts = 1;
    s
}

/// Waits (at most 5 s) until `condition` holds.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn http_probes_mark_failing_targets_unhealthy_and_heal_them() {
    let ok = server(200).await;
    let failing = server(500).await;
    let mut settings = fast(&[ok.address, failing.address]);
    settings.healthchecks.active.http_path = "/status".into();
    settings.healthchecks.active.headers =
        BTreeMap::from([("x-probe".to_owned(), vec!["yes".to_owned()])]);
    let balancer = Arc::new(Balancer::new(settings));
    assert!(balancer.has_active_checks());
    let checks = tokio::spawn(run_active_checks(balancer.clone()));

    eventually("the 500 target is unhealthy", || !balancer.is_healthy(1)).await;
    assert!(balancer.is_healthy(0));
    let request = ok.last_request.lock().unwrap().clone();
    assert!(request.starts_with("GET /status HTTP/1.1\r\n"), "{request}");
    assert!(request.contains("x-probe: yes\r\n"), "{request}");
    assert!(
        request.contains(&format!("Host: 127.0.0.1:{}\r\n", ok.address.port())),
        "{request}"
    );

    failing.status.store(200, Ordering::SeqCst);
    eventually("the target heals", || balancer.is_healthy(1)).await;
    checks.abort();
}

#[tokio::test]
async fn refused_connections_and_timeouts_count() {
    let closed = closed_port().await;
    let (silent, _task) = silent().await;
    let ok = server(200).await;
    let balancer = Arc::new(Balancer::new(fast(&[closed, silent, ok.address])));
    let checks = tokio::spawn(run_active_checks(balancer.clone()));
    eventually("the closed port is unhealthy", || !balancer.is_healthy(0)).await;
    eventually("the silent target times out", || !balancer.is_healthy(1)).await;
    assert!(balancer.is_healthy(2));
    checks.abort();
}

#[tokio::test]
async fn tcp_probes_only_connect() {
    let closed = closed_port().await;
    let (silent, _task) = silent().await;
    let mut settings = fast(&[closed, silent]);
    settings.healthchecks.active.probe = ProbeType::Tcp;
    let balancer = Arc::new(Balancer::new(settings));
    let checks = tokio::spawn(run_active_checks(balancer.clone()));
    eventually("the closed port is unhealthy", || !balancer.is_healthy(0)).await;
    // A silent listener accepts the connection: healthy for a tcp probe.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(balancer.is_healthy(1));
    checks.abort();
}

#[tokio::test]
async fn active_checks_heal_a_target_passive_checks_disabled() {
    let ok = server(200).await;
    let mut settings = fast(&[ok.address]);
    settings.healthchecks.passive.tcp_failures = 1;
    // Only unhealthy targets are probed.
    settings.healthchecks.active.healthy_interval = Duration::ZERO;
    let balancer = Arc::new(Balancer::new(settings));
    balancer.report(0, PassiveOutcome::TcpFailure);
    assert!(!balancer.is_healthy(0));
    let checks = tokio::spawn(run_active_checks(balancer.clone()));
    eventually("active checks heal the target", || balancer.is_healthy(0)).await;
    checks.abort();
}

#[tokio::test]
async fn without_intervals_there_are_no_active_checks() {
    let ok = server(500).await;
    let mut settings = fast(&[ok.address]);
    settings.healthchecks.active.healthy_interval = Duration::ZERO;
    settings.healthchecks.active.unhealthy_interval = Duration::ZERO;
    let balancer = Arc::new(Balancer::new(settings));
    assert!(!balancer.has_active_checks());
    // Returns at once.
    tokio::time::timeout(Duration::from_secs(1), run_active_checks(balancer.clone()))
        .await
        .unwrap();
    assert!(balancer.is_healthy(0));
    assert!(ok.last_request.lock().unwrap().is_empty());
}

#[tokio::test]
async fn https_probes_against_a_plain_http_listener_fail_the_handshake() {
    let plain = server(200).await;
    let mut settings = fast(&[plain.address]);
    settings.healthchecks.active.probe = ProbeType::Https;
    settings.healthchecks.active.https_verify_certificate = false;
    let balancer = Arc::new(Balancer::new(settings));
    let checks = tokio::spawn(run_active_checks(balancer.clone()));
    eventually("the handshake failure counts", || !balancer.is_healthy(0)).await;
    checks.abort();
}
