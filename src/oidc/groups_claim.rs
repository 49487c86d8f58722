//! openid-connect's `authenticated_groups_claim`: the groups a token names (a claim path into
//! nested objects, as Kong reads it), for the acl plugin.

use std::sync::Arc;

use base64::Engine;
use serde_json::{Map, Value};

use super::claim_policy::claim_at;

/// The groups at `path` in `claims`: an array's strings, or one string; `None` when the path
/// is empty or the claim is absent or of another type.
pub fn groups_at(claims: &Map<String, Value>, path: &[String]) -> Option<Arc<[String]>> {
    match claim_at(claims, path)? {
        Value::String(group) => Some(Arc::from([group.clone()])),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}

/// The groups of a token already verified: its payload is read again (once per token fetched,
/// never per request), with duplicate keys refused at any depth.
pub fn groups_of_token(token: &str, path: &[String]) -> Option<Arc<[String]>> {
    if path.is_empty() {
        return None;
    }
    let payload = token.split('.').nth(1)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims = super::strict_json::parse_object(&json).ok()?;
    groups_at(&claims, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn groups_come_from_nested_claims() {
        let claims: Map<String, Value> = serde_json::from_str(
            r#"{"realm_access": {"roles": ["admin", "dev", 3]}, "team": "blue", "n": 1}"#,
        )
        .unwrap();
        let groups = groups_at(&claims, &path(&["realm_access", "roles"])).unwrap();
        assert_eq!(&*groups, ["admin", "dev"]);
        assert_eq!(&*groups_at(&claims, &path(&["team"])).unwrap(), ["blue"]);
        assert!(groups_at(&claims, &path(&["n"])).is_none());
        assert!(groups_at(&claims, &path(&["missing"])).is_none());
    }

    #[test]
    fn a_token_payload_is_read_for_its_groups() {
        let payload =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"groups":["a","b"]}"#);
        let token = format!("e30.{payload}.sig");
        assert_eq!(
            &*groups_of_token(&token, &path(&["groups"])).unwrap(),
            ["a", "b"]
        );
        assert!(groups_of_token(&token, &[]).is_none());
        let duplicate = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"groups":["a"],"groups":["b"]}"#);
        assert!(groups_of_token(&format!("e30.{duplicate}.s"), &path(&["groups"])).is_none());
    }
}
