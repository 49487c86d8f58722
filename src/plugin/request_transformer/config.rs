//! request-transformer's `config`: Kong 3.9's schema (`remove`, `rename`, `replace` with
//! `uri`, `add`, `append`, each with `headers`, `querystring` and `body` lists, and
//! `http_method`), its messages, and the values compiled as templates.

use serde::Deserialize;

use super::template::Template;
use crate::config::errors::{join, ConfigErrors};
use crate::plugin::colon_pairs::{self, EntryRule};
use crate::plugin::plugin_config;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLists {
    #[serde(default)]
    body: Vec<String>,
    #[serde(default)]
    headers: Vec<String>,
    #[serde(default)]
    querystring: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReplace {
    #[serde(default)]
    body: Vec<String>,
    #[serde(default)]
    headers: Vec<String>,
    #[serde(default)]
    querystring: Vec<String>,
    #[serde(default)]
    uri: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    http_method: Option<String>,
    #[serde(default)]
    remove: RawLists,
    #[serde(default)]
    rename: RawLists,
    #[serde(default)]
    replace: RawReplace,
    #[serde(default)]
    add: RawLists,
    #[serde(default)]
    append: RawLists,
}

/// One `name:value` entry; the value is a template (for `rename`, of the new name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub value: Template,
}

/// The three lists of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lists<T> {
    pub headers: Vec<T>,
    pub querystring: Vec<T>,
    pub body: Vec<T>,
}

impl<T> Default for Lists<T> {
    fn default() -> Self {
        Lists {
            headers: Vec::new(),
            querystring: Vec::new(),
            body: Vec::new(),
        }
    }
}

/// The five lists of one part of the request (its query string or its body).
#[derive(Debug, Clone, Copy)]
pub struct Operations<'a> {
    pub remove: &'a [String],
    pub rename: &'a [Entry],
    pub replace: &'a [Entry],
    pub add: &'a [Entry],
    pub append: &'a [Entry],
}

/// A checked request-transformer config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestTransformerConfig {
    pub http_method: Option<http::Method>,
    /// Names to remove (what precedes a `:` in an entry).
    pub remove: Lists<String>,
    pub rename: Lists<Entry>,
    pub replace: Lists<Entry>,
    /// `replace.uri`: the upstream path instead of the one routing gives.
    pub replace_uri: Option<Template>,
    pub add: Lists<Entry>,
    pub append: Lists<Entry>,
}

impl Operations<'_> {
    /// Whether any of the lists is set.
    pub fn any(&self) -> bool {
        !(self.remove.is_empty()
            && self.rename.is_empty()
            && self.replace.is_empty()
            && self.add.is_empty()
            && self.append.is_empty())
    }
}

impl RequestTransformerConfig {
    pub fn query_operations(&self) -> Operations<'_> {
        Operations {
            remove: &self.remove.querystring,
            rename: &self.rename.querystring,
            replace: &self.replace.querystring,
            add: &self.add.querystring,
            append: &self.append.querystring,
        }
    }

    pub fn body_operations(&self) -> Operations<'_> {
        Operations {
            remove: &self.remove.body,
            rename: &self.rename.body,
            replace: &self.replace.body,
            add: &self.add.body,
            append: &self.append.body,
        }
    }

    /// Whether any template satisfies `test` (what a request must provide to render them).
    pub fn any_template(&self, test: impl Fn(&Template) -> bool) -> bool {
        let lists = [&self.rename, &self.replace, &self.add, &self.append];
        self.replace_uri.as_ref().is_some_and(&test)
            || lists.iter().any(|lists| {
                [&lists.headers, &lists.querystring, &lists.body]
                    .iter()
                    .any(|entries| entries.iter().any(|e| test(&e.value)))
            })
    }
}

/// Parses and checks the `config` of the plugin at `path`.
pub fn compile(
    config: Option<serde_yaml::Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<RequestTransformerConfig> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let config_path = join(path, "config");
    let before = errors.len();
    if let Some(method) = &raw.http_method {
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.push(
                join(&config_path, "http_method"),
                format!("invalid value: {method}"),
            );
        }
    }
    let at = |record: &str, list: &str| colon_pairs::list_path(&config_path, record, list);
    let names = |lists: &RawLists, errors: &mut ConfigErrors| {
        colon_pairs::check(&lists.body, EntryRule::Name, &at("remove", "body"), errors);
        colon_pairs::check(
            &lists.headers,
            EntryRule::HeaderName,
            &at("remove", "headers"),
            errors,
        );
        Lists {
            headers: names_of(&lists.headers),
            querystring: names_of(&lists.querystring),
            body: names_of(&lists.body),
        }
    };
    let remove = names(&raw.remove, errors);
    let rename = entries(&raw.rename, "rename", EntryRule::HeaderRename, &at, errors);
    let replace_lists = RawLists {
        body: raw.replace.body.clone(),
        headers: raw.replace.headers.clone(),
        querystring: raw.replace.querystring.clone(),
    };
    let replace = entries(
        &replace_lists,
        "replace",
        EntryRule::HeaderValue,
        &at,
        errors,
    );
    let replace_uri = raw.replace.uri.as_deref().and_then(|uri| {
        Template::compile(uri)
            .map_err(|message| errors.push(at("replace", "uri"), message))
            .ok()
    });
    let add = entries(&raw.add, "add", EntryRule::HeaderValue, &at, errors);
    let append = entries(&raw.append, "append", EntryRule::HeaderValue, &at, errors);
    let http_method = raw
        .http_method
        .as_deref()
        .and_then(|m| http::Method::from_bytes(m.as_bytes()).ok());
    (errors.len() == before).then_some(RequestTransformerConfig {
        http_method,
        remove,
        rename,
        replace,
        replace_uri,
        add,
        append,
    })
}

