//! rate-limiting's access and header_filter phases: who is counted (`limit_by` with Kong's
//! fallback to the client address), the count in each period's window, the 429 with
//! `Retry-After`, and the `RateLimit-*` / `X-RateLimit-*` headers on the response. With the
//! `redis` policy every request is counted in Redis under Kong's key, as Kong's realtime
//! (`sync_rate: -1`) redis policy counts it, so Kong nodes and these share one limit.

use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use pingora::http::ResponseHeader;

use super::config::{LimitBy, RateLimitingConfig};
use super::counters::{CounterKey, LocalCounters};
use super::windows::{decide, Usage};
use crate::plugin::api::{Access, RequestState};
use crate::redis::client::RedisClient;
use crate::respond::ErrorResponse;

/// The headers access decided on, for header_filter (one rate-limiting instance runs per
/// request).
#[derive(Clone)]
struct RateLimitHeaders(Vec<(&'static str, String)>);

/// One instance at run time.
#[derive(Debug)]
pub struct RateLimiter {
    pub conf: Arc<RateLimitingConfig>,
    /// `<route_id>:<service_id>` of the instance, Kong's key prefix.
    pub scope: Arc<str>,
    pub counters: Arc<LocalCounters>,
    /// The `redis` policy's server (`None`: `local`).
    pub redis: Option<Arc<RedisClient>>,
}

/// Kong's counting in Redis, for every period at once: each key is incremented (and given
/// its period's expiry when new) and its count before this request returned.
const COUNT_SCRIPT: &str = r#"
local before = {}
for i, key in ipairs(KEYS) do
  local n = redis.call("incr", key)
  if n == 1 then redis.call("expire", key, ARGV[i]) end
  before[i] = n - 1
end
return before
"#;

fn count_script() -> &'static redis::Script {
    static SCRIPT: OnceLock<redis::Script> = OnceLock::new();
    SCRIPT.get_or_init(|| redis::Script::new(COUNT_SCRIPT))
}

impl RateLimiter {
    pub async fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let identifier = identifier(&self.conf.limit_by, access);
        let keys: Vec<(CounterKey, u64)> = self
            .conf
            .limits
            .iter()
            .map(|&(period, limit)| {
                let key = CounterKey {
                    scope: self.scope.clone(),
                    identifier: identifier.clone(),
                    period,
                    window: period.window_start(now),
                };
                (key, limit)
            })
            .collect();
        let before = match &self.redis {
            None => self.counters.try_count(&keys, now).0,
            Some(redis) => {
                let names: Vec<String> = keys.iter().map(|(key, _)| key.kong_key()).collect();
                let expiries: Vec<u64> = keys
                    .iter()
                    .map(|(key, _)| key.period.expiration())
                    .collect();
                match redis
                    .eval::<Vec<u64>>(count_script(), &names, &expiries)
                    .await
                {
                    Ok(before) if before.len() == keys.len() => before,
                    // Kong's fault_tolerant: without a count the request passes, without headers.
                    _ if self.conf.fault_tolerant => return Ok(()),
                    _ => return Err(ErrorResponse::internal()),
                }
            }
        };
        let usages: Vec<Usage> = keys
            .iter()
            .zip(before)
            .map(|((key, limit), used)| Usage {
                period: key.period,
                limit: *limit,
                used,
            })
            .collect();
        let decision = decide(&usages, now, !self.conf.hide_client_headers);
        if decision.stopped.is_some() {
            let mut refusal =
                ErrorResponse::with_status(self.conf.error_code, self.conf.error_message.clone());
            refusal.headers = decision.headers;
            return Err(refusal);
        }
        if !decision.headers.is_empty() {
            access
                .state
                .extensions
                .insert(RateLimitHeaders(decision.headers));
        }
        Ok(())
    }

    pub fn header_filter(state: &mut RequestState, response: &mut ResponseHeader) {
        if let Some(RateLimitHeaders(headers)) = state.extensions.remove::<RateLimitHeaders>() {
            for (name, value) in headers {
                let _ = response.insert_header(name, value);
            }
        }
    }
}

/// Kong's `get_identifier`: the consumer (or its credential), the credential, the service,
/// a header's first value, or the path when it is the configured one; otherwise, and for
/// `ip`, the client address.
fn identifier(limit_by: &LimitBy, access: &Access<'_>) -> String {
    let state = &*access.state;
    let found = match limit_by {
        LimitBy::Consumer => state
            .consumer
            .as_ref()
            .map(|c| c.id.clone())
            .or_else(|| state.credential.clone()),
        LimitBy::Credential => state.credential.clone(),
        LimitBy::Service => access.service().map(|s| s.id.clone()),
        LimitBy::Header(name) => access
            .session
            .req_header()
            .headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        LimitBy::Path(path) => {
            let request_path = access.session.req_header().uri.path();
            (request_path == path).then(|| path.clone())
        }
        LimitBy::Ip => None,
    };
    found.unwrap_or_else(|| state.client_ip.map(|ip| ip.to_string()).unwrap_or_default())
}
