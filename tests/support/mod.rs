//! Test harness for the end-to-end tests: real IdP (node oidc-provider), real httpbin (gunicorn), the gateway binary.
//!
//! Use from an integration test as `mod support;`. Every process is killed when its handle drops
//! (also while a test panics); every wait has a timeout.
#![allow(dead_code, unused_imports)]

pub mod dnsmasq;
pub mod echo_process;
pub mod gateway;
pub mod hmac;
pub mod http;
pub mod httpbin;
pub mod idp;
pub mod jwt;
pub mod kong;
pub mod log_collector;
pub mod logscan;
pub mod pki;
pub mod ports;
pub mod process;
pub mod redis;
pub mod sink;
pub mod socket_collector;
pub mod stack;
pub mod wrk;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub use gateway::Gateway;
pub use httpbin::Httpbin;
pub use idp::{IdpOptions, IdpStats, RealIdp};
pub use stack::{Stack, StackOptions};

/// The reference client (the workshop's) and the other clients the test IdP knows.
pub const KONG_ID: &str = "kong_id";
pub const KONG_SECRET: &str = "RVXO9SOJskjw4LeVupjRbIMJIAyyil8j";
pub const POST_ID: &str = "post_id";
pub const POST_SECRET: &str = "post-secret-0123456789";
pub const NOBODY_ID: &str = "nobody_id";
pub const NOBODY_SECRET: &str = "nobody-secret-0123456789";
pub const WEIRD_ID: &str = "weird_id";
pub const WEIRD_SECRET: &str = "s3cr:et+with/odd=chars%&";

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Panics with a clear message unless tests/setup.sh has installed the IdP and httpbin.
pub fn require_setup() {
    let root = repo_root();
    let needed = [
        root.join("tests/idp/node_modules/oidc-provider"),
        root.join("tests/.venv/bin/gunicorn"),
    ];
    for path in needed {
        assert!(
            path.exists(),
            "{} is missing: run tests/setup.sh first",
            path.display()
        );
    }
}

/// A fresh, empty directory under the system temp dir, unique to this process and call.
pub fn temp_dir(tag: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "oidc-gateway-e2e-{tag}-{}-{n}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Removes a temp dir unless the current thread is panicking (then it is kept for the post-mortem).
pub fn remove_temp_dir(dir: &Path) {
    if std::thread::panicking() {
        eprintln!("support: keeping {} for inspection", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Polls `check` every `every` until it returns Some or `timeout` passes.
pub fn poll<T>(
    timeout: Duration,
    every: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(every);
    }
}
