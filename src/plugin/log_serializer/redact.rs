//! Which header and query-string values of a request never reach a log entry: Kong's two
//! (`authorization`, `proxy-authorization`), cookies, the usual credential names, and every
//! name an authentication plugin of a loaded configuration reads a credential from
//! (key-auth's `key_names`, jwt's `uri_param_names` and `cookie_names`).

use std::collections::BTreeSet;
use std::sync::{OnceLock, RwLock};

/// The value written instead of a credential (Kong's word).
pub const REDACTED: &str = "REDACTED";

/// Header and query names that always carry credentials (compared in lowercase, `_` as `-`).
const ALWAYS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "apikey",
    "api-key",
    "x-api-key",
    "jwt",
    "token",
    "access-token",
    "id-token",
    "refresh-token",
    "client-secret",
    "client-assertion",
    "password",
    "code",
    "code-verifier",
    "secret",
];

fn configured() -> &'static RwLock<BTreeSet<String>> {
    static NAMES: OnceLock<RwLock<BTreeSet<String>>> = OnceLock::new();
    NAMES.get_or_init(|| RwLock::new(BTreeSet::new()))
}

fn normalized(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

/// Adds names a loaded plugin reads credentials from (kept for the process's life: a
/// handful per configuration).
pub fn register_credential_names<'a>(names: impl IntoIterator<Item = &'a String>) {
    let mut known = match configured().write() {
        Ok(known) => known,
        Err(poisoned) => poisoned.into_inner(),
    };
    for name in names {
        let name = normalized(name);
        if !ALWAYS.contains(&name.as_str()) {
            known.insert(name);
        }
    }
}

/// The credential names in force, read once per log entry.
pub struct CredentialNames {
    configured: Vec<String>,
}

impl CredentialNames {
    pub fn current() -> Self {
        let configured = match configured().read() {
            Ok(known) => known.iter().cloned().collect(),
            Err(poisoned) => poisoned.into_inner().iter().cloned().collect(),
        };
        Self { configured }
    }

    /// Whether a header or query argument called `name` carries a credential.
    pub fn is_credential(&self, name: &str) -> bool {
        let plain = |candidate: &str| {
            candidate.len() == name.len()
                && candidate.bytes().zip(name.bytes()).all(|(c, n)| {
                    let n = n.to_ascii_lowercase();
                    c == n || (c == b'-' && n == b'_')
                })
        };
        ALWAYS.iter().any(|c| plain(c)) || self.configured.iter().any(|c| plain(c))
    }

    /// `query` with every credential argument's value replaced by `REDACTED`.
    pub fn query(&self, query: &str) -> String {
        let mut out = String::with_capacity(query.len());
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded: String = form_urlencoded::parse(name.as_bytes())
                .next()
                .map(|(n, _)| n.into_owned())
                .unwrap_or_default();
            if self.is_credential(&decoded) && !value.is_empty() {
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            } else {
                out.push_str(pair);
            }
        }
        out
    }

    /// `uri` (path and query) with its query's credentials redacted.
    pub fn uri(&self, uri: &str) -> String {
        match uri.split_once('?') {
            Some((path, query)) => format!("{path}?{}", self.query(query)),
            None => uri.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_registered_names_are_credentials_in_any_case() {
        register_credential_names(&["X-Telco-Key".to_owned()]);
        let names = CredentialNames::current();
        for name in [
            "Authorization",
            "PROXY-AUTHORIZATION",
            "apikey",
            "client_secret",
            "x_telco_key",
        ] {
            assert!(names.is_credential(name), "{name}");
        }
        for name in ["host", "user-agent", "client_id", "x-telco"] {
            assert!(!names.is_credential(name), "{name}");
        }
    }

    #[test]
    fn query_values_of_credentials_are_redacted_and_the_rest_kept_byte_for_byte() {
        let names = CredentialNames::current();
        assert_eq!(
            names.query("a=1&apikey=s3cret&b=x%20y&client%5Fsecret=z&flag&jwt="),
            "a=1&apikey=REDACTED&b=x%20y&client%5Fsecret=REDACTED&flag&jwt="
        );
        assert_eq!(names.uri("/p?token=t&q=1"), "/p?token=REDACTED&q=1");
        assert_eq!(names.uri("/p"), "/p");
    }
}
