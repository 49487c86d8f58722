//! One request's trace as Kong's tracer makes it: the ids and sampling decision taken in
//! the access phase (or later, for a request answered before it), and at the end the `kong`
//! server span with Kong's attributes and one `kong.balancer` client span per upstream
//! attempt, the last one being the parent announced to the upstream.

use std::time::{Instant, UNIX_EPOCH};

use super::instrumentations::Tracing;
use super::otlp::{Span, SpanKind, Value};
use crate::plugin::log_phase::LogPhase;
use crate::plugin::log_serializer::redact::CredentialNames;

/// What the plugin decided for a request (kept in the request's extensions).
#[derive(Debug, Clone, PartialEq)]
pub struct TraceContext {
    pub trace_id: [u8; 16],
    pub root_span_id: [u8; 8],
    /// The caller's span, from the incoming headers.
    pub root_parent: Option<[u8; 8]>,
    /// The last attempt's span, announced upstream (with the balancer instrumentation).
    pub balancer_span_id: Option<[u8; 8]>,
    pub sampled: bool,
}

/// `N` random bytes, never all zero (an invalid id in W3C and OTLP).
pub fn random_id<const N: usize>() -> [u8; N] {
    let mut id = [0u8; N];
    if aws_lc_rs::rand::fill(&mut id).is_err() || id.iter().all(|b| *b == 0) {
        id[N - 1] = 1;
    }
    id
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Kong's sampling decision: never for propagation only, never when the caller said not
/// sampled, else Kong's trace-id based sampler (the first 8 bytes as a native-endian
/// integer against `rate` * 2^64).
pub fn sampling_decision(
    parent_sampled: Option<bool>,
    propagation_only: bool,
    rate: f64,
    trace_id: &[u8; 16],
) -> bool {
    if propagation_only || parent_sampled == Some(false) {
        return false;
    }
    if rate >= 1.0 {
        return true;
    }
    if rate <= 0.0 {
        return false;
    }
    let mut first = [0u8; 8];
    first.copy_from_slice(&trace_id[..8]);
    (u64::from_le_bytes(first) as f64) < rate * 18_446_744_073_709_551_616.0
}

impl TraceContext {
    /// A new trace for a request whose caller sent no (usable) trace headers.
    pub fn fresh(tracing: &Tracing, rate: f64) -> Self {
        let trace_id = random_id();
        Self {
            trace_id,
            root_span_id: random_id(),
            root_parent: None,
            balancer_span_id: tracing.balancer.then(random_id),
            sampled: sampling_decision(None, !tracing.request, rate, &trace_id),
        }
    }

    /// The span the upstream request is a child of.
    pub fn upstream_parent(&self) -> [u8; 8] {
        self.balancer_span_id.unwrap_or(self.root_span_id)
    }
}

fn unix_nanos(log: &LogPhase<'_>) -> u64 {
    log.finished
        .started_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The spans of a finished, sampled request.
pub fn spans(trace: &TraceContext, log: &LogPhase<'_>, tracing: &Tracing) -> Vec<Span> {
    let finished = log.finished;
    let start = unix_nanos(log);
    let end = start + finished.request_latency.as_nanos() as u64;
    let at = |instant: Instant| {
        let since = log.request_started.map_or(0, |began| {
            instant.saturating_duration_since(began).as_nanos() as u64
        });
        start + since
    };
    let request = log.request;
    let host = request
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let host = host.split(':').next().unwrap_or(host);
    let uri = request.uri.path_and_query().map_or_else(
        || finished.path.to_owned(),
        |p| CredentialNames::current().uri(p.as_str()),
    );
    let flavor = match request.version {
        http::Version::HTTP_10 => "1.0",
        http::Version::HTTP_2 => "2.0",
        _ => "1.1",
    };
    let client_ip = finished
        .client_ip
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let route_path = log
        .state
        .route_match
        .as_ref()
        .filter(|m| m.path_index.is_some())
        .and_then(|m| finished.path.get(..m.matched_path_len))
        .unwrap_or("");
    let mut spans = vec![Span {
        trace_id: trace.trace_id,
        span_id: trace.root_span_id,
        parent_span_id: trace.root_parent,
        name: "kong",
        kind: SpanKind::Server,
        start_unix_nano: start,
        end_unix_nano: end,
        attributes: vec![
            ("http.method", Value::Str(finished.method.to_owned())),
            (
                "http.url",
                Value::Str(format!("{}://{host}{uri}", log.scheme)),
            ),
            ("http.host", Value::Str(host.to_owned())),
            ("http.scheme", Value::Str(log.scheme.to_owned())),
            ("http.flavor", Value::Str(flavor.to_owned())),
            ("http.client_ip", Value::Str(client_ip.clone())),
            ("net.peer.ip", Value::Str(client_ip)),
            (
                "kong.request.id",
                Value::Str(finished.request_id.to_owned()),
            ),
            ("http.status_code", Value::Int(i64::from(finished.status))),
            ("http.route", Value::Str(route_path.to_owned())),
        ],
        error: None,
    }];
    if !tracing.balancer {
        return spans;
    }
    let tries = log.peers.len().min(log.attempt_starts.len());
    let peer_name = finished
        .service
        .map(|service| service.host.as_str())
        .filter(|host| host.parse::<std::net::IpAddr>().is_err());
    for index in 0..tries {
        let last = index + 1 == tries;
        let peer = log.peers[index];
        let mut attributes = vec![
            ("try_count", Value::Int(index as i64 + 1)),
            ("net.peer.ip", Value::Str(peer.ip().to_string())),
            ("net.peer.port", Value::Int(i64::from(peer.port()))),
        ];
        if let Some(name) = peer_name {
            attributes.push(("net.peer.name", Value::Str(name.to_owned())));
        }
        // Earlier attempts failed; the last one failed when no upstream answered.
        let failed = !last || finished.upstream_status.is_none();
        if failed && last {
            attributes.push(("http.status_code", Value::Int(i64::from(finished.status))));
        }
        spans.push(Span {
            trace_id: trace.trace_id,
            span_id: match (last, trace.balancer_span_id) {
                (true, Some(id)) => id,
                _ => random_id(),
            },
            parent_span_id: Some(trace.root_span_id),
            name: "kong.balancer",
            kind: SpanKind::Client,
            start_unix_nano: at(log.attempt_starts[index]),
            end_unix_nano: if last {
                end
            } else {
                at(log.attempt_starts[index + 1])
            },
            attributes,
            error: failed.then(String::new),
        });
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kongs_sampler_reads_the_trace_ids_first_bytes() {
        let low = [0u8; 16];
        let mut high = [0xffu8; 16];
        high[0] = 0xfe;
        assert!(sampling_decision(None, false, 0.5, &low));
        assert!(!sampling_decision(None, false, 0.5, &high));
        assert!(sampling_decision(Some(true), false, 1.0, &high));
        assert!(!sampling_decision(Some(false), false, 1.0, &low));
        assert!(!sampling_decision(None, true, 1.0, &low));
        assert!(!sampling_decision(None, false, 0.0, &low));
        assert_eq!(hex(&[0x0a, 0xff]), "0aff");
        assert_ne!(random_id::<8>(), [0u8; 8]);
    }
}
