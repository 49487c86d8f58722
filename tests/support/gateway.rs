//! The gateway binary under test, started with a declarative config on a free loopback port
//! (and its status listener on another), logs captured. When it is dropped at the end of a
//! test that did not fail, its whole log is scanned for JWTs and Basic credentials.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::process::ChildGuard;

const READY_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Gateway {
    port: u16,
    /// Ports of the listeners added by `start_with_listeners`, in the order given.
    extra_ports: Vec<u16>,
    status_port: u16,
    dir: PathBuf,
    child: ChildGuard,
}

impl Gateway {
    /// Writes `kong_yaml` to a temp file and starts the gateway on it (`RUST_LOG=debug`).
    pub fn start(kong_yaml: &str) -> Gateway {
        Gateway::start_with_env(kong_yaml, &[])
    }

    /// As `start`, with extra environment variables (e.g. `OIDC_GATEWAY_JWKS_REFRESH_SECS`).
    pub fn start_with_env(kong_yaml: &str, env: &[(&str, &str)]) -> Gateway {
        Gateway::start_with_listeners(kong_yaml, &[], env)
    }

    /// As `start_with_env`, plus one proxy listener per entry of `flags` (Kong's listener
    /// flags, e.g. `"ssl http2"`), each on its own free port: see `extra_port`.
    pub fn start_with_listeners(kong_yaml: &str, flags: &[&str], env: &[(&str, &str)]) -> Gateway {
        let dir = super::temp_dir("gateway");
        let config = dir.join("kong.yaml");
        std::fs::write(&config, kong_yaml).expect("write kong.yaml");
        let log_path = dir.join("gateway.log");
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = super::ports::free_port();
            let extra_ports: Vec<u16> = flags.iter().map(|_| super::ports::free_port()).collect();
            let status_port = super::ports::free_port();
            let log = std::fs::File::create(&log_path).expect("create gateway log");
            let log2 = log.try_clone().expect("clone gateway log handle");
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_oidc-gateway"));
            cmd.arg("--declarative-config")
                .arg(&config)
                .arg("--proxy-listen")
                .arg(format!("127.0.0.1:{port}"))
                .args(flags.iter().zip(&extra_ports).flat_map(|(flags, port)| {
                    [
                        "--proxy-listen".to_owned(),
                        format!("127.0.0.1:{port} {flags}"),
                    ]
                }))
                .arg("--status-listen")
                .arg(format!("127.0.0.1:{status_port}"))
                .env("RUST_LOG", "debug")
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::from(log))
                .stderr(Stdio::from(log2));
            for (k, v) in env {
                // `("RUST_LOG", "")` means: no RUST_LOG at all (gateway.log_level decides).
                if *k == "RUST_LOG" && v.is_empty() {
                    cmd.env_remove(k);
                } else {
                    cmd.env(k, v);
                }
            }
            let mut child = ChildGuard::spawn("oidc-gateway", &mut cmd);
            let ready = std::iter::once(port)
                .chain(extra_ports.iter().copied())
                .chain(std::iter::once(status_port))
                .try_for_each(|p| {
                    super::ports::wait_accepting(p, READY_TIMEOUT, || child.is_running())
                });
            match ready {
                Ok(()) => {
                    return Gateway {
                        port,
                        extra_ports,
                        status_port,
                        dir,
                        child,
                    }
                }
                Err(e) => {
                    child.kill();
                    let logs = std::fs::read_to_string(&log_path).unwrap_or_default();
                    last_error = format!("{e}; gateway log:\n{logs}");
                    // A bad config will not get better on another port.
                    if !logs.contains("Address already in use") {
                        break;
                    }
                }
            }
        }
        std::fs::write(dir.join("start-error.txt"), &last_error).ok();
        panic!(
            "gateway did not start (files kept in {}): {last_error}",
            dir.display()
        );
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the `i`th listener given to `start_with_listeners`.
    pub fn extra_port(&self, i: usize) -> u16 {
        self.extra_ports[i]
    }

    /// `http://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `http://127.0.0.1:STATUS_PORT{path}` (the status listener: /status, /metrics).
    pub fn status_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.status_port)
    }

    /// Everything the gateway wrote to stdout and stderr so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.join("gateway.log")).unwrap_or_default()
    }

    /// The process id (for signals such as SIGHUP).
    pub fn pid(&self) -> u32 {
        self.child.id().expect("gateway process handle")
    }

    /// The declarative config file the gateway was started with (rewrite it, then SIGHUP).
    pub fn declarative_config(&self) -> PathBuf {
        self.dir.join("kong.yaml")
    }

    pub fn is_running(&mut self) -> bool {
        self.child.is_running()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.child.kill();
        if std::thread::panicking() {
            let logs = self.logs();
            let tail: String = logs
                .lines()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            eprintln!("---- last gateway log lines ----\n{tail}\n--------------------------------");
        }
        if !std::thread::panicking() {
            let leaks = super::logscan::leaks(&self.logs(), &[]);
            if !leaks.is_empty() {
                panic!(
                    "gateway log leaks (files kept in {}): {}",
                    self.dir.display(),
                    leaks.join("; ")
                );
            }
        }
        super::remove_temp_dir(&self.dir);
    }
}
