//! Pingora graceful binary upgrade with the real binary, driven by conf/oidc-gateway-upgrade.sh:
//! a daemon with a server file (pid_file, upgrade_sock in a temp dir) is replaced by a new
//! process under wrk load with no refused connection, no lost request and no non-2xx answer;
//! a new binary that rejects the configuration leaves the running one untouched.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::echo_process::EchoProcess;
use support::http;
use support::wrk::Wrk;

const BINARY: &str = env!("CARGO_BIN_EXE_oidc-gateway");

/// The daemons this test started (by pid), killed at the end whatever happened.
struct Daemons {
    dir: PathBuf,
    pids: Vec<u32>,
}

impl Daemons {
    fn pid_file(&self) -> PathBuf {
        self.dir.join("gateway.pid")
    }

    /// The pid in the pid file, remembered for the cleanup.
    fn current_pid(&mut self) -> u32 {
        let text = std::fs::read_to_string(self.pid_file()).expect("read pid file");
        let pid: u32 = text.trim().parse().expect("a pid in the pid file");
        if !self.pids.contains(&pid) {
            self.pids.push(pid);
        }
        pid
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Daemons {
    fn drop(&mut self) {
        for pid in &self.pids {
            if alive(*pid) {
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg(pid.to_string())
                    .status();
            }
        }
        if std::thread::panicking() {
            eprintln!("---- gateway error log ----\n{}", self.error_log());
        }
        support::remove_temp_dir(&self.dir);
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| stat.contains(") Z "))
            .unwrap_or(true)
}

fn server_file(dir: &Path, port: u16) -> String {
    format!(
        r#"version: 1
threads: 2
pid_file: {dir}/gateway.pid
upgrade_sock: {dir}/upgrade.sock
error_log: {dir}/error.log
grace_period_seconds: 1
graceful_shutdown_timeout_seconds: 2
gateway:
  proxy_listen: ["127.0.0.1:{port}"]
  status_listen: "off"
  log_level: info
  declarative_config: kong.yaml
"#,
        dir = dir.display()
    )
}

fn kong_yaml(upstream_port: u16) -> String {
    format!(
        r#"_format_version: "3.0"
services:
- name: echo
  url: http://127.0.0.1:{upstream_port}
  routes:
  - name: all
    paths: ["/"]
"#
    )
}

/// Starts `oidc-gateway -d -c FILE`; the launcher returns once the daemon is forked.
fn start_daemon(dir: &Path, port: u16) -> Daemons {
    let conf = dir.join("gateway.yaml");
    let status = Command::new(BINARY)
        .arg("-d")
        .arg("-c")
        .arg(&conf)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("start the gateway");
    assert!(status.success(), "gateway -d failed: {status}");
    let mut daemons = Daemons {
        dir: dir.to_owned(),
        pids: Vec::new(),
    };
    let written = support::poll(Duration::from_secs(10), Duration::from_millis(20), || {
        std::fs::read_to_string(daemons.pid_file())
            .ok()
            .filter(|text| !text.trim().is_empty())
    });
    assert!(written.is_some(), "no pid file:\n{}", daemons.error_log());
    let pid = daemons.current_pid();
    support::ports::wait_accepting(port, Duration::from_secs(20), || alive(pid))
        .unwrap_or_else(|e| panic!("{e}\n{}", daemons.error_log()));
    daemons
}

fn upgrade(dir: &Path) -> Output {
    Command::new("bash")
        .arg(support::repo_root().join("conf/oidc-gateway-upgrade.sh"))
        .arg("-c")
        .arg(dir.join("gateway.yaml"))
        .arg("-b")
        .arg(BINARY)
        .arg("-w")
        .arg("20")
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run conf/oidc-gateway-upgrade.sh")
}

fn text_of(output: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn binary_upgrade_under_wrk_load_loses_no_request() {
    let upstream = EchoProcess::start("upgrade-upstream");
    let dir = support::temp_dir("upgrade");
    let port = support::ports::free_port();
    std::fs::write(dir.join("gateway.yaml"), server_file(&dir, port)).unwrap();
    let kong = dir.join("kong.yaml");
    std::fs::write(&kong, kong_yaml(upstream.port())).unwrap();
    let mut daemons = start_daemon(&dir, port);
    let old_pid = daemons.current_pid();
    let url = format!("http://127.0.0.1:{port}/through");
    assert_eq!(http::get(&url, &[]).status, 200);

    // A new binary that rejects the configuration: nothing is touched.
    std::fs::write(&kong, "_format_version: \"3.0\"\nservices: 7\n").unwrap();
    let refused = upgrade(&dir);
    assert!(!refused.status.success(), "{}", text_of(&refused));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("services: "),
        "the error is shown: {stderr}"
    );
    assert!(
        stderr.contains(&format!("running gateway (pid {old_pid}) is untouched")),
        "{stderr}"
    );
    assert!(alive(old_pid));
    assert_eq!(daemons.current_pid(), old_pid);
    std::fs::write(&kong, kong_yaml(upstream.port())).unwrap();

    // The upgrade itself, under load.
    let mut wrk = Wrk::start(&dir, &url, 2, 16, 14);
    std::thread::sleep(Duration::from_millis(1500));
    let started = Instant::now();
    let upgraded = upgrade(&dir);
    let took = started.elapsed();
    assert!(upgraded.status.success(), "{}", text_of(&upgraded));
    let new_pid = daemons.current_pid();
    assert_ne!(new_pid, old_pid);
    assert!(!alive(old_pid), "the old process is still running");
    assert!(alive(new_pid), "the new process is not running");
    assert!(
        String::from_utf8_lossy(&upgraded.stdout)
            .contains(&format!("upgraded: {old_pid} -> {new_pid}")),
        "{}",
        text_of(&upgraded)
    );
    assert!(
        wrk.is_running(),
        "the upgrade ({took:?}) outlasted the load: raise wrk's duration"
    );
    let summary = wrk.finish(Duration::from_secs(30));
    summary.assert_no_failures();

    // Only the new process is left, and it serves.
    let resp = http::get(&url, &[]);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(alive(new_pid));
    let log = daemons.error_log();
    assert!(log.contains("listener sockets sent"), "{log}");
    assert!(
        log.contains("graceful upgrade: closing keep-alive connections"),
        "the old process did not drain: {log}"
    );
    eprintln!(
        "upgrade {old_pid} -> {new_pid} in {took:?} under load: {} requests, 0 errors",
        summary.requests
    );
}

#[test]
fn daemon_wait_for_ready_is_refused_by_the_config_check() {
    let dir = support::temp_dir("wait-for-ready");
    let mut text = server_file(&dir, support::ports::free_port());
    text.push_str("daemon_wait_for_ready: true\n");
    std::fs::write(dir.join("gateway.yaml"), text).unwrap();
    std::fs::write(dir.join("kong.yaml"), kong_yaml(9)).unwrap();
    let output = Command::new(BINARY)
        .arg("-t")
        .arg("-c")
        .arg(dir.join("gateway.yaml"))
        .output()
        .expect("run oidc-gateway -t");
    assert!(!output.status.success(), "{}", text_of(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("daemon_wait_for_ready is not supported"),
        "{}",
        text_of(&output)
    );
    support::remove_temp_dir(&dir);
}
