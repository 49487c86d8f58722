//! rate-limiting's pure core: Kong's fixed windows (aligned to the UTC second, minute,
//! hour, day, month and year, as `kong.tools.timestamp` aligns them), and the decision and
//! headers for one request given each period's usage.

/// A rate-limiting period, shortest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Second,
    Minute,
    Hour,
    Day,
    Month,
    Year,
}

impl Period {
    pub fn name(self) -> &'static str {
        match self {
            Period::Second => "second",
            Period::Minute => "minute",
            Period::Hour => "hour",
            Period::Day => "day",
            Period::Month => "month",
            Period::Year => "year",
        }
    }

    /// Kong's `EXPIRATION`: the window length in seconds (a month is 30 days, a year 365).
    pub fn expiration(self) -> u64 {
        match self {
            Period::Second => 1,
            Period::Minute => 60,
            Period::Hour => 3600,
            Period::Day => 86_400,
            Period::Month => 2_592_000,
            Period::Year => 31_536_000,
        }
    }

    /// The longest a window of this period lasts (31-day months, 366-day years).
    pub fn longest_window(self) -> u64 {
        match self {
            Period::Month | Period::Year => self.expiration() + 86_400,
            _ => self.expiration(),
        }
    }

    pub fn limit_header(self) -> &'static str {
        match self {
            Period::Second => "X-RateLimit-Limit-Second",
            Period::Minute => "X-RateLimit-Limit-Minute",
            Period::Hour => "X-RateLimit-Limit-Hour",
            Period::Day => "X-RateLimit-Limit-Day",
            Period::Month => "X-RateLimit-Limit-Month",
            Period::Year => "X-RateLimit-Limit-Year",
        }
    }

    pub fn remaining_header(self) -> &'static str {
        match self {
            Period::Second => "X-RateLimit-Remaining-Second",
            Period::Minute => "X-RateLimit-Remaining-Minute",
            Period::Hour => "X-RateLimit-Remaining-Hour",
            Period::Day => "X-RateLimit-Remaining-Day",
            Period::Month => "X-RateLimit-Remaining-Month",
            Period::Year => "X-RateLimit-Remaining-Year",
        }
    }

    /// The start (unix seconds) of the window holding `now` (unix seconds), in UTC.
    pub fn window_start(self, now: u64) -> u64 {
        let days = now / 86_400;
        match self {
            Period::Second => now,
            Period::Minute => now - now % 60,
            Period::Hour => now - now % 3600,
            Period::Day => days * 86_400,
            Period::Month => {
                let (year, month, _) = civil_from_days(days);
                days_from_civil(year, month, 1) * 86_400
            }
            Period::Year => {
                let (year, _, _) = civil_from_days(days);
                days_from_civil(year, 1, 1) * 86_400
            }
        }
    }
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm, for dates from 1970 on).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a date (from 1970 on).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let yoe = year - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// One period's limit and the requests already counted in its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub period: Period,
    pub limit: u64,
    /// Requests counted before this one.
    pub used: u64,
}

/// What Kong answers for a request: whether it is over a limit, and the headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The first period (shortest) whose limit is reached.
    pub stopped: Option<Period>,
    /// `X-RateLimit-*-<Period>`, then `RateLimit-Limit`, `-Remaining`, `-Reset` (and
    /// `Retry-After` when stopped).
    pub headers: Vec<(&'static str, String)>,
}

