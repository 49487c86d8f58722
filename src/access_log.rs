//! The access log: one line per proxied request, JSON (default) or short text, written
//! through the process logger (target `access`, whatever `log_level` says). The path goes
//! through the credential scrubber before it is escaped; the line is not scrubbed again.
//!
//! Fields: time, request_id, client_ip, method, path (never the query string), route,
//! service, consumer, status, upstream_status, source, tries, latencies in ms
//! (`request`, `upstream`, `kong`), bytes_sent. Never a header value, token or secret.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::finished_request::FinishedRequest;
use crate::server_config::LogFormat;

/// Writes the access log line of `request`.
pub fn write(format: LogFormat, request: &FinishedRequest<'_>) {
    if !log::log_enabled!(target: "access", log::Level::Info) {
        return;
    }
    let line = match format {
        LogFormat::Json => json_line(request),
        LogFormat::Text => text_line(request),
    };
    log::info!(target: "access", "{line}");
}

/// The JSON form of the line, written by hand into one buffer (a third of the time serde
/// takes with its intermediate strings): an object with fixed keys whose values are numbers,
/// `null` or escaped strings.
pub fn json_line(request: &FinishedRequest<'_>) -> String {
    let mut out = String::with_capacity(448);
    out.push_str("{\"time\":\"");
    push_rfc3339(&mut out, request.started_at);
    let started_ms = request
        .started_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let _ = write!(out, "\",\"started_at\":{started_ms},\"request_id\":");
    push_string(&mut out, request.request_id);
    if let Some(ip) = request.client_ip {
        let _ = write!(out, ",\"client_ip\":\"{ip}\"");
    }
    out.push_str(",\"method\":");
    push_string(&mut out, request.method);
    out.push_str(",\"path\":");
    push_string(&mut out, &crate::logging::scrub(request.path));
    for (key, value) in [
        ("route", request.route_label()),
        ("service", request.service_label()),
        ("consumer", request.consumer_label()),
    ] {
        let _ = write!(out, ",\"{key}\":");
        match value {
            Some(value) => push_string(&mut out, value),
            None => out.push_str("null"),
        }
    }
    let _ = write!(out, ",\"status\":{},\"upstream_status\":", request.status);
    match request.upstream_status {
        Some(status) => {
            let _ = write!(out, "{status}");
        }
        None => out.push_str("null"),
    }
    let _ = write!(
        out,
        ",\"source\":\"{}\",\"tries\":{},\"latencies\":{{\"request\":{}",
        request.source.label(),
        request.tries,
        request.request_latency.as_millis()
    );
    if let Some(upstream) = request.upstream_latency {
        let _ = write!(out, ",\"upstream\":{}", upstream.as_millis());
    }
    let _ = write!(
        out,
        ",\"kong\":{}}},\"bytes_sent\":{}}}",
        request.gateway_latency.as_millis(),
        request.bytes_sent
    );
    out
}

/// `value` as a JSON string: quotes, backslashes and control characters escaped.
fn push_string(out: &mut String, value: &str) {
    out.push('"');
    if !value.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(value);
    } else {
        for c in value.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

/// The short text form of the line.
pub fn text_line(request: &FinishedRequest<'_>) -> String {
    let ms = |d: Duration| d.as_millis();
    let mut line = format!(
        "{} {} route={} service={} consumer={} status={} tries={} latency_ms={}",
        request.method,
        crate::logging::scrub(request.path).escape_debug(),
        request.route_label().unwrap_or("-"),
        request.service_label().unwrap_or("-"),
        request.consumer_label().unwrap_or("-"),
        request.status,
        request.tries,
        ms(request.request_latency),
    );
    if let Some(upstream) = request.upstream_latency {
        let _ = write!(line, " upstream_ms={}", ms(upstream));
    }
    let _ = write!(line, " request_id={}", request.request_id);
    line
}

/// `2026-11-27T13:55:23.123Z` (UTC, milliseconds).
pub fn rfc3339(time: SystemTime) -> String {
    let mut out = String::with_capacity(24);
    push_rfc3339(&mut out, time);
    out
}

fn push_rfc3339(out: &mut String, time: SystemTime) {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    let fields = [
        (year.clamp(0, 9999) as u64, 4, '-'),
        (u64::from(month), 2, '-'),
        (u64::from(day), 2, 'T'),
        (rest / 3600, 2, ':'),
        (rest % 3600 / 60, 2, ':'),
        (rest % 60, 2, '.'),
        (u64::from(since.subsec_millis()), 3, 'Z'),
    ];
    for (value, width, separator) in fields {
        push_digits(out, value, width);
        out.push(separator);
    }
}

/// The last `width` decimal digits of `value`, zero-padded (the formatter's padding
/// machinery costs more than the whole line's other numbers).
fn push_digits(out: &mut String, value: u64, width: u32) {
    for position in (0..width).rev() {
        let digit = value / 10u64.pow(position) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

/// Year, month, day of the `days`-th day after 1970-01-01 (proleptic Gregorian calendar,
/// Howard Hinnant's well-known algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::ResponseSource;

    #[test]
    fn times_are_rfc3339_utc() {
        let at = |s: u64, ms: u64| UNIX_EPOCH + Duration::from_millis(s * 1000 + ms);
        assert_eq!(rfc3339(at(0, 0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(at(951_782_400, 5)), "2000-02-29T00:00:00.005Z");
        assert_eq!(rfc3339(at(1_795_787_723, 123)), "2026-11-27T13:55:23.123Z");
    }

    #[test]
    fn json_line_has_the_fields_and_no_query() {
        let request = FinishedRequest {
            started_at: UNIX_EPOCH,
            request_id: "abc",
            client_ip: Some([127, 0, 0, 1].into()),
            method: "GET",
            path: "/a\"b\\c\u{1}\né",
            route: None,
            service: None,
            consumer: None,
            status: 404,
            upstream_status: None,
            source: ResponseSource::Kong,
            tries: 0,
            request_latency: Duration::from_millis(3),
            upstream_latency: None,
            gateway_latency: Duration::from_millis(3),
            bytes_sent: 48,
        };
        let line: serde_json::Value = serde_json::from_str(&json_line(&request)).unwrap();
        assert_eq!(line["path"], "/a\"b\\c\u{1}\né");
        assert_eq!(line["consumer"], serde_json::Value::Null);
        assert_eq!(line["upstream_status"], serde_json::Value::Null);
        assert!(line["latencies"].get("upstream").is_none());
        assert_eq!(line["status"], 404);
        assert_eq!(line["source"], "kong");
        assert_eq!(line["route"], serde_json::Value::Null);
        assert_eq!(line["latencies"]["request"], 3);
        assert_eq!(line["client_ip"], "127.0.0.1");
        assert!(text_line(&request).starts_with("GET /a\\\"b\\\\c\\u{1}\\né route=- "));
    }
}
