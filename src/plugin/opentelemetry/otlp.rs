//! OTLP/HTTP protobuf encoding of spans (opentelemetry-proto's `trace/v1` and
//! `collector/trace/v1` messages), written by hand: an `ExportTraceServiceRequest` with one
//! resource (Kong's `service.*` attributes and the configured ones) and one scope
//! (`kong-internal`), as Kong's exporter sends it.

/// A span's kind (OTLP's `Span.SpanKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    Internal = 1,
    Server = 2,
    Client = 3,
}

/// An attribute's value (OTLP's `AnyValue`, the scalar cases).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
    Int(i64),
    Double(f64),
}

/// One finished span.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub parent_span_id: Option<[u8; 8]>,
    pub name: &'static str,
    pub kind: SpanKind,
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
    pub attributes: Vec<(&'static str, Value)>,
    /// Status ERROR (Kong's `set_status(2)`), with this message when not empty.
    pub error: Option<String>,
}

const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn tag(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}

fn bytes(out: &mut Vec<u8>, field: u32, data: &[u8]) {
    tag(out, field, LEN);
    varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

fn fixed64(out: &mut Vec<u8>, field: u32, value: u64) {
    tag(out, field, FIXED64);
    out.extend_from_slice(&value.to_le_bytes());
}

fn key_value(key: &str, value: &Value) -> Vec<u8> {
    let mut any = Vec::new();
    match value {
        Value::Str(text) => bytes(&mut any, 1, text.as_bytes()),
        Value::Bool(flag) => {
            tag(&mut any, 2, VARINT);
            varint(&mut any, u64::from(*flag));
        }
        Value::Int(number) => {
            tag(&mut any, 3, VARINT);
            varint(&mut any, *number as u64);
        }
        Value::Double(number) => fixed64(&mut any, 4, number.to_bits()),
    }
    let mut pair = Vec::new();
    bytes(&mut pair, 1, key.as_bytes());
    bytes(&mut pair, 2, &any);
    pair
}

/// The `Span` message of `span`.
pub fn encode_span(span: &Span) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    bytes(&mut out, 1, &span.trace_id);
    bytes(&mut out, 2, &span.span_id);
    if let Some(parent) = &span.parent_span_id {
        bytes(&mut out, 4, parent);
    }
    bytes(&mut out, 5, span.name.as_bytes());
    tag(&mut out, 6, VARINT);
    varint(&mut out, span.kind as u64);
    fixed64(&mut out, 7, span.start_unix_nano);
    fixed64(&mut out, 8, span.end_unix_nano);
    for (key, value) in &span.attributes {
        bytes(&mut out, 9, &key_value(key, value));
    }
    if let Some(message) = &span.error {
        let mut status = Vec::new();
        if !message.is_empty() {
            bytes(&mut status, 2, message.as_bytes());
        }
        tag(&mut status, 3, VARINT);
        varint(&mut status, 2);
        bytes(&mut out, 15, &status);
    }
    out
}

/// The `ExportTraceServiceRequest` carrying `spans` (each an encoded `Span`).
pub fn encode_request(spans: &[Vec<u8>], resource: &[(String, Value)]) -> Vec<u8> {
    let mut resource_message = Vec::new();
    for (key, value) in resource {
        bytes(&mut resource_message, 1, &key_value(key, value));
    }
    let mut scope = Vec::new();
    bytes(&mut scope, 1, b"kong-internal");
    bytes(&mut scope, 2, b"0.1.0");
    let mut scope_spans = Vec::new();
    bytes(&mut scope_spans, 1, &scope);
    for span in spans {
        bytes(&mut scope_spans, 2, span);
    }
    let mut resource_spans = Vec::new();
    bytes(&mut resource_spans, 1, &resource_message);
    bytes(&mut resource_spans, 2, &scope_spans);
    let mut request = Vec::new();
    bytes(&mut request, 1, &resource_spans);
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_fields_as_protobuf_writes_them() {
        let mut out = Vec::new();
        varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
        let pair = key_value("a", &Value::Int(-1));
        // key "a", then AnyValue{int_value: -1} as a ten-byte varint.
        assert_eq!(&pair[..3], &[0x0a, 0x01, b'a']);
        assert_eq!(pair[3..5], [0x12, 11]);
        assert_eq!(pair.len(), 5 + 11);
        let span = Span {
            trace_id: [1; 16],
            span_id: [2; 8],
            parent_span_id: None,
            name: "kong",
            kind: SpanKind::Server,
            start_unix_nano: 1,
            end_unix_nano: 2,
            attributes: vec![],
            error: Some(String::new()),
        };
        let encoded = encode_span(&span);
        assert_eq!(&encoded[..2], &[0x0a, 16]);
        // Status {code: ERROR} last.
        assert_eq!(&encoded[encoded.len() - 4..], &[0x7a, 0x02, 0x18, 0x02]);
    }
}
