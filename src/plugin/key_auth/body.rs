//! Request bodies as key-auth reads them with `key_in_body` (Kong's `kong.request.get_body`):
//! form-urlencoded, JSON objects and multipart/form-data, the value of one field, and the body
//! without that field for `hide_credentials`. Anything else is Kong's "empty" body.

use bytes::Bytes;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::extract::{form_field, Field};
use crate::plugin::credential_source::without_params;

/// A request body as far as key-auth understands it.
#[derive(Debug)]
pub enum ParsedBody {
    /// `application/x-www-form-urlencoded`.
    Form(Bytes),
    /// `application/json` whose top level is an object (its members, in order) or an array
    /// (`None`: no fields).
    Json(Option<Vec<(String, Box<RawValue>)>>),
    /// `multipart/form-data`.
    Multipart(Multipart),
    /// No body, one too large or not readable, another type, or one that does not parse:
    /// Kong's `EMPTY` (no field, nothing to hide).
    Empty,
}

impl ParsedBody {
    /// Whether a body of this `Content-Type` is one Kong parses (form, JSON, multipart).
    pub fn is_supported(content_type: Option<&[u8]>) -> bool {
        media_type(content_type).is_some()
    }

    /// Parses `body` as its `Content-Type` says (Kong: the lowercased type before any `;`
    /// must start with the media type).
    pub fn parse(content_type: Option<&[u8]>, body: Bytes) -> ParsedBody {
        match (media_type(content_type), content_type) {
            (Some(Media::Form), _) => ParsedBody::Form(body),
            (Some(Media::Json), _) => parse_json(&body),
            (Some(Media::Multipart), Some(content_type)) => {
                match Multipart::parse(content_type, body) {
                    Some(parts) => ParsedBody::Multipart(parts),
                    None => ParsedBody::Empty,
                }
            }
            _ => ParsedBody::Empty,
        }
    }

    /// The body's field `name`.
    pub fn field(&self, name: &str) -> Field {
        match self {
            ParsedBody::Form(form) => form_field(form, name),
            ParsedBody::Json(Some(members)) => members
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map_or(Field::Absent, |(_, value)| json_field(value)),
            ParsedBody::Json(None) | ParsedBody::Empty => Field::Absent,
            ParsedBody::Multipart(parts) => parts.field(name),
        }
    }

    /// The body without field `name`; `None` when it has no such field (nothing to change).
    pub fn without(&self, name: &str) -> Option<Bytes> {
        if matches!(self.field(name), Field::Absent) {
            return None;
        }
        match self {
            ParsedBody::Form(form) => Some(Bytes::from(without_params(form, &[name]))),
            ParsedBody::Json(Some(members)) => {
                let mut out = String::from("{");
                for (key, value) in members.iter().filter(|(key, _)| key != name) {
                    if out.len() > 1 {
                        out.push(',');
                    }
                    // A String always serializes.
                    out.push_str(&serde_json::to_string(key).unwrap_or_default());
                    out.push(':');
                    out.push_str(value.get());
                }
                out.push('}');
                Some(Bytes::from(out))
            }
            ParsedBody::Multipart(parts) => Some(parts.without(name)),
            ParsedBody::Json(None) | ParsedBody::Empty => None,
        }
    }
}

enum Media {
    Form,
    Json,
    Multipart,
}

/// Kong's test: the lowercased type before any `;` starts with the media type.
fn media_type(content_type: Option<&[u8]>) -> Option<Media> {
    let lower = content_type?.to_ascii_lowercase();
    let media = lower.split(|b| *b == b';').next().unwrap_or_default();
    if media.starts_with(b"application/x-www-form-urlencoded") {
        Some(Media::Form)
    } else if media.starts_with(b"application/json") {
        Some(Media::Json)
    } else if media.starts_with(b"multipart/form-data") {
        Some(Media::Multipart)
    } else {
        None
    }
}

fn parse_json(body: &[u8]) -> ParsedBody {
    let Ok(raw) = serde_json::from_slice::<&RawValue>(body) else {
        return ParsedBody::Empty;
    };
    match raw.get().as_bytes().first() {
        Some(b'{') => match serde_json::from_str::<Members>(raw.get()) {
            Ok(Members(members)) => ParsedBody::Json(Some(members)),
            Err(_) => ParsedBody::Empty,
        },
        Some(b'[') => ParsedBody::Json(None),
        // A string, number, boolean or null: Kong's "invalid json body".
        _ => ParsedBody::Empty,
    }
}

