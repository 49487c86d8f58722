//! What can go wrong talking to the IdP, and how each case reaches the client.

use std::fmt;

/// A failed exchange with the identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdpError {
    /// The IdP refused the client's credentials (4xx from the token endpoint).
    Rejected { status: u16 },
    /// The IdP did not answer in time.
    Timeout,
    /// No connection could be made, or it broke.
    Unreachable,
    /// The IdP answered 5xx.
    ServerError { status: u16 },
    /// The IdP answered a 4xx that does not refuse the credentials (429, 404, invalid_scope):
    /// a problem of the IdP or of the configuration, not of the client.
    UnexpectedStatus { status: u16 },
    /// The answer was not what the protocol says (not JSON, too large, no access_token, ...).
    InvalidResponse(&'static str),
}

impl IdpError {
    pub(crate) fn from_transport(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout
        } else if error.is_decode() || error.is_body() {
            Self::InvalidResponse("unreadable body")
        } else {
            Self::Unreachable
        }
    }
}

impl fmt::Display for IdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected { status } => {
                write!(f, "credentials rejected by the IdP (status {status})")
            }
            Self::Timeout => f.write_str("the IdP timed out"),
            Self::Unreachable => f.write_str("the IdP is unreachable"),
            Self::ServerError { status } => write!(f, "the IdP failed (status {status})"),
            Self::UnexpectedStatus { status } => {
                write!(
                    f,
                    "the IdP answered status {status} without refusing the credentials"
                )
            }
            Self::InvalidResponse(what) => write!(f, "invalid IdP response: {what}"),
        }
    }
}
