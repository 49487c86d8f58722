//! TLS termination against the real binary and real clients (`curl`, `openssl s_client`):
//! certificates chosen by SNI (exact, wildcard, default), HTTP/2 by ALPN, h2c on plain
//! `http2` listeners, `snis` routes and `protocols: [https]`, and certificate config errors.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use support::echo_process::EchoProcess;
use support::pki::{KeyType, Leaf, Pki, CA_NAME};
use support::Gateway;

const CERT_A: &str = "a0000000-0000-4000-8000-00000000000a";
const CERT_B: &str = "b0000000-0000-4000-8000-00000000000b";
const CERT_WILD: &str = "c0000000-0000-4000-8000-00000000000c";
const CERT_ALT: &str = "d0000000-0000-4000-8000-00000000000d";

/// The certificates of one test.
struct Certs {
    pki: Pki,
    a: Leaf,
    b: Leaf,
    wild: Leaf,
    default: Leaf,
    alt_rsa: Leaf,
    alt_ec: Leaf,
}

fn certs(dir: &Path) -> Certs {
    let pki = Pki::new(dir);
    Certs {
        a: pki.leaf("a", "a.test", &["a.test"], KeyType::Ec),
        b: pki.leaf("b", "b.test", &["b.test"], KeyType::Ec),
        wild: pki.leaf("wild", "*.wild.test", &["*.wild.test"], KeyType::Ec),
        default: pki.leaf("default", "default.test", &["default.test"], KeyType::Ec),
        alt_rsa: pki.leaf("alt-rsa", "alt-rsa.test", &["alt.test"], KeyType::Rsa),
        alt_ec: pki.leaf("alt-ec", "alt-ec.test", &["alt.test"], KeyType::Ec),
        pki,
    }
}

fn block(pem: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    let lines: String = pem.lines().map(|l| format!("{pad}{l}\n")).collect();
    format!("|\n{lines}")
}

/// A declarative config: certificates for a.test (nested sni), b.test (top-level sni),
/// `*.wild.test` (bare nested name) and alt.test (RSA + ECDSA), and an echo service.
fn kong_yaml(certs: &Certs, upstream_port: u16) -> String {
    let pair = |leaf: &Leaf| {
        format!(
            "  cert: {}  key: {}",
            block(&leaf.cert_pem(), 4),
            block(&leaf.key_pem(), 4)
        )
    };
    format!(
        r#"_format_version: "3.0"
certificates:
- id: {CERT_A}
{a}  snis:
  - name: a.test
- id: {CERT_B}
{b}- id: {CERT_WILD}
{wild}  snis: ["*.wild.test"]
- id: {CERT_ALT}
{alt}  cert_alt: {alt_cert}  key_alt: {alt_key}  snis: [alt.test]
snis:
- name: b.test
  certificate: {{id: {CERT_B}}}
services:
- name: echo
  url: http://127.0.0.1:{upstream_port}
  routes:
  - name: any
    paths: [/any]
  - name: only-a
    paths: [/sni]
    snis: [a.test]
    protocols: [https]
  - name: secure
    paths: [/secure]
    protocols: [https]
  - name: by-host
    hosts: [h2.test]
    paths: [/byhost]
"#,
        a = pair(&certs.a),
        b = pair(&certs.b),
        wild = pair(&certs.wild),
        alt = pair(&certs.alt_rsa),
        alt_cert = block(&certs.alt_ec.cert_pem(), 4),
        alt_key = block(&certs.alt_ec.key_pem(), 4),
    )
}

/// What one `curl` run gave.
struct Curl {
    exit: i32,
    status: u16,
    http_version: String,
    body: String,
    /// `-v` output: TLS details, certificate subject and issuer.
    verbose: String,
}

impl Curl {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn subject(&self) -> Option<&str> {
        self.verbose
            .lines()
            .find_map(|l| l.trim_start_matches(['*', ' ']).strip_prefix("subject: "))
    }
}

