//! response-transformer's `config`: Kong 3.9's schema (`remove`, `rename`, `replace`,
//! `add`, `append`, each with `headers` and `json` lists, and `json_types` for the last
//! three) and its messages.

use serde::Deserialize;

use crate::config::errors::{join, ConfigErrors};
use crate::plugin::colon_pairs::{self, EntryRule};
use crate::plugin::plugin_config;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLists {
    #[serde(default)]
    json: Vec<String>,
    #[serde(default)]
    json_types: Vec<String>,
    #[serde(default)]
    headers: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    remove: RawLists,
    #[serde(default)]
    rename: RawLists,
    #[serde(default)]
    replace: RawLists,
    #[serde(default)]
    add: RawLists,
    #[serde(default)]
    append: RawLists,
}

/// The JSON type a written value gets (Kong's `json_types`; by default a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    Boolean,
    Number,
    String,
}

/// One `name:value` entry (an empty value is Kong's `nil`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub value: Option<String>,
    pub json_type: Option<JsonType>,
}

/// The two lists of one operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lists {
    pub headers: Vec<Entry>,
    pub json: Vec<Entry>,
}

/// A checked response-transformer config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseTransformerConfig {
    pub remove: Lists,
    pub rename: Lists,
    pub replace: Lists,
    pub add: Lists,
    pub append: Lists,
}

impl ResponseTransformerConfig {
    /// Kong's `is_body_transform_set`.
    pub fn transforms_json(&self) -> bool {
        [
            &self.remove,
            &self.rename,
            &self.replace,
            &self.add,
            &self.append,
        ]
        .iter()
        .any(|lists| !lists.json.is_empty())
    }
}

/// Parses and checks the `config` of the plugin at `path`.
pub fn compile(
    config: Option<serde_yaml::Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<ResponseTransformerConfig> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let config_path = join(path, "config");
    let before = errors.len();
    let mut lists = |raw: &RawLists, record: &str, header_rule: EntryRule, json_rule: EntryRule| {
        let at = |list: &str| colon_pairs::list_path(&config_path, record, list);
        colon_pairs::check(&raw.headers, header_rule, &at("headers"), errors);
        colon_pairs::check(&raw.json, json_rule, &at("json"), errors);
        let mut types = Vec::new();
        for (i, name) in raw.json_types.iter().enumerate() {
            types.push(match name.as_str() {
                "boolean" => JsonType::Boolean,
                "number" => JsonType::Number,
                "string" => JsonType::String,
                _ => {
                    errors.push(
                        format!("{}[{i}]", at("json_types")),
                        "expected one of: boolean, number, string",
                    );
                    JsonType::String
                }
            });
        }
        // `remove` and `rename` have no `json_types` in Kong's schema.
        if matches!(record, "remove" | "rename") && !raw.json_types.is_empty() {
            errors.push(at("json_types"), "unknown field");
        }
        Lists {
            headers: entries(&raw.headers, &[]),
            json: entries(&raw.json, &types),
        }
    };
    let remove = lists(&raw.remove, "remove", EntryRule::Name, EntryRule::Name);
    let rename = lists(
        &raw.rename,
        "rename",
        EntryRule::HeaderRename,
        EntryRule::Colon,
    );
    let replace = lists(&raw.replace, "replace", EntryRule::Colon, EntryRule::Colon);
    let add = lists(&raw.add, "add", EntryRule::Colon, EntryRule::Colon);
    let append = lists(&raw.append, "append", EntryRule::Colon, EntryRule::Colon);
    (errors.len() == before).then_some(ResponseTransformerConfig {
        remove,
        rename,
        replace,
        add,
        append,
    })
}

fn entries(list: &[String], types: &[JsonType]) -> Vec<Entry> {
    list.iter()
        .enumerate()
        .filter_map(|(i, entry)| {
            let (name, value) = colon_pairs::split(entry)?;
            Some(Entry {
                name: name.to_owned(),
                value: (!value.is_empty()).then(|| value.to_owned()),
                json_type: types.get(i).copied(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<ResponseTransformerConfig, Vec<(String, String)>> {
        plugin_config::check_config(compile, yaml)
    }

    #[test]
    fn defaults_and_entries() {
        let empty = compile(None, "plugins[0]", &mut ConfigErrors::default()).unwrap();
        assert!(!empty.transforms_json());
        let c = check(
            "{add: {headers: ['X-Powered-By: telco'], json: ['n:1', 'ok:true'], json_types: [number, boolean]},
              remove: {headers: [Server], json: [secret]}}",
        )
        .unwrap();
        assert!(c.transforms_json());
        assert_eq!(c.add.headers[0].value.as_deref(), Some(" telco"));
        assert_eq!(c.add.json[1].json_type, Some(JsonType::Boolean));
        assert_eq!(c.remove.json[0].name, "secret");
    }

    #[test]
    fn kongs_messages_at_their_paths() {
        let one = |yaml: &str| check(yaml).unwrap_err().remove(0);
        assert_eq!(
            one("{add: {headers: [X-No-Colon]}}"),
            (
                "plugins[0].config.add.headers[0]".into(),
                "invalid value: X-No-Colon".into()
            )
        );
        assert_eq!(
            one("{rename: {headers: ['a:b c']}}").1,
            "'b c' is not a valid header"
        );
        assert_eq!(
            one("{append: {json: ['a:1'], json_types: [integer]}}"),
            (
                "plugins[0].config.append.json_types[0]".into(),
                "expected one of: boolean, number, string".into()
            )
        );
        assert_eq!(
            one("{remove: {json_types: [number]}}").0,
            "plugins[0].config.remove.json_types"
        );
        assert_eq!(one("{add: {body: [a]}}").0, "plugins[0].config.add.body");
    }
}
