//! `GATEWAY_*` variables override the server file (Pingora keys and the `gateway:`
//! section), and a bad setting names the variable or key, never the value.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn gateway() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_oidc-gateway"));
    command.arg("-c").arg(repo("conf/gateway.yaml"));
    command
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn check_fails_with(env: &[(&str, &str)], expected: &str, secret: &str) {
    let out = gateway()
        .arg("-t")
        .envs(env.iter().copied())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!stderr.contains(secret), "{stderr}");
}

#[test]
fn bad_variables_are_named_and_their_values_not_echoed() {
    check_fails_with(
        &[("GATEWAY_LOG_FORMAT", "xml-secretish")],
        "GATEWAY_LOG_FORMAT: unsupported value",
        "secretish",
    );
    check_fails_with(
        &[(
            "GATEWAY_PROXY_LISTEN",
            "127.0.0.1:8000, 127.0.0.1:8443 quic",
        )],
        "gateway.proxy_listen[1]: unsupported listener flag",
        "8443",
    );
    check_fails_with(
        &[("GATEWAY_TOKEN_CACHE_MAX_ENTRIES", "many-secretish")],
        "GATEWAY_TOKEN_CACHE_MAX_ENTRIES: wrong type of value",
        "secretish",
    );
    check_fails_with(
        &[("GATEWAY_LOG_LEVEL", "loud")],
        "gateway.log_level",
        "loud",
    );
    let ok = gateway()
        .arg("-t")
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .output()
        .expect("run");
    assert!(
        ok.status.success(),
        "unrelated GATEWAY_* variables are ignored"
    );
}

#[test]
fn unknown_keys_in_the_server_file_are_named() {
    let dir = std::env::temp_dir().join(format!("oidc-gateway-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("gateway.yaml");
    std::fs::write(&file, "version: 1\ngateway:\n  proxy_lisen: [\"a:1\"]\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_oidc-gateway"))
        .arg("-c")
        .arg(&file)
        .args(["-t", "--declarative-config"])
        .arg(repo("conf/kong.yaml"))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("gateway.proxy_lisen: unknown key"),
        "{stderr}"
    );
}

#[test]
fn variables_choose_the_listener_and_pingora_settings() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = gateway()
        .env("GATEWAY_PROXY_LISTEN", &listen)
        .env("GATEWAY_STATUS_LISTEN", "off")
        .env("GATEWAY_LOG_LEVEL", "warn")
        .env("GATEWAY_THREADS", "1")
        .env("GATEWAY_GRACE_PERIOD_SECONDS", "0")
        .env("GATEWAY_GRACEFUL_SHUTDOWN_TIMEOUT_SECONDS", "1")
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    while std::net::TcpStream::connect(&listen).is_err() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the gateway never listened on GATEWAY_PROXY_LISTEN");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    // The file says 10 s of grace; the variables say 0 + 1 s.
    let stopping = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if stopping.elapsed() > Duration::from_secs(8) {
            let _ = child.kill();
            panic!("GATEWAY_GRACE_PERIOD_SECONDS was not applied");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