fn curl(args: &[&str]) -> Curl {
    let output = Command::new("curl")
        .args(["-sS", "-v", "--max-time", "10"])
        .args(["-w", "\n%{http_code} %{http_version}"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run curl (installed by tests/setup.sh)");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, last) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
    let mut fields = last.split(' ');
    Curl {
        exit: output.status.code().unwrap_or(-1),
        status: fields.next().and_then(|s| s.parse().ok()).unwrap_or(0),
        http_version: fields.next().unwrap_or("").to_owned(),
        body: body.to_owned(),
        verbose: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `curl https://NAME:PORT{path}` resolved to loopback and verified against the test CA.
fn curl_tls(certs: &Certs, name: &str, port: u16, path: &str, extra: &[&str]) -> Curl {
    let resolve = format!("{name}:{port}:127.0.0.1");
    let url = format!("https://{name}:{port}{path}");
    let ca = certs.pki.ca.cert.to_str().expect("utf-8 path");
    let mut args = vec!["--resolve", &resolve, "--cacert", ca];
    args.extend_from_slice(extra);
    args.push(&url);
    curl(&args)
}

/// The subject of the certificate served for `server_name` (and `-sigalgs`, if given).
fn served_subject(port: u16, server_name: &str, sigalgs: Option<&str>) -> String {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-servername", server_name, "-tls1_2"]);
    if let Some(algs) = sigalgs {
        cmd.args(["-sigalgs", algs]);
    }
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .expect("run openssl s_client");
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("subject="))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| {
            format!(
                "no certificate: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
}

fn tls_env(certs: &Certs) -> [(String, String); 2] {
    [
        (
            "GATEWAY_SSL_CERT".to_owned(),
            certs.default.cert.display().to_string(),
        ),
        (
            "GATEWAY_SSL_CERT_KEY".to_owned(),
            certs.default.key.display().to_string(),
        ),
    ]
}

#[test]
fn certificate_is_chosen_by_sni_with_wildcards_and_the_default() {
    let dir = support::temp_dir("tls-sni");
    let certs = certs(&dir);
    let upstream = EchoProcess::start("tls-echo");
    let env = tls_env(&certs);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let gateway =
        Gateway::start_with_listeners(&kong_yaml(&certs, upstream.port()), &["ssl http2"], &env);
    let port = gateway.extra_port(0);

    for (name, subject) in [
        ("a.test", "CN=a.test"),
        ("b.test", "CN=b.test"),
        ("x.wild.test", "CN=*.wild.test"),
        ("Y.Wild.Test", "CN=*.wild.test"),
    ] {
        let response = curl_tls(&certs, name, port, "/any/x", &[]);
        assert_eq!(response.exit, 0, "{name}: {}", response.verbose);
        assert_eq!(response.status, 200, "{name}: {}", response.body);
        assert_eq!(response.subject(), Some(subject), "{name}");
        assert!(
            response.verbose.contains(&format!("issuer: CN={CA_NAME}")),
            "{name}: {}",
            response.verbose
        );
    }
    // Two labels under the wildcard, or an unknown name: the default certificate.
    for name in ["a.b.wild.test", "unknown.test"] {
        let response = curl_tls(&certs, name, port, "/any/x", &["-k"]);
        assert_eq!(response.status, 200, "{name}: {}", response.verbose);
        assert_eq!(response.subject(), Some("CN=default.test"), "{name}");
    }
    assert_eq!(
        served_subject(port, "default.test", None),
        "CN = default.test"
    );
    // cert_alt: the ECDSA chain for clients that accept it, else the RSA one.
    assert_eq!(
        served_subject(port, "alt.test", Some("ECDSA+SHA256")),
        "CN = alt-ec.test"
    );
    assert_eq!(
        served_subject(port, "alt.test", Some("RSA+SHA256")),
        "CN = alt-rsa.test"
    );
    support::remove_temp_dir(&dir);
}

#[test]
fn http2_by_alpn_on_tls_and_h2c_on_plain_http2_listeners() {
    let dir = support::temp_dir("tls-h2");
    let certs = certs(&dir);
    let upstream = EchoProcess::start("h2-echo");
    let env = tls_env(&certs);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let gateway = Gateway::start_with_listeners(
        &kong_yaml(&certs, upstream.port()),
        &["ssl http2", "ssl", "http2"],
        &env,
    );
    let (h2_tls, h1_tls, h2c) = (
        gateway.extra_port(0),
        gateway.extra_port(1),
        gateway.extra_port(2),
    );

    let response = curl_tls(&certs, "a.test", h2_tls, "/any/x?q=1", &["--http2"]);
    assert_eq!(response.http_version, "2", "{}", response.verbose);
    assert_eq!(response.status, 200, "{}", response.body);
    let echo = response.json();
    assert_eq!(echo["name"], "h2-echo");
    assert_eq!(echo["path"], "/x?q=1");
    assert_eq!(echo["headers"]["x-forwarded-proto"], "https");
    assert_eq!(
        echo["headers"]["x-forwarded-host"],
        format!("a.test:{h2_tls}")
    );

    // A TLS listener without `http2` offers HTTP/1.1 only.
    let response = curl_tls(&certs, "a.test", h1_tls, "/any/x", &["--http2"]);
    assert_eq!(response.http_version, "1.1", "{}", response.verbose);
    assert_eq!(response.status, 200);

    // h2c with prior knowledge; routing by host uses :authority (there is no Host header).
    let resolve = format!("h2.test:{h2c}:127.0.0.1");
    let response = curl(&[
        "--http2-prior-knowledge",
        "--resolve",
        &resolve,
        &format!("http://h2.test:{h2c}/byhost/y"),
    ]);
    assert_eq!(response.http_version, "2", "{}", response.verbose);
    assert_eq!(response.status, 200, "{}", response.body);
    let echo = response.json();
    assert_eq!(echo["path"], "/y");
    assert_eq!(echo["headers"]["x-forwarded-proto"], "http");
    // The h2c listener still serves HTTP/1.1 clients.
    let response = curl(&[&format!("http://127.0.0.1:{h2c}/any/z")]);
    assert_eq!(
        (response.status, response.http_version.as_str()),
        (200, "1.1")
    );

    // A plain listener without `http2`: HTTP/1.1 only.
    let response = curl(&[&gateway.url("/any/z")]);
    assert_eq!(
        (response.status, response.http_version.as_str()),
        (200, "1.1")
    );
    let response = curl(&["--http2-prior-knowledge", &gateway.url("/any/z")]);
    assert_ne!(response.http_version, "2", "{}", response.verbose);
    assert_ne!(response.status, 200);
    support::remove_temp_dir(&dir);
}

#[test]
fn sni_routes_https_only_routes_and_no_certificate_without_default() {
    let dir = support::temp_dir("tls-routes");
    let certs = certs(&dir);
    let upstream = EchoProcess::start("routes-echo");
    // No gateway.ssl_cert: a name without a certificate fails its handshake.
    let mut gateway =
        Gateway::start_with_listeners(&kong_yaml(&certs, upstream.port()), &["ssl"], &[]);
    let tls = gateway.extra_port(0);

    let response = curl_tls(&certs, "a.test", tls, "/sni/1", &[]);
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["path"], "/1", "strip_path");
    let response = curl_tls(&certs, "b.test", tls, "/sni/1", &[]);
    assert_eq!(response.status, 404, "the route is for SNI a.test only");
    let response = curl(&[&gateway.url("/sni/1")]);
    assert_eq!(response.status, 404, "no SNI on plain http");

    let response = curl(&[&gateway.url("/secure/1")]);
    assert_eq!(response.status, 426, "{}", response.body);
    let response = curl_tls(&certs, "b.test", tls, "/secure/1", &[]);
    assert_eq!(response.status, 200, "{}", response.body);

    let response = curl_tls(&certs, "unknown.test", tls, "/any/1", &["-k"]);
    assert_eq!(
        response.exit, 35,
        "TLS handshake error: {}",
        response.verbose
    );
    let response = curl(&["-k", &format!("https://127.0.0.1:{tls}/any/1")]);
    assert_eq!(response.exit, 35, "no SNI at all: {}", response.verbose);
    assert!(gateway.is_running());
    let response = curl_tls(&certs, "a.test", tls, "/any/2", &[]);
    assert_eq!(
        response.status, 200,
        "still serving after refused handshakes"
    );
    support::remove_temp_dir(&dir);
}

#[test]
fn certificate_errors_name_the_field_and_never_echo_pem() {
    let dir = support::temp_dir("tls-config");
    let certs = certs(&dir);
    let secret_line = "MIIBszCCAVmgAwIBAgIUSECRETSECRETSECRETSECRETSECRET";
    let bad_pem =
        format!("-----BEGIN CERTIFICATE-----\n{secret_line}\n-----END CERTIFICATE-----\n");
    let yaml = format!(
        r#"_format_version: "3.0"
certificates:
- id: {CERT_A}
  cert: {bad}  key: {a_key}  snis: [a.test, "a.*.test"]
- id: {CERT_B}
  cert: {b_cert}  key: {a_key}- cert: {a_cert}  key: {a_key}  cert_alt: {b_cert}  key_alt: {b_key}snis:
- name: A.TEST
  certificate: {{id: {CERT_B}}}
- name: c.test
  certificate: {{id: e0000000-0000-4000-8000-00000000000e}}
- name: d.test
"#,
        bad = block(&bad_pem, 4),
        a_cert = block(&certs.a.cert_pem(), 4),
        a_key = block(&certs.a.key_pem(), 4),
        b_cert = block(&certs.b.cert_pem(), 4),
        b_key = block(&certs.b.key_pem(), 4),
    );
    let errors =
        oidc_gateway::config::compile_declarative_str(&yaml).expect_err("the config has errors");
    let found: Vec<(String, String)> = errors
        .iter()
        .map(|e| (e.path.clone(), e.message.clone()))
        .collect();
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "certificates[0].cert",
            "certificates[1].key",
            "certificates[2].cert_alt",
            "certificates[0].snis[1]",
            "snis[0].name",
            "snis[1].certificate",
            "snis[2].certificate",
        ],
        "{found:#?}"
    );
    let message = |path: &str| {
        found
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, m)| m.as_str())
            .unwrap_or_default()
    };
    assert!(message("certificates[0].cert").contains("PEM certificate"));
    assert!(message("certificates[1].key").contains("does not match"));
    assert!(message("certificates[2].cert_alt").contains("key type"));
    assert_eq!(
        message("snis[0].name"),
        "duplicate sni 'a.test' (also at certificates[0].snis[0])"
    );
    assert_eq!(
        message("snis[1].certificate"),
        "no certificate with id 'e0000000-0000-4000-8000-00000000000e'"
    );
    assert_eq!(message("snis[2].certificate"), "missing field");
    let text = errors.to_string();
    let key_body = certs.a.key_pem();
    let key_line = key_body.lines().nth(1).expect("a key line");
    for leaked in ["-----BEGIN", secret_line, key_line] {
        assert!(!text.contains(leaked), "{leaked} in:\n{text}");
    }
    support::remove_temp_dir(&dir);
}

