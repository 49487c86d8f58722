//! request-transformer on the request headers, in Kong's order: remove, rename, replace,
//! add, append. `Host` is never a plain header here: `replace` (or `append`) of `host` sets
//! the upstream Host instead, and `add` ignores it, as Kong does.

use pingora::http::RequestHeader;

use super::config::{Entry, RequestTransformerConfig};
use super::template::TemplateInput;

/// Applies the header lists to `request`; returns the upstream Host a `host` entry set.
pub fn transform(
    conf: &RequestTransformerConfig,
    request: &mut RequestHeader,
    input: &TemplateInput<'_>,
) -> Option<String> {
    let mut upstream_host = None;
    for name in &conf.remove.headers {
        if !is_host(name) {
            request.remove_header(name.as_str());
        }
    }
    for Entry { name: old, value } in &conf.rename.headers {
        let new = value.render(input);
        if is_host(old) || is_host(&new) || !request.headers.contains_key(old.as_str()) {
            continue;
        }
        let values: Vec<http::HeaderValue> = request
            .headers
            .get_all(old.as_str())
            .iter()
            .cloned()
            .collect();
        request.remove_header(old.as_str());
        if !old.eq_ignore_ascii_case(&new) {
            request.remove_header(new.as_str());
        }
        for value in values {
            let _ = request.append_header(new.clone(), value);
        }
    }
    for Entry { name, value } in &conf.replace.headers {
        let value = value.render(input);
        if is_host(name) {
            upstream_host = Some(value);
        } else if request.headers.contains_key(name.as_str()) {
            set(request, name, &value, false);
        }
    }
    for Entry { name, value } in &conf.add.headers {
        if !is_host(name) && !request.headers.contains_key(name.as_str()) {
            set(request, name, &value.render(input), false);
        }
    }
    for Entry { name, value } in &conf.append.headers {
        let value = value.render(input);
        if is_host(name) {
            upstream_host = Some(value);
        } else {
            set(request, name, &value, true);
        }
    }
    upstream_host
}

fn is_host(name: &str) -> bool {
    name.eq_ignore_ascii_case("host")
}

/// Sets (or appends) a header; a value a template made invalid is left out, logged.
fn set(request: &mut RequestHeader, name: &str, value: &str, append: bool) {
    let Ok(value) = http::HeaderValue::from_str(value.trim()) else {
        log::info!(
            "request-transformer: header {name} left out: its value is not a valid header value"
        );
        return;
    };
    let result = if append {
        request.append_header(name.to_owned(), value).map(|_| ())
    } else {
        request.insert_header(name.to_owned(), value)
    };
    if result.is_err() {
        log::info!("request-transformer: header {name} could not be set");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::plugin_config::check_config;
    use crate::plugin::request_transformer::config::compile;

    fn run(yaml: &str, headers: &[(&str, &str)]) -> (RequestHeader, Option<String>) {
        let conf = check_config(compile, yaml).unwrap();
        let mut request = RequestHeader::build("GET", b"/", None).unwrap();
        for (name, value) in headers {
            request
                .append_header(name.to_string(), value.to_string())
                .unwrap();
        }
        let original = request.headers.clone();
        let input = TemplateInput {
            headers: &original,
            query: None,
            captures: None,
        };
        let host = transform(&conf, &mut request, &input);
        (request, host)
    }

    fn values(request: &RequestHeader, name: &str) -> Vec<String> {
        request
            .headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn operations_in_kongs_order() {
        let (request, host) = run(
            "{remove: {headers: [X-Secret]},
              rename: {headers: ['X-Old:X-New']},
              replace: {headers: ['X-Keep:replaced', 'X-Absent:no', 'host:internal.test']},
              add: {headers: ['X-Keep:not-added', 'X-Added: yes', 'Host:ignored']},
              append: {headers: ['X-Multi:two', 'X-From:$(headers.x_user)']}}",
            &[
                ("X-Secret", "s"),
                ("X-Old", "o1"),
                ("X-Old", "o2"),
                ("X-New", "gone"),
                ("X-Keep", "k"),
                ("X-Multi", "one"),
                ("X-User", "ann"),
            ],
        );
        assert!(values(&request, "x-secret").is_empty());
        assert!(values(&request, "x-old").is_empty());
        assert_eq!(values(&request, "x-new"), ["o1", "o2"]);
        assert_eq!(values(&request, "x-keep"), ["replaced"]);
        assert!(values(&request, "x-absent").is_empty());
        assert_eq!(values(&request, "x-added"), ["yes"]);
        assert_eq!(values(&request, "x-multi"), ["one", "two"]);
        assert_eq!(values(&request, "x-from"), ["ann"]);
        assert_eq!(host.as_deref(), Some("internal.test"));
    }

    #[test]
    fn rename_of_an_absent_header_and_a_case_change() {
        let (request, _) = run(
            "{rename: {headers: ['X-None:X-Other', 'x-case:X-CASE']}}",
            &[("X-Case", "c")],
        );
        assert!(values(&request, "x-other").is_empty());
        assert_eq!(values(&request, "x-case"), ["c"]);
    }
}
