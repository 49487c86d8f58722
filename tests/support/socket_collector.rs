//! The socket log servers of the tcp-log, udp-log, syslog and statsd tests: one Python
//! process (`tests/log_receivers/socket_collector.py`) listening on TCP, TLS, UDP and a Unix
//! datagram socket, appending what it receives to a file this side reads.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::process::ChildGuard;

pub struct SocketCollector {
    out: PathBuf,
    child: ChildGuard,
}

impl SocketCollector {
    /// Starts the collector with `specs` (`[NAME@]tcp:PORT`, `tls:PORT:CERT:KEY`, `udp:PORT`,
    /// `unix:PATH`; NAME is what `via` says, the kind by default), recording into `out` (appended to); waits until it is listening.
    pub fn start(out: &Path, specs: &[String]) -> SocketCollector {
        super::require_setup();
        let script = super::repo_root().join("tests/log_receivers/socket_collector.py");
        let readies_before = Self::read(out)
            .iter()
            .filter(|r| r["event"] == "ready")
            .count();
        let mut cmd = Command::new(super::repo_root().join("tests/.venv/bin/python"));
        cmd.arg(script)
            .arg(out)
            .args(specs)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let mut child = ChildGuard::spawn("socket collector", &mut cmd);
        let ready = super::poll(Duration::from_secs(10), Duration::from_millis(50), || {
            if !child.is_running() {
                return Some(false);
            }
            let readies = Self::read(out)
                .iter()
                .filter(|r| r["event"] == "ready")
                .count();
            (readies > readies_before).then_some(true)
        });
        assert_eq!(ready, Some(true), "the socket collector did not start");
        SocketCollector {
            out: out.to_owned(),
            child,
        }
    }

    fn read(out: &Path) -> Vec<Value> {
        std::fs::read_to_string(out)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// The texts received through `via` (a spec's NAME), waiting up to `wait`
    /// for at least `count`.
    pub fn texts(&self, via: &str, count: usize, wait: Duration) -> Vec<String> {
        let collect = || -> Vec<String> {
            Self::read(&self.out)
                .iter()
                .filter(|r| r["via"] == via)
                .filter_map(|r| r["data"].as_str().map(str::to_owned))
                .collect()
        };
        super::poll(wait, Duration::from_millis(50), || {
            let texts = collect();
            (texts.len() >= count).then_some(texts)
        })
        .unwrap_or_else(collect)
    }

    /// The texts received through `via`, parsed as JSON.
    pub fn entries(&self, via: &str, count: usize, wait: Duration) -> Vec<Value> {
        self.texts(via, count, wait)
            .iter()
            .map(|text| {
                serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
            })
            .collect()
    }

    /// How many TCP (or TLS) connections `via` has accepted.
    pub fn connections(&self, via: &str) -> usize {
        Self::read(&self.out)
            .iter()
            .filter(|r| r["via"] == via && r["event"] == "connect")
            .count()
    }

    pub fn stop(&mut self) {
        self.child.kill();
    }
}

impl Drop for SocketCollector {
    fn drop(&mut self) {
        self.child.kill();
    }
}
