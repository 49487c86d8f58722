//! Kong's router, `traditional_compatible` semantics: finds the route for a request's
//! method, host, normalised path, headers and SNI.
//!
//! A route matches when every field it sets matches (fields AND, values within a field
//! OR): `methods` exactly, `hosts` exactly or with one leading/trailing `*` (a pattern
//! with a port also compares the request's port: the Host header's, else the
//! listener's; see `host.rs`), `headers` (see `headers.rs`), `snis` (the client's
//! TLS server name; `None` on plain http), and `paths` as prefixes or as `~` regexes
//! anchored at the start of the path. `protocols` is not a router filter: see
//! [`protocol_check`].
//!
//! Each (route, path) pair is a candidate; candidates are ordered once, at build time,
//! and the first one (best rank) that matches wins. The order, most significant first:
//! 1. more priority points: one each for `paths`, `methods`, `hosts`, `headers`, `snis`
//!    set;
//! 2. routes whose hosts are all plain (no wildcard) before the others (wildcard hosts,
//!    or no hosts);
//! 3. more header names;
//! 4. regex paths (higher `regex_priority` first), then prefix paths (longer first),
//!    then no path;
//! 5. routes with a port in one of their hosts before those without;
//! 6. routes with an `id` before those without; among those, the greater id first
//!    (Kong's ATC router orders equal priorities by route UUID, descending);
//! 7. declaration order (route, then path).
//!
//! `find`/`route` do not allocate, and their cost barely grows with the number of
//! routes: see `index.rs`.

mod headers;
mod host;
mod index;
mod normalize;
mod path;
mod precedence;
mod protocol;

use http::HeaderMap;
use regex::Regex;

use headers::HeaderRule;
use host::HostPattern;
use index::Index;
use path::{anchored, compile_regex, literal_prefix, PathPattern};
use precedence::{PathKey, RankKey};

pub use headers::check_header;
pub use host::{split_port, strip_port};
pub use normalize::{normalize_path, MalformedPath};
pub use path::{check_regex_path, REGEX_SIZE_LIMIT};
pub use protocol::{protocol_check, ProtocolRedirect, Protocols};

/// What a route matches on, as compiled from the config. Empty lists match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteSpec {
    /// Exact method names (`GET`).
    pub methods: Vec<String>,
    /// Exact host names, or one leading (`*.example.com`) or trailing (`example.*`) `*`.
    pub hosts: Vec<String>,
    /// Path prefixes starting with `/`, or regexes starting with `~`.
    pub paths: Vec<String>,
    /// Header name and accepted values (`~*` = case-insensitive regex).
    pub headers: Vec<(String, Vec<String>)>,
    /// Server names (TLS SNI), exact or with one wildcard like hosts.
    pub snis: Vec<String>,
    /// Order among regex paths; higher first. Kong default 0.
    pub regex_priority: i64,
    /// The route's own UUID, if the config gave one: breaks ties (greater first).
    pub id: Option<String>,
}

/// The facts a request is routed on.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The Host header (or, in HTTP/2, the `:authority`), port included if sent.
    pub host: Option<&'a str>,
    /// The normalised path (see [`normalize_path`]).
    pub path: &'a str,
    pub headers: Option<&'a HeaderMap>,
    /// TLS server name; `None` on plain http.
    pub sni: Option<&'a str>,
    /// The port of the listener the request came in on: the request's port when its
    /// Host header names none (Kong's `net.dst.port`).
    pub local_port: Option<u16>,
}

/// The request's host name and port, split once per lookup.
#[derive(Debug, Clone, Copy)]
struct Target<'a> {
    /// The Host header without its port.
    name: Option<&'a str>,
    /// The Host header's port, else the listener's.
    port: Option<u16>,
}

impl<'a> Target<'a> {
    fn of(request: &Request<'a>) -> Target<'a> {
        let Some(host) = request.host else {
            return Target {
                name: None,
                port: request.local_port,
            };
        };
        let name = strip_port(host);
        let port = host
            .get(name.len() + 1..)
            .and_then(|p| p.parse::<u16>().ok())
            .or(request.local_port);
        Target {
            name: Some(name),
            port,
        }
    }
}

/// The route a request matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteMatch {
    /// Index of the route in the list given to [`Router::new`] (= `CompiledConfig::routes`).
    pub route: usize,
    /// Which of the route's `paths` matched (`None` for a route without paths).
    pub path_index: Option<usize>,
    /// Bytes of the request path matched by the route's path (0 without paths); what
    /// `strip_path` removes.
    pub matched_path_len: usize,
    /// Index of the regex among the router's regex paths, for [`Router::captures`].
    regex: Option<usize>,
}

/// A route the router could not compile (the config validation reports these first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterError {
    pub route: usize,
    /// `paths[i]`, `headers.<name>`... relative to the route.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RouterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "route {} {}: {}", self.route, self.field, self.message)
    }
}

impl std::error::Error for RouterError {}

