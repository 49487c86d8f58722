//! A small JSON writer for the log object: objects and arrays written straight into one
//! string, strings escaped as JSON requires, so that a log entry costs no intermediate tree.

use std::fmt::Write as _;

/// An object or array being written into `out`.
pub struct Writer<'a> {
    out: &'a mut String,
    first: bool,
}

/// `text` as a JSON string.
pub fn push_str(out: &mut String, text: &str) {
    out.push('"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[start..index]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        start = index + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}

impl<'a> Writer<'a> {
    /// Opens an object (`{`) in `out`.
    pub fn object(out: &'a mut String) -> Self {
        out.push('{');
        Self { out, first: true }
    }

    /// Opens an array (`[`) in `out`.
    pub fn array(out: &'a mut String) -> Self {
        out.push('[');
        Self { out, first: true }
    }

    fn separate(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
    }

    /// Writes `"key":` and hands back the output for the value.
    pub fn key(&mut self, key: &str) -> &mut String {
        self.separate();
        push_str(self.out, key);
        self.out.push(':');
        self.out
    }

    /// An array element's place.
    pub fn element(&mut self) -> &mut String {
        self.separate();
        self.out
    }

    pub fn str(&mut self, key: &str, value: &str) {
        push_str(self.key(key), value);
    }

    pub fn num(&mut self, key: &str, value: impl std::fmt::Display) {
        let out = self.key(key);
        let _ = write!(out, "{value}");
    }

    pub fn bool(&mut self, key: &str, value: bool) {
        self.key(key).push_str(if value { "true" } else { "false" });
    }

    pub fn null(&mut self, key: &str) {
        self.key(key).push_str("null");
    }

    /// Closes the object or array.
    pub fn end(self, close: char) {
        self.out.push(close);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_shapes_parse_back() {
        let mut out = String::new();
        let mut object = Writer::object(&mut out);
        object.str("a\"b", "line\nnext\t\u{1}é\\");
        object.num("n", 42u64);
        object.bool("t", true);
        object.null("z");
        {
            let inner = object.key("list");
            let mut list = Writer::array(inner);
            push_str(list.element(), "x");
            list.element().push('1');
            list.end(']');
        }
        object.end('}');
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({"a\"b": "line\nnext\t\u{1}é\\", "n": 42, "t": true, "z": null, "list": ["x", 1]})
        );
    }
}
