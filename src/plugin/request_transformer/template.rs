//! request-transformer's values as templates: Kong renders `$(...)` with Penlight, in a
//! sandbox that sees `headers`, `query_params` and `uri_captures`. This data plane runs no
//! Lua: it substitutes the plain lookups (`$(headers.x_y)`, `$(headers["X-Y"])`,
//! `$(query_params.q)`, `$(uri_captures[1])`, `$(uri_captures.name)`) and refuses every
//! other expression by name when the config is loaded. A missing value renders as `''`, as
//! Penlight's `(expr or '')` does.

use http::HeaderMap;

/// Where a `$(...)` lookup reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The request's headers (any case; `_` in a `headers.name` lookup stands for `-`).
    Headers,
    /// The request's query arguments (exact name).
    QueryParams,
    /// The matched regex path's captures, by name or number.
    UriCaptures,
}

/// The key of a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Name(String),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Lookup(Source, Key),
}

/// A compiled value: plain text, or text with lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// What a template's lookups read, for one request.
pub struct TemplateInput<'a> {
    pub headers: &'a HeaderMap,
    pub query: Option<&'a str>,
    pub captures: Option<&'a regex::Captures<'a>>,
}

impl Template {
    /// Compiles `value`; `Err` is the message for the config error.
    pub fn compile(value: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = value;
        while let Some(start) = rest.find("$(") {
            let Some(len) = balanced_len(&rest[start + 1..]) else {
                // Penlight leaves an unbalanced `$(` as text.
                break;
            };
            text.push_str(&rest[..start]);
            let expression = &rest[start + 2..start + len];
            let (source, key) = lookup(expression.trim()).ok_or_else(|| {
                format!(
                    "value '{value}' uses the Lua expression '$({expression})', which this data \
                     plane does not run: only $(headers.<name>), $(headers[\"<name>\"]), \
                     $(query_params.<name>) and $(uri_captures.<name>|[<n>]) are substituted"
                )
            })?;
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Lookup(source, key));
            rest = &rest[start + 1 + len..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Template { pieces })
    }

    /// Whether a lookup reads the route's regex captures.
    pub fn uses_captures(&self) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Lookup(Source::UriCaptures, _)))
    }

    /// The text, when the template has no lookup.
    pub fn as_text(&self) -> Option<&str> {
        match self.pieces.as_slice() {
            [] => Some(""),
            [Piece::Text(text)] => Some(text),
            _ => None,
        }
    }

    /// The value for one request.
    pub fn render(&self, input: &TemplateInput<'_>) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Lookup(source, key) => out.push_str(&lookup_value(source, key, input)),
            }
        }
        out
    }
}

/// Length of the balanced `( ... )` at the start of `s` (Lua's `%b()`), parentheses included.
fn balanced_len(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// `table.name`, `table["name"]`, `table['name']` or `table[1]` for the three tables.
fn lookup(expression: &str) -> Option<(Source, Key)> {
    let tables = [
        ("headers", Source::Headers),
        ("query_params", Source::QueryParams),
        ("uri_captures", Source::UriCaptures),
    ];
    let (rest, source) = tables.into_iter().find_map(|(name, source)| {
        expression
            .strip_prefix(name)
            .map(|rest| (rest.trim_start(), source))
    })?;
    if let Some(name) = rest.strip_prefix('.') {
        let name = name.trim();
        let identifier = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        return identifier.then(|| (source, Key::Name(name.to_owned())));
    }
    let inner = rest.strip_prefix('[')?.strip_suffix(']')?.trim();
    for quote in ['"', '\''] {
        if let Some(name) = inner
            .strip_prefix(quote)
            .and_then(|s| s.strip_suffix(quote))
        {
            let plain = !name.contains(quote) && !name.contains('\\');
            return plain.then(|| (source, Key::Name(name.to_owned())));
        }
    }
    let index: usize = inner.parse().ok()?;
    (source == Source::UriCaptures).then_some((source, Key::Index(index)))
}

fn lookup_value(source: &Source, key: &Key, input: &TemplateInput<'_>) -> String {
    match (source, key) {
        (Source::Headers, Key::Name(name)) => {
            let values: Vec<&str> = header_values(input.headers, name).collect();
            if values.is_empty() {
                // Lua's `headers.x_y` finds `X-Y` too.
                let dashed = name.replace('_', "-");
                header_values(input.headers, &dashed)
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                values.join(", ")
            }
        }
        (Source::QueryParams, Key::Name(name)) => query_values(input.query, name).join(","),
        (Source::UriCaptures, Key::Name(name)) => input
            .captures
            .and_then(|c| c.name(name))
            .map_or_else(String::new, |m| m.as_str().to_owned()),
        (Source::UriCaptures, Key::Index(i)) => input
            .captures
            .and_then(|c| c.get(*i))
            .map_or_else(String::new, |m| m.as_str().to_owned()),
        _ => String::new(),
    }
}

fn header_values<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
}

/// The decoded values of query argument `name` (a bare flag has none).
pub fn query_values(query: Option<&str>, name: &str) -> Vec<String> {
    let Some(query) = query else {
        return Vec::new();
    };
    form_urlencoded::parse(query.as_bytes())
        .filter(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(value: &str, headers: &[(&str, &str)], query: Option<&str>) -> String {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        let input = TemplateInput {
            headers: &map,
            query,
            captures: None,
        };
        Template::compile(value).unwrap().render(&input)
    }

    #[test]
    fn plain_lookups_are_substituted() {
        let h = [("X-User", "ann"), ("X-Two", "a"), ("X-Two", "b")];
        assert_eq!(render("id:$(headers.x_user)!", &h, None), "id:ann!");
        assert_eq!(render("$(headers[\"X-User\"])", &h, None), "ann");
        assert_eq!(render("$( headers['x-user'] )", &h, None), "ann");
        assert_eq!(render("$(headers.x_two)", &h, None), "a, b");
        assert_eq!(render("$(headers.absent)-", &h, None), "-");
        assert_eq!(
            render(
                "$(query_params.q)/$(query_params[\"a b\"])",
                &h,
                Some("q=1&a+b=%41")
            ),
            "1/A"
        );
        assert_eq!(render("no template", &h, None), "no template");
        assert_eq!(render("$(unbalanced", &h, None), "$(unbalanced");
    }

    #[test]
    fn captures_by_name_and_number() {
        let regex = regex::Regex::new(r"^/users/(?<id>\d+)/(\w+)$").unwrap();
        let captures = regex.captures("/users/42/posts").unwrap();
        let headers = HeaderMap::new();
        let input = TemplateInput {
            headers: &headers,
            query: None,
            captures: Some(&captures),
        };
        let t = Template::compile("/u/$(uri_captures.id)/$(uri_captures[2])").unwrap();
        assert!(t.uses_captures());
        assert_eq!(t.render(&input), "/u/42/posts");
        assert_eq!(
            Template::compile("$(uri_captures[\"id\"])")
                .unwrap()
                .render(&input),
            "42"
        );
    }

    #[test]
    fn lua_expressions_are_refused_by_name() {
        for value in [
            "$(headers.x or 'default')",
            "$(os.getenv('HOME'))",
            "$(headers[1])",
            "$(shared.x)",
            "$(headers.x:lower())",
            "$(query_params['a'..'b'])",
        ] {
            let error = Template::compile(value).unwrap_err();
            assert!(error.contains("Lua expression"), "{value}: {error}");
        }
        assert_eq!(Template::compile("plain").unwrap().as_text(), Some("plain"));
        assert_eq!(Template::compile("$(headers.a)").unwrap().as_text(), None);
    }
}
