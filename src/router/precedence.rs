//! The order in which (route, path) candidates are tried; see the module documentation
//! of `router` for the rules. Sorting happens once, when the router is built.

use std::cmp::Ordering;

/// How a candidate matches the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PathKey {
    Regex { priority: i64 },
    Prefix { len: usize },
    None,
}

/// Everything precedence looks at, for one (route, path) candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RankKey {
    /// One point each for paths, methods, hosts, headers and snis being set.
    pub points: u8,
    /// The route has hosts, none of them a wildcard.
    pub plain_hosts: bool,
    /// Number of header names.
    pub headers: usize,
    pub path: PathKey,
    /// One of the route's hosts names a port.
    pub host_port: bool,
    /// The route's given UUID, as a number (greater first, as Kong's ATC router).
    pub id: Option<u128>,
    /// Declaration order: route index, then path index.
    pub route: usize,
    pub path_index: usize,
}

fn path_order(a: PathKey, b: PathKey) -> Ordering {
    let class = |k: PathKey| match k {
        PathKey::Regex { .. } => 0,
        PathKey::Prefix { .. } => 1,
        PathKey::None => 2,
    };
    match (a, b) {
        (PathKey::Regex { priority: x }, PathKey::Regex { priority: y }) => y.cmp(&x),
        (PathKey::Prefix { len: x }, PathKey::Prefix { len: y }) => y.cmp(&x),
        _ => class(a).cmp(&class(b)),
    }
}

/// Routes with an id first, greater ids first; then those without (a total order).
fn id_order(a: Option<u128>, b: Option<u128>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// `Less` means `a` is tried first.
pub(super) fn compare(a: &RankKey, b: &RankKey) -> Ordering {
    b.points
        .cmp(&a.points)
        .then(b.plain_hosts.cmp(&a.plain_hosts))
        .then(b.headers.cmp(&a.headers))
        .then(path_order(a.path, b.path))
        .then(b.host_port.cmp(&a.host_port))
        .then(id_order(a.id, b.id))
        .then(a.route.cmp(&b.route))
        .then(a.path_index.cmp(&b.path_index))
}

/// A UUID (`8-4-4-4-12` hex digits, either case) as a number: its byte order, which
/// is the order Kong's router compares route ids in.
pub(super) fn uuid_value(id: &str) -> Option<u128> {
    let groups: Vec<&str> = id.split('-').collect();
    let shaped = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if !shaped {
        return None;
    }
    u128::from_str_radix(&groups.concat(), 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(points: u8, plain_hosts: bool, headers: usize, path: PathKey, route: usize) -> RankKey {
        RankKey {
            points,
            plain_hosts,
            headers,
            path,
            host_port: false,
            id: None,
            route,
            path_index: 0,
        }
    }

    #[test]
    fn port_then_id_then_declaration_break_ties() {
        let base = key(1, false, 0, PathKey::None, 9);
        let ordered = [
            RankKey {
                host_port: true,
                id: Some(1),
                ..base
            },
            RankKey {
                id: Some(0xff),
                route: 20,
                ..base
            },
            RankKey {
                id: Some(0x10),
                route: 0,
                ..base
            },
            RankKey { route: 1, ..base },
            RankKey { route: 2, ..base },
        ];
        for pair in ordered.windows(2) {
            assert_eq!(compare(&pair[0], &pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(compare(&pair[1], &pair[0]), Ordering::Greater, "{pair:?}");
        }
    }

    #[test]
    fn uuids_compare_as_kong_does() {
        let low = uuid_value("e8fb37f1-102d-461e-9c51-6608a6bb8102");
        let high = uuid_value("E8FB37F1-102D-461E-9C51-6608A6BB8104");
        assert!(low.is_some() && high > low);
        assert_eq!(uuid_value("not-a-uuid"), None);
        assert_eq!(uuid_value("e8fb37f1-102d-461e-9c51-6608a6bb810"), None);
    }

    #[test]
    fn order_of_significance() {
        let ordered = [
            key(2, false, 0, PathKey::None, 9),
            key(1, true, 2, PathKey::None, 9),
            key(1, true, 1, PathKey::None, 9),
            key(1, false, 1, PathKey::Regex { priority: 5 }, 9),
            key(1, false, 1, PathKey::Regex { priority: 0 }, 0),
            key(1, false, 1, PathKey::Regex { priority: 0 }, 1),
            key(1, false, 1, PathKey::Regex { priority: -1 }, 0),
            key(1, false, 1, PathKey::Prefix { len: 9 }, 9),
            key(1, false, 1, PathKey::Prefix { len: 2 }, 0),
            key(1, false, 1, PathKey::None, 0),
        ];
        for pair in ordered.windows(2) {
            assert_eq!(compare(&pair[0], &pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(compare(&pair[1], &pair[0]), Ordering::Greater, "{pair:?}");
        }
    }
}
