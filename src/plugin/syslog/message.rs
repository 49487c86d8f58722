//! A syslog message as libc's `syslog(3)` writes it to the local daemon (RFC 3164 style):
//! `<PRI>Mmm dd hh:mm:ss kong[PID]: MESSAGE`, PRI = facility * 8 + severity; time in UTC.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::access_log::civil_from_days;

/// Syslog severities, most severe first (their numeric values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Emerg = 0,
    Alert = 1,
    Crit = 2,
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

impl Severity {
    /// Kong's names, in its schema's order (for the error message).
    pub const NAMES: &'static str = "debug, info, notice, warning, err, crit, alert, emerg";

    pub fn named(name: &str) -> Option<Self> {
        Some(match name {
            "debug" => Severity::Debug,
            "info" => Severity::Info,
            "notice" => Severity::Notice,
            "warning" => Severity::Warning,
            "err" => Severity::Err,
            "crit" => Severity::Crit,
            "alert" => Severity::Alert,
            "emerg" => Severity::Emerg,
            _ => return None,
        })
    }

    /// Whether a message at this severity passes `log_level` (at least as severe).
    pub fn reaches(self, log_level: Severity) -> bool {
        (self as u8) <= (log_level as u8)
    }
}

/// Syslog facilities (their numeric codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facility {
    Kern = 0,
    User = 1,
    Mail = 2,
    Daemon = 3,
    Auth = 4,
    Syslog = 5,
    Lpr = 6,
    News = 7,
    Uucp = 8,
    Cron = 9,
    Authpriv = 10,
    Ftp = 11,
    Local0 = 16,
    Local1 = 17,
    Local2 = 18,
    Local3 = 19,
    Local4 = 20,
    Local5 = 21,
    Local6 = 22,
    Local7 = 23,
}

impl Facility {
    /// Kong's names, in its schema's order (for the error message).
    pub const NAMES: &'static str = "auth, authpriv, cron, daemon, ftp, kern, lpr, mail, news, \
                                     syslog, user, uucp, local0, local1, local2, local3, local4, \
                                     local5, local6, local7";

    pub fn named(name: &str) -> Option<Self> {
        Some(match name {
            "auth" => Facility::Auth,
            "authpriv" => Facility::Authpriv,
            "cron" => Facility::Cron,
            "daemon" => Facility::Daemon,
            "ftp" => Facility::Ftp,
            "kern" => Facility::Kern,
            "lpr" => Facility::Lpr,
            "mail" => Facility::Mail,
            "news" => Facility::News,
            "syslog" => Facility::Syslog,
            "user" => Facility::User,
            "uucp" => Facility::Uucp,
            "local0" => Facility::Local0,
            "local1" => Facility::Local1,
            "local2" => Facility::Local2,
            "local3" => Facility::Local3,
            "local4" => Facility::Local4,
            "local5" => Facility::Local5,
            "local6" => Facility::Local6,
            "local7" => Facility::Local7,
            _ => return None,
        })
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The datagram for `text` sent at `time`.
pub fn format(facility: Facility, severity: Severity, time: SystemTime, text: &str) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (_, month, day) = civil_from_days((seconds / 86_400) as i64);
    let of_day = seconds % 86_400;
    let priority = (facility as u8) * 8 + severity as u8;
    let month = MONTHS[(month as usize).clamp(1, 12) - 1];
    format!(
        "<{priority}>{month} {day:>2} {:02}:{:02}:{:02} kong[{}]: {text}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        std::process::id()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn libc_syslog_framing() {
        // 2026-12-04T07:05:09Z
        let time = UNIX_EPOCH + Duration::from_secs(1_796_367_909);
        let line = format(Facility::Local3, Severity::Err, time, "{\"a\":1}");
        let pid = std::process::id();
        assert_eq!(
            line,
            format!("<155>Dec  4 07:05:09 kong[{pid}]: {{\"a\":1}}")
        );
        let line = format(Facility::User, Severity::Info, time, "x");
        assert!(line.starts_with("<14>Dec  4 "), "{line}");
    }
}
