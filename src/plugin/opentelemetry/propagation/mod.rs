//! Kong's tracing header propagation (`kong/observability/tracing/propagation`): the
//! `propagation` record (`extract`, `inject` with `preserve`, `clear`, `default_format`) and
//! the legacy `header_type` it falls back to, the extractors (the first format found wins)
//! and the injectors of w3c, b3, b3-single, jaeger, ot, datadog, aws and gcp headers.

mod extractors;
mod injectors;

use serde::Deserialize;

use extractors::{aws, b3, datadog, gcp, jaeger, ot, value, w3c};
use injectors::headers_for;

/// Kong's header formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    W3c,
    B3,
    B3Single,
    Jaeger,
    Ot,
    Datadog,
    Aws,
    Gcp,
}

const FORMATS: [(&str, Format); 8] = [
    ("w3c", Format::W3c),
    ("b3", Format::B3),
    ("b3-single", Format::B3Single),
    ("jaeger", Format::Jaeger),
    ("ot", Format::Ot),
    ("datadog", Format::Datadog),
    ("aws", Format::Aws),
    ("gcp", Format::Gcp),
];

/// Kong's extraction order for `header_type` (b3 reads both b3 shapes).
const EXTRACT_ALL: [Format; 7] = [
    Format::B3,
    Format::W3c,
    Format::Jaeger,
    Format::Ot,
    Format::Datadog,
    Format::Aws,
    Format::Gcp,
];

impl Format {
    pub fn named(name: &str) -> Option<Format> {
        FORMATS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    pub fn name(self) -> &'static str {
        FORMATS
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("w3c", |(n, _)| n)
    }
}

/// An `inject` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inject {
    /// The format extracted, else `default_format`.
    Preserve,
    Format(Format),
}

/// The checked propagation settings of one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Propagation {
    extract: Vec<Format>,
    inject: Vec<Inject>,
    clear: Vec<String>,
    default_format: Format,
}

/// What the incoming headers said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    pub format: Option<Format>,
    pub trace_id: Option<[u8; 16]>,
    /// The caller's span.
    pub span_id: Option<[u8; 8]>,
    pub parent_id: Option<[u8; 8]>,
    pub sampled: Option<bool>,
    /// W3C trace-flags.
    pub flags: Option<u8>,
    /// b3's debug flag (`X-B3-Flags: 1`, `d`).
    pub debug: bool,
    /// The incoming b3 context came as the single header.
    pub single_header: bool,
}

/// What is announced upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct InjectContext {
    pub trace_id: [u8; 16],
    /// The span the upstream request is a child of.
    pub span_id: [u8; 8],
    pub sampled: bool,
    pub flags: u8,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPropagation {
    extract: Option<Vec<String>>,
    inject: Option<Vec<String>>,
    clear: Option<Vec<String>>,
    default_format: Option<String>,
}

