//! Why a client-supplied token (bearer JWT or introspected opaque token) was not accepted.

use std::fmt;

use super::idp_error::IdpError;
use super::jwt::JwtError;

/// The outcome of a failed bearer or introspection authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// The JWT did not verify.
    Invalid(JwtError),
    /// Introspection said the token is not active, or gave no usable answer for it.
    Inactive,
    /// A claim destined for an upstream header holds control characters.
    UnsafeClaim,
    /// The IdP could not be used: 502 or 504, never 401.
    IdpUnavailable(IdpError),
}

impl TokenError {
    /// A short reason, safe to show a client with `display_errors` (never token content).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Invalid(JwtError::Expired) => "token expired",
            Self::Invalid(JwtError::TooLarge) => "token too large",
            Self::Invalid(JwtError::BadIssuer) => "invalid issuer",
            Self::Invalid(_) => "invalid token",
            Self::Inactive => "token inactive",
            Self::UnsafeClaim => "invalid claim",
            Self::IdpUnavailable(_) => "identity provider unavailable",
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The kid a client sent is not echoed: it is attacker-chosen text.
            Self::Invalid(JwtError::UnknownKey(_)) => f.write_str("bearer token: unknown kid"),
            Self::Invalid(why) => write!(f, "bearer token did not verify ({why:?})"),
            Self::Inactive => f.write_str("introspection: token not active"),
            Self::UnsafeClaim => f.write_str("claim with control characters for a header"),
            Self::IdpUnavailable(why) => write!(f, "{why}"),
        }
    }
}
