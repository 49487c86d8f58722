//! Kong's plugin queue (`kong/tools/queue.lua`) for the log plugins: entries wait in a
//! bounded queue (the oldest is dropped when it is full), a worker task sends them in
//! batches (coalescing up to `max_coalescing_delay`), and a failing batch is retried with
//! exponential backoff until `max_retry_time`, then dropped. Enqueueing takes a short lock
//! and never waits for the network: nothing blocks a request.
//!
//! Queues are found by name (Kong's: the log server's parameters), so instances with the
//! same endpoint share one and a reload that keeps it keeps its entries.

pub mod settings;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use async_trait::async_trait;
use dashmap::DashMap;
use tokio::sync::Notify;

pub use settings::QueueSettings;

/// Where a queue's batches go (the log server).
#[async_trait]
pub trait BatchSender: Send + Sync {
    /// Sends one batch; `Err` says why it failed (it will be retried).
    async fn send(&self, batch: &[String]) -> Result<(), String>;
}

/// A sender that could not be built: every batch fails with why.
pub struct Unusable(pub String);

#[async_trait]
impl BatchSender for Unusable {
    async fn send(&self, _batch: &[String]) -> Result<(), String> {
        Err(self.0.clone())
    }
}

#[derive(Default)]
struct Waiting {
    entries: VecDeque<String>,
    bytes: usize,
    /// Set when entries were dropped, until a batch is sent again (one log line per outage).
    dropping: bool,
}

/// What a queue has counted, for `/metrics`.
#[derive(Debug, Default)]
pub struct QueueCounters {
    pub enqueued: AtomicU64,
    /// Dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Dropped because their batch failed until `max_retry_time`.
    pub lost: AtomicU64,
    pub sent: AtomicU64,
}

/// One named queue.
pub struct Queue {
    /// Kong's queue name (it may hold the log server's credentials: never logged).
    name: String,
    /// Who the log lines name (e.g. `http-log plugin <id>`).
    log_tag: String,
    /// The `/metrics` label: the log server without credentials or query.
    pub label: String,
    settings: QueueSettings,
    sender: Arc<dyn BatchSender>,
    waiting: Mutex<Waiting>,
    wake: Notify,
    started: AtomicBool,
    pub counters: QueueCounters,
}

fn queues() -> &'static DashMap<String, Arc<Queue>> {
    static QUEUES: OnceLock<DashMap<String, Arc<Queue>>> = OnceLock::new();
    QUEUES.get_or_init(DashMap::new)
}

/// Who a queue is for: Kong's queue name, the log lines' tag and the `/metrics` label.
pub struct QueueId<'a> {
    pub name: &'a str,
    pub log_tag: &'a str,
    pub label: &'a str,
}

/// The queue called `id.name`, created with `settings` and `sender` if there is none (an
/// existing queue keeps those it was created with, as Kong's does).
pub fn queue(
    id: &QueueId<'_>,
    settings: &QueueSettings,
    sender: impl FnOnce() -> Arc<dyn BatchSender>,
) -> Arc<Queue> {
    queues()
        .entry(id.name.to_owned())
        .or_insert_with(|| Arc::new(Queue::new(id, settings.clone(), sender())))
        .clone()
}

/// Every queue, for `/metrics`.
pub fn all() -> Vec<Arc<Queue>> {
    let mut all: Vec<Arc<Queue>> = queues().iter().map(|q| q.value().clone()).collect();
    all.sort_by(|a, b| (&a.label, &a.name).cmp(&(&b.label, &b.name)));
    all
}

