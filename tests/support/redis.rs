//! A real Redis for the tests: Debian's `redis-server` (installed by tests/setup.sh) on a
//! free loopback port, with a password, no persistence; stoppable and restartable on the
//! same port, and queried with `redis-cli`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::process::ChildGuard;

pub struct Redis {
    port: u16,
    password: String,
    dir: PathBuf,
    child: Option<ChildGuard>,
}

impl Redis {
    /// Starts redis-server with `requirepass password`.
    pub fn start(password: &str) -> Redis {
        let mut redis = Redis {
            port: super::ports::free_port(),
            password: password.to_owned(),
            dir: super::temp_dir("redis"),
            child: None,
        };
        redis.restart();
        redis
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server: connections are refused.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill();
        }
    }

    /// (Re)starts the server on its port (empty: no data survives).
    pub fn restart(&mut self) {
        self.stop();
        let mut cmd = Command::new("redis-server");
        cmd.arg("--port")
            .arg(self.port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--requirepass")
            .arg(&self.password)
            .arg("--save")
            .arg("")
            .arg("--appendonly")
            .arg("no")
            .arg("--dir")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = ChildGuard::spawn("redis-server", &mut cmd);
        super::ports::wait_accepting(self.port, Duration::from_secs(10), || child.is_running())
            .unwrap_or_else(|e| panic!("redis-server (apt-get install redis-server): {e}"));
        self.child = Some(child);
    }

    /// Runs one command with redis-cli; its output, trimmed.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = Command::new("redis-cli")
            .arg("-p")
            .arg(self.port.to_string())
            .arg("--no-auth-warning")
            .arg("-a")
            .arg(&self.password)
            .args(args)
            .output()
            .expect("run redis-cli");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
