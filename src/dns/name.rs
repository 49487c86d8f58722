//! One name the gateway resolves: its current answer behind an `ArcSwap` (a request reads it
//! without a lock), a round-robin counter, and what the background refresher needs.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use tokio::sync::Notify;

use super::answer::{Answer, AnswerState};
use super::settings::RecordKind;

/// Refresh bookkeeping, touched only by the refresher.
#[derive(Debug)]
pub struct RefreshState {
    /// When to query again.
    pub due: Instant,
    /// When the last good answer's TTL ended (`None`: never had one).
    pub expired_at: Option<Instant>,
    /// The record type of the last successful lookup (`dns_order`'s LAST).
    pub last_kind: Option<RecordKind>,
}

/// A resolved (or to-be-resolved) host name, shared by every config that names it.
#[derive(Debug)]
pub struct DnsName {
    name: String,
    current: ArcSwap<Answer>,
    turn: AtomicUsize,
    /// Bumped each time the addresses change (balancers rebuild on it).
    generation: AtomicU64,
    /// Woken when an answer is published.
    published: Notify,
    /// Seconds since `epoch` when the name was last asked for.
    last_wanted: AtomicU64,
    epoch: Instant,
    pub(super) refresh: Mutex<RefreshState>,
}

impl DnsName {
    /// `name` lowercase without a trailing dot.
    pub fn new(name: String) -> Self {
        let now = Instant::now();
        DnsName {
            name,
            current: ArcSwap::from_pointee(Answer::pending()),
            turn: AtomicUsize::new(0),
            generation: AtomicU64::new(0),
            published: Notify::new(),
            last_wanted: AtomicU64::new(0),
            epoch: now,
            refresh: Mutex::new(RefreshState {
                due: now,
                expired_at: None,
                last_kind: None,
            }),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current answer (a lock-free load).
    pub fn answer(&self) -> Arc<Answer> {
        self.current.load_full()
    }

    /// The next address by round robin, with `default_port` unless the record has a port;
    /// `None` when the name does not resolve (yet).
    pub fn pick(&self, default_port: u16) -> Option<SocketAddr> {
        let turn = self.turn.fetch_add(1, Ordering::Relaxed);
        self.current.load().pick(turn, default_port)
    }

    /// Changes each time the set of addresses changes.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether the name was never looked up yet.
    pub fn is_pending(&self) -> bool {
        self.current.load().state == AnswerState::Pending
    }

    /// Waits (at most `limit`) until the first lookup is done; returns at once otherwise.
    pub async fn wait_first_answer(&self, limit: Duration) {
        let wait = async {
            loop {
                let notified = self.published.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if !self.is_pending() {
                    return;
                }
                notified.await;
            }
        };
        let _ = tokio::time::timeout(limit, wait).await;
    }

    /// Publishes `answer`; wakes those waiting for a first answer.
    pub fn publish(&self, answer: Answer) {
        let previous = self.current.load();
        if previous.addresses != answer.addresses {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        if **previous != answer {
            self.current.store(Arc::new(answer));
        }
        self.published.notify_waiters();
    }

    /// Marks the name as asked for now (the registry forgets names nobody asks for).
    pub fn touch(&self) {
        let seconds = self.epoch.elapsed().as_secs();
        self.last_wanted.store(seconds, Ordering::Relaxed);
    }

    /// How long ago the name was last asked for.
    pub fn idle_for(&self) -> Duration {
        let seconds = self.epoch.elapsed().as_secs();
        Duration::from_secs(seconds.saturating_sub(self.last_wanted.load(Ordering::Relaxed)))
    }
}

/// One entry per name: names compare by name.
impl PartialEq for DnsName {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for DnsName {}

#[cfg(test)]
mod tests {
    use super::super::answer::Address;
    use super::*;

    #[tokio::test]
    async fn a_published_answer_ends_the_wait_and_bumps_the_generation() {
        let name = Arc::new(DnsName::new("svc.test".to_owned()));
        assert!(name.pick(80).is_none());
        let waiter = {
            let name = Arc::clone(&name);
            tokio::spawn(async move { name.wait_first_answer(Duration::from_secs(5)).await })
        };
        tokio::task::yield_now().await;
        let address = Address {
            ip: [127, 0, 0, 2].into(),
            port: None,
            weight: 1,
        };
        name.publish(Answer::new(AnswerState::Fresh, vec![address]));
        waiter.await.unwrap();
        assert_eq!(name.generation(), 1);
        assert_eq!(name.pick(8080), Some("127.0.0.2:8080".parse().unwrap()));
        // Same addresses, other state: no new generation.
        name.publish(Answer::new(AnswerState::Stale, vec![address]));
        assert_eq!(name.generation(), 1);
    }
}
