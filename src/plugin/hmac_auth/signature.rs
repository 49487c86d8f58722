//! hmac-auth's pure core: Kong's `Authorization: hmac username=.., algorithm=.., headers=..,
//! signature=..` parser, the signing string, the signature and body-digest checks and the
//! HTTP date parser of the clock-skew check. No server needed; fuzzed by `tests/fuzz`.

use std::sync::OnceLock;

use aws_lc_rs::{digest, hmac};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use regex::bytes::Regex;

/// Kong's pattern for the credential, searched (not anchored) in the header value, with
/// greedy groups: `regex`'s leftmost-first captures are those of Kong's PCRE for it.
const PATTERN: &str = r#"(?-u)\s*[Hh]mac\s*username="(.+)",\s*algorithm="(.+)",\s*headers="(.+)",\s*signature="(.+)""#;

/// The fields of an hmac credential, as the client wrote them (bytes: header values may
/// carry obs-text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HmacParams<'a> {
    pub username: &'a [u8],
    pub algorithm: &'a [u8],
    /// `headers="..."` split on single spaces (empty names kept, as Kong's `splitn` does).
    pub headers: Vec<&'a [u8]>,
    /// Base64 of the MAC.
    pub signature: &'a [u8],
}

fn pattern() -> Option<&'static Regex> {
    static PATTERN_RE: OnceLock<Option<Regex>> = OnceLock::new();
    PATTERN_RE.get_or_init(|| Regex::new(PATTERN).ok()).as_ref()
}

/// Parses an `Authorization` / `Proxy-Authorization` value; `None` when it is no hmac
/// credential (Kong then has no username and refuses or tries the other header).
pub fn parse_authorization(value: &[u8]) -> Option<HmacParams<'_>> {
    let captures = pattern()?.captures(value)?;
    let field = |i| captures.get(i).map(|m| m.as_bytes());
    Some(HmacParams {
        username: field(1)?,
        algorithm: field(2)?,
        headers: field(3)?.split(|b| *b == b' ').collect(),
        signature: field(4)?,
    })
}

/// The digest algorithms of Kong's `algorithms` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    pub const ALL: [Algorithm; 4] = [
        Algorithm::Sha1,
        Algorithm::Sha256,
        Algorithm::Sha384,
        Algorithm::Sha512,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "hmac-sha1",
            Algorithm::Sha256 => "hmac-sha256",
            Algorithm::Sha384 => "hmac-sha384",
            Algorithm::Sha512 => "hmac-sha512",
        }
    }

    /// The algorithm called exactly `name` (Kong compares case-sensitively).
    pub fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name().as_bytes() == name)
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            Algorithm::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Algorithm::Sha256 => hmac::HMAC_SHA256,
            Algorithm::Sha384 => hmac::HMAC_SHA384,
            Algorithm::Sha512 => hmac::HMAC_SHA512,
        }
    }
}

/// What the signing string takes from the request line.
#[derive(Debug, Clone, Copy)]
pub struct RequestLine<'a> {
    /// `GET`, as sent.
    pub method: &'a str,
    /// The path and query as the client sent them (nginx's `$request_uri`).
    pub path_with_query: &'a [u8],
    /// `1.1`, `1.0`, `2.0`.
    pub version: &'a str,
}

/// Kong's signing string: one line per name of `headers`, joined with `\n`: `name: value`
/// for a header the request has (its first value, the name as the client spelled it),
/// otherwise `@request-target: <method lowercased> <path?query>`, the request line
/// `METHOD <path?query> HTTP/<version>` for `request-line`, or `name:` for any other name.
pub fn signing_string<'h>(
    headers: &[&[u8]],
    request: RequestLine<'_>,
    header_value: impl Fn(&[u8]) -> Option<&'h [u8]>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    for (i, name) in headers.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        match header_value(name) {
            Some(value) => {
                out.extend_from_slice(name);
                out.extend_from_slice(b": ");
                out.extend_from_slice(value);
            }
            None if *name == b"@request-target" => {
                out.extend_from_slice(b"@request-target: ");
                out.extend_from_slice(request.method.to_ascii_lowercase().as_bytes());
                out.push(b' ');
                out.extend_from_slice(request.path_with_query);
            }
            None if *name == b"request-line" => {
                out.extend_from_slice(request.method.as_bytes());
                out.push(b' ');
                out.extend_from_slice(request.path_with_query);
                out.extend_from_slice(b" HTTP/");
                out.extend_from_slice(request.version.as_bytes());
            }
            None => {
                out.extend_from_slice(name);
                out.push(b':');
            }
        }
    }
    out
}

