//! request-transformer on the request body, for the three types Kong transforms: JSON
//! objects, url-encoded forms and `multipart/form-data`. A body that does not parse as its
//! type is sent unchanged, as Kong sends it; an empty body gets only `add` and `append`.

use bytes::Bytes;
use serde_json::{Map, Value};

use super::config::{Entry, Operations};
use super::query;
use super::template::TemplateInput;

/// The body types Kong transforms, by `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyType {
    Json,
    Multipart,
    Form,
}

impl BodyType {
    /// Kong's `get_content_type`: a case-insensitive substring test, JSON first.
    pub fn of(content_type: Option<&str>) -> Option<BodyType> {
        let lower = content_type?.to_ascii_lowercase();
        if lower.contains("application/json") {
            Some(BodyType::Json)
        } else if lower.contains("multipart/form-data") {
            Some(BodyType::Multipart)
        } else if lower.contains("application/x-www-form-urlencoded") {
            Some(BodyType::Form)
        } else {
            None
        }
    }
}

/// The transformed body (`None`: send it unchanged).
pub fn transform(
    ops: Operations<'_>,
    kind: BodyType,
    content_type: &str,
    body: &[u8],
    input: &TemplateInput<'_>,
) -> Option<Bytes> {
    match kind {
        BodyType::Json => json(ops, body, input),
        BodyType::Form => {
            let text = std::str::from_utf8(body).ok()?;
            let text = (!text.is_empty()).then_some(text);
            let out = query::transform(ops, text, input).unwrap_or_default();
            Some(Bytes::from(out))
        }
        BodyType::Multipart => multipart(ops, content_type, body, input),
    }
}

fn json(ops: Operations<'_>, body: &[u8], input: &TemplateInput<'_>) -> Option<Bytes> {
    let has_body = !body.is_empty();
    let mut object = if has_body {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => object,
            _ => return None,
        }
    } else {
        Map::new()
    };
    // Lua's truth: only an absent key and `false` are false (JSON null is a value there).
    let truthy = |v: Option<&Value>| v.is_some_and(|v| v != &Value::Bool(false));
    if has_body {
        for name in ops.remove {
            object.remove(name);
        }
        for Entry { name: old, value } in ops.rename {
            let new = value.render(input);
            if *old != new && truthy(object.get(old)) {
                if let Some(moved) = object.remove(old) {
                    object.insert(new, moved);
                }
            }
        }
        for Entry { name, value } in ops.replace {
            if truthy(object.get(name)) {
                object.insert(name.clone(), Value::String(value.render(input)));
            }
        }
    }
    for Entry { name, value } in ops.add {
        if !truthy(object.get(name)) {
            object.insert(name.clone(), Value::String(value.render(input)));
        }
    }
    for Entry { name, value } in ops.append {
        append_value(&mut object, name, Value::String(value.render(input)));
    }
    serde_json::to_vec(&Value::Object(object))
        .ok()
        .map(Bytes::from)
}

/// Kong's `append_value` on a JSON object: a string becomes `[old, new]`, an array grows,
/// anything else (absent, a number...) becomes `[new]`.
pub fn append_value(object: &mut Map<String, Value>, name: &str, value: Value) {
    let appended = match object.remove(name) {
        Some(Value::String(old)) => Value::Array(vec![Value::String(old), value]),
        Some(Value::Array(mut items)) => {
            items.push(value);
            Value::Array(items)
        }
        _ => Value::Array(vec![value]),
    };
    object.insert(name.to_owned(), appended);
}

/// One part of a `multipart/form-data` body.
struct Part {
    /// The part's header block, without the blank line.
    head: Vec<u8>,
    name: Option<String>,
    content: Vec<u8>,
}

impl Part {
    fn simple(name: &str, value: &str) -> Part {
        Part {
            head: format!("Content-Disposition: form-data; name=\"{name}\"").into_bytes(),
            name: Some(name.to_owned()),
            content: value.as_bytes().to_vec(),
        }
    }
}

fn multipart(
    ops: Operations<'_>,
    content_type: &str,
    body: &[u8],
    input: &TemplateInput<'_>,
) -> Option<Bytes> {
    let boundary = boundary(content_type)?;
    let mut parts = parse_parts(body, &boundary)?;
    let has_body = !body.is_empty();
    let find =
        |parts: &[Part], name: &str| parts.iter().position(|p| p.name.as_deref() == Some(name));
    // Kong's order for multipart bodies: rename, remove, replace, add (no append).
    if has_body {
        for Entry { name: old, value } in ops.rename {
            let new = value.render(input);
            if let Some(i) = find(&parts, old).filter(|_| *old != new) {
                let moved = parts.remove(i);
                parts.retain(|p| p.name.as_deref() != Some(old));
                parts.push(Part {
                    content: moved.content,
                    ..Part::simple(&new, "")
                });
            }
        }
        for name in ops.remove {
            parts.retain(|p| p.name.as_deref() != Some(name));
        }
        for Entry { name, value } in ops.replace {
            if find(&parts, name).is_some() {
                parts.retain(|p| p.name.as_deref() != Some(name));
                parts.push(Part::simple(name, &value.render(input)));
            }
        }
    }
    for Entry { name, value } in ops.add {
        if find(&parts, name).is_none() {
            parts.push(Part::simple(name, &value.render(input)));
        }
    }
    let mut out = Vec::with_capacity(body.len() + 128);
    for part in &parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        out.extend_from_slice(&part.head);
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(&part.content);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Some(Bytes::from(out))
}

