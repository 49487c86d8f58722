//! Configuration errors: each names the Kong/deck-style path of the offending field.
//!
//! Messages name the field, never echo a value that could be a secret: serde's
//! "invalid type" and "invalid value" messages are rewritten without the value.

use std::collections::HashMap;
use std::fmt;

use serde::de::DeserializeOwned;

/// One problem in a declarative config, e.g. `services[0].host: cannot resolve 'x'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Kong/deck-style path: `services[0].routes[1].plugins[0].config.issuer`.
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

impl ConfigError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found in one declarative config, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigError::new(path, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        ConfigErrors(vec![error])
    }
}

/// Remembers the first place each value was seen, to report duplicates naming both.
#[derive(Default)]
pub struct Unique(HashMap<(&'static str, String), String>);

impl Unique {
    pub fn check(
        &mut self,
        field: &'static str,
        value: &str,
        path: &str,
        errors: &mut ConfigErrors,
    ) {
        let field_path = join(path, field);
        match self.0.get(&(field, value.to_owned())) {
            Some(first) => errors.push(
                field_path,
                format!("duplicate {field} '{value}' (also at {first})"),
            ),
            None => {
                self.0.insert((field, value.to_owned()), field_path);
            }
        }
    }
}

/// Deserializes `value` (found at `base`) into `T`, turning a failure into one error
/// with the exact path of the failing field.
pub fn deserialize_at<T: DeserializeOwned>(
    value: serde_yaml::Value,
    base: &str,
    errors: &mut ConfigErrors,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(parsed) => Some(parsed),
        Err(error) => {
            let mut path = base.to_owned();
            for segment in error.path().iter() {
                use serde_path_to_error::Segment;
                match segment {
                    Segment::Seq { index } => path.push_str(&format!("[{index}]")),
                    Segment::Map { key } => push_field(&mut path, key),
                    Segment::Enum { variant } => push_field(&mut path, variant),
                    Segment::Unknown => push_field(&mut path, "?"),
                }
            }
            let (path, message) = describe_serde_error(path, &error.into_inner().to_string());
            errors.push(path, message);
            None
        }
    }
}

/// Appends `.field` (or just `field` at the root) to a path.
pub fn push_field(path: &mut String, field: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(field);
}

/// `base.field`, or `field` when `base` is empty.
pub fn join(base: &str, field: &str) -> String {
    let mut path = base.to_owned();
    push_field(&mut path, field);
    path
}

/// Shortens serde's message, moves a missing or unknown field's name into the path and
/// drops the offending value from type/value errors.
fn describe_serde_error(mut path: String, message: &str) -> (String, String) {
    let message = message.lines().next().unwrap_or_default();
    let message = strip_location(message);
    if let Some(field) = backticked(message, "missing field `") {
        push_field(&mut path, field);
        return (path, "missing field".to_owned());
    }
    if let Some(field) = backticked(message, "unknown field `") {
        // serde_path_to_error usually has the key in the path already.
        if !path.ends_with(&format!(".{field}")) && path != field {
            push_field(&mut path, field);
        }
        return (path, "unknown field".to_owned());
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return (
                path,
                format!("invalid type: expected {expected}, found {}", kind(found)),
            );
        }
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        if let Some((_, expected)) = rest.split_once(", expected ") {
            return (path, format!("invalid value: expected {expected}"));
        }
    }
    if let Some(variant) = backticked(message, "unknown variant `") {
        let expected = message
            .split_once(", expected ")
            .map(|(_, e)| e.replace('`', ""))
            .unwrap_or_default();
        let message = if expected.is_empty() {
            format!("unknown variant '{variant}'")
        } else {
            format!("unknown variant '{variant}', expected {expected}")
        };
        return (path, message);
    }
    (path, message.to_owned())
}

/// The text between `prefix` and the next backtick, when `message` starts with `prefix`.
fn backticked<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split_once('`').map(|(field, _)| field)
}

/// serde's "unexpected" description without its value: `string "abc"` -> `string`.
fn kind(found: &str) -> &str {
    found.split(['`', '"']).next().unwrap_or(found).trim_end()
}

/// Drops a trailing " at line L column C" that serde_yaml adds for document errors.
fn strip_location(message: &str) -> &str {
    match message.find(" at line ") {
        Some(at) => &message[..at],
        None => message,
    }
}

/// Describes a YAML syntax error briefly: its message and location, nothing of the text.
pub fn yaml_syntax_error(error: &serde_yaml::Error) -> String {
    let message = error.to_string();
    let first = message.lines().next().unwrap_or_default();
    match error.location() {
        Some(at) => format!(
            "invalid YAML at line {} column {}: {}",
            at.line(),
            at.column(),
            strip_location(first)
        ),
        None => format!("invalid YAML: {}", strip_location(first)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_unknown_fields_move_into_the_path() {
        let (p, m) = describe_serde_error("a.config".into(), "missing field `issuer`");
        assert_eq!(
            (p.as_str(), m.as_str()),
            ("a.config.issuer", "missing field")
        );
        let (p, m) =
            describe_serde_error("a".into(), "unknown field `foo`, expected one of `x`, `y`");
        assert_eq!((p.as_str(), m.as_str()), ("a.foo", "unknown field"));
        let (p, _) = describe_serde_error("a.foo".into(), "unknown field `foo`, expected `x`");
        assert_eq!(p, "a.foo");
    }

    #[test]
    fn values_are_not_echoed() {
        let (_, m) = describe_serde_error(
            "x.client_secret".into(),
            "invalid type: string \"hunter2\", expected u64",
        );
        assert_eq!(m, "invalid type: expected u64, found string");
        assert!(!m.contains("hunter2"));
        let (_, m) = describe_serde_error("x".into(), "invalid value: integer `-3`, expected u16");
        assert_eq!(m, "invalid value: expected u16");
    }

    #[test]
    fn display_lists_one_error_per_line() {
        let mut errors = ConfigErrors::default();
        errors.push("a", "x");
        errors.push("b.c", "y");
        assert_eq!(errors.to_string(), "a: x\nb.c: y");
    }
}
