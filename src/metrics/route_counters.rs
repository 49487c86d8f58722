//! Per-route request counters and latency histograms: Kong's `kong_http_requests_total`
//! and `kong_*_latency_ms`, kept on atomics in the route's own struct (no lock per request).
//!
//! The `(code, source, consumer)` combinations of a route live in a small lock-free open
//! addressing table: a request costs a hash, usually one probe and one atomic addition.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::histogram::Histogram;

/// Who produced the response, Kong's `source` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseSource {
    /// The upstream service answered.
    Service,
    /// The gateway answered by itself (route not found, authentication, ...).
    Kong,
    /// Proxying failed (connect error, timeout, no healthy target).
    Error,
}

impl ResponseSource {
    pub fn label(self) -> &'static str {
        match self {
            ResponseSource::Service => "service",
            ResponseSource::Kong => "kong",
            ResponseSource::Error => "error",
        }
    }

    fn code(self) -> u64 {
        match self {
            ResponseSource::Service => 0,
            ResponseSource::Kong => 1,
            ResponseSource::Error => 2,
        }
    }

    fn from_code(code: u64) -> Self {
        match code {
            0 => ResponseSource::Service,
            1 => ResponseSource::Kong,
            _ => ResponseSource::Error,
        }
    }
}

/// One label combination of `kong_http_requests_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestLabels {
    pub code: u16,
    pub source: u8,
    /// Interned consumer label (see `ConsumerLabels`), if a consumer was mapped.
    pub consumer: Option<u32>,
}

impl RequestLabels {
    pub fn source(&self) -> ResponseSource {
        ResponseSource::from_code(u64::from(self.source))
    }
}

/// Set on every used key, so that an empty slot (0) never equals a key.
const USED: u64 = 1 << 63;

fn pack(code: u16, source: ResponseSource, consumer: Option<u32>) -> u64 {
    let consumer = consumer.map_or(0, |c| u64::from(c) + 1);
    USED | (consumer << 24) | (source.code() << 16) | u64::from(code)
}

fn unpack(key: u64) -> RequestLabels {
    let consumer = (key >> 24) & 0xFFFF_FFFF;
    RequestLabels {
        code: (key & 0xFFFF) as u16,
        source: ((key >> 16) & 0xFF) as u8,
        consumer: consumer.checked_sub(1).map(|c| c as u32),
    }
}

/// Label combinations one route can count separately; more fall back to no consumer label.
const TABLE_SLOTS: usize = 128;

#[derive(Default)]
struct Slot {
    key: AtomicU64,
    count: AtomicU64,
}

/// A fixed-size, insert-only, lock-free map from packed labels to a count.
struct LabelTable {
    slots: Box<[Slot]>,
}

impl LabelTable {
    fn new() -> Self {
        Self {
            slots: (0..TABLE_SLOTS).map(|_| Slot::default()).collect(),
        }
    }

    /// Adds one to `key`'s count; false when the table is full.
    fn increment(&self, key: u64) -> bool {
        let mask = self.slots.len() - 1;
        let mut index = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask;
        for _ in 0..self.slots.len() {
            let Some(slot) = self.slots.get(index) else {
                return false;
            };
            let mut current = slot.key.load(Ordering::Acquire);
            if current == 0 {
                current =
                    match slot
                        .key
                        .compare_exchange(0, key, Ordering::AcqRel, Ordering::Acquire)
                    {
                        Ok(_) => key,
                        Err(actual) => actual,
                    };
            }
            if current == key {
                slot.count.fetch_add(1, Ordering::Relaxed);
                return true;
            }
            index = (index + 1) & mask;
        }
        false
    }

    /// Every used combination and its count, in label order.
    fn entries(&self) -> Vec<(RequestLabels, u64)> {
        let mut entries: Vec<(RequestLabels, u64)> = self
            .slots
            .iter()
            .filter_map(|slot| {
                let key = slot.key.load(Ordering::Acquire);
                (key != 0).then(|| (unpack(key), slot.count.load(Ordering::Relaxed)))
            })
            .collect();
        entries.sort_by_key(|(labels, _)| *labels);
        entries
    }
}