/// The per-route conditions besides the path.
#[derive(Debug, Clone)]
struct RouteRule {
    methods: Vec<String>,
    hosts: Vec<HostPattern>,
    headers: Vec<HeaderRule>,
    snis: Vec<HostPattern>,
}

#[derive(Debug, Clone)]
enum CandidatePath {
    None,
    Prefix(usize),
    /// Index into `Router::regexes`.
    Regex(usize),
}

#[derive(Debug, Clone)]
struct Candidate {
    route: usize,
    path_index: Option<usize>,
    path: CandidatePath,
}

/// Immutable route table; see the module documentation for precedence.
#[derive(Debug, Clone, Default)]
pub struct Router {
    rules: Vec<RouteRule>,
    /// In precedence order: a candidate's rank is its position.
    candidates: Vec<Candidate>,
    /// Anchored regex paths, in rank order.
    regexes: Vec<Regex>,
    index: Index,
}

impl Router {
    /// Builds the table; route `i` of `routes` is reported as `RouteMatch { route: i, .. }`.
    pub fn new(routes: &[RouteSpec]) -> Result<Router, RouterError> {
        let mut rules = Vec::with_capacity(routes.len());
        let mut keyed: Vec<(RankKey, usize, Option<usize>, PathPattern)> = Vec::new();
        for (route, spec) in routes.iter().enumerate() {
            let rule = route_rule(route, spec)?;
            let points = [
                !spec.paths.is_empty(),
                !spec.methods.is_empty(),
                !spec.hosts.is_empty(),
                !spec.headers.is_empty(),
                !spec.snis.is_empty(),
            ]
            .iter()
            .filter(|set| **set)
            .count() as u8;
            let base = RankKey {
                points,
                plain_hosts: !rule.hosts.is_empty()
                    && !rule.hosts.iter().any(HostPattern::is_wildcard),
                headers: spec.headers.len(),
                path: PathKey::None,
                host_port: rule.hosts.iter().any(HostPattern::has_port),
                id: spec.id.as_deref().and_then(precedence::uuid_value),
                route,
                path_index: 0,
            };
            if spec.paths.is_empty() {
                keyed.push((base, route, None, PathPattern::Prefix(String::new())));
            }
            for (i, raw) in spec.paths.iter().enumerate() {
                let pattern = PathPattern::new(raw);
                let path = match &pattern {
                    PathPattern::Prefix(p) => PathKey::Prefix { len: p.len() },
                    PathPattern::Regex(_) => PathKey::Regex {
                        priority: spec.regex_priority,
                    },
                };
                let key = RankKey {
                    path,
                    path_index: i,
                    ..base
                };
                keyed.push((key, route, Some(i), pattern));
            }
            rules.push(rule);
        }
        keyed.sort_by(|a, b| precedence::compare(&a.0, &b.0));

        let mut router = Router {
            rules,
            ..Router::default()
        };
        for (rank, (_, route, path_index, pattern)) in keyed.into_iter().enumerate() {
            let rank = rank as u32;
            let path = match (path_index, pattern) {
                (None, _) => {
                    router.index_pathless(route, rank);
                    CandidatePath::None
                }
                (Some(_), PathPattern::Prefix(prefix)) => {
                    router.index.prefixes.insert(prefix.as_bytes(), rank);
                    CandidatePath::Prefix(prefix.len())
                }
                (Some(i), PathPattern::Regex(regex)) => {
                    let pattern = anchored(&regex);
                    let compiled =
                        compile_regex(&pattern, false).map_err(|message| RouterError {
                            route,
                            field: format!("paths[{i}]"),
                            message,
                        })?;
                    router.index.add_regex(literal_prefix(&regex), rank);
                    router.regexes.push(compiled);
                    CandidatePath::Regex(router.regexes.len() - 1)
                }
            };
            router.candidates.push(Candidate {
                route,
                path_index,
                path,
            });
        }
        router.index.freeze();
        Ok(router)
    }

    fn index_pathless(&mut self, route: usize, rank: u32) {
        let hosts = &self.rules[route].hosts;
        let exact: Option<Vec<String>> = if hosts.is_empty() {
            None
        } else {
            hosts.iter().map(|h| h.exact().map(str::to_owned)).collect()
        };
        match exact {
            Some(mut names) => {
                names.sort();
                names.dedup();
                for name in names {
                    self.index.add_exact_host(&name, rank);
                }
            }
            None => self.index.others.push(rank),
        }
    }

