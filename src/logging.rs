//! The process logger: env_logger behind a filter that scrubs credentials from every line.
//!
//! Whatever a library logs (Pingora's debug dumps of headers and bodies included), tokens,
//! Basic/Bearer credentials and `client_secret` values are replaced before the line is
//! written. Pingora's and the HTTP client's chatty levels are also capped at `info`.

use std::borrow::Cow;
use std::io::Write as _;
use std::sync::OnceLock;

use log::{Log, Metadata, Record};

use crate::server_config::AccessLog;
use regex::Regex;

/// Crates whose debug output dumps requests; never below `info`.
const CAPPED_CRATES: [&str; 7] = [
    "pingora_core",
    "pingora_proxy",
    "pingora_http",
    "pingora_pool",
    "hyper",
    "h2",
    "reqwest",
];

struct RedactingLogger {
    inner: env_logger::Logger,
    /// Access log lines (target `access`): written as they are, without a prefix, so a
    /// JSON line stays one JSON object. `access_log.rs` scrubs the fields it takes from the
    /// request; scrubbing the finished line could break its JSON escapes.
    access: env_logger::Logger,
    /// The access log does not follow `log_level` (as in Kong): `gateway.access_log: off`
    /// turns it off, as does `RUST_LOG` when it disables the target (`access=off`).
    access_enabled: bool,
}

/// The access log's target.
const ACCESS: &str = "access";

impl Log for RedactingLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        if metadata.target() == ACCESS {
            self.access_enabled
        } else {
            self.inner.enabled(metadata)
        }
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        if record.target() == ACCESS {
            self.access.log(record);
            return;
        }
        let line = record.args().to_string();
        let scrubbed = scrub(&line);
        self.inner.log(
            &Record::builder()
                .metadata(record.metadata().clone())
                .args(format_args!("{scrubbed}"))
                .module_path(record.module_path())
                .file(record.file())
                .line(record.line())
                .build(),
        );
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// Installs the logger; `RUST_LOG` chooses levels, else `level` (`gateway.log_level`).
/// Access lines go where `access_log` says.
pub fn init(level: log::LevelFilter, access_log: AccessLog) {
    let default = level.as_str().to_ascii_lowercase();
    let env = || env_logger::Env::default().default_filter_or(default.as_str());
    let requested = env_logger::Builder::from_env(env()).build().filter();
    let mut builder = env_logger::Builder::from_env(env());
    for name in CAPPED_CRATES {
        builder.filter_module(name, requested.min(log::LevelFilter::Info));
    }
    let inner = builder.build();
    let max = inner.filter();
    let access = env_logger::Builder::new()
        .target(match access_log {
            AccessLog::Stdout => env_logger::Target::Stdout,
            AccessLog::Stderr | AccessLog::Off => env_logger::Target::Stderr,
        })
        .filter_level(log::LevelFilter::Trace)
        .format(|buf, record| writeln!(buf, "{}", record.args()))
        .build();
    let access_metadata = Metadata::builder()
        .target(ACCESS)
        .level(log::Level::Info)
        .build();
    let access_enabled = access_log != AccessLog::Off
        && (std::env::var_os("RUST_LOG").is_none()
            || env_logger::Builder::from_env(env())
                .build()
                .enabled(&access_metadata));
    let max = if access_enabled {
        max.max(log::LevelFilter::Info)
    } else {
        max
    };
    let logger = RedactingLogger {
        inner,
        access,
        access_enabled,
    };
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(max);
    }
}

fn patterns() -> &'static [(Regex, &'static str)] {
    static PATTERNS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        [
            (
                r"(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]+",
                "$1 [redacted]",
            ),
            (
                r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*)?",
                "[token]",
            ),
            (
                r"(?i)(client_secret|access_token|password)=[^&\s\x22'\\]*",
                "$1=[redacted]",
            ),
        ]
        .into_iter()
        .filter_map(|(pattern, replacement)| Regex::new(pattern).ok().map(|re| (re, replacement)))
        .collect()
    })
}

/// `line` with every credential-looking part replaced.
pub fn scrub(line: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(line);
    for (pattern, replacement) in patterns() {
        if let Cow::Owned(replaced) = pattern.replace_all(&out, *replacement) {
            out = Cow::Owned(replaced);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_scrubbed() {
        let line = r#"headers: {"authorization": "Basic a29uZ19pZDpzZWNyZXQ=", "x": "Bearer eyJhbGc.eyJzdWIi.c2ln"} uri: /get?client_secret=hunter2&a=1"#;
        let scrubbed = scrub(line);
        assert!(!scrubbed.contains("a29uZ19pZDpzZWNyZXQ"), "{scrubbed}");
        assert!(!scrubbed.contains("eyJ"), "{scrubbed}");
        assert!(!scrubbed.contains("hunter2"), "{scrubbed}");
        assert!(scrubbed.contains("a=1"));
        assert_eq!(scrub("plain line"), "plain line");
    }

    #[test]
    fn bare_jwts_are_scrubbed() {
        assert_eq!(
            scrub("token eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.sig-_x end"),
            "token [token] end"
        );
    }
}
