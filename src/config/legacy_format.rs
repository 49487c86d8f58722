//! `_format_version` "1.1" and "2.1" files, read as Kong 3 reads them: a route path that
//! Kong 2 treated as a regex (any character outside `A-Za-z0-9-._~/%`) gets the `~` prefix
//! Kong 3 requires, as Kong's declarative migration does.

/// Which format a file declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatVersion {
    /// "1.1" or "2.1": paths migrated on load.
    Legacy,
    /// "3.0".
    Current,
}

/// The Kong 3 form of a Kong 2 route path.
pub fn migrate_path(path: &str) -> String {
    let plain = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b));
    if plain || path.starts_with('~') {
        path.to_owned()
    } else {
        format!("~{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_paths_get_the_prefix_and_plain_ones_stay() {
        assert_eq!(migrate_path("/auth/v1/verify"), "/auth/v1/verify");
        assert_eq!(migrate_path("/a%20b/~x_y.z-"), "/a%20b/~x_y.z-");
        assert_eq!(migrate_path("/users/\\d+$"), "~/users/\\d+$");
        assert_eq!(migrate_path("/api/(?<v>v[0-9])"), "~/api/(?<v>v[0-9])");
        assert_eq!(migrate_path("~/already"), "~/already");
    }
}
