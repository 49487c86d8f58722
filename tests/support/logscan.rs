//! Log hygiene checks: no client secret, Basic credential or whole JWT may appear in a gateway log.

/// Every place in `text` that looks like a whole compact JWS (`eyJ...`.`...`.`...`).
pub fn find_jwts(text: &str) -> Vec<String> {
    let is_b64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut found = Vec::new();
    let mut rest = text;
    for _ in 0..100_000 {
        let Some(start) = rest.find("eyJ") else { break };
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| !(is_b64url(c) || c == '.'))
            .unwrap_or(candidate.len());
        let token = &candidate[..end];
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() >= 3 && parts[0].len() >= 10 && parts[1].len() >= 10 && !parts[2].is_empty()
        {
            found.push(token.to_owned());
        }
        rest = &candidate[3..];
    }
    found
}

/// `Basic ` followed by something that looks like a base64 credential (8+ chars).
pub fn find_basic_credentials(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, _) in text.match_indices("Basic ") {
        let value: String = text[i + 6..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
            .collect();
        if value.len() >= 8 {
            found.push(format!("Basic {value}"));
        }
    }
    found
}

/// Where `needle` first appears: the log line's header up to its first `]` (time, level,
/// target), never the needle itself.
fn whereabouts(logs: &str, needle: &str) -> String {
    let Some(line) = logs.lines().find(|l| l.contains(needle)) else {
        return String::new();
    };
    let head: String = line.chars().take(80).collect();
    match head.find(']') {
        Some(i) if !head[..i].contains(needle) => format!(" in a line from {}]", &head[..i]),
        _ => String::new(),
    }
}

/// Panics (naming what leaked and where, not the whole secret) if `logs` contains any of
/// `secrets` (client secrets, Basic values, tokens), a JWT-looking string or a Basic credential.
pub fn assert_clean(logs: &str, secrets: &[String]) {
    let problems = leaks(logs, secrets);
    assert!(
        problems.is_empty(),
        "gateway log leaks: {}",
        problems.join("; ")
    );
}

/// What `assert_clean` would complain about (empty when the log is clean).
pub fn leaks(logs: &str, secrets: &[String]) -> Vec<String> {
    let mut problems: Vec<String> = Vec::new();
    let mut note = |problem: String| {
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    };
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if logs.contains(secret.as_str()) {
            let shown: String = secret.chars().take(6).collect();
            let at = whereabouts(logs, secret);
            note(format!(
                "a secret/token starting {shown:?} ({} chars){at}",
                secret.len()
            ));
        }
    }
    for jwt in find_jwts(logs) {
        note(format!("a JWT{}", whereabouts(logs, &jwt)));
    }
    for basic in find_basic_credentials(logs) {
        note(format!("a Basic credential{}", whereabouts(logs, &basic)));
    }
    problems
}