#[test]
fn bad_default_certificate_is_a_startup_error_naming_the_entry() {
    let dir = support::temp_dir("tls-default");
    let certs = certs(&dir);
    let config = dir.join("kong.yaml");
    std::fs::write(&config, "_format_version: \"3.0\"\n").expect("write config");
    let run = |cert: &Path, key: &Path| {
        Command::new(env!("CARGO_BIN_EXE_oidc-gateway"))
            .arg("-t")
            .arg("--declarative-config")
            .arg(&config)
            .env(
                "GATEWAY_SSL_CERT",
                format!("{},{}", certs.a.cert.display(), cert.display()),
            )
            .env(
                "GATEWAY_SSL_CERT_KEY",
                format!("{},{}", certs.a.key.display(), key.display()),
            )
            .stdin(Stdio::null())
            .output()
            .expect("run oidc-gateway -t")
    };
    let output = run(&certs.b.key, &certs.b.key);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("gateway.ssl_cert[1]: invalid value"),
        "{stderr}"
    );
    assert!(!stderr.contains("PRIVATE KEY"), "{stderr}");

    let output = run(&certs.b.cert, &certs.a.key);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("gateway.ssl_cert_key[1]: does not match gateway.ssl_cert[1]"),
        "{stderr}"
    );
    let output = run(&certs.b.cert, &certs.b.key);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    support::remove_temp_dir(&dir);
}

