//! The real IdP for tests: `node tests/idp/idp.mjs` (oidc-provider, Keycloak-like realm "kong") on an ephemeral port.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::http;
use super::process::ChildGuard;

const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How to start the IdP. `Default` = ephemeral port, 300 s tokens, no extra clients.
#[derive(Debug, Clone, Default)]
pub struct IdpOptions {
    /// Access token lifetime in seconds (`--token-ttl`); None = the IdP's default 300.
    pub token_ttl: Option<u64>,
    /// Extra clients as (client_id, client_secret, token_endpoint_auth_method).
    pub extra_clients: Vec<(String, String, String)>,
}

/// Counters from `GET /_test/stats`.
#[derive(Debug, Clone, Default)]
pub struct IdpStats {
    pub token_requests: u64,
    pub by_client: HashMap<String, u64>,
    pub by_auth_method: HashMap<String, u64>,
    pub token_errors: u64,
    pub jwks_requests: u64,
    pub discovery_requests: u64,
    pub introspection_requests: u64,
}

impl IdpStats {
    /// Token requests made for this client id (0 if none).
    pub fn for_client(&self, client_id: &str) -> u64 {
        self.by_client.get(client_id).copied().unwrap_or(0)
    }
}

pub struct RealIdp {
    opts: IdpOptions,
    port: u16,
    dir: PathBuf,
    child: Option<ChildGuard>,
    log_file: PathBuf,
}

impl RealIdp {
    /// Starts the IdP on an ephemeral port and waits for its `IDP_READY` line (20 s).
    pub fn start(opts: IdpOptions) -> RealIdp {
        super::require_setup();
        let dir = super::temp_dir("idp");
        let log_file = dir.join("idp.log");
        let mut idp = RealIdp {
            opts,
            port: 0,
            dir,
            child: None,
            log_file,
        };
        idp.spawn(0);
        idp
    }

    fn key_file(&self) -> PathBuf {
        self.dir.join("signing-key.json")
    }

    fn spawn(&mut self, port: u16) {
        let root = super::repo_root();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_file)
            .expect("open idp log file");
        let mut cmd = Command::new("node");
        cmd.arg(root.join("tests/idp/idp.mjs"))
            .arg("--port")
            .arg(port.to_string())
            .arg("--key-file")
            .arg(self.key_file())
            .arg("--watch-stdin")
            .current_dir(&root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        if let Some(ttl) = self.opts.token_ttl {
            cmd.arg("--token-ttl").arg(ttl.to_string());
        }
        if !self.opts.extra_clients.is_empty() {
            let list: Vec<serde_json::Value> = self
                .opts
                .extra_clients
                .iter()
                .map(|(id, secret, method)| {
                    serde_json::json!({
                        "client_id": id, "client_secret": secret, "token_endpoint_auth_method": method
                    })
                })
                .collect();
            cmd.env(
                "IDP_EXTRA_CLIENTS",
                serde_json::Value::Array(list).to_string(),
            );
        }
        let mut guard = ChildGuard::spawn("idp", &mut cmd);
        let stdout = guard
            .child_mut()
            .and_then(|c| c.stdout.take())
            .expect("idp stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(Result::ok);
            let _ = tx.send(first);
            // Keep draining so the IdP never blocks on a full pipe.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(READY_TIMEOUT) {
            Ok(Some(line)) => line,
            Ok(None) => panic!("idp exited before IDP_READY; log:\n{}", self.logs()),
            Err(_) => panic!(
                "idp not ready after {READY_TIMEOUT:?}; log:\n{}",
                self.logs()
            ),
        };
        let base = line
            .strip_prefix("IDP_READY ")
            .unwrap_or_else(|| panic!("unexpected first idp line: {line:?}"));
        let port: u16 = base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        self.port = port;
        self.child = Some(guard);
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT/realms/kong`
    pub fn issuer(&self) -> String {
        format!("{}/realms/kong", self.base_url())
    }

    pub fn token_endpoint(&self) -> String {
        format!("{}/protocol/openid-connect/token", self.issuer())
    }

    pub fn jwks_uri(&self) -> String {
        format!("{}/protocol/openid-connect/certs", self.issuer())
    }

    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer())
    }

    /// The IdP's stderr so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_file).unwrap_or_default()
    }

    pub fn stats(&self) -> IdpStats {
        let resp = http::get(&format!("{}/_test/stats", self.base_url()), &[]);
        assert_eq!(resp.status, 200, "GET /_test/stats: {}", resp.text());
        let v = resp.json();
        let map = |key: &str| -> HashMap<String, u64> {
            v[key]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
                        .collect()
                })
                .unwrap_or_default()
        };
        IdpStats {
            token_requests: v["token_requests"].as_u64().unwrap_or(0),
            by_client: map("token_requests_by_client"),
            by_auth_method: map("token_requests_by_auth_method"),
            token_errors: v["token_errors"].as_u64().unwrap_or(0),
            jwks_requests: v["jwks_requests"].as_u64().unwrap_or(0),
            discovery_requests: v["discovery_requests"].as_u64().unwrap_or(0),
            introspection_requests: v["introspection_requests"].as_u64().unwrap_or(0),
        }
    }

    pub fn reset_stats(&self) {
        let resp = http::post_empty(&format!("{}/_test/reset", self.base_url()));
        assert_eq!(resp.status, 200, "POST /_test/reset: {}", resp.text());
    }

    /// Replaces the signing key at run time (the old key leaves the JWKS); returns the new kid.
    pub fn rotate_key(&self) -> String {
        let resp = http::post_empty(&format!("{}/_test/rotate-key", self.base_url()));
        assert_eq!(resp.status, 200, "POST /_test/rotate-key: {}", resp.text());
        resp.json()["kid"]
            .as_str()
            .expect("kid in rotate-key answer")
            .to_owned()
    }

    /// The kids currently published in the JWKS.
    pub fn kids(&self) -> Vec<String> {
        let resp = http::get(&self.jwks_uri(), &[]);
        assert_eq!(resp.status, 200, "GET jwks: {}", resp.text());
        resp.json()["keys"]
            .as_array()
            .map(|keys| {
                keys.iter()
                    .filter_map(|k| k["kid"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The published JWKS as JSON.
    pub fn jwks(&self) -> serde_json::Value {
        http::get(&self.jwks_uri(), &[]).json()
    }

    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(ChildGuard::is_running)
    }

    /// Kills the IdP (its port then refuses connections). Counters are lost.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill();
        }
    }

    /// Starts the IdP again on the same port with the same signing key (stops it first if running).
    pub fn restart(&mut self) {
        self.stop();
        let port = self.port;
        // The port was ours a moment ago; retry briefly in case the kernel has not released it.
        for attempt in 0..20 {
            if !super::ports::accepts(port) {
                break;
            }
            assert!(
                attempt < 19,
                "port {port} still busy after the IdP was stopped"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        self.spawn(port);
        assert_eq!(self.port, port, "IdP restarted on another port");
    }

    /// Restart on the same port with a fresh signing key (new kid).
    pub fn restart_with_new_key(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(self.key_file());
        self.restart();
    }
}

impl Drop for RealIdp {
    fn drop(&mut self) {
        self.stop();
        super::remove_temp_dir(&self.dir);
    }
}