/// The base64 decoding of nginx's `ngx.decode_base64`: standard alphabet, everything from
/// the first `=` on ignored, no padding needed, stray low bits allowed.
pub fn decode_base64_lenient(value: &[u8]) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    let end = value.iter().position(|b| *b == b'=').unwrap_or(value.len());
    LENIENT.decode(&value[..end]).ok()
}

/// Whether `signature` (base64) is the MAC of `signing_string` under `secret`; compared in
/// constant time.
pub fn signature_matches(
    algorithm: Algorithm,
    secret: &[u8],
    signing_string: &[u8],
    signature: &[u8],
) -> bool {
    let Some(tag) = decode_base64_lenient(signature) else {
        return false;
    };
    let key = hmac::Key::new(algorithm.hmac(), secret);
    hmac::verify(&key, signing_string, &tag).is_ok()
}

/// The MAC of `signing_string`, base64 (for tests and clients).
pub fn sign(algorithm: Algorithm, secret: &[u8], signing_string: &[u8]) -> String {
    let key = hmac::Key::new(algorithm.hmac(), secret);
    STANDARD.encode(hmac::sign(&key, signing_string).as_ref())
}

/// The `Digest` header value Kong expects for `body`: `SHA-256=<base64 of its SHA-256>`.
pub fn body_digest(body: &[u8]) -> String {
    let hash = digest::digest(&digest::SHA256, body);
    format!("SHA-256={}", STANDARD.encode(hash.as_ref()))
}

/// Kong's body check: without a `Digest` header only an empty body passes; with one it must
/// be exactly [`body_digest`].
pub fn body_matches(body: &[u8], digest_header: Option<&[u8]>) -> bool {
    match digest_header {
        None => body.is_empty(),
        Some(received) => {
            let expected = body_digest(body);
            aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), received).is_ok()
        }
    }
}

/// Seconds since the Unix epoch of an HTTP date in any of the three forms nginx's
/// `ngx_parse_http_time` reads: `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 1123),
/// `Sunday, 06-Nov-94 08:49:37 GMT` (RFC 850) and `Sun Nov  6 08:49:37 1994` (asctime).
/// As nginx, the weekday is skipped unchecked and what follows the time is not read.
pub fn parse_http_date(value: &[u8]) -> Option<i64> {
    let separator = value.iter().position(|b| *b == b',' || *b == b' ')?;
    let asctime = value[separator] == b' ';
    let mut rest = Cursor(&value[separator + 1..]);
    rest.skip_spaces();
    let (year, month, day);
    if asctime {
        month = rest.month()?;
        rest.expect(b' ')?;
        rest.skip_spaces();
        day = rest.number(1, 2)?;
        rest.expect(b' ')?;
    } else {
        day = rest.number(2, 2)?;
        let dash = match rest.next()? {
            b' ' => false,
            b'-' => true,
            _ => return None,
        };
        month = rest.month()?;
        rest.expect(if dash { b'-' } else { b' ' })?;
        year = if dash {
            let short = rest.number(2, 2)?;
            short + if short < 70 { 2000 } else { 1900 }
        } else {
            rest.number(4, 4)?
        };
        rest.expect(b' ')?;
        return to_unix(year, month, day, rest.time()?);
    }
    let time = rest.time()?;
    rest.expect(b' ')?;
    year = rest.number(4, 4)?;
    to_unix(year, month, day, time)
}

struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn next(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }

    fn skip_spaces(&mut self) {
        while self.0.first() == Some(&b' ') {
            self.0 = &self.0[1..];
        }
    }

    /// `min..=max` ASCII digits.
    fn number(&mut self, min: usize, max: usize) -> Option<i64> {
        let digits = self
            .0
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits < min {
            return None;
        }
        let value = self.0[..digits]
            .iter()
            .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
        self.0 = &self.0[digits..];
        Some(value)
    }

    fn month(&mut self) -> Option<u32> {
        const MONTHS: [&[u8; 3]; 12] = [
            b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
            b"Dec",
        ];
        let name = self.0.get(..3)?;
        let index = MONTHS.iter().position(|m| &m[..] == name)?;
        self.0 = &self.0[3..];
        u32::try_from(index + 1).ok()
    }

    /// `HH:MM:SS` as seconds of the day.
    fn time(&mut self) -> Option<i64> {
        let hour = self.number(2, 2)?;
        self.expect(b':')?;
        let minute = self.number(2, 2)?;
        self.expect(b':')?;
        let second = self.number(2, 2)?;
        (hour <= 23 && minute <= 59 && second <= 59).then_some(hour * 3600 + minute * 60 + second)
    }
}

fn to_unix(year: i64, month: u32, day: i64, seconds_of_day: i64) -> Option<i64> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day < 1 || day > days_in_month {
        return None;
    }
    Some(days_from_civil(year, i64::from(month), day) * 86_400 + seconds_of_day)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the well-known civil-from-days
