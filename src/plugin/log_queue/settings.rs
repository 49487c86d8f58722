//! Kong's `config.queue` record (`kong/tools/queue_schema.lua`): its fields, defaults and
//! ranges, and the legacy plugin fields (`queue_size`, `flush_timeout`, `batch_span_count`,
//! `batch_flush_delay`) that still override them when set to something else than their old
//! default, as Kong's `Queue.get_plugin_params` does.

use std::time::Duration;

use serde::Deserialize;

use crate::config::errors::{join, ConfigErrors};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawQueue {
    pub max_batch_size: i64,
    pub max_coalescing_delay: f64,
    pub max_entries: i64,
    pub max_bytes: Option<i64>,
    pub max_retry_time: f64,
    pub initial_retry_delay: f64,
    pub max_retry_delay: f64,
    pub concurrency_limit: i64,
}

impl Default for RawQueue {
    fn default() -> Self {
        Self {
            max_batch_size: 1,
            max_coalescing_delay: 1.0,
            max_entries: 10_000,
            max_bytes: None,
            max_retry_time: 60.0,
            initial_retry_delay: 0.01,
            max_retry_delay: 60.0,
            concurrency_limit: 1,
        }
    }
}

/// A checked queue configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSettings {
    pub max_batch_size: usize,
    /// How long a batch may wait for more entries after its first (not with batches of 1).
    pub max_coalescing_delay: Duration,
    /// The most entries waiting; a new one past it pushes out the oldest.
    pub max_entries: usize,
    /// The most bytes waiting, when set.
    pub max_bytes: Option<usize>,
    /// How long a failing batch is retried before it is dropped (`None`: Kong's -1, never
    /// retried).
    pub max_retry_time: Option<Duration>,
    pub initial_retry_delay: Duration,
    pub max_retry_delay: Duration,
    /// Kong's `concurrency_limit: -1`: each batch is sent on its own, not one after another.
    pub unlimited_concurrency: bool,
}

impl Default for QueueSettings {
    /// Kong's defaults (the `queue` record's).
    fn default() -> Self {
        Self {
            max_batch_size: 1,
            max_coalescing_delay: Duration::from_secs(1),
            max_entries: 10_000,
            max_bytes: None,
            max_retry_time: Some(Duration::from_secs(60)),
            initial_retry_delay: Duration::from_millis(10),
            max_retry_delay: Duration::from_secs(60),
            unlimited_concurrency: false,
        }
    }
}

impl QueueSettings {
    /// For the log plugins Kong runs without a queue (tcp-log, udp-log, syslog, which send
    /// each entry from a timer at once): entries go out as soon as the worker is free, up to
    /// 100 a batch, bounded as Kong's default queue is (10,000 entries), a failing batch
    /// retried at least every second for 60 s (a socket costs little to try).
    pub fn immediate() -> Self {
        Self {
            max_batch_size: 100,
            max_coalescing_delay: Duration::ZERO,
            max_retry_delay: Duration::from_secs(1),
            ..Self::default()
        }
    }
}

/// The plugin-level fields that predate `queue`, as written (`None`: unset).
#[derive(Debug, Clone, Default)]
pub struct Legacy {
    /// http-log's `queue_size` (old default 1) or opentelemetry's `batch_span_count` (200).
    pub batch_size: Option<(i64, i64)>,
    /// http-log's `flush_timeout` (old default 2) or opentelemetry's `batch_flush_delay` (3).
    pub flush_delay: Option<(f64, f64)>,
}

fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(Duration::ZERO)
}

