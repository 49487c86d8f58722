//! The lookup structures that keep matching cost nearly flat in the number of routes:
//! a byte trie over prefix paths, a second one over the literal prefixes of regex paths
//! (so only regexes whose literal start matches the path are run), a hash map of exact
//! hosts for path-less routes, and a short list of everything else. Each yields
//! candidate ranks (positions in precedence order), ascending.

use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
struct TrieNode {
    /// Sorted by byte.
    children: Vec<(u8, u32)>,
    /// Ranks of the candidates whose prefix ends here, ascending.
    ranks: Vec<u32>,
}

/// A node of the frozen trie: its edges and ranks are ranges of shared arrays.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    edges: u32,
    edge_count: u32,
    ranks: u32,
    rank_count: u32,
}

/// An edge of the frozen trie, labelled with the bytes of a chain of single-child nodes.
#[derive(Debug, Clone, Copy)]
struct Edge {
    label: u32,
    label_len: u32,
    child: u32,
}

/// Byte trie over prefix paths: built node by node, then frozen into a path-compressed
/// trie in flat arrays (breadth-first), so a walk takes few steps and cache lines.
#[derive(Debug, Clone)]
pub(super) struct PrefixTrie {
    building: Vec<TrieNode>,
    spans: Vec<Span>,
    edges: Vec<Edge>,
    /// `edges[i].first` for every `i`, packed: a node's choices share a cache line.
    firsts: Vec<u8>,
    labels: Vec<u8>,
    ranks: Vec<u32>,
}

impl Default for PrefixTrie {
    fn default() -> Self {
        PrefixTrie {
            building: vec![TrieNode::default()],
            spans: Vec::new(),
            edges: Vec::new(),
            firsts: Vec::new(),
            labels: Vec::new(),
            ranks: Vec::new(),
        }
    }
}

impl PrefixTrie {
    /// Ranks must be inserted in ascending order, before [`PrefixTrie::freeze`].
    pub(super) fn insert(&mut self, prefix: &[u8], rank: u32) {
        let mut node = 0usize;
        for &b in prefix {
            let next = self.building.len() as u32;
            let Some(current) = self.building.get_mut(node) else {
                return;
            };
            let children = &mut current.children;
            node = match children.binary_search_by_key(&b, |&(k, _)| k) {
                Ok(i) => children[i].1 as usize,
                Err(i) => {
                    children.insert(i, (b, next));
                    self.building.push(TrieNode::default());
                    next as usize
                }
            };
        }
        if let Some(node) = self.building.get_mut(node) {
            node.ranks.push(rank);
        }
    }

    /// Compresses chains of rank-less single-child nodes into edge labels and lays the
    /// nodes out breadth-first in the arrays [`PrefixTrie::walk`] reads.
    pub(super) fn freeze(&mut self) {
        let building = std::mem::take(&mut self.building);
        let empty = TrieNode::default();
        let node = |i: usize| building.get(i).unwrap_or(&empty);
        self.spans = vec![Span::default()];
        let mut queue = std::collections::VecDeque::from([(0usize, 0usize)]);
        while let Some((from, to)) = queue.pop_front() {
            let current = node(from);
            let span = Span {
                edges: self.edges.len() as u32,
                edge_count: current.children.len() as u32,
                ranks: self.ranks.len() as u32,
                rank_count: current.ranks.len() as u32,
            };
            self.ranks.extend_from_slice(&current.ranks);
            for &(first, child) in &current.children {
                let label = self.labels.len();
                self.labels.push(first);
                let mut child = child as usize;
                while node(child).ranks.is_empty() && node(child).children.len() == 1 {
                    let (b, next) = node(child).children[0];
                    self.labels.push(b);
                    child = next as usize;
                }
                let target = self.spans.len();
                self.spans.push(Span::default());
                self.firsts.push(first);
                self.edges.push(Edge {
                    label: label as u32,
                    label_len: (self.labels.len() - label) as u32,
                    child: target as u32,
                });
                queue.push_back((child, target));
            }
            if let Some(slot) = self.spans.get_mut(to) {
                *slot = span;
            }
        }
    }

