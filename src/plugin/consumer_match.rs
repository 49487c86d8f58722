//! Finds the consumer a token's claim values name (`consumer_by`, optionally ignoring the
//! case of usernames), and the `anonymous` consumer.

use std::sync::Arc;

use crate::config::compiled::{Consumer, Consumers};
use crate::config::openid_connect::ConsumerBy;

/// The first consumer any of `values` (claim by claim, in order) names.
pub fn find(
    values: &[Vec<String>],
    by: &[ConsumerBy],
    ignore_case: bool,
    consumers: &Consumers,
) -> Option<Arc<Consumer>> {
    values.iter().flatten().find_map(|value| {
        by.iter()
            .find_map(|by| lookup(*by, value, ignore_case, consumers))
    })
}

fn lookup(
    by: ConsumerBy,
    value: &str,
    ignore_case: bool,
    consumers: &Consumers,
) -> Option<Arc<Consumer>> {
    if let Some(found) = consumers.find(by, value) {
        return Some(found.clone());
    }
    if !(ignore_case && by == ConsumerBy::Username) {
        return None;
    }
    consumers
        .list
        .iter()
        .find(|c| {
            c.username
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(value))
        })
        .cloned()
}

/// The `anonymous` consumer, by id or username.
pub fn anonymous(reference: &str, consumers: &Consumers) -> Option<Arc<Consumer>> {
    consumers
        .find(ConsumerBy::Id, reference)
        .or_else(|| consumers.find(ConsumerBy::Username, reference))
        .cloned()
}
