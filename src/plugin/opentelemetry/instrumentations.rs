//! Kong's `tracing_instrumentations` and `tracing_sampling_rate` (kong.conf): which spans
//! are made (`request`: the `kong` span of each request; `balancer`: one `kong.balancer` span
//! per upstream attempt; `all`; `off`, Kong's default, propagates headers only) and the
//! probability of sampling a trace (Kong's default 0.01).

/// The tracing settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tracing {
    pub request: bool,
    pub balancer: bool,
    pub sampling_rate: f64,
}

impl Default for Tracing {
    fn default() -> Self {
        Self {
            request: false,
            balancer: false,
            sampling_rate: 0.01,
        }
    }
}

/// Kong's instrumentation names; those without a span here are accepted and make none.
const KNOWN: [&str; 12] = [
    "off",
    "all",
    "request",
    "balancer",
    "router",
    "http_client",
    "dns_query",
    "db_query",
    "plugin_rewrite",
    "plugin_access",
    "plugin_header_filter",
    "plugin_body_filter",
];

impl Tracing {
    /// From the two settings (`None`: Kong's defaults); errors are Kong's.
    pub fn parse(
        instrumentations: Option<&[String]>,
        sampling_rate: Option<f64>,
    ) -> Result<Self, String> {
        let mut tracing = Self::default();
        for name in instrumentations.unwrap_or_default() {
            match name.as_str() {
                "all" => (tracing.request, tracing.balancer) = (true, true),
                "request" => tracing.request = true,
                "balancer" => tracing.balancer = true,
                known if KNOWN.contains(&known) => {}
                other => {
                    return Err(format!(
                        "tracing_instrumentations: invalid option '{other}'"
                    ))
                }
            }
        }
        let names = instrumentations.unwrap_or_default();
        if names.len() > 1 && names.iter().any(|n| n == "off" || n == "all") {
            return Err(
                "tracing_instrumentations: the 'off' and 'all' options cannot be combined with other values"
                    .to_owned(),
            );
        }
        // A span of an attempt needs the request's span to hang under (Kong enables the root).
        if tracing.balancer {
            tracing.request = true;
        }
        if let Some(rate) = sampling_rate {
            if !(0.0..=1.0).contains(&rate) {
                return Err("tracing_sampling_rate must be between 0 and 1".to_owned());
            }
            tracing.sampling_rate = rate;
        }
        Ok(tracing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn kongs_names_and_defaults() {
        assert_eq!(Tracing::parse(None, None).unwrap(), Tracing::default());
        let all = Tracing::parse(Some(&list(&["all"])), Some(1.0)).unwrap();
        assert!(all.request && all.balancer && all.sampling_rate == 1.0);
        let some = Tracing::parse(Some(&list(&["request", "router"])), None).unwrap();
        assert!(some.request && !some.balancer);
        assert!(Tracing::parse(Some(&list(&["sql"])), None)
            .unwrap_err()
            .contains("'sql'"));
        assert!(Tracing::parse(Some(&list(&["off", "request"])), None).is_err());
        assert!(Tracing::parse(None, Some(1.5)).is_err());
    }
}