fn lock(waiting: &Mutex<Waiting>) -> std::sync::MutexGuard<'_, Waiting> {
    match waiting.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Queue {
    pub fn new(id: &QueueId<'_>, settings: QueueSettings, sender: Arc<dyn BatchSender>) -> Self {
        Self {
            name: id.name.to_owned(),
            log_tag: id.log_tag.to_owned(),
            label: id.label.to_owned(),
            settings,
            sender,
            waiting: Mutex::new(Waiting::default()),
            wake: Notify::new(),
            started: AtomicBool::new(false),
            counters: QueueCounters::default(),
        }
    }

    /// Entries waiting now.
    pub fn len(&self) -> usize {
        lock(&self.waiting).entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `entry`, dropping the oldest entries when the queue is full, and starts the
    /// worker on first use (on the runtime of the caller; none outside one).
    pub fn enqueue(self: &Arc<Self>, entry: String) {
        {
            let mut waiting = lock(&self.waiting);
            let mut dropped = 0u64;
            while waiting.entries.len() >= self.settings.max_entries
                || self.settings.max_bytes.is_some_and(|max| {
                    waiting.bytes + entry.len() > max && !waiting.entries.is_empty()
                })
            {
                match waiting.entries.pop_front() {
                    Some(old) => {
                        waiting.bytes -= old.len();
                        dropped += 1;
                    }
                    None => break,
                }
            }
            if dropped > 0 {
                self.counters.dropped.fetch_add(dropped, Ordering::Relaxed);
                if !waiting.dropping {
                    waiting.dropping = true;
                    log::error!(
                        "{}: queue full, dropping old entries until processing is successful again",
                        self.log_tag
                    );
                }
            }
            waiting.bytes += entry.len();
            waiting.entries.push_back(entry);
        }
        self.counters.enqueued.fetch_add(1, Ordering::Relaxed);
        self.wake.notify_one();
        if !self.started.load(Ordering::Relaxed) {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                if !self.started.swap(true, Ordering::AcqRel) {
                    runtime.spawn(self.clone().run());
                }
            }
        }
    }

    /// The worker: forever, the next batch, sent.
    pub async fn run(self: Arc<Self>) {
        loop {
            let batch = self.next_batch().await;
            if self.settings.unlimited_concurrency {
                tokio::spawn(self.clone().deliver(batch));
            } else {
                self.clone().deliver(batch).await;
            }
        }
    }

    /// Waits for an entry, then (for batches of more than one) for the batch to fill or
    /// `max_coalescing_delay` to pass, and takes the batch.
    async fn next_batch(&self) -> Vec<String> {
        loop {
            if !self.is_empty() {
                break;
            }
            self.wake.notified().await;
        }
        let max = self.settings.max_batch_size;
        if max > 1 {
            let deadline = tokio::time::Instant::now() + self.settings.max_coalescing_delay;
            while self.len() < max {
                if tokio::time::timeout_at(deadline, self.wake.notified())
                    .await
                    .is_err()
                {
                    break;
                }
            }
        }
        let mut waiting = lock(&self.waiting);
        let take = waiting.entries.len().min(max);
        let batch: Vec<String> = waiting.entries.drain(..take).collect();
        waiting.bytes -= batch.iter().map(String::len).sum::<usize>();
        batch
    }

    /// Sends `batch`, retrying with backoff until `max_retry_time`, then drops it.
    async fn deliver(self: Arc<Self>, batch: Vec<String>) {
        let started = Instant::now();
        let mut retries = 0u32;
        loop {
            match self.sender.send(&batch).await {
                Ok(()) => {
                    self.counters
                        .sent
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                    lock(&self.waiting).dropping = false;
                    return;
                }
                Err(error) => {
                    log::warn!(
                        "{}: handler could not process entries: {error}",
                        self.log_tag
                    );
                }
            }
            let give_up = self
                .settings
                .max_retry_time
                .is_none_or(|max| started.elapsed() > max);
            if give_up {
                self.counters
                    .lost
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                log::error!(
                    "{}: could not send entries due to max_retry_time exceeded. {} queue entries were lost",
                    self.log_tag,
                    batch.len()
                );
                return;
            }
            let delay = self
                .settings
                .initial_retry_delay
                .saturating_mul(2u32.saturating_pow(retries))
                .min(self.settings.max_retry_delay);
            tokio::time::sleep(delay).await;
            retries = retries.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Records batches; fails while `down` is set.
    #[derive(Default)]
    struct Recorder {
        batches: Mutex<Vec<Vec<String>>>,
        down: AtomicBool,
    }

    #[async_trait]
    impl BatchSender for Recorder {
        async fn send(&self, batch: &[String]) -> Result<(), String> {
            if self.down.load(Ordering::SeqCst) {
                return Err("connection refused".into());
            }
            self.batches.lock().unwrap().push(batch.to_vec());
            Ok(())
        }
    }

    fn id(name: &str) -> QueueId<'_> {
        QueueId {
            name,
            log_tag: "test",
            label: name,
        }
    }

    fn settings(batch: usize, entries: usize) -> QueueSettings {
        QueueSettings {
            max_batch_size: batch,
            max_coalescing_delay: Duration::from_millis(50),
            max_entries: entries,
            initial_retry_delay: Duration::from_millis(5),
            max_retry_delay: Duration::from_millis(20),
            ..QueueSettings::default()
        }
    }

    async fn until(mut done: impl FnMut() -> bool) {
        for _ in 0..400 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("condition not met within 2 s");
    }

    #[tokio::test]
    async fn entries_are_sent_in_batches_after_the_coalescing_delay() {
        let recorder = Arc::new(Recorder::default());
        let queue = Arc::new(Queue::new(&id("t1"), settings(3, 100), recorder.clone()));
        for i in 0..4 {
            queue.enqueue(format!("e{i}"));
        }
        until(|| recorder.batches.lock().unwrap().len() == 2).await;
        let batches = recorder.batches.lock().unwrap().clone();
        assert_eq!(batches, vec![vec!["e0", "e1", "e2"], vec!["e3"]]);
        assert_eq!(queue.counters.sent.load(Ordering::Relaxed), 4);
    }

    #[tokio::test]
    async fn a_full_queue_drops_its_oldest_and_delivers_the_rest_after_recovery() {
        let recorder = Arc::new(Recorder::default());
        recorder.down.store(true, Ordering::SeqCst);
        let queue = Arc::new(Queue::new(&id("t2"), settings(1, 5), recorder.clone()));
        for i in 0..20 {
            queue.enqueue(format!("e{i}"));
        }
        // One batch is out being retried; at most five wait behind it.
        assert!(queue.len() <= 5);
        assert!(queue.counters.dropped.load(Ordering::Relaxed) >= 14);
        recorder.down.store(false, Ordering::SeqCst);
        until(|| queue.is_empty() && recorder.batches.lock().unwrap().len() >= 5).await;
        let sent: Vec<String> = recorder.batches.lock().unwrap().concat();
        assert_eq!(&sent[sent.len() - 5..], ["e15", "e16", "e17", "e18", "e19"]);
    }

    #[tokio::test]
    async fn a_batch_failing_past_max_retry_time_is_lost() {
        let recorder = Arc::new(Recorder::default());
        recorder.down.store(true, Ordering::SeqCst);
        let settings = QueueSettings {
            max_retry_time: Some(Duration::from_millis(60)),
            ..settings(1, 10)
        };
        let queue = Arc::new(Queue::new(&id("t3"), settings, recorder.clone()));
        queue.enqueue("lost".into());
        until(|| queue.counters.lost.load(Ordering::Relaxed) == 1).await;
        recorder.down.store(false, Ordering::SeqCst);
        queue.enqueue("kept".into());
        until(|| recorder.batches.lock().unwrap().len() == 1).await;
        assert_eq!(recorder.batches.lock().unwrap()[0], ["kept"]);
    }

    #[test]
    fn queues_are_shared_by_name() {
        let sender = || Arc::new(Recorder::default()) as Arc<dyn BatchSender>;
        let a = queue(&id("shared-name"), &QueueSettings::default(), sender);
        let b = queue(&id("shared-name"), &settings(5, 5), sender);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(b.settings.max_batch_size, 1, "the first settings stay");
    }
}
