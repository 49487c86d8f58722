//! A JWT payload parsed lazily: claim names with their raw JSON, duplicates refused.
//!
//! Only the claims the gateway reads are decoded, so a large token costs one tokenizing pass.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// A claim is present with a JSON type other than the one asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongType;

/// The top-level members of a JSON object, in order, each name at most once.
pub struct RawClaims<'a> {
    members: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> RawClaims<'a> {
    pub fn parse(json: &'a [u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(json)
    }

    pub fn get(&self, name: &str) -> Option<&'a RawValue> {
        self.members
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// A string claim; `Err` when present with another JSON type.
    pub fn string(&self, name: &str) -> Result<Option<String>, WrongType> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => serde_json::from_str::<String>(raw.get())
                .map(Some)
                .map_err(|_| WrongType),
        }
    }

    /// A NumericDate claim in whole seconds; `Err` when present but not a number.
    pub fn seconds(&self, name: &str) -> Result<Option<i64>, WrongType> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => match serde_json::from_str::<serde_json::Number>(raw.get()) {
                Ok(number) => number
                    .as_i64()
                    .or_else(|| number.as_f64().map(|f| f as i64))
                    .map(Some)
                    .ok_or(WrongType),
                Err(_) => Err(WrongType),
            },
        }
    }

    /// The values of a claim usable as a consumer reference: a string, or strings in an array.
    pub fn reference_values(&self, name: &str) -> Vec<String> {
        let Some(raw) = self.get(name) else {
            return Vec::new();
        };
        if let Ok(single) = serde_json::from_str::<String>(raw.get()) {
            return vec![single];
        }
        serde_json::from_str::<Vec<serde_json::Value>>(raw.get())
            .map(|values| {
                values
                    .into_iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl<'de> Deserialize<'de> for RawClaims<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = RawClaims<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members: Vec<(Cow<'de, str>, &'de RawValue)> = Vec::with_capacity(24);
        while let Some(name) = map.next_key::<Cow<'de, str>>()? {
            if members.iter().any(|(n, _)| *n == name) {
                return Err(de::Error::custom("duplicate member"));
            }
            let value: &'de RawValue = map.next_value()?;
            members.push((name, value));
        }
        Ok(RawClaims { members })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_typed_claims() {
        let claims = RawClaims::parse(
            br#"{"iss":"a","exp":12,"nbf":3.5,"client_id":"x","groups":["g",1,"h"]}"#,
        )
        .unwrap();
        assert_eq!(claims.string("iss"), Ok(Some("a".into())));
        assert_eq!(claims.seconds("exp"), Ok(Some(12)));
        assert_eq!(claims.seconds("nbf"), Ok(Some(3)));
        assert_eq!(claims.seconds("iat"), Ok(None));
        assert_eq!(claims.string("exp"), Err(WrongType));
        assert_eq!(claims.reference_values("client_id"), vec!["x"]);
        assert_eq!(claims.reference_values("groups"), vec!["g", "h"]);
    }

    #[test]
    fn duplicate_members_are_refused() {
        assert!(RawClaims::parse(br#"{"iss":"a","iss":"b"}"#).is_err());
        assert!(RawClaims::parse(br#"["iss"]"#).is_err());
    }
}
