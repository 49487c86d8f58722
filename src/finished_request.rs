//! What one finished proxy request was: the facts the access log and the metrics record.
//!
//! Holds no header values and no query string: nothing secret can be taken from it.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use crate::config::compiled::{CompiledRoute, CompiledService, Consumer};
use crate::metrics::ResponseSource;

pub struct FinishedRequest<'a> {
    /// Wall-clock time the request started.
    pub started_at: SystemTime,
    pub request_id: &'a str,
    pub client_ip: Option<IpAddr>,
    pub method: &'a str,
    /// The request path only, never its query string.
    pub path: &'a str,
    pub route: Option<&'a CompiledRoute>,
    pub service: Option<&'a CompiledService>,
    pub consumer: Option<&'a Consumer>,
    /// Status sent to the client (0 if none was).
    pub status: u16,
    /// Status the upstream answered, when it did.
    pub upstream_status: Option<u16>,
    pub source: ResponseSource,
    /// Upstream attempts.
    pub tries: u32,
    /// The whole request, first byte in to last byte out.
    pub request_latency: Duration,
    /// From the first upstream attempt to the upstream's response header.
    pub upstream_latency: Option<Duration>,
    /// The request's latency minus the upstream's: time spent in the gateway.
    pub gateway_latency: Duration,
    /// Response body bytes sent to the client.
    pub bytes_sent: usize,
}

impl FinishedRequest<'_> {
    /// Route label: its name, else its id.
    pub fn route_label(&self) -> Option<&str> {
        self.route
            .map(|route| route.name.as_deref().unwrap_or(route.id.as_str()))
    }

    /// Service label: its name, else its id.
    pub fn service_label(&self) -> Option<&str> {
        self.service
            .map(|service| service.name.as_deref().unwrap_or(service.id.as_str()))
    }

    /// Consumer label: username, else custom id, else id.
    pub fn consumer_label(&self) -> Option<&str> {
        self.consumer.map(crate::metrics::consumer_label)
    }
}