#[test]
fn sni_entities_compile_in_every_kong_form() {
    let dir = support::temp_dir("tls-forms");
    let certs = certs(&dir);
    let yaml = format!(
        r#"_format_version: "3.0"
certificates:
- id: {CERT_A}
  cert: {a_cert}  key: {a_key}  tags: [edge]
  snis:
  - name: a.test
    id: 10000000-0000-4000-8000-000000000001
    tags: [edge]
  - "*.a.test"
- cert: {b_cert}  key: {b_key}  snis: [B.Test, "b.*"]
snis:
- name: plain-id.test
  certificate: {CERT_A}
"#,
        a_cert = block(&certs.a.cert_pem(), 4),
        a_key = block(&certs.a.key_pem(), 4),
        b_cert = block(&certs.b.cert_pem(), 4),
        b_key = block(&certs.b.key_pem(), 4),
    );
    let compiled =
        oidc_gateway::config::compile_declarative_str(&yaml).unwrap_or_else(|e| panic!("{e}"));
    let table = &compiled.certificates;
    assert_eq!(table.len(), 5, "{table:?}");
    let a = table.select("a.test").expect("a.test");
    for name in ["x.a.test", "plain-id.test", "A.TEST"] {
        let found = table.select(name).unwrap_or_else(|| panic!("{name}"));
        assert!(std::sync::Arc::ptr_eq(found, a), "{name}");
    }
    let b = table.select("b.test").expect("b.test");
    assert!(!std::sync::Arc::ptr_eq(a, b));
    assert!(std::sync::Arc::ptr_eq(
        table.select("b.example").expect("b.*"),
        b
    ));
    assert!(table.select("other.test").is_none());
    support::remove_temp_dir(&dir);
}
