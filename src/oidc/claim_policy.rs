//! Kong's claim policy: `scopes_required`, `audience_required`, `roles_required` and
//! `groups_required`, each read at a (possibly nested) claim path.
//!
//! A requirement list is OR: one entry must be satisfied. An entry is a space-separated set
//! that must be present whole (AND). A claim's values are the words of a string claim, or the
//! strings of an array claim.

use serde_json::{Map, Value};

use crate::config::openid_connect::OpenIdConnectConfig;

/// One `*_required` setting with the claim it reads.
#[derive(Debug, Clone)]
struct Requirement {
    /// `scopes`, `audience`, `roles`, `groups`: names what failed, for logs and errors.
    what: &'static str,
    claim: Vec<String>,
    any_of: Vec<Vec<String>>,
}

/// Every configured requirement; an empty policy admits every token.
#[derive(Debug, Clone, Default)]
pub struct ClaimPolicy {
    requirements: Vec<Requirement>,
}

impl ClaimPolicy {
    pub fn from_config(config: &OpenIdConnectConfig) -> Self {
        let mut requirements = Vec::new();
        for (what, required, claim) in [
            ("scopes", &config.scopes_required, &config.scopes_claim),
            (
                "audience",
                &config.audience_required,
                &config.audience_claim,
            ),
            ("roles", &config.roles_required, &config.roles_claim),
            ("groups", &config.groups_required, &config.groups_claim),
        ] {
            if required.is_empty() {
                continue;
            }
            requirements.push(Requirement {
                what,
                claim: claim.clone(),
                any_of: required
                    .iter()
                    .map(|entry| space_separated(entry))
                    .collect(),
            });
        }
        Self { requirements }
    }

    /// The first segment of every claim path the policy reads.
    pub fn claim_roots(&self) -> impl Iterator<Item = String> + '_ {
        self.requirements
            .iter()
            .filter_map(|r| r.claim.first().cloned())
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// `Err(what)` naming the first requirement the claims do not meet.
    pub fn check(&self, claims: &Map<String, Value>) -> Result<(), &'static str> {
        for requirement in &self.requirements {
            let present = claim_at(claims, &requirement.claim);
            let met = requirement.any_of.iter().any(|all| {
                all.iter()
                    .all(|needed| present.is_some_and(|value| has_word(value, needed)))
            });
            if !met {
                return Err(requirement.what);
            }
        }
        Ok(())
    }
}

/// The value at a claim path (`[realm_access, roles]` reads `claims.realm_access.roles`).
pub fn claim_at<'c>(claims: &'c Map<String, Value>, path: &[String]) -> Option<&'c Value> {
    let (first, rest) = path.split_first()?;
    let mut value = claims.get(first)?;
    for segment in rest {
        value = value.as_object()?.get(segment)?;
    }
    Some(value)
}

/// The words of a space-separated entry (Kong splits on spaces only).
fn space_separated(entry: &str) -> Vec<String> {
    entry
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether `word` is one of the words of a string, or one of the strings of an array.
fn has_word(value: &Value, word: &str) -> bool {
    match value {
        // Kong splits on spaces only: other whitespace is part of a word.
        Value::String(s) => s.split(' ').any(|w| w == word),
        Value::Array(items) => items.iter().any(|item| item.as_str() == Some(word)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(scopes: &[&str], roles_claim: &[&str], roles: &[&str]) -> ClaimPolicy {
        let any = |required: &[&str], claim: &[&str], what| Requirement {
            what,
            claim: claim.iter().map(|s| s.to_string()).collect(),
            any_of: required.iter().map(|e| space_separated(e)).collect(),
        };
        let mut requirements = Vec::new();
        if !scopes.is_empty() {
            requirements.push(any(scopes, &["scope"], "scopes"));
        }
        if !roles.is_empty() {
            requirements.push(any(roles, roles_claim, "roles"));
        }
        ClaimPolicy { requirements }
    }

    fn claims() -> Map<String, Value> {
        serde_json::json!({
            "scope": "openid email profile",
            "realm_access": {"roles": ["offline_access", "default-roles-kong"]},
        })
        .as_object()
        .cloned()
        .unwrap_or_default()
    }

    #[test]
    fn a_list_is_or_and_a_string_is_and() {
        let c = claims();
        assert_eq!(policy(&["openid email"], &[], &[]).check(&c), Ok(()));
        assert_eq!(policy(&["openid admin"], &[], &[]).check(&c), Err("scopes"));
        assert_eq!(policy(&["admin", "profile"], &[], &[]).check(&c), Ok(()));
        assert_eq!(
            policy(&["admin", "root"], &[], &[]).check(&c),
            Err("scopes")
        );
    }

    #[test]
    fn nested_claim_paths_are_followed() {
        let c = claims();
        let path = ["realm_access", "roles"];
        assert_eq!(policy(&[], &path, &["offline_access"]).check(&c), Ok(()));
        assert_eq!(policy(&[], &path, &["admin"]).check(&c), Err("roles"));
        assert_eq!(
            policy(&[], &["roles"], &["offline_access"]).check(&c),
            Err("roles")
        );
    }
}
