//! Where key-auth finds the API key: for each of `key_names` in turn, the request header, then
//! the query string, then the body, as Kong's `do_authentication` looks (Lua semantics: a
//! value seen twice is a "table", a `?apikey` with no `=` is `true` and not a key).

use http::HeaderMap;

use super::body::ParsedBody;

/// One name's value in one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// Not there.
    Absent,
    /// There but not a string (`?apikey` with no `=`, a JSON number, boolean or null): no key
    /// under this name, and later sources for it are not looked at.
    Other,
    /// One value, decoded (may be empty, may be any bytes).
    Text(Vec<u8>),
    /// Several values, or a JSON array or object: Kong's "Duplicate API key found".
    Many,
}

/// Which sources the instance reads.
#[derive(Debug, Clone, Copy)]
pub struct Allowed {
    pub header: bool,
    pub query: bool,
    pub body: bool,
}

/// The request as the lookup sees it.
pub struct Sources<'a> {
    pub headers: &'a HeaderMap,
    /// The raw query string, without `?`.
    pub query: Option<&'a [u8]>,
    /// The body, once read; `None` while not (yet) read.
    pub body: Option<&'a ParsedBody>,
}

/// Where the key was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Index into `key_names`.
    pub name: usize,
    /// The header it came in, when it came in one (the name as the client sent it, lowercased:
    /// `api_key` or `api-key` for key name `api_key`).
    pub header: Option<String>,
    /// The key; empty means "no key" once hidden.
    pub key: Vec<u8>,
}

/// What the lookup concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(Found),
    /// Kong's "Duplicate API key found".
    Duplicate,
    /// Kong's "No API key found in request".
    Missing,
    /// The body must be read (it is allowed and no earlier source answered): call again
    /// with `Sources::body` set.
    NeedBody,
}

/// Looks for the key under each of `names` in turn.
pub fn find_key(names: &[String], allowed: Allowed, sources: &Sources<'_>) -> Lookup {
    for (index, name) in names.iter().enumerate() {
        let mut header = None;
        let mut value = Field::Absent;
        if allowed.header {
            let (field, matched) = header_field(sources.headers, name);
            value = field;
            header = matched;
        }
        if value == Field::Absent && allowed.query {
            value = sources
                .query
                .map_or(Field::Absent, |query| form_field(query, name));
        }
        if value == Field::Absent && allowed.body {
            let Some(body) = sources.body else {
                return Lookup::NeedBody;
            };
            value = body.field(name);
        }
        match value {
            Field::Text(key) => {
                return Lookup::Found(Found {
                    name: index,
                    header,
                    key,
                })
            }
            Field::Many => return Lookup::Duplicate,
            Field::Absent | Field::Other => {}
        }
    }
    Lookup::Missing
}

/// The header `name` (case-insensitive); missing, `name` with `_` read as `-` (nginx's
/// header table normalises a missed lookup so). Returns the header name that matched.
pub fn header_field(headers: &HeaderMap, name: &str) -> (Field, Option<String>) {
    let lower = name.to_ascii_lowercase();
    let dashed = lower.replace('_', "-");
    for candidate in [lower, dashed] {
        let mut values = headers.get_all(candidate.as_str()).iter();
        let Some(first) = values.next() else {
            continue;
        };
        let field = if values.next().is_some() {
            Field::Many
        } else {
            Field::Text(first.as_bytes().to_vec())
        };
        return (field, Some(candidate));
    }
    (Field::Absent, None)
}

/// The form field `name` of a query string or form body (`a=1&b`): names and values
/// percent-decoded, `+` as space.
pub fn form_field(form: &[u8], name: &str) -> Field {
    let mut found = Field::Absent;
    for pair in form.split(|b| *b == b'&').filter(|pair| !pair.is_empty()) {
        let (raw_name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(eq) => (&pair[..eq], Some(&pair[eq + 1..])),
            None => (pair, None),
        };
        if decode(raw_name) != name.as_bytes() {
            continue;
        }
        found = match found {
            Field::Absent => value.map_or(Field::Other, |value| Field::Text(decode(value))),
            _ => Field::Many,
        };
    }
    found
}