/// A JSON member's value as Lua sees it: a string, a table (array or object: Kong's
/// "duplicate"), or something else (number, boolean, null).
fn json_field(value: &RawValue) -> Field {
    match value.get().as_bytes().first() {
        Some(b'"') => match serde_json::from_str::<String>(value.get()) {
            Ok(text) => Field::Text(text.into_bytes()),
            Err(_) => Field::Other,
        },
        Some(b'[' | b'{') => Field::Many,
        _ => Field::Other,
    }
}

/// A JSON object's members in document order, values unparsed.
struct Members(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    members.push(entry);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// A parsed `multipart/form-data` body: its parts' names and where each part lies.
#[derive(Debug)]
pub struct Multipart {
    body: Bytes,
    /// Each part: its name, the bytes of its value, and the whole part from its delimiter
    /// up to the next delimiter (what removing it cuts out).
    parts: Vec<Part>,
}

#[derive(Debug)]
struct Part {
    name: Option<Vec<u8>>,
    value: std::ops::Range<usize>,
    whole: std::ops::Range<usize>,
}

impl Multipart {
    /// Parses a body whose `Content-Type` carries a `boundary`; `None` when it has none or
    /// the body holds no delimited part.
    pub fn parse(content_type: &[u8], body: Bytes) -> Option<Multipart> {
        let boundary = boundary(content_type)?;
        let mut delimiter = b"--".to_vec();
        delimiter.extend_from_slice(&boundary);
        // Each delimiter starts the body or follows CRLF.
        let mut starts = Vec::new();
        if body.starts_with(&delimiter) {
            starts.push(0);
        }
        let mut crlf_delimiter = b"\r\n".to_vec();
        crlf_delimiter.extend_from_slice(&delimiter);
        let mut from = 0;
        while let Some(at) = find(&body[from..], &crlf_delimiter) {
            starts.push(from + at + 2);
            from += at + 2;
        }
        let mut parts = Vec::new();
        for (i, &start) in starts.iter().enumerate() {
            let after = start + delimiter.len();
            if body[after..].starts_with(b"--") {
                break; // the closing delimiter
            }
            let end = starts.get(i + 1).copied().unwrap_or(body.len());
            let segment = &body[after..end];
            // The delimiter line ends with CRLF; headers end with an empty line.
            let line_end = find(segment, b"\r\n")?;
            let head_start = after + line_end + 2;
            let head_len = find(&body[head_start..end], b"\r\n\r\n");
            let (name, value_start) = match head_len {
                Some(len) => (
                    part_name(&body[head_start..head_start + len]),
                    head_start + len + 4,
                ),
                // A part with no header at all: `\r\n` right away.
                None if body[head_start..end].starts_with(b"\r\n") => (None, head_start + 2),
                None => return None,
            };
            // The value ends before the CRLF that precedes the next delimiter.
            let value_end = if i + 1 < starts.len() {
                end.saturating_sub(2)
            } else {
                end
            };
            parts.push(Part {
                name,
                value: value_start..value_end.max(value_start),
                whole: start..end,
            });
        }
        (!starts.is_empty()).then_some(Multipart { body, parts })
    }

    fn field(&self, name: &str) -> Field {
        let mut found = Field::Absent;
        for part in self
            .parts
            .iter()
            .filter(|p| p.name.as_deref() == Some(name.as_bytes()))
        {
            found = match found {
                Field::Absent => Field::Text(self.body[part.value.clone()].to_vec()),
                _ => Field::Many,
            };
        }
        found
    }

    fn without(&self, name: &str) -> Bytes {
        let mut out = Vec::with_capacity(self.body.len());
        let mut at = 0;
        for part in &self.parts {
            out.extend_from_slice(&self.body[at..part.whole.start]);
            if part.name.as_deref() != Some(name.as_bytes()) {
                out.extend_from_slice(&self.body[part.whole.clone()]);
            }
            at = part.whole.end;
        }
        out.extend_from_slice(&self.body[at..]);
        Bytes::from(out)
    }
}

/// The `boundary` parameter of a multipart `Content-Type` (quotes removed).
fn boundary(content_type: &[u8]) -> Option<Vec<u8>> {
    content_type
        .split(|b| *b == b';')
        .skip(1)
        .find_map(|param| {
            let param = param.trim_ascii();
            let (key, value) = param.split_at(param.iter().position(|b| *b == b'=')?);
            if !key.trim_ascii().eq_ignore_ascii_case(b"boundary") {
                return None;
            }
            let value = value[1..].trim_ascii();
            let value = value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value);
            // RFC 2046: 1 to 70 characters (which also bounds the search for delimiters).
            (!value.is_empty() && value.len() <= 70).then(|| value.to_vec())
        })
}

