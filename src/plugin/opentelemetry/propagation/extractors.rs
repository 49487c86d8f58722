//! Kong's extractors: each format's incoming headers read into an [`Extracted`] context, or
//! `None` when its headers are absent or malformed (ignored, as Kong ignores them).

use super::Extracted;

pub fn value<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub fn hex_bytes<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; N];
    for (index, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(text.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// A hex trace id of 16 or 32 digits, left-padded to 128 bits (Kong's `to_kong_trace_id`).
pub fn trace_id(text: &str) -> Option<[u8; 16]> {
    match text.len() {
        32 => hex_bytes(text),
        1..=31 => hex_bytes(&format!("{text:0>32}")),
        _ => None,
    }
    .filter(|id: &[u8; 16]| id.iter().any(|b| *b != 0))
}

pub fn span_id(text: &str) -> Option<[u8; 8]> {
    match text.len() {
        16 => hex_bytes(text),
        1..=15 => hex_bytes(&format!("{text:0>16}")),
        _ => None,
    }
}

pub fn w3c(header: Option<&str>) -> Option<Extracted> {
    let parts: Vec<&str> = header?.split('-').collect();
    let [version, trace, parent, flags] = parts.as_slice() else {
        return None;
    };
    if *version != "00" || trace.len() != 32 || parent.len() != 16 || flags.len() != 2 {
        return None;
    }
    let flags = u8::from_str_radix(flags, 16).ok()?;
    let span = hex_bytes::<8>(parent).filter(|id| id.iter().any(|b| *b != 0))?;
    Some(Extracted {
        trace_id: Some(trace_id(trace)?),
        span_id: Some(span),
        sampled: Some(flags & 1 == 1),
        flags: Some(flags),
        ..Extracted::default()
    })
}

pub fn b3(headers: &http::HeaderMap) -> Option<Extracted> {
    let get = |name: &str| value(headers, name);
    let single = get("b3").map(str::to_owned).or_else(|| {
        get("tracestate").and_then(|state| state.strip_prefix("b3=").map(str::to_owned))
    });
    if let Some(single) = single {
        return b3_single(&single);
    }
    let names = [
        "x-b3-traceid",
        "x-b3-spanid",
        "x-b3-parentspanid",
        "x-b3-sampled",
        "x-b3-flags",
    ];
    if names.iter().all(|name| get(name).is_none()) {
        return None;
    }
    let mut sampled = match get("x-b3-sampled") {
        Some("1" | "true") => Some(true),
        Some("0" | "false") => Some(false),
        _ => None,
    };
    let debug = get("x-b3-flags") == Some("1");
    if debug {
        sampled = Some(true);
    }
    let valid_length = |text: &str, lengths: &[usize]| {
        lengths.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
    };
    let trace = get("x-b3-traceid");
    let span = get("x-b3-spanid");
    let parent = get("x-b3-parentspanid");
    let invalid = trace.is_some_and(|t| !valid_length(t, &[16, 32]))
        || span.is_some_and(|s| !valid_length(s, &[16]))
        || parent.is_some_and(|p| !valid_length(p, &[16]));
    let mut extracted = Extracted {
        sampled,
        debug,
        ..Extracted::default()
    };
    if !invalid {
        if let (Some(trace), Some(span)) = (trace.and_then(trace_id), span.and_then(span_id)) {
            extracted.trace_id = Some(trace);
            extracted.span_id = Some(span);
            extracted.parent_id = parent.and_then(span_id);
        }
    }
    Some(extracted)
}

fn b3_single(header: &str) -> Option<Extracted> {
    let mut extracted = Extracted {
        single_header: true,
        ..Extracted::default()
    };
    match header {
        "1" => extracted.sampled = Some(true),
        "d" => (extracted.sampled, extracted.debug) = (Some(true), true),
        "0" => extracted.sampled = Some(false),
        _ => {
            let parts: Vec<&str> = header.split('-').collect();
            let (trace, span) = (parts.first()?, parts.get(1)?);
            if !matches!(trace.len(), 16 | 32) || span.len() != 16 {
                return Some(extracted);
            }
            let sampled = parts.get(2).copied().unwrap_or("");
            let parent = parts.get(3).copied().unwrap_or("");
            match sampled {
                "1" => extracted.sampled = Some(true),
                "d" => (extracted.sampled, extracted.debug) = (Some(true), true),
                "0" => extracted.sampled = Some(false),
                _ => {}
            }
            if !parent.is_empty() && parent.len() != 16 {
                return Some(extracted);
            }
            extracted.trace_id = trace_id(trace);
            extracted.span_id = span_id(span);
            extracted.parent_id = (!parent.is_empty()).then(|| span_id(parent)).flatten();
        }
    }
    Some(extracted)
}

pub fn jaeger(header: Option<&str>) -> Option<Extracted> {
    let parts: Vec<&str> = header?.split(':').collect();
    let [trace, span, parent, flags] = parts.as_slice() else {
        return None;
    };
    if trace.len() > 32 || span.len() > 16 || !matches!(flags.len(), 1 | 2) {
        return None;
    }
    let flags = u8::from_str_radix(flags, 16).ok()?;
    let span = span_id(span).filter(|id| id.iter().any(|b| *b != 0))?;
    Some(Extracted {
        trace_id: Some(trace_id(trace)?),
        span_id: Some(span),
        parent_id: span_id(parent).filter(|id| id.iter().any(|b| *b != 0)),
        sampled: Some(flags & 1 == 1),
        ..Extracted::default()
    })
}

pub fn ot(headers: &http::HeaderMap) -> Option<Extracted> {
    let get = |name: &str| value(headers, name);
    let names = ["ot-tracer-sampled", "ot-tracer-traceid", "ot-tracer-spanid"];
    if names.iter().all(|name| get(name).is_none()) {
        return None;
    }
    let sampled = match get("ot-tracer-sampled") {
        Some("1" | "true") => Some(true),
        Some("0" | "false") => Some(false),
        _ => None,
    };
    let trace = get("ot-tracer-traceid").filter(|t| matches!(t.len(), 16 | 32));
    let span = get("ot-tracer-spanid").filter(|s| s.len() == 16);
    let mut extracted = Extracted {
        sampled,
        ..Extracted::default()
    };
    if let (Some(trace), Some(span)) = (trace.and_then(trace_id), span.and_then(span_id)) {
        extracted.trace_id = Some(trace);
        extracted.span_id = Some(span);
    }
    Some(extracted)
}

pub fn decimal_id<const N: usize>(text: &str) -> Option<[u8; N]> {
    let value: u128 = text.trim().parse().ok()?;
    let bytes = value.to_be_bytes();
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[16 - N..]);
    Some(out)
}

pub fn datadog(headers: &http::HeaderMap) -> Option<Extracted> {
    let get = |name: &str| value(headers, name);
    let names = [
        "x-datadog-trace-id",
        "x-datadog-parent-id",
        "x-datadog-sampling-priority",
    ];
    if names.iter().all(|name| get(name).is_none()) {
        return None;
    }
    let sampled = match get("x-datadog-sampling-priority") {
        None => None,
        Some("1" | "2") => Some(true),
        Some("0" | "-1") => Some(false),
        Some(_) => return None,
    };
    let trace = get("x-datadog-trace-id")
        .and_then(decimal_id::<16>)
        .filter(|id| id.iter().any(|b| *b != 0));
    let span = trace
        .and(get("x-datadog-parent-id"))
        .and_then(decimal_id::<8>);
    Some(Extracted {
        trace_id: trace,
        span_id: span,
        sampled,
        ..Extracted::default()
    })
}

pub fn aws(header: Option<&str>) -> Option<Extracted> {
    let mut extracted = Extracted::default();
    for pair in header?.split(';') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match (key.trim(), value.trim()) {
            ("Root", root) => {
                let parts: Vec<&str> = root.split('-').collect();
                let [version, time, unique] = parts.as_slice() else {
                    return None;
                };
                if *version != "1" || time.len() != 8 || unique.len() != 24 {
                    return None;
                }
                extracted.trace_id = Some(trace_id(&format!("{time}{unique}"))?);
            }
            ("Parent", parent) => {
                extracted.span_id = Some(span_id(parent).filter(|_| parent.len() == 16)?)
            }
            ("Sampled", "1") => extracted.sampled = Some(true),
            ("Sampled", "0") => extracted.sampled = Some(false),
            ("Sampled", _) => return None,
            _ => {}
        }
    }
    Some(extracted)
}

pub fn gcp(header: Option<&str>) -> Option<Extracted> {
    let header = header?;
    let (trace, rest) = header.split_once('/')?;
    let (span, options) = match rest.split_once(";o=") {
        Some((span, options)) => (span, Some(options)),
        None => (rest, None),
    };
    let lower_hex = |t: &str| {
        t.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if trace.len() != 32
        || !lower_hex(trace)
        || span.is_empty()
        || span.len() > 20
        || !span.bytes().all(|b| b.is_ascii_digit())
        || options.is_some_and(|o| o.len() != 1 || !o.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    Some(Extracted {
        trace_id: Some(trace_id(trace)?),
        span_id: Some(decimal_id::<8>(span)?),
        sampled: Some(options == Some("1")),
        ..Extracted::default()
    })
}