/// inverse: years counted from March so the leap day comes last).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kong_credentials_and_their_spacing_variants() {
        let p = parse_authorization(
            br#"hmac username="bob", algorithm="hmac-sha256", headers="date request-line", signature="c2ln""#,
        )
        .unwrap();
        assert_eq!(p.username, b"bob");
        assert_eq!(p.algorithm, b"hmac-sha256");
        assert_eq!(p.headers, vec![&b"date"[..], b"request-line"]);
        assert_eq!(p.signature, b"c2ln");

        // No spaces, capital H, a stray leading quote (Kong's spec sends one), hmac glued.
        let p = parse_authorization(
            br#""Hmac username="bob",algorithm="hmac-sha1",headers="date",signature="x""#,
        )
        .unwrap();
        assert_eq!((p.username, p.signature), (&b"bob"[..], &b"x"[..]));
        assert!(parse_authorization(
            br#"hmacusername="a",algorithm="b",headers="c",signature="d""#
        )
        .is_some());
        // Double spaces keep an empty name, as Kong's splitn does.
        let p = parse_authorization(
            br#"hmac username="a", algorithm="b", headers="date  x", signature="d""#,
        )
        .unwrap();
        assert_eq!(p.headers, vec![&b"date"[..], b"", b"x"]);
    }

    #[test]
    fn groups_are_greedy_like_kongs_pcre() {
        // The signature runs to the last quote; the username to the last `", algorithm="`.
        let p = parse_authorization(
            br#"hmac username="a", algorithm="x", algorithm="hmac-sha1", headers="date", signature="s", extra="1""#,
        )
        .unwrap();
        assert_eq!(p.username, br#"a", algorithm="x"#);
        assert_eq!(p.signature, br#"s", extra="1"#);
    }

    #[test]
    fn not_hmac_credentials() {
        for value in [
            &b"Basic Ym9iOnNlY3JldA=="[..],
            b"hmac username",
            br#"hmac username="bob""#,
            br#"hmac username="", algorithm="hmac-sha1", headers="date", signature="x""#,
            br#"hmac username="bob", algorithm="hmac-sha1", headers="date", signature="""#,
            br#"HMAC username="bob", algorithm="hmac-sha1", headers="date", signature="x""#,
            br#"hmac username="bob", algorithm="hmac-sha1", headers="date", signatures="x""#,
            b"hmac username=\"b\nob\", algorithm=\"a\", headers=\"d\", signature=\"x\"",
            b"",
        ] {
            assert_eq!(
                parse_authorization(value),
                None,
                "{}",
                String::from_utf8_lossy(value)
            );
        }
    }

    fn line() -> RequestLine<'static> {
        RequestLine {
            method: "GET",
            path_with_query: b"/request?name=foo%20bar",
            version: "1.1",
        }
    }

    #[test]
    fn signing_string_follows_kong() {
        let headers: Vec<&[u8]> = vec![
            b"Date",
            b"content-md5",
            b"request-line",
            b"@request-target",
            b"x-missing",
        ];
        let lookup = |name: &[u8]| match name.to_ascii_lowercase().as_slice() {
            b"date" => Some(&b"Thu, 03 Dec 2026 15:00:00 GMT"[..]),
            b"content-md5" => Some(&b"md5"[..]),
            _ => None,
        };
        let s = signing_string(&headers, line(), lookup);
        assert_eq!(
            String::from_utf8(s).unwrap(),
            "Date: Thu, 03 Dec 2026 15:00:00 GMT\ncontent-md5: md5\nGET /request?name=foo%20bar HTTP/1.1\n@request-target: get /request?name=foo%20bar\nx-missing:"
        );
    }

    #[test]
    fn signatures_verify_per_algorithm_and_base64_is_read_as_nginx_does() {
        let data = b"date: Thu, 03 Dec 2026 15:00:00 GMT";
        for algorithm in Algorithm::ALL {
            let signature = sign(algorithm, b"secret", data);
            assert!(signature_matches(
                algorithm,
                b"secret",
                data,
                signature.as_bytes()
            ));
            assert!(!signature_matches(
                algorithm,
                b"other",
                data,
                signature.as_bytes()
            ));
            let unpadded = signature.trim_end_matches('=');
            assert!(signature_matches(
                algorithm,
                b"secret",
                data,
                unpadded.as_bytes()
            ));
            assert_eq!(
                Algorithm::from_name(algorithm.name().as_bytes()),
                Some(algorithm)
            );
        }
        let sha1 = sign(Algorithm::Sha1, b"secret", data);
        assert!(!signature_matches(
            Algorithm::Sha256,
            b"secret",
            data,
            sha1.as_bytes()
        ));
        assert!(!signature_matches(
            Algorithm::Sha1,
            b"secret",
            data,
            b"not really a base64 encoded value!!!"
        ));
        assert_eq!(decode_base64_lenient(b"YQ==garbage"), Some(b"a".to_vec()));
        assert_eq!(decode_base64_lenient(b"Y"), None);
        assert_eq!(Algorithm::from_name(b"HMAC-SHA1"), None);
    }

    #[test]
    fn body_digest_rules() {
        assert!(body_matches(b"", None));
        assert!(!body_matches(b"x", None));
        let digest = body_digest(b"{\"a\":\"apple\"}");
        assert!(body_matches(b"{\"a\":\"apple\"}", Some(digest.as_bytes())));
        assert!(!body_matches(
            b"{\"a\":\"apples\"}",
            Some(digest.as_bytes())
        ));
        assert!(body_matches(b"", Some(body_digest(b"").as_bytes())));
        assert_eq!(
            body_digest(b""),
            "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn http_dates_in_the_three_forms() {
        let t = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date(b"Sun Nov  6 08:49:37 1994"), Some(t));
        assert_eq!(parse_http_date(b"Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date(b"Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(1_835_438_400)
        );
        for bad in [
            &b"wrong date"[..],
            b"Sun, 29 Feb 2027 00:00:00 GMT",
            b"Sun, 06 Nov 1994 24:00:00 GMT",
            b"Sun, 6 Nov 1994 08:49:37 GMT",
            b"Sun, 06 nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov 94 08:49:37 GMT",
            b"",
            b",",
        ] {
            assert_eq!(
                parse_http_date(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