/// Percent-decoding with `+` as space; a `%` not followed by two hex digits stays as it is.
pub fn decode(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(raw.get(i + 1)), hex(raw.get(i + 2))) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    out
}

fn hex(byte: Option<&u8>) -> Option<u8> {
    let byte = *byte?;
    (byte as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    const ALL: Allowed = Allowed {
        header: true,
        query: true,
        body: true,
    };

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn headers(list: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in list {
            map.append(*name, http::HeaderValue::from_static(value));
        }
        map
    }

    fn key(name: usize, header: Option<&str>, key: &str) -> Lookup {
        Lookup::Found(Found {
            name,
            header: header.map(str::to_owned),
            key: key.as_bytes().to_vec(),
        })
    }

    #[test]
    fn header_then_query_then_body_for_each_name() {
        let h = headers(&[("apikey", "from-header")]);
        let sources = Sources {
            headers: &h,
            query: Some(b"apikey=from-query"),
            body: None,
        };
        assert_eq!(
            find_key(&names(&["apikey"]), ALL, &sources),
            key(0, Some("apikey"), "from-header")
        );
        let no_header = Allowed {
            header: false,
            ..ALL
        };
        assert_eq!(
            find_key(&names(&["apikey"]), no_header, &sources),
            key(0, None, "from-query")
        );
        let empty = HeaderMap::new();
        let sources = Sources {
            headers: &empty,
            query: Some(b"other=1"),
            body: None,
        };
        assert_eq!(
            find_key(&names(&["apikey"]), ALL, &sources),
            Lookup::NeedBody
        );
        let body = ParsedBody::parse(
            Some(b"application/x-www-form-urlencoded"),
            Bytes::from_static(b"k2=from-body"),
        );
        let sources = Sources {
            body: Some(&body),
            ..sources
        };
        assert_eq!(
            find_key(&names(&["apikey", "k2"]), ALL, &sources),
            key(1, None, "from-body")
        );
        let header_only = Allowed {
            header: true,
            query: false,
            body: false,
        };
        assert_eq!(
            find_key(&names(&["apikey"]), header_only, &sources),
            Lookup::Missing
        );
    }

    #[test]
    fn duplicates_flags_and_empty_values() {
        let h = headers(&[("apikey", "a"), ("apikey", "b")]);
        let none = HeaderMap::new();
        let only_query = Allowed {
            header: true,
            query: true,
            body: false,
        };
        let lookup = |h: &HeaderMap, q: &'static [u8]| {
            find_key(
                &names(&["apikey", "second"]),
                only_query,
                &Sources {
                    headers: h,
                    query: Some(q),
                    body: None,
                },
            )
        };
        assert_eq!(lookup(&h, b""), Lookup::Duplicate);
        assert_eq!(lookup(&none, b"apikey=a&apikey=a"), Lookup::Duplicate);
        assert_eq!(lookup(&none, b"apikey&apikey=a"), Lookup::Duplicate);
        // `?apikey` is `true` in Lua: not a key, the next name is tried.
        assert_eq!(lookup(&none, b"apikey&second=s"), key(1, None, "s"));
        assert_eq!(lookup(&none, b"apikey="), key(0, None, ""));
        assert_eq!(
            lookup(&none, b"api%6Bey=a%20b+c%zz%4"),
            key(0, None, "a b c%zz%4")
        );
        assert_eq!(lookup(&none, b"apikey[]=a"), Lookup::Missing);
    }

    #[test]
    fn underscore_names_also_match_dashed_headers() {
        let dashed = headers(&[("api-key", "k")]);
        let underscored = headers(&[("api_key", "k")]);
        let find = |h: &HeaderMap, name: &str| {
            find_key(
                &names(&[name]),
                ALL,
                &Sources {
                    headers: h,
                    query: None,
                    body: Some(&ParsedBody::Empty),
                },
            )
        };
        assert_eq!(find(&dashed, "api_key"), key(0, Some("api-key"), "k"));
        assert_eq!(find(&underscored, "API_KEY"), key(0, Some("api_key"), "k"));
        // Kong's lookup only normalises `_` to `-`, never the reverse.
        assert_eq!(find(&underscored, "api-key"), Lookup::Missing);
    }
}