/// The `boundary` parameter of a multipart `Content-Type` (quotes removed).
fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty())
    })
}

/// The parts of a multipart body (`None`: not one).
fn parse_parts(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    if body.is_empty() {
        return Some(Vec::new());
    }
    let mut data = b"\r\n".to_vec();
    data.extend_from_slice(body);
    let delimiter = format!("\r\n--{boundary}").into_bytes();
    let mut segments = split_on(&data, &delimiter).into_iter();
    segments.next()?; // the preamble
    let mut parts = Vec::new();
    for segment in segments {
        if segment.starts_with(b"--") {
            return Some(parts);
        }
        let segment = segment
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| &segment[i + 1..])?;
        let split = find(segment, b"\r\n\r\n")?;
        let head = segment[..split].to_vec();
        let name = part_name(&head);
        parts.push(Part {
            head,
            name,
            content: segment[split + 4..].to_vec(),
        });
    }
    // No closing delimiter: not a multipart body.
    None
}

fn part_name(head: &[u8]) -> Option<String> {
    let head = std::str::from_utf8(head).ok()?;
    let line = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
    line.split(';').find_map(|param| {
        let (key, value) = param.split_once('=')?;
        (key.trim() == "name").then(|| value.trim().trim_matches('"').to_owned())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split_on<'a>(data: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(i) = find(rest, delimiter) {
        out.push(&rest[..i]);
        rest = &rest[i + delimiter.len()..];
    }
    out.push(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::plugin_config::check_config;
    use crate::plugin::request_transformer::config::compile;

    fn run(yaml: &str, content_type: &str, body: &str) -> Option<String> {
        let conf = check_config(compile, yaml).unwrap();
        let headers = http::HeaderMap::new();
        let input = TemplateInput {
            headers: &headers,
            query: None,
            captures: None,
        };
        let kind = BodyType::of(Some(content_type)).unwrap();
        transform(
            conf.body_operations(),
            kind,
            content_type,
            body.as_bytes(),
            &input,
        )
        .map(|b| String::from_utf8(b.to_vec()).unwrap())
    }

    const ALL: &str = "{remove: {body: [secret]}, rename: {body: ['old:new']},
        replace: {body: ['r:R', 'off:on']}, add: {body: ['a:A', 'r:not-added']},
        append: {body: ['list:x', 's:2', 'n:3']}}";

    #[test]
    fn json_objects_as_kong_changes_them() {
        let out = run(
            ALL,
            "application/json; charset=utf-8",
            r#"{"secret":"s","old":1,"r":"x","off":false,"list":["w"],"s":"1","n":7,"keep":{"a":null}}"#,
        )
        .unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"new":1,"r":"R","off":false,"list":["w","x"],"s":["1","2"],
                               "n":["3"],"keep":{"a":null},"a":"A"})
        );
        // Empty: only add and append.
        let v: Value = serde_json::from_str(&run(ALL, "application/json", "").unwrap()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a":"A","r":"not-added","list":["x"],"s":["2"],"n":["3"]})
        );
    }

    #[test]
    fn bodies_that_do_not_parse_pass_unchanged() {
        assert_eq!(run(ALL, "application/json", "{not json"), None);
        assert_eq!(run(ALL, "application/json", "[1,2]"), None);
        assert_eq!(run(ALL, "multipart/form-data", "x"), None);
        assert_eq!(
            run(ALL, "multipart/form-data; boundary=b", "no delimiter"),
            None
        );
    }

    #[test]
    fn forms_like_query_strings() {
        assert_eq!(
            run(
                ALL,
                "application/x-www-form-urlencoded",
                "secret=s&old=1&r=x&keep=%41"
            )
            .as_deref(),
            Some("new=1&r=R&keep=%41&a=A&list=x&s=2&n=3")
        );
        assert_eq!(
            run(
                "{remove: {body: [secret]}}",
                "application/x-www-form-urlencoded",
                "secret=s"
            )
            .as_deref(),
            Some("")
        );
    }

    #[test]
    fn multipart_parts() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"secret\"\r\n\r\ns\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
                    Content-Type: text/plain\r\n\r\nline1\r\nline2\r\n--XyZ--\r\n";
        let out = run(
            "{remove: {body: [secret]}, add: {body: ['a:A']}}",
            "multipart/form-data; boundary=\"XyZ\"",
            body,
        )
        .unwrap();
        assert_eq!(
            out,
            "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nline1\r\nline2\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nA\r\n--XyZ--\r\n"
        );
    }
}
