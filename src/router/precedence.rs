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

/// `Less` means `a` is tried first.
pub(super) fn compare(a: &RankKey, b: &RankKey) -> Ordering {
    b.points
        .cmp(&a.points)
        .then(b.plain_hosts.cmp(&a.plain_hosts))
        .then(b.headers.cmp(&a.headers))
        .then(path_order(a.path, b.path))
        .then(a.route.cmp(&b.route))
        .then(a.path_index.cmp(&b.path_index))
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
            route,
            path_index: 0,
        }
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
