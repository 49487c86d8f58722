//! Per-route request counters, bandwidth and latency histograms: Kong's
//! `kong_http_requests_total`, `kong_bandwidth_bytes` and `kong_*_latency_ms`, kept on
//! atomics in the route's own struct (no lock per request). The prometheus plugin records
//! into them, as its switches say.
//!
//! The `(code, source, consumer)` combinations of a route live in a small lock-free open
//! addressing table: a request costs a hash, usually one probe and one atomic addition.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::histogram::{Histogram, KONG_LATENCY_BUCKETS_MS, UPSTREAM_LATENCY_BUCKETS_MS};

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
    /// The access log's value (which tells proxy errors apart).
    pub fn label(self) -> &'static str {
        match self {
            ResponseSource::Service => "service",
            ResponseSource::Kong => "kong",
            ResponseSource::Error => "error",
        }
    }

    /// Kong's prometheus `source` label: `service` when the upstream answered, else `kong`.
    pub fn prometheus_label(self) -> &'static str {
        match self {
            ResponseSource::Service => "service",
            ResponseSource::Kong | ResponseSource::Error => "kong",
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

    /// Adds `amount` to `key`'s count; false when the table is full.
    fn add(&self, key: u64, amount: u64) -> bool {
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
                slot.count.fetch_add(amount, Ordering::Relaxed);
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

/// Kong's `direction` label of `kong_bandwidth_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// The counters of one (service, route) pair; they survive reloads that keep both names.
pub struct RouteMetrics {
    pub service: String,
    pub route: String,
    requests: LabelTable,
    /// Bytes by (direction, consumer): the direction in the code bits (0 in, 1 out).
    bandwidth: LabelTable,
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
            bandwidth: LabelTable::new(),
            overflow: AtomicU64::new(0),
            request_latency: Histogram::new(UPSTREAM_LATENCY_BUCKETS_MS),
            upstream_latency: Histogram::new(UPSTREAM_LATENCY_BUCKETS_MS),
            gateway_latency: Histogram::new(KONG_LATENCY_BUCKETS_MS),
        }
    }

    /// Status, source and latencies of one request (every switch on).
    pub fn record(&self, outcome: &RequestOutcome) {
        self.record_status(outcome.status, outcome.source, outcome.consumer);
        self.record_latencies(outcome.request, outcome.upstream, outcome.gateway);
    }

    /// One request in `kong_http_requests_total`.
    pub fn record_status(&self, status: u16, source: ResponseSource, consumer: Option<u32>) {
        let counted = self.requests.add(pack(status, source, consumer), 1)
            || (consumer.is_some() && self.requests.add(pack(status, source, None), 1));
        if !counted {
            self.overflow.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One request in the three latency histograms.
    pub fn record_latencies(
        &self,
        request: Duration,
        upstream: Option<Duration>,
        gateway: Duration,
    ) {
        self.request_latency.observe(request);
        if let Some(upstream) = upstream {
            self.upstream_latency.observe(upstream);
        }
        self.gateway_latency.observe(gateway);
    }

    /// One request's bytes in and out in `kong_bandwidth_bytes` (zero amounts are skipped,
    /// as Kong skips them).
    pub fn record_bandwidth(&self, consumer: Option<u32>, ingress: u64, egress: u64) {
        for (direction, amount) in [(0u16, ingress), (1u16, egress)] {
            if amount == 0 {
                continue;
            }
            let counted = self
                .bandwidth
                .add(pack(direction, ResponseSource::Service, consumer), amount)
                || (consumer.is_some()
                    && self
                        .bandwidth
                        .add(pack(direction, ResponseSource::Service, None), amount));
            if !counted {
                self.overflow.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The request counts by label combination.
    pub fn requests(&self) -> Vec<(RequestLabels, u64)> {
        self.requests.entries()
    }

    /// The bytes by direction and interned consumer.
    pub fn bandwidth(&self) -> Vec<(Direction, Option<u32>, u64)> {
        self.bandwidth
            .entries()
            .into_iter()
            .map(|(labels, bytes)| {
                let direction = if labels.code == 0 {
                    Direction::Ingress
                } else {
                    Direction::Egress
                };
                (direction, labels.consumer, bytes)
            })
            .collect()
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
    fn bandwidth_adds_bytes_by_direction_and_consumer() {
        let m = RouteMetrics::new("s".into(), "r".into());
        m.record_bandwidth(Some(2), 100, 2000);
        m.record_bandwidth(Some(2), 50, 0);
        m.record_bandwidth(None, 0, 7);
        let mut entries = m.bandwidth();
        entries.sort_by_key(|(d, c, _)| (d.label(), *c));
        assert_eq!(
            entries,
            vec![
                (Direction::Egress, None, 7),
                (Direction::Egress, Some(2), 2000),
                (Direction::Ingress, Some(2), 150),
            ]
        );
    }

    #[test]
    fn request_and_upstream_latencies_use_kongs_upstream_buckets() {
        let m = RouteMetrics::new("s".into(), "r".into());
        m.record_latencies(
            Duration::from_millis(30),
            Some(Duration::from_millis(26)),
            Duration::from_millis(4),
        );
        let request = m.request_latency.snapshot();
        assert_eq!(request.bounds.first(), Some(&25));
        assert_eq!(request.cumulative[0], 0, "30 ms is over le=25");
        assert_eq!(request.cumulative[1], 1, "le=50");
        assert_eq!(m.gateway_latency.snapshot().bounds.first(), Some(&1));
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
