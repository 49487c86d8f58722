//! What one resolution outcome does to a name: the answer published, the next query due,
//! Kong's TTL rules (`dns_valid_ttl`, `dns_stale_ttl`, `dns_not_found_ttl`, `dns_error_ttl`).

use std::time::{Duration, Instant};

use super::answer::{Answer, AnswerState};
use super::lookup::Outcome;
use super::name::DnsName;
use super::settings::DnsSettings;

/// Shortest time between two queries of one name (a TTL of 0 would otherwise spin).
pub const MIN_REFRESH: Duration = Duration::from_secs(1);

/// Publishes what `outcome` means for `name` at `now` and schedules its next query.
pub fn apply(name: &DnsName, outcome: Outcome, settings: &DnsSettings, now: Instant) {
    let mut refresh = match name.refresh.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    let previous = name.answer();
    match outcome {
        Outcome::Found {
            addresses,
            ttl,
            kind,
        } => {
            let ttl = settings.valid_ttl.unwrap_or(ttl).max(MIN_REFRESH);
            if !previous.usable() {
                log::info!(
                    "dns: '{}' resolves ({} addresses)",
                    name.name(),
                    addresses.len()
                );
            }
            name.publish(Answer::new(AnswerState::Fresh, addresses));
            refresh.expired_at = Some(now + ttl);
            refresh.due = now + ttl;
            refresh.last_kind = Some(kind);
        }
        Outcome::NotFound => {
            if previous.state != AnswerState::Failed {
                log::warn!("dns: '{}': name not found", name.name());
            }
            name.publish(Answer::failed());
            refresh.expired_at = None;
            refresh.due = now + settings.not_found_ttl.max(MIN_REFRESH);
        }
        Outcome::Failed(message) => {
            let stale_until = refresh.expired_at.map(|at| at + settings.stale_ttl);
            match stale_until {
                Some(until) if now < until && previous.usable() => {
                    if previous.state != AnswerState::Stale {
                        log::warn!(
                            "dns: '{}': {message}; serving the last answer for up to {}s",
                            name.name(),
                            settings.stale_ttl.as_secs()
                        );
                    }
                    name.publish(previous.with_state(AnswerState::Stale));
                }
                _ => {
                    if previous.state != AnswerState::Failed {
                        log::warn!("dns: '{}': {message}", name.name());
                    }
                    refresh.expired_at = None;
                    name.publish(Answer::failed());
                }
            }
            refresh.due = now + settings.error_ttl.max(MIN_REFRESH);
        }
    }
}

/// When `name` is next due.
pub fn due(name: &DnsName) -> Instant {
    match name.refresh.lock() {
        Ok(guard) => guard.due,
        Err(poisoned) => poisoned.into_inner().due,
    }
}

/// The record type of the last successful lookup.
pub fn last_kind(name: &DnsName) -> Option<super::settings::RecordKind> {
    match name.refresh.lock() {
        Ok(guard) => guard.last_kind,
        Err(poisoned) => poisoned.into_inner().last_kind,
    }
}

#[cfg(test)]
mod tests {
    use super::super::answer::Address;
    use super::super::settings::RecordKind;
    use super::*;

    fn found(ttl: u64) -> Outcome {
        Outcome::Found {
            addresses: vec![Address {
                ip: [127, 0, 0, 2].into(),
                port: None,
                weight: 1,
            }],
            ttl: Duration::from_secs(ttl),
            kind: RecordKind::A,
        }
    }

    #[test]
    fn the_record_ttl_is_honoured_unless_overridden() {
        let settings = DnsSettings::default();
        let name = DnsName::new("a.test".to_owned());
        let now = Instant::now();
        apply(&name, found(7), &settings, now);
        assert_eq!(due(&name), now + Duration::from_secs(7));
        assert_eq!(last_kind(&name), Some(RecordKind::A));
        let settings = DnsSettings {
            valid_ttl: Some(Duration::from_secs(2)),
            ..DnsSettings::default()
        };
        apply(&name, found(7), &settings, now);
        assert_eq!(due(&name), now + Duration::from_secs(2));
        apply(&name, found(0), &DnsSettings::default(), now);
        assert_eq!(due(&name), now + MIN_REFRESH);
    }

    #[test]
    fn failures_serve_stale_answers_then_fail() {
        let settings = DnsSettings {
            stale_ttl: Duration::from_secs(5),
            ..DnsSettings::default()
        };
        let name = DnsName::new("a.test".to_owned());
        let start = Instant::now();
        apply(&name, found(1), &settings, start);
        let later = start + Duration::from_secs(3);
        apply(&name, Outcome::Failed("timeout".into()), &settings, later);
        assert_eq!(name.answer().state, AnswerState::Stale);
        assert!(name.pick(80).is_some());
        assert_eq!(due(&name), later + settings.error_ttl);
        let past = start + Duration::from_secs(7);
        apply(&name, Outcome::Failed("timeout".into()), &settings, past);
        assert_eq!(name.answer().state, AnswerState::Failed);
        assert!(name.pick(80).is_none());
    }

    #[test]
    fn not_found_fails_at_once_and_retries_after_its_ttl() {
        let settings = DnsSettings::default();
        let name = DnsName::new("a.test".to_owned());
        let now = Instant::now();
        apply(&name, found(60), &settings, now);
        apply(&name, Outcome::NotFound, &settings, now);
        assert!(name.pick(80).is_none());
        assert_eq!(due(&name), now + Duration::from_secs(30));
    }
}
