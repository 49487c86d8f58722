//! request-transformer on `name=value&...` text, the query string or a form body, in Kong's
//! order (remove, rename, replace, add, append). Arguments it does not touch keep their
//! bytes; a value it writes is percent-encoded as `ngx.encode_args` does (space as `%20`).

use std::borrow::Cow;

use super::config::{Entry, Operations};
use super::template::TemplateInput;

/// One `name[=value]` argument: its raw bytes and its decoded name.
struct Argument {
    raw: String,
    name: String,
}

impl Argument {
    fn parse(raw: &str) -> Argument {
        let name = raw.split_once('=').map_or(raw, |(name, _)| name);
        Argument {
            raw: raw.to_owned(),
            name: decode(name).into_owned(),
        }
    }

    fn new(name: &str, value: &str) -> Argument {
        Argument {
            raw: format!("{}={}", encode(name), encode(value)),
            name: name.to_owned(),
        }
    }

    fn renamed(&self, name: &str) -> Argument {
        let value = self.raw.split_once('=').map(|(_, value)| value);
        Argument {
            raw: match value {
                Some(value) => format!("{}={value}", encode(name)),
                None => encode(name),
            },
            name: name.to_owned(),
        }
    }
}

/// The text after the lists of `ops` (`None`: no argument left).
pub fn transform(
    ops: Operations<'_>,
    text: Option<&str>,
    input: &TemplateInput<'_>,
) -> Option<String> {
    let mut args: Vec<Argument> = text
        .unwrap_or("")
        .split('&')
        .filter(|raw| !raw.is_empty())
        .map(Argument::parse)
        .collect();
    let present = |args: &[Argument], name: &str| args.iter().any(|a| a.name == name);
    for name in ops.remove {
        args.retain(|a| &a.name != name);
    }
    for Entry { name: old, value } in ops.rename {
        let new = value.render(input);
        if *old == new || !present(&args, old) {
            continue;
        }
        args.retain(|a| a.name != new);
        for arg in args.iter_mut().filter(|a| &a.name == old) {
            *arg = arg.renamed(&new);
        }
    }
    for Entry { name, value } in ops.replace {
        if let Some(first) = args.iter().position(|a| &a.name == name) {
            args[first] = Argument::new(name, &value.render(input));
            let mut index = 0;
            args.retain(|a| {
                index += 1;
                index - 1 == first || &a.name != name
            });
        }
    }
    for Entry { name, value } in ops.add {
        if !present(&args, name) {
            args.push(Argument::new(name, &value.render(input)));
        }
    }
    for Entry { name, value } in ops.append {
        args.push(Argument::new(name, &value.render(input)));
    }
    let joined: Vec<&str> = args.iter().map(|a| a.raw.as_str()).collect();
    (!joined.is_empty()).then(|| joined.join("&"))
}

fn decode(raw: &str) -> Cow<'_, str> {
    let plus_free: Cow<'_, str> = if raw.contains('+') {
        Cow::Owned(raw.replace('+', " "))
    } else {
        Cow::Borrowed(raw)
    };
    match percent_decode(&plus_free) {
        Some(decoded) => Cow::Owned(decoded),
        None => plus_free,
    }
}

/// `%XX` decoded (lossy for bytes that are not UTF-8); `None` when there is no `%`.
fn percent_decode(raw: &str) -> Option<String> {
    if !raw.contains('%') {
        return None;
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Percent-encodes all but RFC 3986's unreserved characters.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::plugin_config::check_config;
    use crate::plugin::request_transformer::config::compile;

    fn run(yaml: &str, query: Option<&str>) -> Option<String> {
        let conf = check_config(compile, yaml).unwrap();
        let headers = http::HeaderMap::new();
        let input = TemplateInput {
            headers: &headers,
            query,
            captures: None,
        };
        transform(conf.query_operations(), query, &input)
    }

    #[test]
    fn operations_in_kongs_order() {
        let conf = "{remove: {querystring: [debug]}, rename: {querystring: ['old:new']},
                     replace: {querystring: ['r:x y', 'absent:1']},
                     add: {querystring: ['v:2', 'keep:no']}, append: {querystring: ['t:a&b']}}";
        assert_eq!(
            run(
                conf,
                Some("keep=%41+b&debug=1&old=o&new=gone&r=1&r=2&debug")
            )
            .as_deref(),
            Some("keep=%41+b&new=o&r=x%20y&v=2&t=a%26b")
        );
        assert_eq!(run(conf, None).as_deref(), Some("v=2&keep=no&t=a%26b"));
        assert_eq!(run("{remove: {querystring: [a]}}", Some("a=1&a=2")), None);
    }

    #[test]
    fn names_compare_decoded_and_flags_are_kept() {
        assert_eq!(
            run(
                "{remove: {querystring: ['a b']}}",
                Some("a+b=1&a%20b=2&flag")
            )
            .as_deref(),
            Some("flag")
        );
        assert_eq!(
            run("{rename: {querystring: ['flag:f']}}", Some("flag")).as_deref(),
            Some("f")
        );
    }
}
