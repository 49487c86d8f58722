//! Where the jwt plugin finds tokens, as Kong's `retrieve_tokens`: every `uri_param_names`
//! query argument (repeated ones too), every `cookie_names` cookie, then the first value of each
//! `header_names` header carrying `Bearer <token>`. The same token found twice counts once.

use http::HeaderMap;
use pingora::http::RequestHeader;

/// Most query arguments read, as Kong's `kong.request.get_query()` (nginx's default 100).
pub const MAX_QUERY_ARGS: usize = 100;

/// What the request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    None,
    One(String),
    /// Different tokens in different (or repeated) places.
    Multiple,
    /// Only a bare `?jwt` flag, without `=` (Kong: "Unrecognizable token").
    Unrecognizable,
}

/// One distinct token value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Value(String),
    /// A query flag without a value.
    Flag,
}

/// Where to look, with header names already lower-cased (and `_` read as `-`, as nginx's
/// header table does).
#[derive(Debug, Clone, Default)]
pub struct Places {
    pub uri_param_names: Vec<String>,
    pub cookie_names: Vec<String>,
    pub header_names: Vec<String>,
}

/// Collects the request's tokens from `places`.
pub fn find(request: &RequestHeader, places: &Places) -> Found {
    find_in(request.uri.query(), &request.headers, places)
}

/// [`find`] over a query string (without `?`) and a header map.
pub fn find_in(query: Option<&str>, headers: &HeaderMap, places: &Places) -> Found {
    let mut tokens: Vec<Token> = Vec::new();
    let mut add = |token: Token| {
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    };
    if !places.uri_param_names.is_empty() {
        if let Some(query) = query {
            query_tokens(query.as_bytes(), &places.uri_param_names, &mut add);
        }
    }
    for name in &places.cookie_names {
        if let Some(value) = cookie(headers, name) {
            if !value.is_empty() {
                add(Token::Value(value));
            }
        }
    }
    for name in &places.header_names {
        let Some(value) = headers.get(name.as_str()) else {
            continue;
        };
        if let Some(token) = bearer_token(value.as_bytes()) {
            add(Token::Value(String::from_utf8_lossy(token).into_owned()));
        }
    }
    match tokens.len() {
        0 => Found::None,
        1 => match tokens.pop() {
            Some(Token::Value(token)) => Found::One(token),
            _ => Found::Unrecognizable,
        },
        _ => Found::Multiple,
    }
}

/// The non-empty values of the query arguments named `names` (decoded, `+` as space); an
/// argument without `=` is a flag.
fn query_tokens(query: &[u8], names: &[String], add: &mut impl FnMut(Token)) {
    for pair in query
        .split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .take(MAX_QUERY_ARGS)
    {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(eq) => (&pair[..eq], Some(&pair[eq + 1..])),
            None => (pair, None),
        };
        let name = decode_component(name);
        if !names.contains(&name) {
            continue;
        }
        match value {
            None => add(Token::Flag),
            Some(value) => {
                let value = decode_component(value);
                if !value.is_empty() {
                    add(Token::Value(value));
                }
            }
        }
    }
}

fn decode_component(bytes: &[u8]) -> String {
    let plus_as_space: Vec<u8> = bytes
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    String::from_utf8_lossy(&percent_decode(&plus_as_space)).into_owned()
}

fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(high << 4 | low);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

/// The value of the first cookie called `name` (compared ignoring ASCII case, as nginx's
/// `$cookie_<name>`), in every `Cookie` header; not decoded.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .find_map(|header| cookie_in(header.as_bytes(), name.as_bytes()))
        .map(|value| String::from_utf8_lossy(value).into_owned())
}

fn cookie_in<'h>(header: &'h [u8], name: &[u8]) -> Option<&'h [u8]> {
    header.split(|b| *b == b';').find_map(|pair| {
        let pair = trim_start_spaces(pair);
        if pair.len() < name.len() || !pair[..name.len()].eq_ignore_ascii_case(name) {
            return None;
        }
        let rest = trim_start_spaces(&pair[name.len()..]);
        let value = rest.strip_prefix(b"=")?;
        Some(trim_start_spaces(value))
    })
}

fn trim_start_spaces(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != b' ').unwrap_or(bytes.len());
    &bytes[start..]
}

