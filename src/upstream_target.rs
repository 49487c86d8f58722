//! Where one upstream attempt goes and what it presents: the service's own address, the
//! next address its host name resolves to, or a target its upstream's balancer picks (skipping targets this request already tried), the
//! Host header and TLS server name for it, and the passive health outcome of a failure.

use std::net::SocketAddr;

use pingora::{Error, ErrorType, Result};

use crate::balancer::{Balancer, HashInput, PassiveOutcome, Pick};
use crate::config::compiled::{CompiledService, ServiceTarget};
use crate::router::strip_port;
use crate::upstream_request::service_host_header;

/// Error type for "no healthy target": the proxy answers Kong's 503.
pub const NO_HEALTHY_TARGET: &str = "no healthy upstream target";

/// Error type for a service host that does not resolve: Kong's 503 "name resolution failed".
pub const NAME_RESOLUTION_FAILED: &str = "name resolution failed";

/// Longest a request waits for the first answer of a name (only right after start or a
/// reload that brought the name; later requests read the cache).
pub const FIRST_ANSWER_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The destination of one attempt.
pub struct Destination {
    pub address: SocketAddr,
    /// The balancer's pick, when the service names an upstream.
    pub pick: Option<Pick>,
    /// The Host header for the upstream, unless the route preserves the client's.
    pub host_header: String,
}

/// Chooses the destination of an attempt. A balancer first avoids the targets in
/// `tried`; when every healthy one was tried, it starts over (Kong's retries cycle).
pub fn choose(
    service: &CompiledService,
    upstreams: &[std::sync::Arc<Balancer>],
    input: &HashInput<'_>,
    tried: &[usize],
) -> Result<Destination> {
    match &service.target {
        ServiceTarget::Address(address) => Ok(Destination {
            address: *address,
            pick: None,
            host_header: service_host_header(&service.host, service.port, &service.protocol),
        }),
        ServiceTarget::Name(name) => Ok(Destination {
            address: name
                .pick(service.port)
                .ok_or_else(|| Error::new(ErrorType::Custom(NAME_RESOLUTION_FAILED)))?,
            pick: None,
            host_header: service_host_header(&service.host, service.port, &service.protocol),
        }),
        ServiceTarget::Upstream(index) => {
            let balancer = upstreams
                .get(*index)
                .ok_or_else(|| Error::new(ErrorType::InternalError))?;
            let pick = balancer
                .select(input, tried)
                .or_else(|| balancer.select(input, &[]))
                .ok_or_else(|| Error::new(ErrorType::Custom(NO_HEALTHY_TARGET)))?;
            let host_header = match balancer.host_header() {
                Some(host) => host.to_owned(),
                None => service_host_header(&pick.host, pick.port, &service.protocol),
            };
            Ok(Destination {
                address: pick.address,
                host_header,
                pick: Some(pick),
            })
        }
    }
}

/// The TLS server name for a Host header value: its host, without port or brackets.
pub fn tls_server_name(host_header: &str) -> String {
    strip_port(host_header)
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned()
}

/// How a failed attempt counts for passive health checks.
pub fn passive_outcome(error: &Error) -> PassiveOutcome {
    match error.etype() {
        ErrorType::ConnectTimedout | ErrorType::ReadTimedout | ErrorType::WriteTimedout => {
            PassiveOutcome::Timeout
        }
        _ => PassiveOutcome::TcpFailure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_drop_ports_and_brackets() {
        assert_eq!(tls_server_name("example.com:8443"), "example.com");
        assert_eq!(tls_server_name("example.com"), "example.com");
        assert_eq!(tls_server_name("[::1]:443"), "::1");
        assert_eq!(tls_server_name("127.0.0.1:9443"), "127.0.0.1");
    }

    #[test]
    fn timeouts_and_broken_connections_count_apart() {
        let timeout = Error::new(ErrorType::ReadTimedout);
        assert_eq!(passive_outcome(&timeout), PassiveOutcome::Timeout);
        let refused = Error::new(ErrorType::ConnectRefused);
        assert_eq!(passive_outcome(&refused), PassiveOutcome::TcpFailure);
    }
}
