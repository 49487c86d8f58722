//! rate-limiting's access and header_filter phases: who is counted (`limit_by` with Kong's
//! fallback to the client address), the count in each period's window, the 429 with
//! `Retry-After`, and the `RateLimit-*` / `X-RateLimit-*` headers on the response.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use pingora::http::ResponseHeader;

use super::config::{LimitBy, RateLimitingConfig};
use super::counters::{CounterKey, LocalCounters};
use super::windows::{decide, Usage};
use crate::plugin::api::{Access, RequestState};
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
}

impl RateLimiter {
    pub fn access(&self, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
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
        let (before, _) = self.counters.try_count(&keys, now);
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
