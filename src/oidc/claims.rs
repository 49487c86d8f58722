//! A JWT payload parsed lazily: claim names with their raw JSON, duplicates refused.
//!
//! Only the claims the gateway reads are decoded, so a large token costs one tokenizing pass.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// A claim is present with a JSON type other than the one asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongType;

/// The wanted top-level members of a JSON object, each name at most once. Other members are
/// skipped without being kept.
pub struct RawClaims<'a> {
    members: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> RawClaims<'a> {
    /// Parses `json`, keeping the members named in `wanted` or `also_wanted`. A wanted name
    /// that appears twice is an error (which of two values to trust is not for the gateway to
    /// guess).
    pub fn parse(
        json: &'a [u8],
        wanted: &[&str],
        also_wanted: &[String],
    ) -> Result<Self, serde_json::Error> {
        Self::parse_with(json, wanted, also_wanted, false)
    }

    /// As [`RawClaims::parse`], and any top-level name that appears twice, wanted or not, is
    /// an error too (for client-supplied tokens).
    pub fn parse_unique(
        json: &'a [u8],
        wanted: &[&str],
        also_wanted: &[String],
    ) -> Result<Self, serde_json::Error> {
        Self::parse_with(json, wanted, also_wanted, true)
    }

    fn parse_with(
        json: &'a [u8],
        wanted: &[&str],
        also_wanted: &[String],
        every_name_once: bool,
    ) -> Result<Self, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        let visitor = MembersVisitor {
            wanted,
            also_wanted,
            every_name_once,
        };
        let claims = visitor.deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(claims)
    }

    /// The kept members, in document order.
    pub fn members(&self) -> impl Iterator<Item = (&str, &'a RawValue)> {
        self.members.iter().map(|(n, v)| (n.as_ref(), *v))
    }

    pub fn get(&self, name: &str) -> Option<&'a RawValue> {
        self.members
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// A string claim; `Err` when present with another JSON type.
    pub fn string(&self, name: &str) -> Result<Option<Cow<'a, str>>, WrongType> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => serde_json::from_str::<Cow<'a, str>>(raw.get())
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

struct MembersVisitor<'w> {
    wanted: &'w [&'w str],
    also_wanted: &'w [String],
    every_name_once: bool,
}

impl MembersVisitor<'_> {
    fn wants(&self, name: &str) -> bool {
        self.wanted.contains(&name) || self.also_wanted.iter().any(|w| w == name)
    }
}

impl<'de> DeserializeSeed<'de> for MembersVisitor<'_> {
    type Value = RawClaims<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MembersVisitor<'_> {
    type Value = RawClaims<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members: Vec<(Cow<'de, str>, &'de RawValue)> =
            Vec::with_capacity(self.wanted.len() + self.also_wanted.len());
        let mut skipped: Vec<Cow<'de, str>> = Vec::new();
        // One bit per (length, last byte) class of the skipped names: only a name whose class
        // was seen is compared with the others.
        let mut seen_classes = 0u64;
        while let Some(MemberName(name)) = map.next_key::<MemberName<'de>>()? {
            if !self.wants(&name) {
                if self.every_name_once {
                    let class = 1u64
                        << ((name.len() * 7 + usize::from(name.bytes().last().unwrap_or(0))) % 64);
                    if seen_classes & class != 0 && skipped.contains(&name) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    seen_classes |= class;
                    if skipped.capacity() == 0 {
                        skipped.reserve(32);
                    }
                    skipped.push(name);
                }
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if members.iter().any(|(n, _)| *n == name) {
                return Err(de::Error::custom("duplicate member"));
            }
            let value: &'de RawValue = map.next_value()?;
            members.push((name, value));
        }
        Ok(RawClaims { members })
    }
}

/// A member name, borrowed from the input unless it had escapes (serde's own `Cow<str>`
/// always allocates, and this runs for every claim of every token).
struct MemberName<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for MemberName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(MemberNameVisitor)
    }
}

struct MemberNameVisitor;

impl<'de> Visitor<'de> for MemberNameVisitor {
    type Value = MemberName<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Self::Value, E> {
        Ok(MemberName(Cow::Borrowed(name)))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(MemberName(Cow::Owned(name.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_typed_claims() {
        let wanted = ["iss", "exp", "nbf", "iat"];
        let also = ["client_id".to_owned(), "groups".to_owned()];
        let claims = RawClaims::parse(
            br#"{"iss":"a","exp":12,"nbf":3.5,"client_id":"x","groups":["g",1,"h"],"x":{"y":[1]}}"#,
            &wanted,
            &also,
        )
        .unwrap();
        assert_eq!(claims.string("iss"), Ok(Some(Cow::Borrowed("a"))));
        assert_eq!(claims.seconds("exp"), Ok(Some(12)));
        assert_eq!(claims.seconds("nbf"), Ok(Some(3)));
        assert_eq!(claims.seconds("iat"), Ok(None));
        assert_eq!(claims.string("exp"), Err(WrongType));
        assert_eq!(claims.reference_values("client_id"), vec!["x"]);
        assert_eq!(claims.reference_values("groups"), vec!["g", "h"]);
    }

    #[test]
    fn duplicate_members_are_refused() {
        assert!(RawClaims::parse(br#"{"iss":"a","iss":"b"}"#, &["iss"], &[]).is_err());
        assert!(RawClaims::parse(br#"{"x":1,"x":2}"#, &["iss"], &[]).is_ok());
        assert!(RawClaims::parse(br#"["iss"]"#, &["iss"], &[]).is_err());
        assert!(RawClaims::parse(br#"{"iss":"a"} trailing"#, &["iss"], &[]).is_err());
        assert!(RawClaims::parse_unique(br#"{"x":1,"x":2}"#, &["iss"], &[]).is_err());
        assert!(RawClaims::parse_unique(br#"{"x":{"y":1,"y":2}}"#, &["iss"], &[]).is_ok());
    }
}
