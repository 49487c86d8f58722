//! Client side of Kong's hmac-auth for the tests: HTTP dates, MACs (ring, independent of the
//! gateway's aws-lc) and `Authorization: hmac ...` values.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// An HTTP date (RFC 1123) `offset` seconds from now.
pub fn http_date(offset: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
        + offset;
    let (days, secs) = (now.div_euclid(86_400), now.rem_euclid(86_400));
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    // Days to a civil date (years counted from March).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let name = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(month - 1) as usize];
    format!(
        "{weekday}, {day:02} {name} {year} {:02}:{:02}:{:02} GMT",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Base64 HMAC of `data` with `algorithm` (`hmac-sha1` ... `hmac-sha512`).
pub fn mac(algorithm: &str, secret: &str, data: &str) -> String {
    let algorithm = match algorithm {
        "hmac-sha1" => ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        "hmac-sha256" => ring::hmac::HMAC_SHA256,
        "hmac-sha384" => ring::hmac::HMAC_SHA384,
        "hmac-sha512" => ring::hmac::HMAC_SHA512,
        other => panic!("no algorithm {other}"),
    };
    let key = ring::hmac::Key::new(algorithm, secret.as_bytes());
    STANDARD.encode(ring::hmac::sign(&key, data.as_bytes()).as_ref())
}

/// `hmac username="..", algorithm="..", headers="..", signature=".."`.
pub fn credential(username: &str, algorithm: &str, headers: &str, signature: &str) -> String {
    format!(
        r#"hmac username="{username}", algorithm="{algorithm}", headers="{headers}", signature="{signature}""#
    )
}

/// `Date` and `Authorization` headers for a GET of `path` signed (hmac-sha256) over the date
/// and the request line.
pub fn signed_get_headers(username: &str, secret: &str, path: &str) -> Vec<(String, String)> {
    let date = http_date(0);
    let signing = format!("date: {date}\nGET {path} HTTP/1.1");
    let auth = credential(
        username,
        "hmac-sha256",
        "date request-line",
        &mac("hmac-sha256", secret, &signing),
    );
    vec![("Date".into(), date), ("Authorization".into(), auth)]
}
