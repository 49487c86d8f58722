//! Client credentials as read from a request, with the secret kept out of every `Debug`.
//!
//! Id and secret share one allocation (`id:secret` as Basic carries them), since they are
//! read on every request.

use std::fmt;

/// A client id and secret presented by a caller. `Debug` shows the id, never the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    /// `client_id`, one separator byte, `client_secret`.
    joined: String,
    id_len: usize,
}

impl ClientCredentials {
    pub fn new(client_id: &str, client_secret: &str) -> Self {
        let mut joined = String::with_capacity(client_id.len() + 1 + client_secret.len());
        joined.push_str(client_id);
        joined.push(':');
        joined.push_str(client_secret);
        Self {
            joined,
            id_len: client_id.len(),
        }
    }

    /// From `id:secret` where the id is the first `id_len` bytes and one separator follows.
    pub(crate) fn from_joined(joined: String, id_len: usize) -> Option<Self> {
        (joined.is_char_boundary(id_len) && joined.len() > id_len)
            .then_some(Self { joined, id_len })
    }

    pub fn client_id(&self) -> &str {
        &self.joined[..self.id_len]
    }

    /// The secret itself, for the token request and the cache key only.
    pub fn expose_secret(&self) -> &str {
        &self.joined[self.id_len + 1..]
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id())
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let credentials = ClientCredentials::new("kong_id", "hunter2-secret");
        let printed = format!("{credentials:?}");
        assert!(printed.contains("kong_id"));
        assert!(!printed.contains("hunter2"));
    }

    #[test]
    fn parts_round_trip() {
        let credentials = ClientCredentials::new("a:b", "c:d");
        assert_eq!(credentials.client_id(), "a:b");
        assert_eq!(credentials.expose_secret(), "c:d");
    }
}
