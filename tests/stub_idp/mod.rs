//! An in-process, Keycloak-shaped stub IdP on 127.0.0.1 whose endpoints can be told to fail.
//!
//! Use as `mod mint; mod stub_idp;` (it signs tokens with `crate::mint`). The server runs as a
//! tokio task of the runtime that started it; dropping the `StubIdp` aborts it and every
//! connection it holds. Each endpoint's `Behaviour` can be switched at any time; counters
//! say how many requests each endpoint saw.
#![allow(dead_code)]

mod faults;
pub mod flow;
pub mod http;
mod token;
pub mod upstream;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::mint::SigningKey;

/// The realm path every URL of the stub lives under.
pub const REALM: &str = "/realms/kong";
pub const DISCOVERY_PATH: &str = "/realms/kong/.well-known/openid-configuration";
pub const TOKEN_PATH: &str = "/realms/kong/protocol/openid-connect/token";
pub const JWKS_PATH: &str = "/realms/kong/protocol/openid-connect/certs";

/// The client the stub knows from the start (the workshop's).
pub const CLIENT_ID: &str = "kong_id";
pub const CLIENT_SECRET: &str = "RVXO9SOJskjw4LeVupjRbIMJIAyyil8j";
/// Lifetime of normally minted tokens, in seconds.
pub const NORMAL_LIFETIME: u64 = 300;
/// Size of an `oversized` body.
pub const ONE_MIB: usize = 1024 * 1024;

/// The stub's three endpoints (and everything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Discovery,
    Token,
    Jwks,
    Other,
}

impl Endpoint {
    fn of(path: &str) -> Self {
        match path {
            DISCOVERY_PATH => Self::Discovery,
            TOKEN_PATH => Self::Token,
            JWKS_PATH => Self::Jwks,
            _ => Self::Other,
        }
    }
}

/// What an endpoint does with the next request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// Serve the document; the token endpoint checks the client and mints a token.
    Normal,
    /// Answer this status with a small JSON error body.
    Status(u16),
    /// Sleep, then behave normally.
    Delay(Duration),
    /// Sleep, then behave as the inner behaviour.
    DelayThen(Duration, Box<Behaviour>),
    /// 200 with a body that is not JSON.
    Garbage,
    /// 200 with a body of `bytes` bytes, announced by Content-Length or delimited by close.
    Oversized { bytes: usize, content_length: bool },
    /// Read the request, then reset the connection without a response.
    Reset,
    /// Send the normal response one byte per interval.
    DripFeed(Duration),
    /// Token endpoint: sign with a key the JWKS never lists.
    TokenSignedByUnknownKey,
    /// Token endpoint: `expires_in` = secs (and `exp` one second later, so that the
    /// whole-second clocks of stub and gateway always agree on a lifetime of `secs`).
    ShortLifetime(u64),
}

impl Behaviour {
    pub fn oversized(content_length: bool) -> Self {
        Self::Oversized {
            bytes: ONE_MIB,
            content_length,
        }
    }
}

struct State {
    behaviours: HashMap<Endpoint, Behaviour>,
    clients: HashMap<String, String>,
    /// Signs normal tokens; the JWKS lists exactly this key.
    signer: Arc<SigningKey>,
    /// Signs `TokenSignedByUnknownKey` tokens; never listed.
    stranger: Arc<SigningKey>,
}

/// State shared by the server task and the test.
pub(crate) struct Shared {
    base: String,
    state: Mutex<State>,
    counts: [AtomicUsize; 4],
    minted: AtomicUsize,
    /// Body bytes the last `Oversized` response managed to write before the peer left.
    oversized_written: AtomicUsize,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn behaviour(&self, endpoint: Endpoint) -> Behaviour {
        self.state()
            .behaviours
            .get(&endpoint)
            .cloned()
            .unwrap_or(Behaviour::Normal)
    }

    fn issuer(&self) -> String {
        format!("{}{REALM}", self.base)
    }
}

/// A running stub IdP.
pub struct StubIdp {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl StubIdp {
    /// Starts on a fresh port of 127.0.0.1 with a new 2048-bit signing key.
    pub async fn start() -> StubIdp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind stub");
        Self::serve(listener)
    }

