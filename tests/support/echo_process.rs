//! Real upstream processes (`tests/upstreams/echo_server.py`) on loopback, killable and restartable.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::process::ChildGuard;

const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// TLS files for an https echo server.
#[derive(Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// One echo server process; it answers with its `name` in the JSON body and `X-Upstream-Name`.
pub struct EchoProcess {
    name: String,
    host: String,
    port: u16,
    tls: Option<TlsFiles>,
    child: Option<ChildGuard>,
}

impl EchoProcess {
    /// Starts a plain-http echo server on a free port.
    pub fn start(name: &str) -> EchoProcess {
        EchoProcess::start_on(name, super::ports::free_port(), None)
    }

    /// Starts an https echo server with the given certificate and key.
    pub fn start_tls(name: &str, tls: TlsFiles) -> EchoProcess {
        EchoProcess::start_on(name, super::ports::free_port(), Some(tls))
    }

    /// Starts a plain-http echo server on `host` (a loopback address such as 127.0.0.2).
    pub fn start_at(name: &str, host: &str, port: u16) -> EchoProcess {
        let mut process = EchoProcess {
            name: name.to_owned(),
            host: host.to_owned(),
            port,
            tls: None,
            child: None,
        };
        process.restart();
        process
    }

    fn start_on(name: &str, port: u16, tls: Option<TlsFiles>) -> EchoProcess {
        let mut process = EchoProcess {
            name: name.to_owned(),
            host: "127.0.0.1".to_owned(),
            port,
            tls,
            child: None,
        };
        process.restart();
        process
    }

    /// (Re)starts the process on its port and waits until it accepts connections.
    pub fn restart(&mut self) {
        self.kill();
        let script = super::repo_root().join("tests/upstreams/echo_server.py");
        let mut cmd = Command::new("python3");
        cmd.arg(&script)
            .arg("--name")
            .arg(&self.name)
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--host")
            .arg(&self.host)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(tls) = &self.tls {
            cmd.arg("--certfile")
                .arg(&tls.cert)
                .arg("--keyfile")
                .arg(&tls.key);
        }
        let mut child = ChildGuard::spawn(&format!("echo {}", self.name), &mut cmd);
        let addr = std::net::SocketAddr::new(
            self.host.parse().expect("echo host is an IP address"),
            self.port,
        );
        super::ports::wait_accepting_at(addr, READY_TIMEOUT, || child.is_running())
            .unwrap_or_else(|e| panic!("echo server {}: {e}", self.name));
        self.child = Some(child);
    }

    /// SIGKILL: established connections are reset, new ones refused.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill();
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A self-signed certificate for `localhost` and 127.0.0.1 made with the `openssl` command.
pub fn self_signed_localhost(dir: &std::path::Path) -> TlsFiles {
    let cert = dir.join("localhost.crt");
    let key = dir.join("localhost.key");
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl (installed by tests/setup.sh)");
    assert!(status.success(), "openssl req failed");
    TlsFiles { cert, key }
}
