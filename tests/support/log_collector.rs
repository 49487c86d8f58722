//! The log receivers of the log plugins' tests: a real HTTP log server (Python's http.server,
//! `tests/log_receivers/http_collector.py`) that keeps what it receives, and the official
//! Prometheus text parser (PyPI prometheus_client) run on a `/metrics` body.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::http;
use super::process::ChildGuard;

pub struct HttpCollector {
    port: u16,
    child: ChildGuard,
}

fn python() -> std::path::PathBuf {
    super::repo_root().join("tests/.venv/bin/python")
}

impl HttpCollector {
    /// Starts the collector on `port` answering log requests with `status`; waits until it
    /// serves `/_entries` (10 s).
    pub fn start_on(port: u16, status: u16) -> HttpCollector {
        super::require_setup();
        let script = super::repo_root().join("tests/log_receivers/http_collector.py");
        let mut cmd = Command::new(python());
        cmd.arg(script)
            .arg(port.to_string())
            .arg(status.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let mut child = ChildGuard::spawn("http collector", &mut cmd);
        let url = format!("http://127.0.0.1:{port}/_entries");
        let ready = super::poll(Duration::from_secs(10), Duration::from_millis(50), || {
            if !child.is_running() {
                return Some(false);
            }
            match http::request("GET", &url, &[], None) {
                Ok(r) if r.status == 200 => Some(true),
                _ => None,
            }
        });
        assert_eq!(
            ready,
            Some(true),
            "the http collector did not start on {port}"
        );
        HttpCollector { port, child }
    }

    pub fn start() -> HttpCollector {
        Self::start_on(super::ports::free_port(), 200)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every request received so far: `method`, `path`, `headers`, `body`.
    pub fn received(&self) -> Vec<Value> {
        let response = http::get(&format!("http://127.0.0.1:{}/_entries", self.port), &[]);
        match response.json() {
            Value::Array(items) => items,
            other => panic!("collector answered {other}"),
        }
    }

    /// The log entries received so far (a batch's array flattened), waiting up to `wait`
    /// for at least `count`.
    pub fn entries(&self, count: usize, wait: Duration) -> Vec<Value> {
        let collect = || -> Vec<Value> {
            self.received()
                .iter()
                .flat_map(|request| {
                    let body: Value =
                        serde_json::from_str(request["body"].as_str().unwrap_or("null"))
                            .unwrap_or(Value::Null);
                    match body {
                        Value::Array(items) => items,
                        other => vec![other],
                    }
                })
                .collect()
        };
        super::poll(wait, Duration::from_millis(50), || {
            let entries = collect();
            (entries.len() >= count).then_some(entries)
        })
        .unwrap_or_else(collect)
    }

    pub fn stop(&mut self) {
        self.child.kill();
    }
}

impl Drop for HttpCollector {
    fn drop(&mut self) {
        self.child.kill();
    }
}

/// `text` parsed by prometheus_client: family name to `{type, samples}`; panics with the
/// parser's message when it does not parse.
pub fn parse_prometheus(text: &str) -> Value {
    let script = super::repo_root().join("tests/log_receivers/parse_metrics.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the prometheus parser");
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .expect("write /metrics to the parser");
    }
    let output = child.wait_with_output().expect("prometheus parser output");
    assert!(
        output.status.success(),
        "prometheus_client could not parse /metrics: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("parser JSON")
}

/// A real OTLP/HTTP traces receiver (`tests/log_receivers/otlp_collector.py`) that decodes
/// with the official opentelemetry-proto package.
pub struct OtlpCollector {
    port: u16,
    child: ChildGuard,
}

impl OtlpCollector {
    pub fn start() -> OtlpCollector {
        super::require_setup();
        let port = super::ports::free_port();
        let script = super::repo_root().join("tests/log_receivers/otlp_collector.py");
        let mut cmd = Command::new(python());
        cmd.arg(script)
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let mut child = ChildGuard::spawn("otlp collector", &mut cmd);
        let url = format!("http://127.0.0.1:{port}/_received");
        let ready = super::poll(Duration::from_secs(15), Duration::from_millis(50), || {
            if !child.is_running() {
                return Some(false);
            }
            match http::request("GET", &url, &[], None) {
                Ok(r) if r.status == 200 => Some(true),
                _ => None,
            }
        });
        assert_eq!(
            ready,
            Some(true),
            "the otlp collector did not start on {port}"
        );
        OtlpCollector { port, child }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every export request received: `path`, `content_type`, `headers`, `resources`
    /// [{`attributes`, `scopes`, `spans`}], or `error`.
    pub fn received(&self) -> Vec<Value> {
        let response = http::get(&format!("http://127.0.0.1:{}/_received", self.port), &[]);
        match response.json() {
            Value::Array(items) => items,
            other => panic!("otlp collector answered {other}"),
        }
    }

    /// The spans received, waiting up to `wait` for at least `count`.
    pub fn spans(&self, count: usize, wait: Duration) -> Vec<Value> {
        let collect = || -> Vec<Value> {
            self.received()
                .iter()
                .flat_map(|r| r["resources"].as_array().cloned().unwrap_or_default())
                .flat_map(|r| r["spans"].as_array().cloned().unwrap_or_default())
                .collect()
        };
        super::poll(wait, Duration::from_millis(100), || {
            let spans = collect();
            (spans.len() >= count).then_some(spans)
        })
        .unwrap_or_else(collect)
    }
}

impl Drop for OtlpCollector {
    fn drop(&mut self) {
        self.child.kill();
    }
}
