//! Calls to the identity provider by endpoint and outcome, with their latency.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::histogram::Histogram;
use crate::oidc::idp_error::IdpError;

/// Which IdP endpoint was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdpEndpoint {
    Token,
    Introspection,
    Discovery,
    Jwks,
}

impl IdpEndpoint {
    pub const ALL: [IdpEndpoint; 4] = [
        IdpEndpoint::Token,
        IdpEndpoint::Introspection,
        IdpEndpoint::Discovery,
        IdpEndpoint::Jwks,
    ];

    pub fn label(self) -> &'static str {
        match self {
            IdpEndpoint::Token => "token",
            IdpEndpoint::Introspection => "introspection",
            IdpEndpoint::Discovery => "discovery",
            IdpEndpoint::Jwks => "jwks",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How an IdP call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdpOutcome {
    /// A usable answer.
    Success,
    /// The IdP refused the client's credentials.
    Rejected,
    Timeout,
    /// Transport error, 5xx, or an answer that could not be used.
    Error,
}

impl IdpOutcome {
    pub const ALL: [IdpOutcome; 4] = [
        IdpOutcome::Success,
        IdpOutcome::Rejected,
        IdpOutcome::Timeout,
        IdpOutcome::Error,
    ];

    pub fn label(self) -> &'static str {
        match self {
            IdpOutcome::Success => "success",
            IdpOutcome::Rejected => "rejected",
            IdpOutcome::Timeout => "timeout",
            IdpOutcome::Error => "error",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The outcome of a finished IdP call, read off its result.
pub trait ClassifyIdpResult {
    fn idp_outcome(&self) -> IdpOutcome;
}

fn error_outcome(error: &IdpError) -> IdpOutcome {
    match error {
        IdpError::Rejected { .. } => IdpOutcome::Rejected,
        IdpError::Timeout => IdpOutcome::Timeout,
        _ => IdpOutcome::Error,
    }
}

/// Token endpoint, discovery and JWKS: any `Ok` is a usable answer.
impl<T> ClassifyIdpResult for Result<T, IdpError> {
    fn idp_outcome(&self) -> IdpOutcome {
        match self {
            Ok(_) => IdpOutcome::Success,
            Err(error) => error_outcome(error),
        }
    }
}

/// Introspection: the raw status decides (200 usable, anything else an error).
pub struct IntrospectionExchange<'a>(pub &'a Result<(u16, Vec<u8>), IdpError>);

impl ClassifyIdpResult for IntrospectionExchange<'_> {
    fn idp_outcome(&self) -> IdpOutcome {
        match self.0 {
            Ok((200, _)) => IdpOutcome::Success,
            Ok(_) => IdpOutcome::Error,
            Err(error) => error_outcome(error),
        }
    }
}

/// Counts and latency of IdP calls.
#[derive(Default)]
pub struct IdpCalls {
    counts: [[AtomicU64; 4]; 4],
    latency: [Histogram; 4],
}

impl IdpCalls {
    pub fn record(&self, endpoint: IdpEndpoint, outcome: IdpOutcome, started: Instant) {
        if let Some(count) = self
            .counts
            .get(endpoint.index())
            .and_then(|row| row.get(outcome.index()))
        {
            count.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(histogram) = self.latency.get(endpoint.index()) {
            histogram.observe(started.elapsed());
        }
    }

    pub fn count(&self, endpoint: IdpEndpoint, outcome: IdpOutcome) -> u64 {
        self.counts
            .get(endpoint.index())
            .and_then(|row| row.get(outcome.index()))
            .map_or(0, |count| count.load(Ordering::Relaxed))
    }

    pub fn latency(&self, endpoint: IdpEndpoint) -> Option<&Histogram> {
        self.latency.get(endpoint.index())
    }
}

/// Runs one IdP call and records its outcome and latency (the hook the OIDC code uses).
pub async fn timed<T, F>(endpoint: IdpEndpoint, call: F) -> Result<T, IdpError>
where
    F: Future<Output = Result<T, IdpError>>,
{
    let started = Instant::now();
    let result = call.await;
    super::global()
        .idp
        .record(endpoint, result.idp_outcome(), started);
    result
}

/// As `timed`, for the introspection exchange (whose outcome depends on the status).
pub async fn timed_introspection<F>(call: F) -> Result<(u16, Vec<u8>), IdpError>
where
    F: Future<Output = Result<(u16, Vec<u8>), IdpError>>,
{
    let started = Instant::now();
    let result = call.await;
    let outcome = IntrospectionExchange(&result).idp_outcome();
    super::global()
        .idp
        .record(IdpEndpoint::Introspection, outcome, started);
    result
}