    /// Starts on a given port (e.g. one reserved earlier for an "IdP down" test).
    pub async fn start_on(port: u16) -> StubIdp {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match TcpListener::bind(("127.0.0.1", port)).await {
                Ok(listener) => return Self::serve(listener),
                Err(e) if Instant::now() > deadline => panic!("bind 127.0.0.1:{port}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn serve(listener: TcpListener) -> StubIdp {
        let addr = listener.local_addr().expect("stub addr");
        let mut clients = HashMap::new();
        clients.insert(CLIENT_ID.to_owned(), CLIENT_SECRET.to_owned());
        let shared = Arc::new(Shared {
            base: format!("http://{addr}"),
            state: Mutex::new(State {
                behaviours: HashMap::new(),
                clients,
                signer: Arc::new(SigningKey::generate("stub-key-1", 2048)),
                stranger: Arc::new(SigningKey::generate("stranger-key", 2048)),
            }),
            counts: Default::default(),
            minted: AtomicUsize::new(0),
            oversized_written: AtomicUsize::new(0),
        });
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        StubIdp { addr, shared, task }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT/realms/kong`
    pub fn issuer(&self) -> String {
        self.shared.issuer()
    }

    pub fn token_endpoint(&self) -> String {
        format!("{}{TOKEN_PATH}", self.shared.base)
    }

    pub fn jwks_uri(&self) -> String {
        format!("{}{JWKS_PATH}", self.shared.base)
    }

    pub fn set(&self, endpoint: Endpoint, behaviour: Behaviour) {
        self.shared.state().behaviours.insert(endpoint, behaviour);
    }

    /// Every endpoint back to `Normal`.
    pub fn heal(&self) {
        self.shared.state().behaviours.clear();
    }

    pub fn add_client(&self, id: &str, secret: &str) {
        self.shared
            .state()
            .clients
            .insert(id.to_owned(), secret.to_owned());
    }

    /// Replaces the signing key; the JWKS lists only the new one from now on.
    pub fn rotate_key(&self, key: SigningKey) {
        self.shared.state().signer = Arc::new(key);
    }

    pub fn signing_kid(&self) -> String {
        self.shared.state().signer.kid.clone()
    }

    /// A token signed by the key the JWKS lists (header `alg`/`kid`/`typ` filled in).
    pub fn sign(&self, header: serde_json::Value, claims: &serde_json::Value) -> String {
        let signer = self.shared.state().signer.clone();
        signer.sign(header, claims)
    }

    /// A token over exactly these JSON texts, signed by the key the JWKS lists.
    pub fn sign_raw(&self, header_json: &str, payload_json: &str) -> String {
        let signer = self.shared.state().signer.clone();
        signer.sign_raw(header_json, payload_json)
    }

    /// The public modulus of the signing key (to forge HS256 tokens keyed with it).
    pub fn signer_modulus(&self) -> Vec<u8> {
        self.shared.state().signer.components().0
    }

    pub fn stranger_kid(&self) -> String {
        self.shared.state().stranger.kid.clone()
    }

    /// Requests seen by `endpoint` so far (counted once the request head was read).
    pub fn count(&self, endpoint: Endpoint) -> usize {
        self.shared.counts[endpoint as usize].load(Ordering::SeqCst)
    }

    /// Tokens minted so far.
    pub fn minted(&self) -> usize {
        self.shared.minted.load(Ordering::SeqCst)
    }

    pub fn oversized_written(&self) -> usize {
        self.shared.oversized_written.load(Ordering::SeqCst)
    }

    /// Stops the server now (same as dropping it).
    pub fn stop(self) {}
}

impl Drop for StubIdp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Accepts connections; aborting this task drops the JoinSet, which aborts every connection.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    connections.spawn(connection(stream, shared.clone()));
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Serves requests on one connection until a behaviour closes it or the client leaves.
async fn connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    while let Some(request) = http::read_request(&mut stream, &mut buf).await {
        let endpoint = Endpoint::of(request.route());
        shared.counts[endpoint as usize].fetch_add(1, Ordering::SeqCst);
        let behaviour = shared.behaviour(endpoint);
        let keep_open = faults::respond(&mut stream, &shared, endpoint, behaviour, &request).await;
        if !keep_open || request.wants_close() {
            return;
        }
    }
}
