//! Kong's plugin precedence: for each plugin name that may apply to a route, the candidate
//! instances ordered most specific first, and the pick of the one that applies to a request.
//!
//! Kong's order (most specific first): consumer+route+service, consumer group+route+service,
//! consumer+route, consumer+service, consumer group+route, consumer group+service,
//! route+service, consumer, consumer group, route, service, global. Consumer-scoped
//! candidates only match once an authentication plugin has found the consumer, which is why
//! the pick happens when the slot's turn comes, as Kong's plugins iterator does.

use crate::config::compiled::Consumer;
use crate::router::Protocols;

/// What a plugin instance is scoped to (indexes of compiled entities).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PluginScope {
    /// Document index of the route.
    pub route: Option<usize>,
    /// Document index of the service.
    pub service: Option<usize>,
    /// Index into `Consumers::list`.
    pub consumer: Option<usize>,
    /// Index into `CompiledConfig::consumer_groups`.
    pub consumer_group: Option<usize>,
}

impl PluginScope {
    /// Kong's precedence rank: 1 is the most specific, 12 is global.
    pub fn rank(&self) -> u8 {
        let (c, g, r, s) = (
            self.consumer.is_some(),
            self.consumer_group.is_some(),
            self.route.is_some(),
            self.service.is_some(),
        );
        match (c, g, r, s) {
            (true, _, true, true) => 1,
            (false, true, true, true) => 2,
            (true, _, true, false) => 3,
            (true, _, false, true) => 4,
            (false, true, true, false) => 5,
            (false, true, false, true) => 6,
            (false, false, true, true) => 7,
            (true, _, false, false) => 8,
            (false, true, false, false) => 9,
            (false, false, true, false) => 10,
            (false, false, false, true) => 11,
            (false, false, false, false) => 12,
        }
    }
}

/// One instance that may apply.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Index into `CompiledConfig::plugins` (and the snapshot's runtimes).
    pub instance: usize,
    /// Only for this consumer (index into `Consumers::list`).
    pub consumer: Option<usize>,
    /// Only for consumers in this group.
    pub consumer_group: Option<usize>,
    pub protocols: Protocols,
}

/// The candidates for one plugin name, most specific first.
#[derive(Debug, Clone)]
pub struct Slot {
    pub name: &'static str,
    pub priority: i32,
    pub candidates: Vec<Candidate>,
    /// Some candidate needs a consumer (so the pick needs the consumer's index).
    pub consumer_scoped: bool,
}

impl Slot {
    /// The instance that applies to a request on `https` (or not) by `consumer` (with its
    /// index), if any.
    pub fn pick(&self, consumer: Option<(usize, &Consumer)>, https: bool) -> Option<usize> {
        self.candidates
            .iter()
            .find(|c| {
                let consumer_ok = match (c.consumer, consumer) {
                    (None, _) => true,
                    (Some(wanted), Some((index, _))) => wanted == index,
                    (Some(_), None) => false,
                };
                let group_ok = match (c.consumer_group, consumer) {
                    (None, _) => true,
                    (Some(group), Some((_, consumer))) => consumer.groups.contains(&group),
                    (Some(_), None) => false,
                };
                consumer_ok && group_ok
            })
            .filter(|c| {
                if https {
                    c.protocols.https
                } else {
                    c.protocols.http
                }
            })
            .map(|c| c.instance)
    }
}

/// Builds the slots for a set of `(instance, name, priority, scope, protocols)` candidates
/// that may apply to one route: grouped by name, each slot ordered by rank (document order
/// breaks ties), the slots by descending priority (then name, for a stable order).
pub fn slots<'a>(
    candidates: impl Iterator<Item = (usize, &'static str, i32, &'a PluginScope, Protocols)>,
) -> Vec<Slot> {
    let mut ranked: Vec<(u8, usize, &'static str, i32, &PluginScope, Protocols)> = candidates
        .map(|(instance, name, priority, scope, protocols)| {
            (scope.rank(), instance, name, priority, scope, protocols)
        })
        .collect();
    ranked.sort_by_key(|(rank, instance, ..)| (*rank, *instance));
    let mut slots: Vec<Slot> = Vec::new();
    for (_, instance, name, priority, scope, protocols) in ranked {
        let candidate = Candidate {
            instance,
            consumer: scope.consumer,
            consumer_group: scope.consumer_group,
            protocols,
        };
        let scoped = candidate.consumer.is_some() || candidate.consumer_group.is_some();
        match slots.iter_mut().find(|slot| slot.name == name) {
            Some(slot) => {
                slot.candidates.push(candidate);
                slot.consumer_scoped |= scoped;
            }
            None => slots.push(Slot {
                name,
                priority,
                candidates: vec![candidate],
                consumer_scoped: scoped,
            }),
        }
    }
    slots.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.name.cmp(b.name)));
    slots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consumer(groups: Vec<usize>) -> Consumer {
        Consumer {
            id: "c".into(),
            username: None,
            custom_id: None,
            groups,
            acls: Vec::new(),
        }
    }

    fn scope(r: bool, s: bool, c: Option<usize>, g: Option<usize>) -> PluginScope {
        PluginScope {
            route: r.then_some(0),
            service: s.then_some(0),
            consumer: c,
            consumer_group: g,
        }
    }

    #[test]
    fn ranks_follow_kong_precedence() {
        let order = [
            scope(true, true, Some(0), None),
            scope(true, true, None, Some(0)),
            scope(true, false, Some(0), None),
            scope(false, true, Some(0), None),
            scope(true, false, None, Some(0)),
            scope(false, true, None, Some(0)),
            scope(true, true, None, None),
            scope(false, false, Some(0), None),
            scope(false, false, None, Some(0)),
            scope(true, false, None, None),
            scope(false, true, None, None),
            scope(false, false, None, None),
        ];
        for (i, s) in order.iter().enumerate() {
            assert_eq!(s.rank() as usize, i + 1, "{s:?}");
        }
    }

    #[test]
    fn the_most_specific_matching_instance_is_picked() {
        let scopes = [
            scope(false, false, None, None),    // 0: global
            scope(true, false, None, None),     // 1: route
            scope(false, false, Some(7), None), // 2: consumer 7
            scope(false, false, None, Some(3)), // 3: group 3
        ];
        let all = Protocols::default();
        let slots = slots(
            scopes
                .iter()
                .enumerate()
                .map(|(i, s)| (i, "rate-limiting", 910, s, all)),
        );
        assert_eq!(slots.len(), 1);
        let slot = &slots[0];
        assert!(slot.consumer_scoped);
        assert_eq!(slot.pick(None, false), Some(1));
        let in_group = consumer(vec![3]);
        assert_eq!(slot.pick(Some((7, &in_group)), false), Some(2));
        assert_eq!(slot.pick(Some((5, &in_group)), false), Some(3));
        let other = consumer(vec![]);
        assert_eq!(slot.pick(Some((5, &other)), false), Some(1));
    }

    #[test]
    fn slots_run_by_descending_priority_and_protocols_filter() {
        let global = PluginScope::default();
        let https_only = Protocols {
            http: false,
            https: true,
        };
        let slots = slots(
            [
                (0, "acl", 950, &global, Protocols::default()),
                (1, "key-auth", 1250, &global, https_only),
                (2, "cors", 2000, &global, Protocols::default()),
            ]
            .into_iter(),
        );
        let names: Vec<_> = slots.iter().map(|s| s.name).collect();
        assert_eq!(names, ["cors", "key-auth", "acl"]);
        assert_eq!(slots[1].pick(None, false), None);
        assert_eq!(slots[1].pick(None, true), Some(1));
    }
}
