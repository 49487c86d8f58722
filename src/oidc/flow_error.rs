//! Why authentication of a request did not produce a token; the plugin maps it to HTTP.

use std::fmt;

use super::credentials::CredentialsError;
use super::idp_error::IdpError;
use super::jwt::JwtError;

/// The outcome of a failed client_credentials flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowError {
    /// No credentials where the plugin may read them.
    NoCredentials,
    /// Credentials present but unreadable.
    BadCredentials(CredentialsError),
    /// The IdP rejected the credentials (now or recently: negative cache).
    Rejected,
    /// The token the IdP issued does not verify.
    InvalidToken(JwtError),
    /// The IdP could not be used: 502 or 504, never 401.
    IdpUnavailable(IdpError),
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoCredentials => f.write_str("no client credentials"),
            Self::BadCredentials(why) => write!(f, "malformed client credentials ({why:?})"),
            Self::Rejected => f.write_str("client credentials rejected by the IdP"),
            Self::InvalidToken(why) => write!(f, "token from the IdP did not verify ({why:?})"),
            Self::IdpUnavailable(why) => write!(f, "{why}"),
        }
    }
}
