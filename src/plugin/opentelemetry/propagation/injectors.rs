//! Kong's injectors: the headers of each format announcing our trace to the upstream.

use super::{Extracted, Format, InjectContext};

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn headers_for(
    format: Format,
    extracted: &Extracted,
    context: &InjectContext,
    out: &mut Vec<(String, String)>,
) {
    let trace = hex(&context.trace_id);
    let span = hex(&context.span_id);
    let sampled = context.sampled;
    let flag = |yes: &str, no: &str| if sampled { yes } else { no }.to_owned();
    let mut set = |name: &str, value: String| out.push((name.to_owned(), value));
    match format {
        Format::W3c => set(
            "traceparent",
            format!(
                "00-{trace}-{span}-{:02x}",
                (context.flags & !1) | u8::from(sampled)
            ),
        ),
        Format::B3 => {
            set("x-b3-traceid", trace);
            set("x-b3-spanid", span);
            if extracted.debug {
                set("x-b3-flags", "1".to_owned());
            } else {
                set("x-b3-sampled", flag("1", "0"));
            }
        }
        Format::B3Single => {
            let sampled = if extracted.debug {
                "d"
            } else if sampled {
                "1"
            } else {
                "0"
            };
            set("b3", format!("{trace}-{span}-{sampled}"));
        }
        Format::Jaeger => set(
            "uber-trace-id",
            format!("{trace}:{span}:0:{}", flag("01", "00")),
        ),
        Format::Ot => {
            set("ot-tracer-traceid", trace);
            set("ot-tracer-spanid", span);
            set("ot-tracer-sampled", flag("1", "0"));
        }
        Format::Datadog => {
            let mut low = [0u8; 8];
            low.copy_from_slice(&context.trace_id[8..]);
            set("x-datadog-trace-id", u64::from_be_bytes(low).to_string());
            set(
                "x-datadog-parent-id",
                u64::from_be_bytes(context.span_id).to_string(),
            );
            set("x-datadog-sampling-priority", flag("1", "0"));
        }
        Format::Aws => set(
            "x-amzn-trace-id",
            format!(
                "Root=1-{}-{};Parent={span};Sampled={}",
                &trace[..8],
                &trace[8..],
                flag("1", "0")
            ),
        ),
        Format::Gcp => set(
            "x-cloud-trace-context",
            format!(
                "{trace}/{};o={}",
                u64::from_be_bytes(context.span_id),
                flag("1", "0")
            ),
        ),
    }
}
