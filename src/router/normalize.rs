//! Request path normalisation, done once per request: percent-decoding of unreserved
//! characters only (other `%XX` kept, hex digits uppercased), duplicate slashes merged,
//! then dot segments removed (RFC 3986 5.2.4). The query string is not part of it.

use std::borrow::Cow;

/// The path had a `%` not followed by two hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedPath;

impl std::fmt::Display for MalformedPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("malformed percent-encoding in the request path")
    }
}

impl std::error::Error for MalformedPath {}

/// The normalised form of a request path; borrowed when it is already normal.
pub fn normalize_path(raw: &str) -> Result<Cow<'_, str>, MalformedPath> {
    if is_plain(raw.as_bytes()) {
        return Ok(Cow::Borrowed(raw));
    }
    let decoded = decode_and_merge(raw.as_bytes())?;
    let normal = if decoded.first() == Some(&b'/') {
        remove_dot_segments(&decoded)
    } else {
        decoded
    };
    let normal = String::from_utf8(normal).map_err(|_| MalformedPath)?;
    if normal == raw {
        Ok(Cow::Borrowed(raw))
    } else {
        Ok(Cow::Owned(normal))
    }
}

/// No `%`, no `//` and no segment starting with `.`: nothing to do.
fn is_plain(path: &[u8]) -> bool {
    let mut previous = 0u8;
    for &b in path {
        if b == b'%' || (previous == b'/' && (b == b'/' || b == b'.')) {
            return false;
        }
        previous = b;
    }
    true
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes unreserved `%XX`, uppercases the others and merges runs of `/`.
fn decode_and_merge(path: &[u8]) -> Result<Vec<u8>, MalformedPath> {
    let mut out = Vec::with_capacity(path.len());
    let mut i = 0;
    while let Some(&b) = path.get(i) {
        if b == b'%' {
            let hi = path.get(i + 1).copied().and_then(hex_value);
            let lo = path.get(i + 2).copied().and_then(hex_value);
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(MalformedPath);
            };
            let value = hi * 16 + lo;
            if is_unreserved(value) {
                out.push(value);
            } else {
                out.push(b'%');
                out.extend(path[i + 1..i + 3].iter().map(u8::to_ascii_uppercase));
            }
            i += 3;
        } else {
            if !(b == b'/' && out.last() == Some(&b'/')) {
                out.push(b);
            }
            i += 1;
        }
    }
    Ok(out)
}

/// RFC 3986 5.2.4 for an absolute path without empty segments (slashes are merged).
fn remove_dot_segments(path: &[u8]) -> Vec<u8> {
    let mut segments: Vec<&[u8]> = Vec::new();
    let mut trailing_slash = false;
    for segment in path[1..].split(|&b| b == b'/') {
        trailing_slash = false;
        match segment {
            b"." => trailing_slash = true,
            b".." => {
                segments.pop();
                trailing_slash = true;
            }
            _ => segments.push(segment),
        }
    }
    let mut out = Vec::with_capacity(path.len());
    for segment in &segments {
        out.push(b'/');
        out.extend_from_slice(segment);
    }
    if trailing_slash || out.is_empty() {
        out.push(b'/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_table() {
        let table = [
            ("/", "/"),
            ("/a/b", "/a/b"),
            ("/a//b///c", "/a/b/c"),
            ("//oidc-route/../oidc-route", "/oidc-route"),
            ("/%6Fidc-route", "/oidc-route"),
            ("/%6fidc-route", "/oidc-route"),
            ("/a%2fb", "/a%2Fb"),
            ("/a%2Fb", "/a%2Fb"),
            ("/%7e%41%2d%2E%5F", "/~A-._"),
            ("/a/./b", "/a/b"),
            ("/a/.", "/a/"),
            ("/a/..", "/"),
            ("/..", "/"),
            ("/../../x", "/x"),
            ("/a/b/../../../c", "/c"),
            ("/%2e%2e/x", "/x"),
            ("/a/%2E%2E/b", "/b"),
            ("/.well-known/x", "/.well-known/x"),
            ("/a/..b", "/a/..b"),
            ("/a/", "/a/"),
            ("/a%20b", "/a%20b"),
            ("/caf%c3%a9", "/caf%C3%A9"),
            ("*", "*"),
        ];
        for (raw, want) in table {
            assert_eq!(normalize_path(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn plain_paths_are_borrowed() {
        assert!(matches!(normalize_path("/a/b.c"), Ok(Cow::Borrowed(_))));
        assert!(matches!(normalize_path("/.x"), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn malformed_percent_encoding_is_refused() {
        for raw in ["/%", "/%4", "/%zz", "/a%g0", "/%%41"] {
            assert_eq!(normalize_path(raw), Err(MalformedPath), "{raw}");
        }
    }
}
