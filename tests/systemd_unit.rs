//! conf/oidc-gateway.service: `systemd-analyze verify` passes (binary paths pointed at this
//! build), the sandbox scores as hardened, the unit agrees with conf/gateway.yaml, and its own
//! command lines (ExecStartPre, ExecStart, both ExecReload) run outside systemd start, reload
//! and upgrade the gateway with the runtime directory in a temp dir.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_oidc-gateway");
const INSTALLED_BINARY: &str = "/usr/local/bin/oidc-gateway";
const INSTALLED_SCRIPT: &str = "/usr/local/lib/oidc-gateway/oidc-gateway-upgrade.sh";
const INSTALLED_CONF: &str = "/etc/oidc-gateway/gateway.yaml";
const RUNTIME_DIR: &str = "/run/oidc-gateway";

fn unit_text() -> String {
    std::fs::read_to_string(support::repo_root().join("conf/oidc-gateway.service"))
        .expect("read conf/oidc-gateway.service")
}

/// Every value of `key` in the unit, in order.
fn values(unit: &str, key: &str) -> Vec<String> {
    unit.lines()
        .filter_map(|line| line.strip_prefix(&format!("{key}=")))
        .map(str::to_owned)
        .collect()
}

fn one(unit: &str, key: &str) -> String {
    let all = values(unit, key);
    assert_eq!(all.len(), 1, "{key}= should appear once: {all:?}");
    all[0].clone()
}

fn systemd_analyze() -> &'static str {
    let path = "/usr/bin/systemd-analyze";
    assert!(
        Path::new(path).exists(),
        "systemd-analyze is missing: run tests/setup.sh (apt-get install systemd)"
    );
    path
}

/// The unit with the installed binary and script paths pointed at this build and repo.
fn unit_for_this_build(dir: &Path) -> PathBuf {
    let script = support::repo_root().join("conf/oidc-gateway-upgrade.sh");
    let text = unit_text()
        .replace(INSTALLED_SCRIPT, &script.display().to_string())
        .replace(INSTALLED_BINARY, BINARY);
    let path = dir.join("oidc-gateway.service");
    std::fs::write(&path, text).expect("write unit copy");
    path
}

fn output_text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_unit_passes_systemd_analyze_verify_without_a_warning() {
    let dir = support::temp_dir("systemd-verify");
    let unit = unit_for_this_build(&dir);
    let output = Command::new(systemd_analyze())
        .arg("verify")
        .arg(&unit)
        .current_dir(&dir)
        .output()
        .expect("run systemd-analyze verify");
    let text = output_text(&output);
    assert!(output.status.success(), "verify failed:\n{text}");
    assert!(text.trim().is_empty(), "verify warned:\n{text}");
    support::remove_temp_dir(&dir);
}

#[test]
fn the_sandbox_scores_as_hardened() {
    let dir = support::temp_dir("systemd-security");
    let unit = unit_for_this_build(&dir);
    let output = Command::new(systemd_analyze())
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&unit)
        .current_dir(&dir)
        .output()
        .expect("run systemd-analyze security");
    let text = output_text(&output);
    let level: f64 = text
        .lines()
        .find_map(|line| {
            line.split("Overall exposure level for oidc-gateway.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{text}"));
    assert!(
        level <= 2.0,
        "exposure {level} (0 = locked down, 10 = open):\n{text}"
    );
    support::remove_temp_dir(&dir);
}

#[test]
fn the_unit_agrees_with_the_server_file_and_pingora() {
    let unit = unit_text();
    let pid_file = one(&unit, "PIDFile");
    assert_eq!(pid_file, format!("{RUNTIME_DIR}/oidc-gateway.pid"));
    let env = values(&unit, "Environment");
    assert!(
        env.contains(&format!("GATEWAY_PID_FILE={pid_file}")),
        "{env:?}"
    );
    assert!(
        env.contains(&format!("GATEWAY_UPGRADE_SOCK={RUNTIME_DIR}/upgrade.sock")),
        "{env:?}"
    );
    assert_eq!(one(&unit, "RuntimeDirectory"), "oidc-gateway");
    assert_eq!(one(&unit, "Type"), "forking");
    assert_eq!(
        one(&unit, "ExecStartPre"),
        format!("{INSTALLED_BINARY} -t -c {INSTALLED_CONF}")
    );
    assert_eq!(
        one(&unit, "ExecStart"),
        format!("{INSTALLED_BINARY} -d -c {INSTALLED_CONF}")
    );
    let reload = values(&unit, "ExecReload");
    assert_eq!(reload[0], "/bin/kill -HUP $MAINPID");
    assert!(reload[1].starts_with(&format!(
        "{INSTALLED_SCRIPT} --only-if {RUNTIME_DIR}/upgrade "
    )));
    assert_eq!(one(&unit, "AmbientCapabilities"), "CAP_NET_BIND_SERVICE");
    assert_eq!(one(&unit, "CapabilityBoundingSet"), "CAP_NET_BIND_SERVICE");
    let families = one(&unit, "RestrictAddressFamilies");
    assert!(
        families.contains("AF_UNIX"),
        "the upgrade socket needs AF_UNIX"
    );

    // Stop and upgrade timeouts above what conf/gateway.yaml lets Pingora take.
    let server = std::fs::read_to_string(support::repo_root().join("conf/gateway.yaml")).unwrap();
    let seconds = |key: &str| -> u64 {
        server
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{key}: ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{key} in conf/gateway.yaml"))
    };
    let drain = seconds("grace_period_seconds") + seconds("graceful_shutdown_timeout_seconds");
    let stop: u64 = one(&unit, "TimeoutStopSec").parse().unwrap();
    let start: u64 = one(&unit, "TimeoutStartSec").parse().unwrap();
    assert!(stop > drain, "TimeoutStopSec {stop} <= {drain}");
    // The upgrade script waits 5 s hand-over + drain + 10 s.
    assert!(
        start > 5 + drain + 10,
        "TimeoutStartSec {start} too short for an upgrade"
    );
}