/// Checks `raw` (the `queue` record at `path`) with the plugin's legacy fields.
pub fn compile(
    raw: RawQueue,
    legacy: &Legacy,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<QueueSettings> {
    let before = errors.len();
    let mut between = |field: &str, value: f64, low: f64, high: f64| {
        if !(low..=high).contains(&value) {
            errors.push(
                join(path, field),
                format!("value should be between {low} and {high}"),
            );
        }
    };
    between("max_batch_size", raw.max_batch_size as f64, 1.0, 1e6);
    between(
        "max_coalescing_delay",
        raw.max_coalescing_delay,
        0.0,
        3600.0,
    );
    between("max_entries", raw.max_entries as f64, 1.0, 1e6);
    between("initial_retry_delay", raw.initial_retry_delay, 0.001, 1e6);
    between("max_retry_delay", raw.max_retry_delay, 0.001, 1e6);
    if raw.concurrency_limit != 1 && raw.concurrency_limit != -1 {
        errors.push(join(path, "concurrency_limit"), "expected one of: -1, 1");
    }
    if raw.max_bytes.is_some_and(|bytes| bytes < 1) {
        errors.push(join(path, "max_bytes"), "value must be greater than 0");
    }
    if errors.len() > before {
        return None;
    }
    let mut max_batch_size = raw.max_batch_size as usize;
    if let Some((size, old_default)) = legacy.batch_size {
        if size != old_default && size >= 1 {
            max_batch_size = size as usize;
        }
    }
    let mut coalescing = raw.max_coalescing_delay;
    if let Some((delay, old_default)) = legacy.flush_delay {
        if delay != old_default && delay >= 0.0 {
            coalescing = delay;
        }
    }
    Some(QueueSettings {
        max_batch_size,
        max_coalescing_delay: seconds(coalescing),
        max_entries: raw.max_entries as usize,
        max_bytes: raw.max_bytes.map(|bytes| bytes as usize),
        max_retry_time: (raw.max_retry_time >= 0.0).then(|| seconds(raw.max_retry_time)),
        initial_retry_delay: seconds(raw.initial_retry_delay),
        max_retry_delay: seconds(raw.max_retry_delay),
        unlimited_concurrency: raw.concurrency_limit == -1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str, legacy: Legacy) -> Result<QueueSettings, Vec<(String, String)>> {
        let raw: RawQueue =
            serde_yaml::from_str(yaml).map_err(|e| vec![(String::new(), e.to_string())])?;
        let mut errors = ConfigErrors::default();
        compile(raw, &legacy, "plugins[0].config.queue", &mut errors).ok_or_else(|| {
            errors
                .iter()
                .map(|e| (e.path.clone(), e.message.clone()))
                .collect()
        })
    }

    #[test]
    fn kongs_defaults() {
        let settings = check("{}", Legacy::default()).unwrap();
        assert_eq!(settings, QueueSettings::default());
        assert_eq!(settings.max_batch_size, 1);
        assert_eq!(settings.max_entries, 10_000);
        assert_eq!(settings.max_retry_time, Some(Duration::from_secs(60)));
        assert_eq!(settings.initial_retry_delay, Duration::from_millis(10));
    }

    #[test]
    fn ranges_are_checked_at_their_path() {
        let errors = check(
            "{max_batch_size: 0, concurrency_limit: 2, max_entries: 2000000}",
            Legacy::default(),
        )
        .unwrap_err();
        assert_eq!(
            errors,
            vec![
                (
                    "plugins[0].config.queue.max_batch_size".to_owned(),
                    "value should be between 1 and 1000000".to_owned()
                ),
                (
                    "plugins[0].config.queue.max_entries".to_owned(),
                    "value should be between 1 and 1000000".to_owned()
                ),
                (
                    "plugins[0].config.queue.concurrency_limit".to_owned(),
                    "expected one of: -1, 1".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn legacy_fields_override_only_when_not_their_old_default() {
        let legacy = Legacy {
            batch_size: Some((1, 1)),
            flush_delay: Some((2.0, 2.0)),
        };
        let settings = check("{max_batch_size: 50, max_coalescing_delay: 0.5}", legacy).unwrap();
        assert_eq!(settings.max_batch_size, 50);
        assert_eq!(settings.max_coalescing_delay, Duration::from_millis(500));
        let legacy = Legacy {
            batch_size: Some((20, 1)),
            flush_delay: Some((5.0, 2.0)),
        };
        let settings = check("{}", legacy).unwrap();
        assert_eq!(settings.max_batch_size, 20);
        assert_eq!(settings.max_coalescing_delay, Duration::from_secs(5));
        assert_eq!(
            check("{max_retry_time: -1}", Legacy::default())
                .unwrap()
                .max_retry_time,
            None
        );
    }
}
