//! Values a declarative file takes from the environment: decK's `${{ env "DECK_NAME" }}`
//! placeholders (rendered in the text before parsing, as decK does) and Kong's env vault
//! references `{vault://env/name}` (and `{vault://env/name/key}` for a field of a JSON
//! value), resolved in every string; a `vaults` entity of type `env` adds its own prefix
//! (`{vault://<prefix>/name}`, with its `config.prefix` before the variable name). Other
//! vaults are refused by name. A missing variable is an error naming the variable, never its
//! value.

use std::collections::HashMap;

use serde_yaml::Value;

use super::errors::ConfigErrors;

/// Renders decK placeholders; errors name the missing variables.
pub fn render_deck_env(
    text: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<String, ConfigErrors> {
    const OPEN: &str = "${{";
    let mut out = String::with_capacity(text.len());
    let mut errors = ConfigErrors::default();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let inner = after[..end].trim();
        match parse_env_call(inner) {
            Some(name) if name.starts_with("DECK_") => match env(name) {
                Some(value) => out.push_str(&value),
                None => errors.push(
                    "document",
                    format!("environment variable {name} (a decK placeholder) is not set"),
                ),
            },
            Some(name) => errors.push(
                "document",
                format!("decK placeholder reads {name}: decK only reads variables named DECK_*"),
            ),
            // Not a decK env call (e.g. `{{` inside a Lua string): left as written.
            None => out.push_str(&rest[start..start + OPEN.len() + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// `env "NAME"` -> `NAME`.
fn parse_env_call(inner: &str) -> Option<&str> {
    let arg = inner.strip_prefix("env")?.trim();
    let name = arg.strip_prefix('"')?.strip_suffix('"')?;
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then_some(name)
}

/// Env vaults by reference prefix: the variable-name prefix of each.
pub type EnvVaults = HashMap<String, String>;

/// Reads the top-level `vaults` entities (Kong's `env` vault only; `env` itself needs none).
pub fn env_vaults(root: &Value, errors: &mut ConfigErrors) -> EnvVaults {
    let mut vaults = EnvVaults::new();
    vaults.insert("env".to_owned(), String::new());
    let Some(Value::Sequence(list)) = root.get("vaults") else {
        if root.get("vaults").is_some_and(|v| !v.is_null()) {
            errors.push("vaults", "invalid type: expected a sequence");
        }
        return vaults;
    };
    for (i, vault) in list.iter().enumerate() {
        let at = format!("vaults[{i}]");
        let name = vault.get("name").and_then(Value::as_str);
        let prefix = vault.get("prefix").and_then(Value::as_str);
        match (name, prefix) {
            (Some("env"), Some(prefix)) if !prefix.is_empty() => {
                let variable_prefix = vault
                    .get("config")
                    .and_then(|c| c.get("prefix"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                vaults.insert(prefix.to_owned(), variable_prefix.to_owned());
            }
            (Some("env"), _) => errors.push(format!("{at}.prefix"), "missing field"),
            (Some(other), _) => errors.push(
                format!("{at}.name"),
                format!("unsupported vault '{other}': only Kong's env vault is available"),
            ),
            (None, _) => errors.push(format!("{at}.name"), "missing field"),
        }
    }
    vaults
}

/// Resolves vault references in every string of `value`; `path` is where `value` is.
pub fn resolve_vault_refs(
    value: &mut Value,
    path: &str,
    vaults: &EnvVaults,
    env: &dyn Fn(&str) -> Option<String>,
    errors: &mut ConfigErrors,
) {
    match value {
        Value::String(s) if s.starts_with("{vault://") && s.ends_with('}') => {
            match resolve_reference(&s[1..s.len() - 1], vaults, env) {
                Ok(resolved) => *s = resolved,
                Err(message) => errors.push(path, message),
            }
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                resolve_vault_refs(item, &format!("{path}[{i}]"), vaults, env, errors);
            }
        }
        Value::Mapping(map) => {
            for (key, item) in map.iter_mut() {
                let key = key.as_str().unwrap_or("?");
                let at = if path.is_empty() {
                    key.to_owned()
                } else {
                    format!("{path}.{key}")
                };
                resolve_vault_refs(item, &at, vaults, env, errors);
            }
        }
        _ => {}
    }
}

/// `vault://env/name[/key]` -> the value.
fn resolve_reference(
    reference: &str,
    vaults: &EnvVaults,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let rest = reference.trim_start_matches("vault://");
    let (vault, rest) = rest.split_once('/').unwrap_or((rest, ""));
    let Some(variable_prefix) = vaults.get(vault) else {
        return Err(format!(
            "unsupported vault '{vault}': only Kong's env vault ({{vault://env/NAME}}) is available"
        ));
    };
    let (name, key) = match rest.split_once('/') {
        Some((name, key)) => (name, Some(key)),
        None => (rest, None),
    };
    if name.is_empty() {
        return Err("invalid vault reference: expected {vault://env/NAME}".to_owned());
    }
    let variable = format!("{variable_prefix}{name}")
        .to_ascii_uppercase()
        .replace('-', "_");
    if variable.is_empty() {
        return Err("invalid vault reference: expected {vault://env/NAME}".to_owned());
    }
    let value = env(&variable)
        .ok_or_else(|| format!("vault reference: environment variable {variable} is not set"))?;
    match key {
        None => Ok(value),
        Some(key) => {
            let json: serde_json::Value = serde_json::from_str(&value).map_err(|_| {
                format!("vault reference: {variable} is not a JSON object (for key '{key}')")
            })?;
            match json.get(key) {
                Some(serde_json::Value::String(s)) => Ok(s.clone()),
                Some(other) => Ok(other.to_string()),
                None => Err(format!("vault reference: {variable} has no key '{key}'")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "DECK_ISSUER" => Some("http://idp/realms/x".into()),
            "MY_SECRET" => Some("s3cret".into()),
            "JSON_SECRET" => Some(r#"{"user":"u1","n":3}"#.into()),
            _ => None,
        }
    }

    #[test]
    fn deck_placeholders_are_rendered() {
        let text = "issuer: ${{ env \"DECK_ISSUER\" }}\nlua: \"{{x}}\"\n";
        assert_eq!(
            render_deck_env(text, env).unwrap(),
            "issuer: http://idp/realms/x\nlua: \"{{x}}\"\n"
        );
        let missing = render_deck_env("a: ${{ env \"DECK_NOPE\" }}", env).unwrap_err();
        assert!(missing.to_string().contains("DECK_NOPE"), "{missing}");
        let not_deck = render_deck_env("a: ${{ env \"HOME\" }}", env).unwrap_err();
        assert!(not_deck.to_string().contains("DECK_*"), "{not_deck}");
    }

    #[test]
    fn env_vault_references_resolve_and_others_are_refused() {
        let mut value: Value = serde_yaml::from_str(
            "{a: '{vault://env/my-secret}', b: ['{vault://env/json_secret/user}'], c: '{vault://gcp/x/y}', d: '{vault://env/missing}'}",
        )
        .unwrap();
        let mut errors = ConfigErrors::default();
        let vaults = env_vaults(
            &serde_yaml::from_str("{vaults: [{name: env, prefix: mine, config: {prefix: my_}}]}")
                .unwrap(),
            &mut errors,
        );
        let mut own: Value = serde_yaml::from_str("x: '{vault://mine/secret}'").unwrap();
        resolve_vault_refs(&mut own, "", &vaults, &env, &mut errors);
        assert_eq!(own["x"], Value::from("s3cret"));
        resolve_vault_refs(&mut value, "", &vaults, &env, &mut errors);
        assert_eq!(value["a"], Value::from("s3cret"));
        assert_eq!(value["b"][0], Value::from("u1"));
        let text = errors.to_string();
        assert!(text.contains("c: unsupported vault 'gcp'"), "{text}");
        assert!(
            text.contains("d: vault reference: environment variable MISSING is not set"),
            "{text}"
        );
        assert!(!text.contains("s3cret"));
    }
}