/// Runs one of the unit's command lines the way systemd would: installed paths and the
/// runtime directory replaced, the unit's environment set, `$MAINPID` given.
fn run_unit_command(line: &str, runtime: &Path, conf: &Path, main_pid: Option<u32>) -> Output {
    let script = support::repo_root().join("conf/oidc-gateway-upgrade.sh");
    let mut line = line
        .replace(INSTALLED_SCRIPT, &script.display().to_string())
        .replace(INSTALLED_BINARY, BINARY)
        .replace(INSTALLED_CONF, &conf.display().to_string())
        .replace(RUNTIME_DIR, &runtime.display().to_string());
    if let Some(pid) = main_pid {
        line = line.replace("$MAINPID", &pid.to_string());
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut cmd = Command::new(words[0]);
    cmd.args(&words[1..]).stdin(Stdio::null());
    for assignment in values(&unit_text(), "Environment") {
        let (key, value) = assignment.split_once('=').expect("KEY=VALUE");
        cmd.env(
            key,
            value.replace(RUNTIME_DIR, &runtime.display().to_string()),
        );
    }
    cmd.output().unwrap_or_else(|e| panic!("run {line}: {e}"))
}

fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.contains(") Z "))
        .unwrap_or(false)
}

struct KillOnDrop(Vec<u32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for pid in &self.0 {
            if alive(*pid) {
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg(pid.to_string())
                    .status();
            }
        }
    }
}

#[test]
fn the_units_commands_start_reload_and_upgrade_the_gateway() {
    let upstream = support::echo_process::EchoProcess::start("unit-upstream");
    let dir = support::temp_dir("systemd-commands");
    let runtime = dir.join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let port = support::ports::free_port();
    // The server file names other paths: the unit's environment must win.
    let conf = dir.join("gateway.yaml");
    std::fs::write(
        &conf,
        format!(
            "version: 1\nthreads: 1\npid_file: {d}/elsewhere.pid\nupgrade_sock: {d}/elsewhere.sock\n\
             error_log: {d}/error.log\ngrace_period_seconds: 1\ngraceful_shutdown_timeout_seconds: 1\n\
             gateway:\n  proxy_listen: [\"127.0.0.1:{port}\"]\n  declarative_config: kong.yaml\n",
            d = dir.display()
        ),
    )
    .unwrap();
    let kong = |path: &str| {
        format!(
            "_format_version: \"3.0\"\nservices:\n- name: echo\n  url: http://127.0.0.1:{}{path}\n  \
             routes:\n  - name: all\n    paths: [\"/\"]\n",
            upstream.port()
        )
    };
    std::fs::write(dir.join("kong.yaml"), kong("/first")).unwrap();
    let unit = unit_text();
    let pid_file = runtime.join("oidc-gateway.pid");
    let mut started = KillOnDrop(Vec::new());
    let log = || std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();

    let check = run_unit_command(&one(&unit, "ExecStartPre"), &runtime, &conf, None);
    assert!(check.status.success(), "{}", output_text(&check));
    let start = run_unit_command(&one(&unit, "ExecStart"), &runtime, &conf, None);
    assert!(start.status.success(), "{}", output_text(&start));
    let main_pid = support::poll(Duration::from_secs(10), Duration::from_millis(20), || {
        read_pid(&pid_file)
    })
    .unwrap_or_else(|| panic!("no pid file {}:\n{}", pid_file.display(), log()));
    started.0.push(main_pid);
    support::ports::wait_accepting(port, Duration::from_secs(20), || alive(main_pid)).unwrap();
    let url = format!("http://127.0.0.1:{port}/x");
    let path = || {
        support::http::get(&url, &[]).json()["path"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(path(), "/first/x");

    // systemctl reload: SIGHUP, and the upgrade command does nothing without the request file.
    std::fs::write(dir.join("kong.yaml"), kong("/second")).unwrap();
    for line in values(&unit, "ExecReload") {
        let out = run_unit_command(&line, &runtime, &conf, Some(main_pid));
        assert!(out.status.success(), "{line}: {}", output_text(&out));
    }
    let reloaded = support::poll(Duration::from_secs(5), Duration::from_millis(20), || {
        (path() == "/second/x").then_some(())
    });
    assert!(reloaded.is_some(), "not reloaded:\n{}", log());
    assert_eq!(read_pid(&pid_file), Some(main_pid));

    // touch RUNTIME/upgrade && systemctl reload: a binary upgrade to a new main PID.
    std::fs::write(runtime.join("upgrade"), "").unwrap();
    for line in values(&unit, "ExecReload") {
        let out = run_unit_command(&line, &runtime, &conf, Some(main_pid));
        assert!(out.status.success(), "{line}: {}", output_text(&out));
    }
    let new_pid = read_pid(&pid_file).expect("pid file after the upgrade");
    started.0.push(new_pid);
    assert_ne!(new_pid, main_pid);
    assert!(!alive(main_pid), "old main PID still running");
    assert!(alive(new_pid));
    assert!(
        !runtime.join("upgrade").exists(),
        "the request file is consumed"
    );
    assert_eq!(path(), "/second/x");
    drop(started);
    support::remove_temp_dir(&dir);
}
