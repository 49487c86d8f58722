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

/// Byte trie over prefix paths.
#[derive(Debug, Clone)]
pub(super) struct PrefixTrie {
    nodes: Vec<TrieNode>,
}

impl Default for PrefixTrie {
    fn default() -> Self {
        PrefixTrie {
            nodes: vec![TrieNode::default()],
        }
    }
}

impl PrefixTrie {
    /// Ranks must be inserted in ascending order.
    pub(super) fn insert(&mut self, prefix: &[u8], rank: u32) {
        let mut node = 0usize;
        for &b in prefix {
            let next = self.nodes.len() as u32;
            let children = &mut self.nodes[node].children;
            node = match children.binary_search_by_key(&b, |&(k, _)| k) {
                Ok(i) => children[i].1 as usize,
                Err(i) => {
                    children.insert(i, (b, next));
                    self.nodes.push(TrieNode::default());
                    next as usize
                }
            };
        }
        self.nodes[node].ranks.push(rank);
    }

    /// Calls `visit` with the ranks of every prefix of `path`, shortest first.
    pub(super) fn walk(&self, path: &[u8], mut visit: impl FnMut(&[u32])) {
        let mut node = 0usize;
        for &b in path {
            let Some(current) = self.nodes.get(node) else {
                return;
            };
            match current.children.binary_search_by_key(&b, |&(k, _)| k) {
                Ok(i) => node = current.children[i].1 as usize,
                Err(_) => return,
            }
            if let Some(found) = self.nodes.get(node) {
                if !found.ranks.is_empty() {
                    visit(&found.ranks);
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
        let mut seen = Vec::new();
        trie.walk(b"/api/v1", |ranks| seen.extend_from_slice(ranks));
        assert_eq!(seen, vec![0, 1, 3]);
        seen.clear();
        trie.walk(b"/b", |ranks| seen.extend_from_slice(ranks));
        assert_eq!(seen, vec![0]);
    }
}
