//! A secret from the configuration (an HMAC key, a jwt secret): `Debug` never shows it.

use std::fmt;

/// Secret bytes; read them with [`SecretValue::expose`] where they are used, nowhere else.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(Box<[u8]>);

impl SecretValue {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into().into_boxed_slice())
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let secret = SecretValue::new(b"hunter2".to_vec());
        assert_eq!(format!("{secret:?}"), "SecretValue(<redacted>)");
        assert_eq!(secret.expose(), b"hunter2");
    }
}