/// Kong's rule: a period stops the request when `limit - used <= 0`. The `RateLimit-*`
/// headers describe the period with the fewest remaining requests (on a tie, the longer
/// window); remaining counts this request unless another period stopped it; reset is the
/// seconds left in that window (at least 1).
pub fn decide(usages: &[Usage], now: u64, with_headers: bool) -> Decision {
    let stopped = usages.iter().find(|u| u.limit <= u.used).map(|u| u.period);
    let mut headers = Vec::new();
    if !with_headers {
        return Decision { stopped, headers };
    }
    let mut chosen: Option<(u64, u64, u64)> = None; // (limit, window, remaining)
    let mut reset = 1;
    for usage in usages {
        let mut remaining = usage.limit.saturating_sub(usage.used);
        if stopped.is_none() || stopped == Some(usage.period) {
            remaining = remaining.saturating_sub(1);
        }
        let window = usage.period.expiration();
        let better = match chosen {
            None => true,
            Some((_, best_window, best_remaining)) => {
                remaining < best_remaining || (remaining == best_remaining && window > best_window)
            }
        };
        if better {
            chosen = Some((usage.limit, window, remaining));
            let elapsed = now.saturating_sub(usage.period.window_start(now));
            reset = window.saturating_sub(elapsed).max(1);
        }
        headers.push((usage.period.limit_header(), usage.limit.to_string()));
        headers.push((usage.period.remaining_header(), remaining.to_string()));
    }
    if let Some((limit, _, remaining)) = chosen {
        headers.push(("RateLimit-Limit", limit.to_string()));
        headers.push(("RateLimit-Remaining", remaining.to_string()));
        headers.push(("RateLimit-Reset", reset.to_string()));
        if stopped.is_some() {
            headers.push(("Retry-After", reset.to_string()));
        }
    }
    Decision { stopped, headers }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-12-04T03:25:17Z
    const NOW: u64 = 1_796_354_717;

    #[test]
    fn windows_align_to_utc_calendar() {
        assert_eq!(Period::Second.window_start(NOW), NOW);
        assert_eq!(Period::Minute.window_start(NOW), NOW - 17);
        assert_eq!(Period::Hour.window_start(NOW), NOW - 25 * 60 - 17);
        assert_eq!(Period::Day.window_start(NOW), 1_796_342_400); // 2026-12-04T00:00:00Z
        assert_eq!(Period::Month.window_start(NOW), 1_796_083_200); // 2026-12-01
        assert_eq!(Period::Year.window_start(NOW), 1_767_225_600); // 2026-01-01
        assert_eq!(Period::Month.window_start(951_782_400), 949_363_200); // 2000-02-29 → 02-01
        assert_eq!(Period::Year.window_start(0), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    fn usage(period: Period, limit: u64, used: u64) -> Usage {
        Usage {
            period,
            limit,
            used,
        }
    }

    #[test]
    fn allowed_requests_count_themselves() {
        let d = decide(
            &[usage(Period::Minute, 5, 0), usage(Period::Hour, 100, 40)],
            NOW,
            true,
        );
        assert_eq!(d.stopped, None);
        let get = |name: &str| {
            d.headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("X-RateLimit-Limit-Minute"), Some("5"));
        assert_eq!(get("X-RateLimit-Remaining-Minute"), Some("4"));
        assert_eq!(get("X-RateLimit-Remaining-Hour"), Some("59"));
        assert_eq!(get("RateLimit-Limit"), Some("5"));
        assert_eq!(get("RateLimit-Remaining"), Some("4"));
        assert_eq!(get("RateLimit-Reset"), Some("43"));
        assert_eq!(get("Retry-After"), None);
    }

    #[test]
    fn stopped_requests_get_retry_after() {
        let d = decide(
            &[usage(Period::Second, 10, 3), usage(Period::Minute, 5, 5)],
            NOW,
            true,
        );
        assert_eq!(d.stopped, Some(Period::Minute));
        let get = |name: &str| {
            d.headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        // The stopping period counts this request; the other does not.
        assert_eq!(get("X-RateLimit-Remaining-Second"), Some("7"));
        assert_eq!(get("X-RateLimit-Remaining-Minute"), Some("0"));
        assert_eq!(get("RateLimit-Remaining"), Some("0"));
        assert_eq!(get("Retry-After"), Some("43"));
        // A tie on remaining picks the longer window.
        let d = decide(
            &[usage(Period::Minute, 5, 4), usage(Period::Hour, 5, 4)],
            NOW,
            true,
        );
        let get = |name: &str| {
            d.headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_owned())
        };
        assert_eq!(
            get("RateLimit-Reset"),
            Some((3600 - 25 * 60 - 17).to_string())
        );
        assert!(decide(&[usage(Period::Minute, 1, 1)], NOW, false)
            .headers
            .is_empty());
    }
}
