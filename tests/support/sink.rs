//! An upstream that only counts the connections that reach it: a refusal the gateway answers
//! itself must leave the count at zero.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

pub struct Sink {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Sink {
    /// Listens on a free loopback port; every accepted connection is counted and closed.
    pub fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the sink");
        let port = listener.local_addr().expect("sink address").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Sink { port, connections }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many connections reached it so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}
