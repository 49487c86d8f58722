//! One Redis server's connection: a multiplexed, self-reconnecting connection manager whose
//! driver runs on the Redis runtime (it lives as long as the server, not on the runtime of
//! the request that first needed it); a failed connect is not retried for a second, so a
//! Redis that is down costs requests nothing but a failed check.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo, RedisConnectionInfo};
use tokio::runtime::Handle;
use tokio::sync::Mutex;

use super::settings::RedisSettings;

/// How long after a failed connect the next one is tried.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);
/// At most one error line per this many seconds per server.
const LOG_EVERY_SECONDS: u64 = 10;

/// Why a Redis call gave no answer.
#[derive(Debug)]
pub enum RedisFailure {
    /// A connect failed recently; not tried again yet.
    Down,
    Timeout,
    Error(redis::RedisError),
}

impl std::fmt::Display for RedisFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RedisFailure::Down => write!(f, "not connected (a recent connect failed)"),
            RedisFailure::Timeout => write!(f, "timed out"),
            RedisFailure::Error(error) => write!(f, "{error}"),
        }
    }
}

/// A client for one server.
pub struct RedisClient {
    settings: RedisSettings,
    runtime: Handle,
    manager: Mutex<Option<ConnectionManager>>,
    /// Unix milliseconds before which no connect is tried.
    retry_at_ms: AtomicU64,
    last_log: AtomicU64,
    /// Failed calls, for `/metrics`.
    pub failures: Arc<AtomicU64>,
}

impl std::fmt::Debug for RedisClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisClient")
            .field("settings", &self.settings)
            .finish()
    }
}

impl RedisClient {
    pub fn new(settings: RedisSettings, runtime: Handle, failures: Arc<AtomicU64>) -> Self {
        RedisClient {
            settings,
            runtime,
            manager: Mutex::new(None),
            retry_at_ms: AtomicU64::new(0),
            last_log: AtomicU64::new(0),
            failures,
        }
    }

    pub fn settings(&self) -> &RedisSettings {
        &self.settings
    }

    /// Runs `script` with `keys` and `args`, within the command timeout.
    pub async fn eval<T: redis::FromRedisValue>(
        &self,
        script: &redis::Script,
        keys: &[String],
        args: &[u64],
    ) -> Result<T, RedisFailure> {
        let result = self.try_eval(script, keys, args).await;
        if let Err(failure) = &result {
            self.failed(failure);
        }
        result
    }

    async fn try_eval<T: redis::FromRedisValue>(
        &self,
        script: &redis::Script,
        keys: &[String],
        args: &[u64],
    ) -> Result<T, RedisFailure> {
        let mut connection = self.connection().await?;
        let mut invocation = script.prepare_invoke();
        for key in keys {
            invocation.key(key);
        }
        for arg in args {
            invocation.arg(arg);
        }
        let call = invocation.invoke_async(&mut connection);
        match tokio::time::timeout(self.settings.command_timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(RedisFailure::Error(error)),
            Err(_) => Err(RedisFailure::Timeout),
        }
    }

    async fn connection(&self) -> Result<ConnectionManager, RedisFailure> {
        let mut manager = self.manager.lock().await;
        if let Some(manager) = manager.as_ref() {
            return Ok(manager.clone());
        }
        if now_ms() < self.retry_at_ms.load(Ordering::Acquire) {
            return Err(RedisFailure::Down);
        }
        let info = connection_info(&self.settings).map_err(RedisFailure::Error)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.settings.connect_timeout))
            .set_response_timeout(Some(self.settings.command_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let connect_timeout = self.settings.connect_timeout;
        // The manager's driver task is spawned where it is created: on the Redis runtime.
        let connecting = self.runtime.spawn(async move {
            let client = redis::Client::open(info)?;
            tokio::time::timeout(
                connect_timeout,
                client.get_connection_manager_with_config(config),
            )
            .await
            .map_err(|_| {
                redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut))
            })?
        });
        match connecting.await {
            Ok(Ok(connected)) => {
                log::info!("redis: connected to {}", self.settings.address());
                *manager = Some(connected.clone());
                Ok(connected)
            }
            Ok(Err(error)) => {
                self.retry_at_ms.store(
                    now_ms() + RECONNECT_AFTER.as_millis() as u64,
                    Ordering::Release,
                );
                Err(RedisFailure::Error(error))
            }
            Err(_) => Err(RedisFailure::Down),
        }
    }

    fn failed(&self, failure: &RedisFailure) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let now = now_ms() / 1000;
        let last = self.last_log.load(Ordering::Relaxed);
        if now >= last + LOG_EVERY_SECONDS
            && self
                .last_log
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            log::error!("redis {}: {failure}", self.settings.address());
        }
    }
}

fn connection_info(settings: &RedisSettings) -> redis::RedisResult<ConnectionInfo> {
    let mut redis_info = RedisConnectionInfo::default().set_db(settings.database);
    if let Some(username) = &settings.username {
        redis_info = redis_info.set_username(username);
    }
    if let Some(password) = &settings.password {
        redis_info = redis_info.set_password(password);
    }
    Ok(ConnectionAddr::Tcp(settings.host.clone(), settings.port)
        .into_connection_info()?
        .set_redis_settings(redis_info))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