/// The `name` of a part, from its `Content-Disposition: form-data; name="..."` header.
fn part_name(head: &[u8]) -> Option<Vec<u8>> {
    head.split(|b| *b == b'\n').find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|b| *b == b':')?;
        if !line[..colon]
            .trim_ascii()
            .eq_ignore_ascii_case(b"content-disposition")
        {
            return None;
        }
        line[colon + 1..]
            .split(|b| *b == b';')
            .skip(1)
            .find_map(|param| {
                let param = param.trim_ascii();
                let eq = param.iter().position(|b| *b == b'=')?;
                if !param[..eq].trim_ascii().eq_ignore_ascii_case(b"name") {
                    return None;
                }
                let value = param[eq + 1..].trim_ascii();
                Some(
                    value
                        .strip_prefix(b"\"")
                        .and_then(|v| v.strip_suffix(b"\""))
                        .unwrap_or(value)
                        .to_vec(),
                )
            })
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(content_type: &str, body: &str) -> ParsedBody {
        ParsedBody::parse(Some(content_type.as_bytes()), Bytes::from(body.to_owned()))
    }

    #[test]
    fn form_bodies() {
        let body = parse(
            "application/x-www-form-urlencoded; charset=utf-8",
            "a=1&apikey=k%2B1&b=2",
        );
        assert_eq!(body.field("apikey"), Field::Text(b"k+1".to_vec()));
        assert_eq!(body.without("apikey").unwrap(), "a=1&b=2");
        assert_eq!(body.without("other"), None);
        let body = parse("application/x-www-form-urlencoded", "apikey=a&apikey=b");
        assert_eq!(body.field("apikey"), Field::Many);
        let body = parse(
            "application/x-www-form-urlencoded",
            "apikey[]=a&apikey[1]=b",
        );
        assert_eq!(body.field("apikey"), Field::Absent);
    }

    #[test]
    fn json_bodies() {
        let body = parse(
            "application/json",
            r#"{"z":1,"apikey":"k","a":[1,{"b":2}]}"#,
        );
        assert_eq!(body.field("apikey"), Field::Text(b"k".to_vec()));
        assert_eq!(body.field("a"), Field::Many);
        assert_eq!(body.field("z"), Field::Other);
        assert_eq!(
            body.without("apikey").unwrap(),
            r#"{"z":1,"a":[1,{"b":2}]}"#
        );
        // cjson: the last duplicate member wins.
        let body = parse("application/json", r#"{"apikey":"a","apikey":"b"}"#);
        assert_eq!(body.field("apikey"), Field::Text(b"b".to_vec()));
        assert_eq!(body.without("apikey").unwrap(), "{}");
        let body = parse("application/json", r#"{"apikey":["a","b"]}"#);
        assert_eq!(body.field("apikey"), Field::Many);
        for text in [r#"["apikey"]"#, r#""apikey""#, "{", "12"] {
            assert_eq!(
                parse("application/json", text).field("apikey"),
                Field::Absent
            );
        }
        assert!(matches!(parse("text/plain", "apikey=k"), ParsedBody::Empty));
        assert!(matches!(
            ParsedBody::parse(None, Bytes::from_static(b"apikey=k")),
            ParsedBody::Empty
        ));
    }

    const MULTIPART: &str = "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\none\r\n--XyZ\r\ncontent-disposition: form-data; name=apikey\r\nContent-Type: text/plain\r\n\r\nthe-key\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"; filename=\"f.txt\"\r\n\r\nline1\r\nline2\r\n--XyZ--\r\n";

    #[test]
    fn multipart_bodies() {
        let body = parse("multipart/form-data; boundary=\"XyZ\"", MULTIPART);
        assert_eq!(body.field("apikey"), Field::Text(b"the-key".to_vec()));
        assert_eq!(body.field("b"), Field::Text(b"line1\r\nline2".to_vec()));
        let without = body.without("apikey").unwrap();
        let again = ParsedBody::parse(Some(b"multipart/form-data; boundary=XyZ"), without.clone());
        assert_eq!(again.field("apikey"), Field::Absent);
        assert_eq!(again.field("a"), Field::Text(b"one".to_vec()));
        assert_eq!(again.field("b"), Field::Text(b"line1\r\nline2".to_vec()));
        assert!(without.ends_with(b"--XyZ--\r\n"));

        let twice = MULTIPART.replace("name=\"a\"", "name=apikey");
        let body = parse("multipart/form-data; boundary=XyZ", &twice);
        assert_eq!(body.field("apikey"), Field::Many);
        assert!(matches!(
            parse("multipart/form-data", MULTIPART),
            ParsedBody::Empty
        ));
        assert!(matches!(
            parse("multipart/form-data; boundary=nope", MULTIPART),
            ParsedBody::Empty
        ));
    }
}
