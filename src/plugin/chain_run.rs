//! Runs a request's plugin chain phase by phase: picks each slot's instance when its turn
//! comes (so consumer-scoped instances see the consumer authentication found), runs the
//! access phases in priority order, and remembers the instances whose later phases run.

use bytes::Bytes;
use pingora::http::ResponseHeader;
use pingora_proxy::Session;

use super::api::{Access, RequestState};
use super::chain::Slot;
use super::log_phase::LogPhase;
use crate::respond::ErrorResponse;
use crate::snapshot::Snapshot;

/// The plugin side of one request.
#[derive(Default)]
pub struct PluginRun {
    pub state: RequestState,
    /// Instances (indexes into `Snapshot::plugins`) with a header_filter, body_filter or log
    /// phase, in the order they ran.
    pub later_phases: Vec<usize>,
}

impl PluginRun {
    /// Kong's access phase of `slots` (a route's chain); `Err` is the answer a plugin gave.
    /// Once a plugin has answered, the rest of the chain runs no access phase, but its
    /// instances still take part in the later phases (Kong's delayed response: a log plugin
    /// logs a request that authentication refused).
    pub async fn access(
        &mut self,
        snapshot: &Snapshot,
        slots: &[Slot],
        session: &mut Session,
        https: bool,
    ) -> Result<(), ErrorResponse> {
        let mut answer = None;
        for slot in slots {
            let Some(instance) = self.pick(snapshot, slot, https) else {
                continue;
            };
            let Some(plugin) = snapshot.plugins.get(instance) else {
                continue;
            };
            let phases = plugin.phases();
            if phases.after_access() {
                self.later_phases.push(instance);
            }
            if phases.access && answer.is_none() {
                let mut access = Access {
                    session: &mut *session,
                    config: &snapshot.config,
                    state: &mut self.state,
                };
                answer = plugin.access(&mut access).await.err();
            }
        }
        answer.map_or(Ok(()), Err)
    }

    /// For a request no route matched: the global plugins with later phases take part.
    pub fn without_route(&mut self, snapshot: &Snapshot, https: bool) {
        for slot in &snapshot.config.global_plugins {
            if let Some(instance) = self.pick(snapshot, slot, https) {
                let phases = snapshot.plugins.get(instance).map(|p| p.phases());
                if phases.is_some_and(|p| p.after_access()) {
                    self.later_phases.push(instance);
                }
            }
        }
    }

    /// Kong's header_filter of the instances that ran.
    pub fn header_filter(&mut self, snapshot: &Snapshot, response: &mut ResponseHeader) {
        for &instance in &self.later_phases {
            if let Some(plugin) = snapshot.plugins.get(instance) {
                if plugin.phases().header_filter {
                    plugin.header_filter(&mut self.state, response);
                }
            }
        }
    }

    /// Kong's body_filter of the instances that ran, for one chunk of the response body.
    pub fn body_filter(
        &mut self,
        snapshot: &Snapshot,
        body: &mut Option<Bytes>,
        end_of_stream: bool,
    ) {
        for &instance in &self.later_phases {
            if let Some(plugin) = snapshot.plugins.get(instance) {
                if plugin.phases().body_filter {
                    plugin.body_filter(&mut self.state, body, end_of_stream);
                }
            }
        }
    }

    /// Whether an instance that ran has a log phase.
    pub fn logs(&self, snapshot: &Snapshot) -> bool {
        self.later_phases.iter().any(|&instance| {
            snapshot
                .plugins
                .get(instance)
                .is_some_and(|plugin| plugin.phases().log)
        })
    }

    /// Kong's log phase of the instances that ran.
    pub fn log(&self, snapshot: &Snapshot, log: &LogPhase<'_>) {
        for &instance in &self.later_phases {
            if let Some(plugin) = snapshot.plugins.get(instance) {
                if plugin.phases().log {
                    plugin.log(log);
                }
            }
        }
    }

    fn pick(&self, snapshot: &Snapshot, slot: &Slot, https: bool) -> Option<usize> {
        let consumer = match (&self.state.consumer, slot.consumer_scoped) {
            (Some(consumer), true) => snapshot
                .config
                .consumers
                .by_id
                .get(&consumer.id)
                .map(|&index| (index, consumer.as_ref())),
            _ => None,
        };
        slot.pick(consumer, https)
    }
}
