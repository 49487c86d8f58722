//! The command line: `-t` checks and reports every problem with its path, `-c` reads the
//! server file's `gateway:` section, and a missing declarative config is a clear error.

use std::path::PathBuf;
use std::process::Command;

fn gateway() -> Command {
    Command::new(env!("CARGO_BIN_EXE_oidc-gateway"))
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oidc-gateway-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// Asserts that the check with `flag file` exits 0 and prints "ok".
fn assert_check_ok(flag: &str, file: &str) {
    let out = gateway()
        .arg(flag)
        .arg(repo(file))
        .arg("-t")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

#[test]
fn check_of_the_reference_config_prints_ok() {
    assert_check_ok("--declarative-config", "conf/kong.yaml");
}

#[test]
fn check_through_the_server_file_finds_the_declarative_config_beside_it() {
    assert_check_ok("-c", "conf/gateway.yaml");
}

#[test]
fn check_lists_every_problem_with_its_path_and_exits_1() {
    let bad = scratch(
        "bad.yaml",
        r#"_format_version: "3.0"
services:
- name: s
  url: http://127.0.0.1:9
  routes:
  - name: r
    paths: [/r]
    plugins:
    - name: openid-connect
      config:
        auth_methods: [client_credentials]
        consumer_claim: [client_id]
        client_secret: do-not-print-me
    - name: zipkin
      config: {}
"#,
    );
    let out = gateway()
        .arg("-t")
        .arg("--declarative-config")
        .arg(&bad)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("services[0].routes[0].plugins[0].config"),
        "{stderr}"
    );
    assert!(
        stderr.contains("services[0].routes[0].plugins[1].name"),
        "{stderr}"
    );
    assert!(!stderr.contains("do-not-print-me"), "{stderr}");
}

#[test]
fn running_without_a_declarative_config_says_how_to_give_one() {
    let out = gateway().arg("-t").output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--declarative-config"));
}

#[test]
fn sigterm_stops_the_gateway_within_seconds() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = gateway()
        .arg("--declarative-config")
        .arg(repo("conf/kong.yaml"))
        .args(["--proxy-listen", &listen])
        .env("RUST_LOG", "warn")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(started.elapsed().as_secs() < 20, "gateway never listened");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let stopping = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if stopping.elapsed().as_secs() >= 10 {
            let _ = child.kill();
            panic!("still running 10 s after SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
