//! reqwest's resolver for the IdP clients (token, JWKS, discovery, introspection URLs):
//! the same names, cache and `dns_*` settings as the services. A name seen for the first
//! time waits for its first answer from the refresher (bounded); later calls read the cache.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::registry::registry;

/// Longest wait for the first answer of a name new to the cache.
const FIRST_ANSWER_WAIT: Duration = Duration::from_secs(5);

/// Resolves through the gateway's DNS cache.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdpResolver;

impl Resolve for IdpResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            if !registry().refresher_running() {
                // No refresher in this process (a library user, a test): the system's.
                let found: Vec<SocketAddr> =
                    tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
                return Ok(Box::new(found.into_iter()) as Addrs);
            }
            let entry = registry().register(&host);
            entry.wait_first_answer(FIRST_ANSWER_WAIT).await;
            let answer = entry.answer();
            if !answer.usable() {
                return Err(format!("name resolution failed for '{host}'").into());
            }
            // Rotate so successive connections spread over the addresses.
            let mut addresses: Vec<SocketAddr> =
                answer.addresses.iter().map(|a| a.socket_addr(0)).collect();
            if let Some(first) = entry.pick(0) {
                if let Some(at) = addresses.iter().position(|a| *a == first) {
                    addresses.rotate_left(at);
                }
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}