fn names_of(list: &[String]) -> Vec<String> {
    list.iter()
        .filter_map(|entry| colon_pairs::split(entry).map(|(name, _)| name.to_owned()))
        .collect()
}

/// The checked entries of one operation's three lists.
fn entries(
    lists: &RawLists,
    record: &str,
    header_rule: EntryRule,
    at: &dyn Fn(&str, &str) -> String,
    errors: &mut ConfigErrors,
) -> Lists<Entry> {
    let before = errors.len();
    colon_pairs::check(&lists.headers, header_rule, &at(record, "headers"), errors);
    for (list, name) in [(&lists.querystring, "querystring"), (&lists.body, "body")] {
        colon_pairs::check(list, EntryRule::NameValue, &at(record, name), errors);
    }
    if errors.len() != before {
        return Lists::default();
    }
    let mut compile_list = |list: &[String], name: &str, header: bool| -> Vec<Entry> {
        let path = at(record, name);
        list.iter()
            .enumerate()
            .filter_map(|(i, entry)| {
                let (name, value) = colon_pairs::split(entry)?;
                // On the wire a header value's surrounding blanks are not part of it.
                let value = if header { value.trim() } else { value };
                match Template::compile(value) {
                    Ok(template) => {
                        let text_ok = template
                            .as_text()
                            .is_none_or(|text| http::HeaderValue::from_str(text).is_ok());
                        if header && !text_ok {
                            errors.push(format!("{path}[{i}]"), format!("invalid value: {entry}"));
                        }
                        Some(Entry {
                            name: name.to_owned(),
                            value: template,
                        })
                    }
                    Err(message) => {
                        errors.push(format!("{path}[{i}]"), message);
                        None
                    }
                }
            })
            .collect()
    };
    Lists {
        headers: compile_list(&lists.headers, "headers", true),
        querystring: compile_list(&lists.querystring, "querystring", false),
        body: compile_list(&lists.body, "body", false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<RequestTransformerConfig, Vec<(String, String)>> {
        plugin_config::check_config(compile, yaml)
    }

    #[test]
    fn defaults_and_a_full_config() {
        let empty = compile(None, "plugins[0]", &mut ConfigErrors::default()).unwrap();
        assert_eq!(empty, RequestTransformerConfig::default());
        assert!(!empty.body_operations().any() && !empty.query_operations().any());
        let c = check(
            "{http_method: POST, remove: {headers: [X-Secret], querystring: ['debug:x'], body: [password]},
              rename: {headers: ['X-Old:X-New']}, replace: {uri: '/v2/$(uri_captures.id)', body: ['a:b']},
              add: {headers: ['X-Kong-Proxy: true', 'X-User:$(headers.x_user)'], querystring: ['v:2']},
              append: {body: ['tag:x']}}",
        )
        .unwrap();
        assert_eq!(c.http_method, Some(http::Method::POST));
        assert_eq!(c.remove.querystring, ["debug"]);
        assert_eq!(c.add.headers[0].name, "X-Kong-Proxy");
        assert_eq!(c.add.headers[0].value.as_text(), Some("true"));
        assert!(c.body_operations().any() && c.query_operations().any());
        assert!(c.any_template(Template::uses_captures));
    }

    #[test]
    fn kongs_messages_at_their_paths() {
        let one = |yaml: &str| check(yaml).unwrap_err().remove(0);
        assert_eq!(
            one("{http_method: get}"),
            (
                "plugins[0].config.http_method".into(),
                "invalid value: get".into()
            )
        );
        assert_eq!(
            one("{add: {headers: ['X-A: 1', 'X-B']}}"),
            (
                "plugins[0].config.add.headers[1]".into(),
                "invalid value: X-B".into()
            )
        );
        assert_eq!(
            one("{add: {querystring: [q]}}"),
            (
                "plugins[0].config.add.querystring[0]".into(),
                "key 'q' has no value".into()
            )
        );
        assert_eq!(
            one("{rename: {headers: ['a:b c']}}").1,
            "'b c' is not a valid header"
        );
        assert_eq!(
            one("{remove: {headers: ['a b']}}"),
            (
                "plugins[0].config.remove.headers[0]".into(),
                "'a b' is not a valid header".into()
            )
        );
        let (path, message) = one("{add: {body: [\"a:$(headers.x or 'y')\"]}}");
        assert_eq!(path, "plugins[0].config.add.body[0]");
        assert!(message.contains("Lua expression"), "{message}");
        assert_eq!(one("{color: red}").0, "plugins[0].config.color");
        // A list item written as a YAML mapping (`- X-A: "1"`) is not a string, in Kong too.
        assert_eq!(
            one("{add: {headers: [{X-A: '1'}]}}").0,
            "plugins[0].config.add.headers[0]"
        );
    }
}
