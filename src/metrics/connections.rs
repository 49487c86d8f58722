//! Counts the proxy's downstream connections: a `ServerApp` around the HTTP proxy that
//! serves every request of one connection (keep-alive reuse included) before returning.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use async_trait::async_trait;
use pingora::apps::ServerApp;
use pingora::protocols::Stream;
use pingora::server::ShutdownWatch;

use super::Connections;

/// The proxy application with its connections counted (`accepted`, `active`, `handled`).
pub struct CountedConnections<A> {
    inner: Arc<A>,
}

impl<A> CountedConnections<A> {
    pub fn new(inner: A) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }
}

/// Marks the connection closed however its task ends (also when it is dropped mid-way).
struct OpenConnection(&'static Connections);

impl OpenConnection {
    fn open(counters: &'static Connections) -> Self {
        counters.accepted.fetch_add(1, Ordering::Relaxed);
        counters.active.fetch_add(1, Ordering::Relaxed);
        Self(counters)
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::Relaxed);
        self.0.handled.fetch_add(1, Ordering::Relaxed);
    }
}

#[async_trait]
impl<A> ServerApp for CountedConnections<A>
where
    A: ServerApp + Send + Sync + 'static,
{
    async fn process_new(
        self: &Arc<Self>,
        session: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        let _open = OpenConnection::open(&super::global().connections);
        // The same loop as Pingora's own: serve the connection while it is reused.
        let mut next = self.inner.process_new(session, shutdown).await;
        while let Some(stream) = next {
            next = self.inner.process_new(stream, shutdown).await;
        }
        None
    }

    async fn cleanup(&self) {
        self.inner.cleanup().await;
    }
}