/// Kong's `\s*[Bb]earer\s+(.+)` (unanchored, first match): the token after the first
/// `Bearer`/`bearer` followed by whitespace and at least one more character. Without `Bearer`
/// the value is not a token (Kong reads no bare tokens from headers).
pub fn bearer_token(value: &[u8]) -> Option<&[u8]> {
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let mut from = 0;
    while from + 6 <= value.len() {
        let at = from + find_bearer(&value[from..])?;
        let after = at + 6;
        let spaces = value[after..].iter().take_while(|b| is_space(**b)).count();
        // `\s+` then `.+` (no newline): the greedy `\s+` gives one character back to `.+`
        // when only whitespace follows.
        let rest = &value[after..];
        if spaces >= 1 && rest.len() >= 2 {
            let start = if spaces == rest.len() {
                spaces - 1
            } else {
                spaces
            };
            let token = &rest[start..];
            let end = token
                .iter()
                .position(|b| *b == b'\n')
                .unwrap_or(token.len());
            if end > 0 {
                return Some(&token[..end]);
            }
        }
        from = at + 1;
    }
    None
}

fn find_bearer(value: &[u8]) -> Option<usize> {
    value
        .windows(6)
        .position(|w| (w[0] == b'B' || w[0] == b'b') && &w[1..] == b"earer")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places() -> Places {
        Places {
            uri_param_names: vec!["jwt".into()],
            cookie_names: vec!["silly".into()],
            header_names: vec!["authorization".into()],
        }
    }

    fn request(uri: &str, headers: &[(&str, &str)]) -> RequestHeader {
        let mut request = RequestHeader::build("GET", uri.as_bytes(), None).unwrap();
        for (name, value) in headers {
            request.append_header(name.to_string(), *value).unwrap();
        }
        request
    }

    #[test]
    fn bearer_values_follow_kongs_pattern() {
        assert_eq!(bearer_token(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"bearer   abc def"), Some(&b"abc def"[..]));
        assert_eq!(bearer_token(b"  Bearer\tabc"), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"Basic xBearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"Bearerabc bearer x"), Some(&b"x"[..]));
        assert_eq!(bearer_token(b"Bearer  "), Some(&b" "[..]));
        assert_eq!(bearer_token(b"Bearer "), None);
        assert_eq!(bearer_token(b"BEARER abc"), None);
        assert_eq!(bearer_token(b"abc.def.ghi"), None);
        assert_eq!(bearer_token(b""), None);
        assert_eq!(bearer_token(b"Beare"), None);
    }

    #[test]
    fn tokens_are_collected_and_deduplicated() {
        let p = places();
        assert_eq!(find(&request("/", &[]), &p), Found::None);
        assert_eq!(
            find(&request("/?jwt=a.b.c", &[]), &p),
            Found::One("a.b.c".into())
        );
        assert_eq!(find(&request("/?jwt=", &[]), &p), Found::None);
        assert_eq!(find(&request("/?jwt", &[]), &p), Found::Unrecognizable);
        assert_eq!(find(&request("/?jwt&jwt=x", &[]), &p), Found::Multiple);
        assert_eq!(
            find(&request("/?jwt=x&jwt=x", &[]), &p),
            Found::One("x".into())
        );
        assert_eq!(find(&request("/?jwt=x&jwt=y", &[]), &p), Found::Multiple);
        assert_eq!(
            find(&request("/?j%77t=a%2Eb+c", &[]), &p),
            Found::One("a.b c".into())
        );
        // The same token in the query and the header counts once.
        let both = request("/?jwt=t", &[("Authorization", "Bearer t")]);
        assert_eq!(find(&both, &p), Found::One("t".into()));
        let different = request("/?jwt=t", &[("Authorization", "Bearer u")]);
        assert_eq!(find(&different, &p), Found::Multiple);
        // Only the first header value is read.
        let twice = request(
            "/",
            &[
                ("Authorization", "Bearer one"),
                ("Authorization", "Bearer two"),
            ],
        );
        assert_eq!(find(&twice, &p), Found::One("one".into()));
        let bare = request("/", &[("Authorization", "a.b.c")]);
        assert_eq!(find(&bare, &p), Found::None);
        let cookie = request("/", &[("Cookie", "a=1; SILLY = tok; path=/")]);
        assert_eq!(find(&cookie, &p), Found::One("tok".into()));
        let empty_cookie = request("/", &[("Cookie", "silly=")]);
        assert_eq!(find(&empty_cookie, &p), Found::None);
        let prefix = request("/", &[("Cookie", "sillyx=1")]);
        assert_eq!(find(&prefix, &p), Found::None);
    }

    #[test]
    fn only_the_first_hundred_query_arguments_count() {
        let mut query = "a=1&".repeat(MAX_QUERY_ARGS);
        query.push_str("jwt=t");
        assert_eq!(
            find(&request(&format!("/?{query}"), &[]), &places()),
            Found::None
        );
    }
}
