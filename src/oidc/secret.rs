//! Client credentials as read from a request, with the secret kept out of every `Debug`.

use std::fmt;

/// A client secret. Its `Debug` prints `[redacted]`; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn new(secret: String) -> Self {
        Self(secret)
    }

    /// The secret itself, for the token request and the cache key only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

/// A client id and secret presented by a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: ClientSecret,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let credentials = ClientCredentials {
            client_id: "kong_id".into(),
            client_secret: ClientSecret::new("hunter2-secret".into()),
        };
        let printed = format!("{credentials:?}");
        assert!(printed.contains("kong_id"));
        assert!(!printed.contains("hunter2"));
    }
}
