//! The `Authorization: Basic` parser, as Kong's basic-auth reads the header: the first
//! `Basic`/`basic` anywhere in the value, optional whitespace, then the rest decoded as nginx
//! decodes base64 (alphabet up to the first `=`, whatever follows ignored), then a username
//! (no `:`) before the first `:` and the password after it, up to a newline.

use std::fmt;

/// What one header gives.
#[derive(PartialEq, Eq)]
pub enum Basic {
    /// No `Basic` scheme, or a payload that is not base64.
    NoCredentials,
    /// Base64 that does not decode to `user:password` (Kong then also leaves the header in
    /// place under `hide_credentials`).
    Unrecognized,
    Credentials {
        username: Vec<u8>,
        password: Vec<u8>,
    },
}

impl fmt::Debug for Basic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Basic::NoCredentials => f.write_str("NoCredentials"),
            Basic::Unrecognized => f.write_str("Unrecognized"),
            Basic::Credentials { username, .. } => f
                .debug_struct("Credentials")
                .field("username", &String::from_utf8_lossy(username))
                .field("password", &"[redacted]")
                .finish(),
        }
    }
}

/// Parses one `Authorization` / `Proxy-Authorization` value.
pub fn parse_basic(header: &[u8]) -> Basic {
    let Some(payload) = payload(header) else {
        return Basic::NoCredentials;
    };
    let Some(decoded) = decode_base64(payload) else {
        return Basic::NoCredentials;
    };
    split_user_password(&decoded)
}

/// What follows the first `[Bb]asic` and its whitespace (at least one byte, stopping at a
/// newline as PCRE's `.` does).
fn payload(header: &[u8]) -> Option<&[u8]> {
    let at = header
        .windows(5)
        .position(|w| (w[0] == b'B' || w[0] == b'b') && &w[1..] == b"asic")?;
    let rest = &header[at + 5..];
    let start = rest
        .iter()
        .position(|b| !is_space(*b))
        .unwrap_or(rest.len());
    let rest = &rest[start..];
    let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    // With nothing after the whitespace the regex still matches one whitespace byte, which is
    // not base64: the same outcome as no match.
    (end > 0).then(|| &rest[..end])
}

/// PCRE's `\s`.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// nginx's `ngx_decode_base64`: standard alphabet up to the first `=`; any other byte before
/// it fails; a length of 4n+1 fails; trailing bits and whatever follows `=` are ignored.
pub fn decode_base64(input: &[u8]) -> Option<Vec<u8>> {
    let mut values = Vec::with_capacity(input.len());
    for &byte in input {
        if byte == b'=' {
            break;
        }
        values.push(sextet(byte)?);
    }
    if values.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(values.len() / 4 * 3 + 2);
    let mut chunks = values.chunks_exact(4);
    for c in &mut chunks {
        out.push(c[0] << 2 | c[1] >> 4);
        out.push(c[1] << 4 | c[2] >> 2);
        out.push(c[2] << 6 | c[3]);
    }
    let rest = chunks.remainder();
    if rest.len() > 1 {
        out.push(rest[0] << 2 | rest[1] >> 4);
    }
    if rest.len() > 2 {
        out.push(rest[1] << 4 | rest[2] >> 2);
    }
    Some(out)
}

fn sextet(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Kong's `([^:]+):(.*)`, unanchored: leading colons skipped, the username up to the next
/// colon, the password after it up to a newline (it may be empty).
fn split_user_password(decoded: &[u8]) -> Basic {
    let start = decoded
        .iter()
        .position(|b| *b != b':')
        .unwrap_or(decoded.len());
    let rest = &decoded[start..];
    let Some(colon) = rest.iter().position(|b| *b == b':') else {
        return Basic::Unrecognized;
    };
    let password = &rest[colon + 1..];
    let end = password
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(password.len());
    Basic::Credentials {
        username: rest[..colon].to_vec(),
        password: password[..end].to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(user: &str, password: &str) -> Basic {
        Basic::Credentials {
            username: user.as_bytes().to_vec(),
            password: password.as_bytes().to_vec(),
        }
    }

    #[test]
    fn kongs_spec_headers() {
        assert_eq!(parse_basic(b"Basic Ym9iOmtvbmc="), creds("bob", "kong"));
        assert_eq!(
            parse_basic(b"Basic dXNlcjMyMTpwYXNzd29yZDoxMjM="),
            creds("user321", "password:123")
        );
        assert_eq!(parse_basic(b"foobar"), Basic::NoCredentials);
        // "kong" (no colon) and "bob" (no colon).
        assert_eq!(parse_basic(b"Basic a29uZw=="), Basic::Unrecognized);
        assert_eq!(parse_basic(b"Basic Ym9i"), Basic::Unrecognized);
        // Valid base64 alphabet, garbage inside: no colon-separated pair.
        assert!(!matches!(
            parse_basic(b"Basic adXNlcjEyMzpwYXNzd29yZDEyMw=="),
            Basic::Credentials { ref username, .. } if username == b"user123"
        ));
    }

    #[test]
    fn regex_and_nginx_details() {
        assert_eq!(parse_basic(b"basic   Ym9iOmtvbmc"), creds("bob", "kong"));
        assert_eq!(parse_basic(b"x Basic Ym9iOmtvbmc="), creds("bob", "kong"));
        assert_eq!(parse_basic(b"BASIC Ym9iOmtvbmc="), Basic::NoCredentials);
        assert_eq!(parse_basic(b"Basic "), Basic::NoCredentials);
        assert_eq!(parse_basic(b"Basic"), Basic::NoCredentials);
        // Whatever follows the first `=` is ignored; a space before it is not base64.
        assert_eq!(
            parse_basic(b"Basic Ym9iOmtvbmc=!! ??"),
            creds("bob", "kong")
        );
        assert_eq!(
            parse_basic(b"Basic Ym9iOmtvbmc trailing"),
            Basic::NoCredentials
        );
        // 4n+1 characters.
        assert_eq!(parse_basic(b"Basic Ym9iO"), Basic::NoCredentials);
        // "::a:b" -> user "a"; ":pw" -> no username; "u:" -> empty password.
        let b64 = |s: &str| {
            use base64::Engine;
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(s)
            )
        };
        assert_eq!(parse_basic(b64("::a:b").as_bytes()), creds("a", "b"));
        assert_eq!(parse_basic(b64(":pw").as_bytes()), Basic::Unrecognized);
        assert_eq!(parse_basic(b64("u:").as_bytes()), creds("u", ""));
        assert_eq!(parse_basic(b64("u:p\nq").as_bytes()), creds("u", "p"));
        assert_eq!(parse_basic(b64("").as_bytes()), Basic::NoCredentials);
        assert_eq!(
            format!("{:?}", creds("u", "secret")),
            "Credentials { username: \"u\", password: \"[redacted]\" }"
        );
    }

    #[test]
    fn nginx_base64() {
        assert_eq!(decode_base64(b"").unwrap(), b"");
        assert_eq!(decode_base64(b"====").unwrap(), b"");
        assert_eq!(decode_base64(b"YQ").unwrap(), b"a");
        assert_eq!(decode_base64(b"YWI").unwrap(), b"ab");
        assert_eq!(decode_base64(b"YR").unwrap(), b"a");
        assert!(decode_base64(b"Y").is_none());
        assert!(decode_base64(b"YW-=").is_none());
    }
}