    /// The best route for a request, or `None` (Kong answers 404).
    pub fn route(&self, request: &Request<'_>) -> Option<RouteMatch> {
        let mut best = u32::MAX;
        let path = request.path;
        let target = Target::of(request);
        self.index.prefixes.walk(path.as_bytes(), |ranks| {
            self.scan(ranks, request, target, &mut best)
        });
        // Regex candidates only matter when one of them could beat the best so far.
        if self.index.first_regex.is_some_and(|r| r < best) {
            self.index.regex_prefixes.walk(path.as_bytes(), |ranks| {
                self.scan_regexes(ranks, request, target, &mut best)
            });
            self.scan_regexes(&self.index.regex_unprefixed, request, target, &mut best);
        }
        if let Some(name) = target.name {
            let mut buffer = [0u8; 320];
            if let Some(ranks) =
                host::lowercase(name, &mut buffer).and_then(|h| self.index.exact_hosts.get(h))
            {
                self.scan(ranks, request, target, &mut best);
            }
            if name.len() > buffer.len() {
                // Too long for the buffer: only reached by absurd Host headers.
                for (exact, ranks) in &self.index.exact_hosts {
                    if exact.eq_ignore_ascii_case(name) {
                        self.scan(ranks, request, target, &mut best);
                    }
                }
            }
        }
        self.scan(&self.index.others, request, target, &mut best);

        let candidate = self.candidates.get(best as usize)?;
        let (matched_path_len, regex) = match candidate.path {
            CandidatePath::None => (0, None),
            CandidatePath::Prefix(len) => (len, None),
            CandidatePath::Regex(i) => {
                let end = self.regexes.get(i)?.find(path)?.end();
                (end, Some(i))
            }
        };
        Some(RouteMatch {
            route: candidate.route,
            path_index: candidate.path_index,
            matched_path_len,
            regex,
        })
    }

    /// [`Router::route`] for a request without headers or SNI.
    pub fn find(&self, method: &str, host: Option<&str>, path: &str) -> Option<RouteMatch> {
        self.route(&Request {
            method,
            host,
            path,
            headers: None,
            sni: None,
            local_port: None,
        })
    }

    /// The captures of a regex-path match (`None` for other matches); named groups are
    /// read with `captures.name("id")`.
    pub fn captures<'p>(&self, found: &RouteMatch, path: &'p str) -> Option<regex::Captures<'p>> {
        self.regexes.get(found.regex?)?.captures(path)
    }

    /// Named captures of a regex-path match, as (name, value) pairs.
    pub fn named_captures<'p>(&self, found: &RouteMatch, path: &'p str) -> Vec<(&str, &'p str)> {
        let (Some(i), Some(captures)) = (found.regex, self.captures(found, path)) else {
            return Vec::new();
        };
        let Some(regex) = self.regexes.get(i) else {
            return Vec::new();
        };
        regex
            .capture_names()
            .flatten()
            .filter_map(|name| Some((name, captures.name(name)?.as_str())))
            .collect()
    }

    /// Number of routes the router was built with.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Lowers `best` to the first rank of `ranks` (ascending) that fully matches.
    fn scan(&self, ranks: &[u32], request: &Request<'_>, target: Target<'_>, best: &mut u32) {
        for &rank in ranks {
            if rank >= *best {
                return;
            }
            if self.fields_match(rank, request, target) {
                *best = rank;
                return;
            }
        }
    }

    /// Like `scan`, for regex candidates: their regex must match the path too.
    fn scan_regexes(
        &self,
        ranks: &[u32],
        request: &Request<'_>,
        target: Target<'_>,
        best: &mut u32,
    ) {
        for &rank in ranks {
            if rank >= *best {
                return;
            }
            let regex = match self.candidates.get(rank as usize).map(|c| &c.path) {
                Some(CandidatePath::Regex(i)) => self.regexes.get(*i),
                _ => None,
            };
            if regex.is_some_and(|r| r.is_match(request.path))
                && self.fields_match(rank, request, target)
            {
                *best = rank;
                return;
            }
        }
    }

    /// Whether the candidate's route matches everything but the path.
    fn fields_match(&self, rank: u32, request: &Request<'_>, target: Target<'_>) -> bool {
        let Some(rule) = self
            .candidates
            .get(rank as usize)
            .and_then(|c| self.rules.get(c.route))
        else {
            return false;
        };
        (rule.methods.is_empty() || rule.methods.iter().any(|m| m == request.method))
            && (rule.hosts.is_empty()
                || target
                    .name
                    .is_some_and(|h| rule.hosts.iter().any(|p| p.matches(h, target.port))))
            && rule.headers.iter().all(|h| h.matches(request.headers))
            && (rule.snis.is_empty()
                || request
                    .sni
                    .is_some_and(|s| rule.snis.iter().any(|p| p.matches(s, None))))
    }
}

fn route_rule(route: usize, spec: &RouteSpec) -> Result<RouteRule, RouterError> {
    let mut headers = Vec::with_capacity(spec.headers.len());
    for (name, values) in &spec.headers {
        let rule = HeaderRule::new(name, values).map_err(|message| RouterError {
            route,
            field: format!("headers.{name}"),
            message,
        })?;
        headers.push(rule);
    }
    Ok(RouteRule {
        methods: spec.methods.clone(),
        hosts: spec.hosts.iter().map(|h| HostPattern::new(h)).collect(),
        headers,
        snis: spec.snis.iter().map(|h| HostPattern::new(h)).collect(),
    })
}

#[cfg(test)]
mod tests;
