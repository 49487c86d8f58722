//! The `name:value` entries of Kong's request- and response-transformer configs: how Kong
//! splits them (`^([^:]+):*(.-)$`) and its schema checks and messages for them.

use crate::config::errors::{join, ConfigErrors};

/// An entry split as Kong's transformers split it: the name is everything before the first
/// `:`, then every `:` is skipped and the rest is the value (`"X-A: b"` is `X-A` and `" b"`).
/// `None` when the entry starts with `:` or is empty (no name).
pub fn split(entry: &str) -> Option<(&str, &str)> {
    let colon = entry.find(':').unwrap_or(entry.len());
    if colon == 0 {
        return None;
    }
    let (name, rest) = entry.split_at(colon);
    Some((name, rest.trim_start_matches(':')))
}

/// Kong's `validate_header_name`: letters, digits, `_` and `-`.
pub fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// How the entries of one list are checked (each list of Kong's schemas uses one of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryRule {
    /// A plain name (`remove.body`, `remove.querystring`, response `remove.*`).
    Name,
    /// A header name (`remove.headers`): Kong's `'x' is not a valid header`.
    HeaderName,
    /// `name:value` with a non-empty value (`add.body`, `add.querystring`...):
    /// `key 'x' has no value`.
    NameValue,
    /// `name:value` whose name is a header name (`add.headers`...): `match` then
    /// `'x' is not a valid header`.
    HeaderValue,
    /// `old:new`, both header names (`rename.headers`).
    HeaderRename,
    /// `name:value` with a colon (response-transformer's `json`, `headers` lists).
    Colon,
}

/// Checks each entry of the list at `path` by `rule`, with Kong's messages at `path[i]`.
pub fn check(entries: &[String], rule: EntryRule, path: &str, errors: &mut ConfigErrors) {
    for (i, entry) in entries.iter().enumerate() {
        if let Some(message) = entry_error(entry, rule) {
            errors.push(format!("{path}[{i}]"), message);
        }
    }
}

fn entry_error(entry: &str, rule: EntryRule) -> Option<String> {
    let has_colon = entry.contains(':') && !entry.starts_with(':');
    let needs_colon = matches!(
        rule,
        EntryRule::HeaderValue | EntryRule::HeaderRename | EntryRule::Colon
    );
    if needs_colon && !has_colon {
        return Some(format!("invalid value: {entry}"));
    }
    let (name, value) = split(entry).unwrap_or(("", ""));
    let bad_header = |name: &str| format!("'{name}' is not a valid header");
    match rule {
        EntryRule::Name | EntryRule::Colon => None,
        EntryRule::HeaderName => (!is_header_name(entry)).then(|| bad_header(entry)),
        EntryRule::NameValue => value.is_empty().then(|| {
            format!(
                "key '{}' has no value",
                split(entry).map_or(entry, |(n, _)| n)
            )
        }),
        EntryRule::HeaderValue => (!is_header_name(name)).then(|| bad_header(name)),
        EntryRule::HeaderRename => {
            if !is_header_name(name) {
                Some(bad_header(name))
            } else {
                (!is_header_name(value)).then(|| bad_header(value))
            }
        }
    }
}

/// The path of list `list` of record `record` under a plugin's config (`config.add.headers`).
pub fn list_path(config_path: &str, record: &str, list: &str) -> String {
    join(&join(config_path, record), list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_split_as_kong_splits_them() {
        assert_eq!(split("X-A: b"), Some(("X-A", " b")));
        assert_eq!(split("a::b:c"), Some(("a", "b:c")));
        assert_eq!(split("url:http://x"), Some(("url", "http://x")));
        assert_eq!(split("name"), Some(("name", "")));
        assert_eq!(split(":x"), None);
        assert_eq!(split(""), None);
    }

    #[test]
    fn kongs_messages() {
        let error = |entry: &str, rule| entry_error(entry, rule);
        assert_eq!(error("X-A: 1", EntryRule::HeaderValue), None);
        assert_eq!(
            error("X-A", EntryRule::HeaderValue).as_deref(),
            Some("invalid value: X-A")
        );
        assert_eq!(
            error("X A: 1", EntryRule::HeaderValue).as_deref(),
            Some("'X A' is not a valid header")
        );
        assert_eq!(
            error("a:b c", EntryRule::HeaderRename).as_deref(),
            Some("'b c' is not a valid header")
        );
        assert_eq!(
            error("q", EntryRule::NameValue).as_deref(),
            Some("key 'q' has no value")
        );
        assert_eq!(
            error("q:", EntryRule::NameValue).as_deref(),
            Some("key 'q' has no value")
        );
        assert_eq!(error("q:1", EntryRule::NameValue), None);
        assert_eq!(
            error("a b", EntryRule::HeaderName).as_deref(),
            Some("'a b' is not a valid header")
        );
        assert_eq!(error("anything at all", EntryRule::Name), None);
    }
}
