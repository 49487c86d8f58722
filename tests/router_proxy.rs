//! The router wired into the proxy: normalised paths reach the upstream, malformed
//! encoding answers 400, https-only routes answer 426 or redirect, headers route; hosts
//! with ports (the Host header's, else the listener's); routes without a service 503.

mod mint;
mod stub_idp;
mod support;

use stub_idp::upstream::EchoUpstream;
use support::http;
use support::Gateway;

#[test]
fn routing_through_the_gateway() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let upstream = runtime.block_on(EchoUpstream::start());
    let yaml = format!(
        r#"_format_version: "3.0"
services:
- name: echo
  url: http://127.0.0.1:{port}/base
  routes:
  - name: catch-all
    paths: [/]
    strip_path: false
  - name: private
    paths: [/private]
    headers: {{x-pass: [open-sesame]}}
  - name: users
    paths: ["~/users/(?<id>\\d+)"]
  - name: v1
    paths: [/fv1]
    strip_path: false
    path_handling: v1
  - name: tls-only
    paths: [/secure]
    protocols: [https]
  - name: tls-redirect
    paths: [/moved]
    protocols: [https]
    https_redirect_status_code: 308
"#,
        port = upstream.port()
    );
    let gateway = Gateway::start(&yaml);
    let upstream_path = |path: &str, headers: &[(&str, &str)]| {
        let response = http::get(&gateway.url(path), headers);
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        response.json()["path"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let table = [
        ("/private/x", &[("x-pass", "Open-Sesame")][..], "/base/x"),
        (
            "//private/../private/x?q=%2F",
            &[("x-pass", "open-sesame")][..],
            "/base/x?q=%2F",
        ),
        ("/%70rivate/x", &[("x-pass", "open-sesame")][..], "/base/x"),
        // Without the header, the same paths go to the catch-all, normalised.
        ("/private/x", &[][..], "/base/private/x"),
        ("//private/../private/%78", &[][..], "/base/private/x"),
        ("/users/42/orders", &[][..], "/base/orders"),
        ("/fv1req", &[][..], "/basefv1req"),
        ("/a/%2f/b", &[][..], "/base/a/%2F/b"),
    ];
    for (path, headers, want) in table {
        assert_eq!(upstream_path(path, headers), want, "{path}");
    }

    let bad = http::get(&gateway.url("/private/%zz"), &[]);
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["message"], "Bad request");

    let upgrade = http::get(&gateway.url("/secure/x"), &[]);
    assert_eq!(upgrade.status, 426);
    assert_eq!(upgrade.json()["message"], "Please use HTTPS protocol");
    assert_eq!(upgrade.header("upgrade"), Some("TLS/1.2, HTTP/1.1"));
    // `Connection: Upgrade` is set by respond.rs; Pingora rewrites `Connection` to match
    // the client's keep-alive state, and this client sends `Connection: close`.
    assert!(upgrade.header("connection").is_some());

    let moved = http::get(&gateway.url("/moved/x?a=1"), &[]);
    assert_eq!(moved.status, 308);
    assert_eq!(
        moved.header("location"),
        Some("https://127.0.0.1/moved/x?a=1")
    );
}

/// Kong's serviceless routes and hosts with ports, through the gateway. The listener's
/// port is only known once it runs, so the config naming it is loaded by a SIGHUP.
#[test]
fn serviceless_routes_and_host_ports() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let upstream = runtime.block_on(EchoUpstream::start());
    let yaml = |listener: u16| {
        format!(
            r#"_format_version: "3.0"
services:
- name: echo
  url: http://127.0.0.1:{port}/base
  routes:
  - name: any-port
    hosts: [ports.test]
  - name: tls-port
    hosts: ["ports.test:8443", "*.wild.test:8443"]
  - name: listener-port
    hosts: ["listener.test:{listener}"]
routes:
- name: no-service
  paths: [/nowhere]
- name: null-service
  service: null
  hosts: [null.test]
"#,
            port = upstream.port()
        )
    };
    let mut gateway = Gateway::start(&yaml(1));
    std::fs::write(gateway.declarative_config(), yaml(gateway.port())).expect("rewrite config");
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &gateway.pid().to_string()])
        .status()
        .expect("kill -HUP");
    assert!(sent.success());
    let url = gateway.url("/x");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while http::get_with_host(&url, "listener.test").status != 200 {
        assert!(std::time::Instant::now() < deadline, "reload not applied");
        assert!(gateway.is_running());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    let status = |host: &str| http::get_with_host(&url, host).status;
    // 200: routed to the echo upstream; 404: no route.
    for (host, want) in [
        ("ports.test", 200),
        ("ports.test:8443", 200),
        ("ports.test:1234", 200),
        ("a.wild.test:8443", 200),
        ("a.wild.test:8444", 404),
        ("a.wild.test", 404),
        // Without a port in Host: the listener's port counts.
        ("listener.test", 200),
        ("listener.test:9", 404),
    ] {
        assert_eq!(status(host), want, "Host: {host}");
    }
    let listener_host = format!("listener.test:{}", gateway.port());
    assert_eq!(http::get_with_host(&url, &listener_host).status, 200);

    for response in [
        http::get(&gateway.url("/nowhere/x"), &[]),
        http::get_with_host(&url, "null.test"),
    ] {
        assert_eq!(response.status, 503, "{}", response.text());
        assert_eq!(
            response.json()["message"],
            "no Service found with those values"
        );
        assert_eq!(
            response.header("content-type"),
            Some("application/json; charset=utf-8")
        );
    }
    assert!(gateway.is_running());
}