fn names_of(formats: &[(&str, Format)], skip_single: bool) -> String {
    formats
        .iter()
        .filter(|(_, f)| !(skip_single && *f == Format::B3Single))
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Propagation {
    /// From the `propagation` record and the legacy `header_type` of the plugin at `path`
    /// (its `config`), as Kong's `get_plugin_params`: a record with anything but
    /// `default_format` set is used as it is, else `header_type` decides.
    pub fn compile(
        propagation: Option<&serde_yaml::Value>,
        header_type: Option<&str>,
        path: &str,
        errors: &mut Vec<(String, String)>,
    ) -> Option<Propagation> {
        let at = |field: &str| format!("{path}.propagation.{field}");
        let raw: RawPropagation = match propagation {
            None => RawPropagation::default(),
            Some(value) => match serde_yaml::from_value(
                crate::plugin::plugin_config::without_nulls(value.clone()),
            ) {
                Ok(raw) => raw,
                Err(error) => {
                    errors.push((format!("{path}.propagation"), error.to_string()));
                    return None;
                }
            },
        };
        let before = errors.len();
        let mut extract = Vec::new();
        for (index, name) in raw.extract.iter().flatten().enumerate() {
            match Format::named(name).filter(|f| *f != Format::B3Single) {
                Some(format) => extract.push(format),
                None => errors.push((
                    format!("{}[{index}]", at("extract")),
                    format!("expected one of: {}", names_of(&FORMATS, true)),
                )),
            }
        }
        let mut inject = Vec::new();
        for (index, name) in raw.inject.iter().flatten().enumerate() {
            match (name.as_str(), Format::named(name)) {
                ("preserve", _) => inject.push(Inject::Preserve),
                (_, Some(format)) => inject.push(Inject::Format(format)),
                _ => errors.push((
                    format!("{}[{index}]", at("inject")),
                    format!("expected one of: preserve, {}", names_of(&FORMATS, false)),
                )),
            }
        }
        let mut clear = Vec::new();
        for (index, name) in raw.clear.iter().flatten().enumerate() {
            match http::HeaderName::from_bytes(name.as_bytes()) {
                Ok(header) => clear.push(header.as_str().to_owned()),
                Err(_) => errors.push((
                    format!("{}[{index}]", at("clear")),
                    format!("bad header name '{name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'"),
                )),
            }
        }
        let default_format = match raw.default_format.as_deref() {
            None => Format::W3c,
            Some(name) => match Format::named(name) {
                Some(format) => format,
                None => {
                    errors.push((
                        at("default_format"),
                        format!("expected one of: {}", names_of(&FORMATS, false)),
                    ));
                    Format::W3c
                }
            },
        };
        let header_type = header_type.unwrap_or("preserve");
        if header_type != "preserve"
            && header_type != "ignore"
            && Format::named(header_type).is_none()
        {
            errors.push((
                format!("{path}.header_type"),
                format!(
                    "expected one of: preserve, ignore, {}",
                    names_of(&FORMATS, false)
                ),
            ));
        }
        if errors.len() > before {
            return None;
        }
        let record_set = raw.extract.is_some() || raw.inject.is_some() || raw.clear.is_some();
        if !record_set {
            match header_type {
                "preserve" => {
                    extract = EXTRACT_ALL.to_vec();
                    inject = vec![Inject::Preserve];
                }
                "ignore" => inject = vec![Inject::Format(default_format)],
                other => {
                    extract = EXTRACT_ALL.to_vec();
                    inject = vec![Inject::Preserve];
                    inject.extend(Format::named(other).map(Inject::Format));
                }
            }
        }
        Some(Propagation {
            extract,
            inject,
            clear,
            default_format,
        })
    }

    /// Kong's extract: the first configured format whose headers are present and valid.
    pub fn extract(&self, headers: &http::HeaderMap) -> Extracted {
        let get = |name: &str| value(headers, name);
        for format in &self.extract {
            let found = match format {
                Format::W3c => w3c(get("traceparent")),
                Format::B3 | Format::B3Single => b3(headers),
                Format::Jaeger => jaeger(get("uber-trace-id")),
                Format::Ot => ot(headers),
                Format::Datadog => datadog(headers),
                Format::Aws => aws(get("x-amzn-trace-id")),
                Format::Gcp => gcp(get("x-cloud-trace-context")),
            };
            if let Some(mut extracted) = found {
                extracted.format = Some(*format);
                return extracted;
            }
        }
        Extracted::default()
    }

    /// The headers to set upstream for `context` and those to remove first (`clear`).
    pub fn inject(
        &self,
        extracted: &Extracted,
        context: &InjectContext,
    ) -> (Vec<(String, String)>, Vec<String>) {
        let mut out = Vec::new();
        for entry in &self.inject {
            let format = match entry {
                Inject::Format(format) => *format,
                Inject::Preserve => match extracted.format.unwrap_or(self.default_format) {
                    Format::B3 if extracted.single_header => Format::B3Single,
                    other => other,
                },
            };
            headers_for(format, extracted, context, &mut out);
        }
        (out, self.clear.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::extractors::hex_bytes;
    use super::injectors::hex;
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn compile(
        yaml: Option<&str>,
        header_type: Option<&str>,
    ) -> Result<Propagation, Vec<(String, String)>> {
        let value: Option<serde_yaml::Value> = yaml.map(|y| serde_yaml::from_str(y).unwrap());
        let mut errors = Vec::new();
        Propagation::compile(
            value.as_ref(),
            header_type,
            "plugins[0].config",
            &mut errors,
        )
        .ok_or(errors)
    }

    const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
    const SPAN: &str = "b7ad6b7169203331";

    fn context() -> InjectContext {
        InjectContext {
            trace_id: hex_bytes(TRACE).unwrap(),
            span_id: hex_bytes("00f067aa0ba902b7").unwrap(),
            sampled: true,
            flags: 1,
        }
    }

    #[test]
    fn preserve_by_default_extracts_every_format_and_answers_in_the_callers() {
        let propagation = compile(Some("{default_format: w3c}"), None).unwrap();
        let extracted = propagation.extract(&headers(&[(
            "uber-trace-id",
            &format!("{TRACE}:{SPAN}:0:1"),
        )]));
        assert_eq!(extracted.format, Some(Format::Jaeger));
        assert_eq!(extracted.sampled, Some(true));
        let (set, clear) = propagation.inject(&extracted, &context());
        assert_eq!(
            set,
            [(
                "uber-trace-id".to_owned(),
                format!("{TRACE}:00f067aa0ba902b7:0:01")
            )]
        );
        assert!(clear.is_empty());
        // Nothing extracted: default_format.
        let (set, _) = propagation.inject(&Extracted::default(), &context());
        assert_eq!(set[0].1, format!("00-{TRACE}-00f067aa0ba902b7-01"));
        // b3 comes first in Kong's order.
        let both = headers(&[
            ("traceparent", &format!("00-{TRACE}-{SPAN}-01")),
            ("x-b3-traceid", "463ac35c9f6413ad48485a3953bb6124"),
            ("x-b3-spanid", "a2fb4a1d1a96d312"),
        ]);
        assert_eq!(propagation.extract(&both).format, Some(Format::B3));
    }

    #[test]
    fn each_format_reads_kongs_shapes() {
        let all = compile(None, None).unwrap();
        let w3c = all.extract(&headers(&[(
            "traceparent",
            &format!("00-{TRACE}-{SPAN}-00"),
        )]));
        assert_eq!(
            (w3c.sampled, w3c.span_id.map(|s| hex(&s))),
            (Some(false), Some(SPAN.to_owned()))
        );
        let single = all.extract(&headers(&[(
            "b3",
            &format!("{TRACE}-{SPAN}-1-00f067aa0ba902b7"),
        )]));
        assert!(single.single_header && single.parent_id.is_some());
        let short = all.extract(&headers(&[
            ("x-b3-traceid", "48485a3953bb6124"),
            ("x-b3-spanid", SPAN),
            ("x-b3-sampled", "1"),
        ]));
        assert_eq!(
            hex(&short.trace_id.unwrap()),
            "000000000000000048485a3953bb6124"
        );
        let ot = all.extract(&headers(&[
            ("ot-tracer-traceid", TRACE),
            ("ot-tracer-spanid", SPAN),
            ("ot-tracer-sampled", "true"),
        ]));
        assert_eq!(ot.format, Some(Format::Ot));
        let dd = all.extract(&headers(&[
            ("x-datadog-trace-id", "12345"),
            ("x-datadog-parent-id", "67890"),
            ("x-datadog-sampling-priority", "1"),
        ]));
        assert_eq!(u64::from_be_bytes(dd.span_id.unwrap()), 67890);
        let aws = all.extract(&headers(&[(
            "x-amzn-trace-id",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )]));
        assert_eq!(
            hex(&aws.trace_id.unwrap()),
            "5759e988bd862e3fe1be46a994272793"
        );
        let gcp = all.extract(&headers(&[(
            "x-cloud-trace-context",
            &format!("{TRACE}/12345;o=1"),
        )]));
        assert_eq!((gcp.format, gcp.sampled), (Some(Format::Gcp), Some(true)));
        // Malformed: ignored.
        for bad in [
            ("traceparent", "01-zz-xx-01".to_owned()),
            ("traceparent", format!("00-{}-{SPAN}-01", "0".repeat(32))),
            ("uber-trace-id", "nope".to_owned()),
            ("x-cloud-trace-context", "ABC/1".to_owned()),
        ] {
            assert_eq!(
                all.extract(&headers(&[(bad.0, &bad.1)])).trace_id,
                None,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn each_injector_writes_kongs_headers() {
        let extracted = Extracted::default();
        let expected = [
            (
                "b3",
                vec![
                    ("x-b3-traceid", TRACE.to_owned()),
                    ("x-b3-spanid", "00f067aa0ba902b7".to_owned()),
                    ("x-b3-sampled", "1".to_owned()),
                ],
            ),
            (
                "b3-single",
                vec![("b3", format!("{TRACE}-00f067aa0ba902b7-1"))],
            ),
            (
                "ot",
                vec![
                    ("ot-tracer-traceid", TRACE.to_owned()),
                    ("ot-tracer-spanid", "00f067aa0ba902b7".to_owned()),
                    ("ot-tracer-sampled", "1".to_owned()),
                ],
            ),
            (
                "datadog",
                vec![
                    (
                        "x-datadog-trace-id",
                        u64::from_str_radix("8448eb211c80319c", 16)
                            .unwrap()
                            .to_string(),
                    ),
                    (
                        "x-datadog-parent-id",
                        u64::from_str_radix("00f067aa0ba902b7", 16)
                            .unwrap()
                            .to_string(),
                    ),
                    ("x-datadog-sampling-priority", "1".to_owned()),
                ],
            ),
            (
                "aws",
                vec![(
                    "x-amzn-trace-id",
                    "Root=1-0af76519-16cd43dd8448eb211c80319c;Parent=00f067aa0ba902b7;Sampled=1"
                        .to_owned(),
                )],
            ),
            (
                "gcp",
                vec![(
                    "x-cloud-trace-context",
                    format!(
                        "{TRACE}/{};o=1",
                        u64::from_str_radix("00f067aa0ba902b7", 16).unwrap()
                    ),
                )],
            ),
        ];
        for (format, headers) in expected {
            let propagation = compile(Some(&format!("{{inject: [{format}]}}")), None).unwrap();
            let (set, _) = propagation.inject(&extracted, &context());
            let want: Vec<(String, String)> = headers
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v))
                .collect();
            assert_eq!(set, want, "{format}");
        }
    }

    #[test]
    fn header_type_clear_and_schema_errors() {
        let ignore = compile(None, Some("ignore")).unwrap();
        let caller = headers(&[("traceparent", &format!("00-{TRACE}-{SPAN}-01"))]);
        assert_eq!(ignore.extract(&caller), Extracted::default());
        let b3 = compile(None, Some("b3")).unwrap();
        let extracted = b3.extract(&caller);
        let (set, _) = b3.inject(&extracted, &context());
        let names: Vec<&str> = set.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["traceparent", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled"]
        );
        let clearing = compile(
            Some("{extract: [w3c], inject: [b3], clear: [traceparent]}"),
            None,
        )
        .unwrap();
        assert_eq!(
            clearing.inject(&Extracted::default(), &context()).1,
            ["traceparent"]
        );
        let errors = compile(
            Some("{extract: [b3-single], inject: [zipkin], default_format: x}"),
            Some("b4"),
        )
        .unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "plugins[0].config.propagation.extract[0]",
                "plugins[0].config.propagation.inject[0]",
                "plugins[0].config.propagation.default_format",
                "plugins[0].config.header_type",
            ]
        );
    }
}