    /// Calls `visit` with the ranks of every prefix of `path`, shortest first.
    pub(super) fn walk(&self, path: &[u8], mut visit: impl FnMut(&[u32])) {
        let mut node = 0usize;
        let mut pos = 0usize;
        while let (Some(span), Some(&b)) = (self.spans.get(node), path.get(pos)) {
            let start = span.edges as usize;
            let Some(firsts) = self.firsts.get(start..start + span.edge_count as usize) else {
                return;
            };
            // Edges are sorted by first byte; a scan of packed bytes beats a search here.
            let found = if firsts.len() <= 32 {
                firsts.iter().position(|&f| f == b)
            } else {
                firsts.binary_search(&b).ok()
            };
            let Some(edge) = found.and_then(|i| self.edges.get(start + i)) else {
                return;
            };
            // The first byte matched already: compare the rest of the label.
            if edge.label_len > 1 {
                let label_start = edge.label as usize + 1;
                let rest = edge.label_len as usize - 1;
                let label = self.labels.get(label_start..label_start + rest);
                match (label, path.get(pos + 1..pos + 1 + rest)) {
                    (Some(label), Some(text)) if label == text => {}
                    _ => return,
                }
            }
            pos += edge.label_len as usize;
            node = edge.child as usize;
            if let Some(span) = self.spans.get(node) {
                if span.rank_count > 0 {
                    let start = span.ranks as usize;
                    if let Some(ranks) = self.ranks.get(start..start + span.rank_count as usize) {
                        visit(ranks);
                    }
                }
            }
        }
    }
}

/// All the indexes of one router.
#[derive(Debug, Clone, Default)]
pub(super) struct Index {
    pub prefixes: PrefixTrie,
    /// Regex paths by their literal prefix (see `path::literal_prefix`).
    pub regex_prefixes: PrefixTrie,
    /// Regex paths without a literal prefix.
    pub regex_unprefixed: Vec<u32>,
    /// Best rank of any regex path.
    pub first_regex: Option<u32>,
    /// Path-less candidates whose hosts are all exact, by lowercased host.
    pub exact_hosts: HashMap<String, Vec<u32>>,
    /// Path-less candidates without hosts or with a wildcard host.
    pub others: Vec<u32>,
}

impl Index {
    /// Indexes a regex path candidate (ranks in ascending order).
    pub(super) fn add_regex(&mut self, literal_prefix: &str, rank: u32) {
        self.first_regex.get_or_insert(rank);
        if literal_prefix.is_empty() {
            self.regex_unprefixed.push(rank);
        } else {
            self.regex_prefixes.insert(literal_prefix.as_bytes(), rank);
        }
    }

    /// Ends the build: freezes the tries.
    pub(super) fn freeze(&mut self) {
        self.prefixes.freeze();
        self.regex_prefixes.freeze();
    }

    pub(super) fn add_exact_host(&mut self, host: &str, rank: u32) {
        let ranks = self.exact_hosts.entry(host.to_owned()).or_default();
        if ranks.last() != Some(&rank) {
            ranks.push(rank);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trie_yields_every_prefix() {
        let mut trie = PrefixTrie::default();
        trie.insert(b"/", 0);
        trie.insert(b"/api", 1);
        trie.insert(b"/api", 3);
        trie.insert(b"/apx", 2);
        trie.freeze();
        let mut seen = Vec::new();
        trie.walk(b"/api/v1", |ranks| seen.extend_from_slice(ranks));
        assert_eq!(seen, vec![0, 1, 3]);
        seen.clear();
        trie.walk(b"/b", |ranks| seen.extend_from_slice(ranks));
        assert_eq!(seen, vec![0]);
        for (path, want) in [
            (&b"/ap"[..], vec![0]),
            (b"/apx/y", vec![0, 2]),
            (b"", vec![]),
            (b"x", vec![]),
        ] {
            seen.clear();
            trie.walk(path, |ranks| seen.extend_from_slice(ranks));
            assert_eq!(seen, want, "{path:?}");
        }

        let mut chain = PrefixTrie::default();
        chain.insert(b"/svc00001/v1", 0);
        chain.insert(b"/svc00002/v1", 1);
        chain.insert(b"/svc00002/v1/long/er", 2);
        chain.freeze();
        for (path, want) in [
            (&b"/svc00002/v1/long/er/x"[..], vec![1, 2]),
            (b"/svc00002/v1/long/e", vec![1]),
            (b"/svc00001/v1", vec![0]),
            (b"/svc00001/v", vec![]),
            (b"/svc00003/v1", vec![]),
        ] {
            seen.clear();
            chain.walk(path, |ranks| seen.extend_from_slice(ranks));
            assert_eq!(seen, want, "{path:?}");
        }
    }
}
