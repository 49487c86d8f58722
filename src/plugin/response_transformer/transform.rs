//! response-transformer's two transforms, in Kong's order (remove, rename, replace, add,
//! append): the response headers, and the JSON body's top-level keys.

use pingora::http::ResponseHeader;
use serde_json::{Number, Value};

use super::config::{Entry, JsonType, ResponseTransformerConfig};
use crate::plugin::request_transformer::body::append_value;

/// Kong's `is_json_body`: one of the comma-separated media types is `application/json`.
pub fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|value| {
        value.split(',').any(|media| {
            let essence = media.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("application/json")
        })
    })
}

/// Applies the header lists to `response`.
pub fn headers(conf: &ResponseTransformerConfig, response: &mut ResponseHeader) {
    for Entry { name, .. } in &conf.remove.headers {
        response.remove_header(name.as_str());
    }
    for Entry {
        name: old,
        value: new,
        ..
    } in &conf.rename.headers
    {
        let Some(new) = new else { continue };
        let values: Vec<http::HeaderValue> = response
            .headers
            .get_all(old.as_str())
            .iter()
            .cloned()
            .collect();
        if values.is_empty() {
            continue;
        }
        response.remove_header(old.as_str());
        response.remove_header(new.as_str());
        for value in values {
            let _ = response.append_header(new.clone(), value);
        }
    }
    for Entry { name, value, .. } in &conf.replace.headers {
        if let Some(value) = value
            .as_deref()
            .filter(|_| response.headers.contains_key(name.as_str()))
        {
            set(response, name, value, false);
        }
    }
    for Entry { name, value, .. } in &conf.add.headers {
        if let Some(value) = value
            .as_deref()
            .filter(|_| !response.headers.contains_key(name.as_str()))
        {
            set(response, name, value, false);
        }
    }
    for Entry { name, value, .. } in &conf.append.headers {
        if let Some(value) = value.as_deref() {
            set(response, name, value, true);
        }
    }
}

fn set(response: &mut ResponseHeader, name: &str, value: &str, append: bool) {
    let Ok(value) = http::HeaderValue::from_str(value.trim()) else {
        log::info!("response-transformer: header {name} left out: not a valid header value");
        return;
    };
    let result = if append {
        response.append_header(name.to_owned(), value).map(|_| ())
    } else {
        response.insert_header(name.to_owned(), value)
    };
    if result.is_err() {
        log::info!("response-transformer: header {name} could not be set");
    }
}

/// The transformed JSON body; `None` when the body is not a JSON object (sent unchanged,
/// as Kong sends a body that does not parse).
pub fn json(conf: &ResponseTransformerConfig, body: &[u8]) -> Option<Vec<u8>> {
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    let truthy = |v: Option<&Value>| v.is_some_and(|v| v != &Value::Bool(false));
    for Entry { name, .. } in &conf.remove.json {
        object.remove(name);
    }
    for Entry {
        name: old, value, ..
    } in &conf.rename.json
    {
        if let Some(new) = value {
            if let Some(moved) = object.remove(old) {
                object.insert(new.clone(), moved);
            }
        }
    }
    for entry in &conf.replace.json {
        if let Some(value) = typed(entry).filter(|_| truthy(object.get(&entry.name))) {
            object.insert(entry.name.clone(), value);
        }
    }
    for entry in &conf.add.json {
        if let Some(value) = typed(entry).filter(|_| !truthy(object.get(&entry.name))) {
            object.insert(entry.name.clone(), value);
        }
    }
    for entry in &conf.append.json {
        if let Some(value) = typed(entry) {
            append_value(&mut object, &entry.name, value);
        }
    }
    serde_json::to_vec(&Value::Object(object)).ok()
}

/// Kong's `json_value`: the entry's text as a string, or cast by its `json_types`
/// (`None`: no value, or a `number` that is not one).
fn typed(entry: &Entry) -> Option<Value> {
    let text = entry.value.as_deref()?;
    match entry.json_type {
        None | Some(JsonType::String) => Some(Value::String(text.to_owned())),
        Some(JsonType::Boolean) => Some(Value::Bool(text == "true")),
        Some(JsonType::Number) => {
            let trimmed = text.trim();
            if let Ok(n) = trimmed.parse::<i64>() {
                Some(Value::Number(n.into()))
            } else {
                trimmed
                    .parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::plugin_config::check_config;
    use crate::plugin::response_transformer::config::compile;

    fn conf(yaml: &str) -> ResponseTransformerConfig {
        check_config(compile, yaml).unwrap()
    }

    #[test]
    fn json_content_types_as_kong_reads_them() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("Application/JSON; charset=utf-8")));
        assert!(is_json(Some("text/plain, application/json")));
        assert!(!is_json(Some("application/vnd.api+json")));
        assert!(!is_json(Some("text/html")));
        assert!(!is_json(None));
    }

    #[test]
    fn headers_in_kongs_order() {
        let c = conf(
            "{remove: {headers: [Server]}, rename: {headers: ['X-Old:X-New']},
              replace: {headers: ['X-Keep:replaced', 'X-Absent:no']},
              add: {headers: ['X-Keep:no', 'X-Powered-By: telco', 'X-Empty:']},
              append: {headers: ['Set-Cookie:b=2']}}",
        );
        let mut response = ResponseHeader::build(200, None).unwrap();
        for (name, value) in [
            ("Server", "x"),
            ("X-Old", "o"),
            ("X-Keep", "k"),
            ("Set-Cookie", "a=1"),
        ] {
            response.append_header(name, value).unwrap();
        }
        headers(&c, &mut response);
        let get = |name: &str| -> Vec<String> {
            response
                .headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect()
        };
        assert!(get("server").is_empty() && get("x-old").is_empty());
        assert_eq!(get("x-new"), ["o"]);
        assert_eq!(get("x-keep"), ["replaced"]);
        assert!(get("x-absent").is_empty() && get("x-empty").is_empty());
        assert_eq!(get("x-powered-by"), ["telco"]);
        assert_eq!(get("set-cookie"), ["a=1", "b=2"]);
    }

    #[test]
    fn json_keys_with_types() {
        let c = conf(
            "{remove: {json: [secret]}, rename: {json: ['old:new']},
              replace: {json: ['r:R', 'off:on'], json_types: [string, boolean]},
              add: {json: ['n:42', 'f:1.5', 'bad:x', 'ok:true', 'r:no'], json_types: [number, number, number, boolean]},
              append: {json: ['list:x', 's:2']}}",
        );
        let out = json(
            &c,
            br#"{"secret":1,"old":null,"r":"x","off":false,"list":["w"],"s":"1","keep":[1]}"#,
        )
        .unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"new":null,"r":"R","off":false,"list":["w","x"],"s":["1","2"],
                               "keep":[1],"n":42,"f":1.5,"ok":true})
        );
        assert_eq!(json(&c, b"not json"), None);
        assert_eq!(json(&c, b"[1]"), None);
    }
}
