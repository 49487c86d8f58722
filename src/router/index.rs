//! The lookup structures that keep matching cost nearly flat in the number of routes:
//! a byte trie over prefix paths, one `RegexSet` over regex paths, a hash map of exact
//! hosts for path-less routes, and a short list of everything else. Each yields
//! candidate ranks (positions in precedence order), ascending.

use std::collections::HashMap;

use regex::{RegexSet, RegexSetBuilder};

/// Compiled size limit of the set of all regex paths.
pub const REGEX_SET_SIZE_LIMIT: usize = 64 << 20;

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
    /// Regex paths in rank order, and the rank of each.
    pub regexes: Option<RegexSet>,
    pub regex_ranks: Vec<u32>,
    /// Path-less candidates whose hosts are all exact, by lowercased host.
    pub exact_hosts: HashMap<String, Vec<u32>>,
    /// Path-less candidates without hosts or with a wildcard host.
    pub others: Vec<u32>,
}

impl Index {
    /// Builds the regex set from anchored patterns given in rank order.
    pub(super) fn set_regexes(
        &mut self,
        patterns: Vec<String>,
        ranks: Vec<u32>,
    ) -> Result<(), String> {
        if patterns.is_empty() {
            return Ok(());
        }
        let set = RegexSetBuilder::new(patterns)
            .size_limit(REGEX_SET_SIZE_LIMIT)
            .build()
            .map_err(super::path::describe_regex_error)?;
        self.regexes = Some(set);
        self.regex_ranks = ranks;
        Ok(())
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
