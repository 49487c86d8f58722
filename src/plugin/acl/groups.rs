//! acl's pure core: which groups count for a request (the consumer's, or the groups an
//! authentication plugin found without a consumer), Kong's precedence between them, and the
//! allow / deny decision with the groups header to send upstream.

/// The groups header set when the consumer's own groups decided.
pub const CONSUMER_GROUPS: &str = "x-consumer-groups";
/// The groups header set when authenticated groups (no consumer, anonymous, or
/// `always_use_authenticated_groups`) decided.
pub const AUTHENTICATED_GROUPS: &str = "x-authenticated-groups";

/// `allow` or `deny`, with its groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Allow(Vec<String>),
    Deny(Vec<String>),
}

/// What the acl instance decides with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub rule: Rule,
    pub hide_groups_header: bool,
    pub always_use_authenticated_groups: bool,
}

/// Who the request is, as far as acl is concerned.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The consumer's groups (`acls`, and with `include_consumer_groups` its consumer
    /// groups' names), or `None` without a consumer.
    pub consumer_groups: Option<&'a [&'a str]>,
    /// A real credential authenticated the request (not the anonymous consumer).
    pub authenticated: bool,
    /// Groups an authentication plugin set without a consumer (openid-connect's
    /// `authenticated_groups_claim`).
    pub authenticated_groups: Option<&'a [String]>,
}

/// Why the request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 401 `Unauthorized`: nobody authenticated, so there are no groups to judge.
    Unauthorized,
    /// 403 `You cannot consume this service`.
    Forbidden,
}

/// The header to send upstream when allowed (`None`: `hide_groups_header`).
pub type Allowed = Option<(&'static str, String)>;

/// Kong's acl decision.
pub fn decide(rules: &Rules, subject: Subject<'_>) -> Result<Allowed, Refusal> {
    let nobody = || {
        if subject.authenticated {
            Refusal::Forbidden
        } else {
            Refusal::Unauthorized
        }
    };
    let Some(consumer_groups) = subject.consumer_groups else {
        let groups = subject.authenticated_groups.ok_or_else(nobody)?;
        let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
        return judge(rules, &groups, AUTHENTICATED_GROUPS);
    };
    // Authenticated groups stand in for the anonymous consumer's, and for anyone's with
    // always_use_authenticated_groups.
    if !subject.authenticated || rules.always_use_authenticated_groups {
        if let Some(groups) = subject.authenticated_groups {
            let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
            return judge(rules, &groups, AUTHENTICATED_GROUPS);
        }
    }
    if consumer_groups.is_empty() && matches!(rules.rule, Rule::Allow(_)) {
        return Err(nobody());
    }
    judge(rules, consumer_groups, CONSUMER_GROUPS)
}

fn judge(rules: &Rules, groups: &[&str], header: &'static str) -> Result<Allowed, Refusal> {
    let in_any = |listed: &[String]| listed.iter().any(|g| groups.contains(&g.as_str()));
    let blocked = match &rules.rule {
        Rule::Allow(listed) => !in_any(listed),
        Rule::Deny(listed) => in_any(listed),
    };
    if blocked {
        return Err(Refusal::Forbidden);
    }
    Ok((!rules.hide_groups_header).then(|| (header, groups.join(", "))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(groups: &[&str]) -> Rules {
        Rules {
            rule: Rule::Allow(groups.iter().map(|g| g.to_string()).collect()),
            hide_groups_header: false,
            always_use_authenticated_groups: false,
        }
    }

    fn deny(groups: &[&str]) -> Rules {
        Rules {
            rule: Rule::Deny(groups.iter().map(|g| g.to_string()).collect()),
            ..allow(&[])
        }
    }

    fn consumer<'a>(groups: &'a [&'a str], authenticated: bool) -> Subject<'a> {
        Subject {
            consumer_groups: Some(groups),
            authenticated,
            authenticated_groups: None,
        }
    }

    #[test]
    fn consumer_groups_allow_and_deny() {
        let groups = ["admin", "users"];
        assert_eq!(
            decide(&allow(&["admin"]), consumer(&groups, true)),
            Ok(Some((CONSUMER_GROUPS, "admin, users".into())))
        );
        assert_eq!(
            decide(&allow(&["other"]), consumer(&groups, true)),
            Err(Refusal::Forbidden)
        );
        assert_eq!(
            decide(&deny(&["users"]), consumer(&groups, true)),
            Err(Refusal::Forbidden)
        );
        assert!(decide(&deny(&["other"]), consumer(&groups, true)).is_ok());
        let hidden = Rules {
            hide_groups_header: true,
            ..allow(&["admin"])
        };
        assert_eq!(decide(&hidden, consumer(&groups, true)), Ok(None));
    }

    #[test]
    fn no_groups_or_nobody() {
        // Allow with a group-less consumer: 403 with a credential, 401 for the anonymous one.
        assert_eq!(
            decide(&allow(&["a"]), consumer(&[], true)),
            Err(Refusal::Forbidden)
        );
        assert_eq!(
            decide(&allow(&["a"]), consumer(&[], false)),
            Err(Refusal::Unauthorized)
        );
        // Deny with no groups passes, with an empty header (Kong's spec).
        assert_eq!(
            decide(&deny(&["a"]), consumer(&[], false)),
            Ok(Some((CONSUMER_GROUPS, String::new())))
        );
        let nobody = Subject {
            consumer_groups: None,
            authenticated: false,
            authenticated_groups: None,
        };
        assert_eq!(decide(&deny(&["a"]), nobody), Err(Refusal::Unauthorized));
        let credential_only = Subject {
            authenticated: true,
            ..nobody
        };
        assert_eq!(
            decide(&allow(&["a"]), credential_only),
            Err(Refusal::Forbidden)
        );
    }

    #[test]
    fn authenticated_groups_precedence() {
        let claimed = vec!["admin".to_string()];
        let without_consumer = Subject {
            consumer_groups: None,
            authenticated: true,
            authenticated_groups: Some(&claimed),
        };
        assert_eq!(
            decide(&allow(&["admin"]), without_consumer),
            Ok(Some((AUTHENTICATED_GROUPS, "admin".into())))
        );
        // The anonymous consumer's groups give way to authenticated groups...
        let anonymous = Subject {
            consumer_groups: Some(&["anon"]),
            authenticated: false,
            authenticated_groups: Some(&claimed),
        };
        assert_eq!(
            decide(&allow(&["admin"]), anonymous),
            Ok(Some((AUTHENTICATED_GROUPS, "admin".into())))
        );
        // ...a real consumer's do not, unless always_use_authenticated_groups.
        let real = Subject {
            authenticated: true,
            ..anonymous
        };
        assert_eq!(decide(&allow(&["admin"]), real), Err(Refusal::Forbidden));
        let always = Rules {
            always_use_authenticated_groups: true,
            ..allow(&["admin"])
        };
        assert!(decide(&always, real).is_ok());
        // Without authenticated groups, always_use falls back to the consumer's.
        let real_only = consumer(&["anon"], true);
        assert_eq!(
            decide(
                &Rules {
                    always_use_authenticated_groups: true,
                    ..allow(&["anon"])
                },
                real_only
            ),
            Ok(Some((CONSUMER_GROUPS, "anon".into())))
        );
    }
}
