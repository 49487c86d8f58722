//! Fuzz target: `compile_declarative_str` on arbitrary text never panics and its errors never
//! echo the value of a `client_secret` field.
//!
//! Compiling resolves service and target host names, so a document that parses as YAML is
//! first rewritten to stay off the network: every host name (in `host`, `url`, `target` and
//! upstream `name`) becomes a numeric form such as `10.3`, which the resolver reads without
//! a lookup; one name always maps to one form, so services still find their upstreams. Every
//! string under a `client_secret` key becomes a marker that must not reach any error.
#![no_main]

use std::collections::HashMap;
use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use oidc_gateway::config::compile_declarative_str;
use serde_yaml::{Mapping, Value};

/// What every `client_secret` string is replaced with.
const MARKER: &str = "fz-secret-7Hq2Zx";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut root) = serde_yaml::from_str::<Value>(text) else {
        // Not YAML: compiling stops at the syntax error, before any lookup.
        assert!(compile_declarative_str(text).is_err());
        return;
    };
    if root.apply_merge().is_err() {
        return;
    }
    root = untagged(root);
    let mut names = OfflineNames::default();
    if let Some(Value::Sequence(upstreams)) = root.get_mut("upstreams") {
        for upstream in upstreams {
            if let Some(Value::String(name)) = upstream.get_mut("name") {
                *name = names.host(name);
            }
        }
    }
    names.rewrite(&mut root);
    let Ok(before) = serde_yaml::to_string(&root) else {
        return;
    };
    let watch_secrets = !before.contains(MARKER) && hide_secrets(&mut root);
    let Ok(document) = serde_yaml::to_string(&root) else {
        return;
    };
    if let Err(errors) = compile_declarative_str(&document) {
        assert!(!errors.is_empty());
        if watch_secrets {
            for error in errors.iter() {
                assert!(
                    !error.path.contains(MARKER) && !error.message.contains(MARKER),
                    "a client_secret value reached an error: {error}"
                );
            }
        }
    }
});

/// The document without YAML tags (`!tag value` becomes `value`), keys included.
fn untagged(value: Value) -> Value {
    match value {
        Value::Tagged(tagged) => untagged(tagged.value),
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(untagged).collect()),
        Value::Mapping(map) => Value::Mapping(
            map.into_iter()
                .map(|(k, v)| (untagged(k), untagged(v)))
                .collect::<Mapping>(),
        ),
        other => other,
    }
}

/// Replaces every string under a `client_secret` key with MARKER; true when there was one.
fn hide_secrets(value: &mut Value) -> bool {
    let mut found = false;
    match value {
        Value::Sequence(items) => {
            for item in items {
                found |= hide_secrets(item);
            }
        }
        Value::Mapping(map) => {
            for (key, item) in map.iter_mut() {
                if key.as_str() == Some("client_secret") {
                    found |= replace_strings(item);
                } else {
                    found |= hide_secrets(item);
                }
            }
        }
        _ => {}
    }
    found
}

fn replace_strings(value: &mut Value) -> bool {
    match value {
        Value::String(s) => {
            *s = MARKER.to_owned();
            true
        }
        Value::Sequence(items) => items.iter_mut().fold(false, |f, v| replace_strings(v) | f),
        Value::Mapping(map) => map.values_mut().fold(false, |f, v| replace_strings(v) | f),
        _ => false,
    }
}

/// Host names mapped to numeric IPv4 shorthands (`10.1`, `10.2`, ...), case-insensitively.
#[derive(Default)]
struct OfflineNames(HashMap<String, String>);

impl OfflineNames {
    /// An IP literal (bracketed or not) as it is, any other name as its shorthand.
    fn host(&mut self, name: &str) -> String {
        let bare = name.trim_start_matches('[').trim_end_matches(']');
        if bare.parse::<IpAddr>().is_ok() {
            return name.to_owned();
        }
        let next = format!("10.{}", self.0.len() + 1);
        self.0
            .entry(name.to_ascii_lowercase())
            .or_insert(next)
            .clone()
    }

    /// Rewrites the strings under `host`, `url` and `target` keys anywhere in the document.
    fn rewrite(&mut self, value: &mut Value) {
        match value {
            Value::Sequence(items) => items.iter_mut().for_each(|v| self.rewrite(v)),
            Value::Mapping(map) => {
                for (key, item) in map.iter_mut() {
                    match (key.as_str(), item) {
                        (Some("host"), Value::String(s)) => *s = self.host(s),
                        (Some("url"), Value::String(s)) => *s = self.url(s),
                        (Some("target"), Value::String(s)) => *s = self.target(s),
                        (_, item) => self.rewrite(item),
                    }
                }
            }
            _ => {}
        }
    }

    /// A URL with its host name replaced (an unparsable URL is refused before any lookup).
    fn url(&mut self, raw: &str) -> String {
        let Ok(mut url) = url::Url::parse(raw) else {
            return raw.to_owned();
        };
        let Some(host) = url.host_str().map(str::to_owned) else {
            return raw.to_owned();
        };
        let offline = self.host(&host);
        if url.set_host(Some(&offline)).is_err() {
            return "http://127.0.0.1/".to_owned();
        }
        url.to_string()
    }

    /// `host[:port]` with the host replaced; bracketed and bare IPv6 stay as they are.
    fn target(&mut self, raw: &str) -> String {
        if raw.starts_with('[') || raw.parse::<IpAddr>().is_ok() {
            return raw.to_owned();
        }
        match raw.split_once(':') {
            Some((host, port)) => format!("{}:{port}", self.host(host)),
            None => self.host(raw),
        }
    }
}
