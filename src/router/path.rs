//! Route paths: plain prefixes, or regexes (a leading `~`) anchored at the start of the
//! normalised request path, with named captures `(?<name>..)` / `(?P<name>..)`.

use regex::{Regex, RegexBuilder};

/// Compiled size limit of one regex (paths and header values).
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A route path as written in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PathPattern {
    Prefix(String),
    /// The regex without its `~`.
    Regex(String),
}

impl PathPattern {
    pub(super) fn new(path: &str) -> PathPattern {
        match path.strip_prefix('~') {
            Some(regex) => PathPattern::Regex(regex.to_owned()),
            None => PathPattern::Prefix(path.to_owned()),
        }
    }
}

/// The anchored form Kong gives a regex path.
pub(super) fn anchored(regex: &str) -> String {
    format!("^(?:{regex})")
}

/// The literal text every match of an anchored regex path starts with: the leading run
/// of plain characters, minus a last one made optional by a quantifier. Empty when the
/// pattern has an alternation anywhere (conservative) or starts with a metacharacter.
pub(super) fn literal_prefix(regex: &str) -> &str {
    if regex.contains('|') {
        return "";
    }
    let end = regex
        .find(|c: char| "\\.+*?()[]{}^$#".contains(c) || c.is_whitespace())
        .unwrap_or(regex.len());
    let quantified = matches!(regex[end..].chars().next(), Some('*' | '?' | '{' | '+'));
    let end = if quantified {
        regex[..end].char_indices().last().map_or(0, |(i, _)| i)
    } else {
        end
    };
    &regex[..end]
}

/// Compiles a route regex (anchored or not) with the size limit.
pub fn compile_regex(pattern: &str, case_insensitive: bool) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(describe_regex_error)
}

/// Checks a `~` path's regex; `Err` is a message that does not repeat the pattern.
pub fn check_regex_path(regex: &str) -> Result<(), String> {
    compile_regex(&anchored(regex), false).map(|_| ())
}

/// `invalid regex: <reason>`, without echoing the pattern back.
pub(super) fn describe_regex_error(error: regex::Error) -> String {
    match error {
        regex::Error::CompiledTooBig(limit) => {
            format!("invalid regex: too large once compiled (limit {limit} bytes)")
        }
        regex::Error::Syntax(text) => {
            let reason = text
                .lines()
                .rev()
                .find_map(|line| line.trim().strip_prefix("error:"))
                .map(str::trim)
                .unwrap_or("syntax error");
            format!("invalid regex: {reason}")
        }
        _ => "invalid regex".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_errors_do_not_echo_the_pattern() {
        let message = check_regex_path("/secret-(\\d+").unwrap_err();
        assert!(message.starts_with("invalid regex: "), "{message}");
        assert!(!message.contains("secret"), "{message}");
        let message = check_regex_path("/(a{1000}){1000}").unwrap_err();
        assert!(message.contains("too large"), "{message}");
    }

    #[test]
    fn literal_prefixes_are_conservative() {
        let table = [
            ("/svc1/items/\\d+", "/svc1/items/"),
            ("/ab*", "/a"),
            ("/ab?c", "/a"),
            ("/ab{2}", "/a"),
            ("/ab+", "/a"),
            ("/a|/b", ""),
            ("(?i)/a", ""),
            ("/a.b", "/a"),
            ("/a(?<id>x)", "/a"),
            ("/é[0-9]", "/é"),
            ("/é?", "/"),
            ("/a$", "/a"),
            ("/a b", "/a"),
            ("", ""),
        ];
        for (regex, want) in table {
            assert_eq!(literal_prefix(regex), want, "{regex}");
        }
    }

    #[test]
    fn regex_paths_are_anchored() {
        let regex = compile_regex(&anchored("/users/\\d+"), false).unwrap();
        assert!(regex.is_match("/users/12/x"));
        assert!(!regex.is_match("/api/users/12"));
    }
}