/// What the metrics need to know about one finished request.
#[derive(Debug, Clone, Copy)]
pub struct RequestOutcome {
    pub status: u16,
    pub source: ResponseSource,
    pub consumer: Option<u32>,
    pub request: Duration,
    /// Time waiting for the upstream's response header, when the request was proxied.
    pub upstream: Option<Duration>,
    /// Time spent in the gateway: the request's time minus the upstream's.
    pub gateway: Duration,
}

/// The counters of one (service, route) pair; they survive reloads that keep both names.
pub struct RouteMetrics {
    pub service: String,
    pub route: String,
    requests: LabelTable,
    /// Requests whose labels did not fit the table even without a consumer label.
    pub overflow: AtomicU64,
    pub request_latency: Histogram,
    pub upstream_latency: Histogram,
    pub gateway_latency: Histogram,
}

impl RouteMetrics {
    pub fn new(service: String, route: String) -> Self {
        Self {
            service,
            route,
            requests: LabelTable::new(),
            overflow: AtomicU64::new(0),
            request_latency: Histogram::default(),
            upstream_latency: Histogram::default(),
            gateway_latency: Histogram::default(),
        }
    }

    pub fn record(&self, outcome: &RequestOutcome) {
        let counted =
            self.requests
                .increment(pack(outcome.status, outcome.source, outcome.consumer))
                || (outcome.consumer.is_some()
                    && self
                        .requests
                        .increment(pack(outcome.status, outcome.source, None)));
        if !counted {
            self.overflow.fetch_add(1, Ordering::Relaxed);
        }
        self.request_latency.observe(outcome.request);
        if let Some(upstream) = outcome.upstream {
            self.upstream_latency.observe(upstream);
        }
        self.gateway_latency.observe(outcome.gateway);
    }

    /// The request counts by label combination.
    pub fn requests(&self) -> Vec<(RequestLabels, u64)> {
        self.requests.entries()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: u16, consumer: Option<u32>) -> RequestOutcome {
        RequestOutcome {
            status,
            source: ResponseSource::Service,
            consumer,
            request: Duration::from_millis(3),
            upstream: Some(Duration::from_millis(2)),
            gateway: Duration::from_millis(1),
        }
    }

    #[test]
    fn counts_by_code_source_and_consumer() {
        let m = RouteMetrics::new("s".into(), "r".into());
        for _ in 0..3 {
            m.record(&outcome(200, Some(7)));
        }
        m.record(&outcome(200, None));
        m.record(&RequestOutcome {
            source: ResponseSource::Kong,
            upstream: None,
            ..outcome(401, None)
        });
        let entries = m.requests();
        assert_eq!(entries.len(), 3, "{entries:?}");
        let find = |code, consumer| {
            entries
                .iter()
                .find(|(l, _)| l.code == code && l.consumer == consumer)
                .map(|(l, n)| (l.source(), *n))
        };
        assert_eq!(find(200, Some(7)), Some((ResponseSource::Service, 3)));
        assert_eq!(find(200, None), Some((ResponseSource::Service, 1)));
        assert_eq!(find(401, None), Some((ResponseSource::Kong, 1)));
        assert_eq!(m.request_latency.snapshot().count(), 5);
        assert_eq!(m.upstream_latency.snapshot().count(), 4);
    }

    #[test]
    fn a_full_table_drops_the_consumer_label_then_counts_overflow() {
        let m = RouteMetrics::new("s".into(), "r".into());
        for consumer in 0..(TABLE_SLOTS as u32 + 10) {
            m.record(&outcome(200, Some(consumer)));
        }
        let total: u64 = m.requests().iter().map(|(_, n)| n).sum();
        let overflow = m.overflow.load(Ordering::Relaxed);
        assert_eq!(total + overflow, TABLE_SLOTS as u64 + 10);
        assert_eq!(m.requests().len(), TABLE_SLOTS);
    }

    #[test]
    fn labels_round_trip() {
        let key = pack(503, ResponseSource::Error, Some(u32::MAX - 1));
        let labels = unpack(key);
        assert_eq!(labels.code, 503);
        assert_eq!(labels.source(), ResponseSource::Error);
        assert_eq!(labels.consumer, Some(u32::MAX - 1));
        assert_eq!(
            unpack(pack(0, ResponseSource::Service, None)).consumer,
            None
        );
    }
}
