//! The real upstream for tests: PyPI httpbin under gunicorn (from tests/.venv) on a free loopback port.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::http;
use super::process::ChildGuard;

const READY_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Httpbin {
    port: u16,
    dir: PathBuf,
    child: ChildGuard,
}

impl Httpbin {
    /// Starts gunicorn on a free port and waits until `/get` answers 200 (30 s; 3 port attempts).
    pub fn start() -> Httpbin {
        super::require_setup();
        let dir = super::temp_dir("httpbin");
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = super::ports::free_port();
            match Self::try_start(port, &dir) {
                Ok(child) => return Httpbin { port, dir, child },
                Err(e) => last_error = e,
            }
        }
        panic!("httpbin did not start: {last_error}");
    }

    fn try_start(port: u16, dir: &std::path::Path) -> Result<ChildGuard, String> {
        let root = super::repo_root();
        let log_path = dir.join("httpbin.log");
        let log = std::fs::File::create(&log_path).expect("create httpbin log");
        let log2 = log.try_clone().expect("clone httpbin log handle");
        let mut cmd = Command::new(root.join("tests/.venv/bin/gunicorn"));
        cmd.args(["--no-control-socket", "--workers", "1", "--threads", "16"])
            .args(["--bind", &format!("127.0.0.1:{port}"), "httpbin:app"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2));
        let mut child = ChildGuard::spawn("httpbin", &mut cmd);
        let url = format!("http://127.0.0.1:{port}/get");
        let ready = super::poll(READY_TIMEOUT, Duration::from_millis(100), || {
            if !child.is_running() {
                return Some(false);
            }
            match http::request("GET", &url, &[], None) {
                Ok(r) if r.status == 200 => Some(true),
                _ => None,
            }
        });
        match ready {
            Some(true) => Ok(child),
            _ => {
                let logs = std::fs::read_to_string(&log_path).unwrap_or_default();
                Err(format!(
                    "gunicorn on port {port} not serving /get; log:\n{logs}"
                ))
            }
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.join("httpbin.log")).unwrap_or_default()
    }
}

impl Drop for Httpbin {
    fn drop(&mut self) {
        self.child.kill();
        super::remove_temp_dir(&self.dir);
    }
}
