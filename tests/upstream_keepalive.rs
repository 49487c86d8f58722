//! Upstream connections are kept alive and reused: many client requests, each on its own
//! client connection, reach the upstream over one (or very few) TCP connections.

mod mint;
mod stub_idp;
mod support;

use stub_idp::upstream::EchoUpstream;
use support::http;
use support::Gateway;

#[test]
fn sequential_requests_reuse_one_upstream_connection() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let upstream = runtime.block_on(EchoUpstream::start());
    let yaml = format!(
        "_format_version: \"3.0\"\nservices:\n- name: echo\n  url: http://127.0.0.1:{}/base\n  routes:\n  - name: plain\n    paths: [/plain]\n",
        upstream.port()
    );
    let gateway = Gateway::start(&yaml);
    for n in 0..20 {
        let response = http::get(&gateway.url(&format!("/plain/item/{n}?q=1")), &[]);
        assert_eq!(response.status, 200, "{}", response.text());
        let echo = response.json();
        assert_eq!(
            echo["path"],
            format!("/base/item/{n}?q=1"),
            "strip_path and service path"
        );
        assert_eq!(
            echo["headers"]["host"],
            format!("127.0.0.1:{}", upstream.port())
        );
        assert_eq!(echo["headers"]["x-forwarded-proto"], "http");
        assert!(echo["headers"]["via"]
            .as_str()
            .is_some_and(|v| v.contains("oidc-gateway")));
    }
    assert_eq!(
        upstream.connections(),
        1,
        "20 requests, one upstream connection"
    );
}
