//! What a plugin name this data plane does not implement is: a Kong Enterprise plugin, a
//! serverless Lua plugin, a bundled open-source plugin not implemented yet, or a custom or
//! third-party one. The message that refuses it says which.

/// Kong Gateway open-source bundled plugins (Kong 3.x `kong/constants.lua` list).
const BUNDLED: &[&str] = &[
    "acl",
    "acme",
    "ai-prompt-decorator",
    "ai-prompt-guard",
    "ai-prompt-template",
    "ai-proxy",
    "ai-request-transformer",
    "ai-response-transformer",
    "aws-lambda",
    "azure-functions",
    "basic-auth",
    "bot-detection",
    "correlation-id",
    "cors",
    "datadog",
    "file-log",
    "grpc-gateway",
    "grpc-web",
    "hmac-auth",
    "http-log",
    "ip-restriction",
    "jwt",
    "key-auth",
    "ldap-auth",
    "loggly",
    "oauth2",
    "opentelemetry",
    "prometheus",
    "proxy-cache",
    "rate-limiting",
    "redirect",
    "request-size-limiting",
    "request-termination",
    "request-transformer",
    "response-ratelimiting",
    "response-transformer",
    "session",
    "standard-webhooks",
    "statsd",
    "syslog",
    "tcp-log",
    "udp-log",
    "zipkin",
];

/// Bundled plugins that run Lua code from the configuration.
const SERVERLESS: &[&str] = &["pre-function", "post-function", "serverless-functions"];

/// Kong Enterprise (and Konnect) plugins, besides every `*-advanced` and other `ai-*` one.
const ENTERPRISE: &[&str] = &[
    "ace",
    "app-dynamics",
    "application-registration",
    "canary",
    "confluent",
    "confluent-consume",
    "datakit",
    "degraphql",
    "exit-transformer",
    "forward-proxy",
    "header-cert-auth",
    "injection-protection",
    "jq",
    "json-threat-protection",
    "jwe-decrypt",
    "jwt-signer",
    "kafka-consume",
    "kafka-log",
    "kafka-upstream",
    "key-auth-enc",
    "konnect-application-auth",
    "mocking",
    "mtls-auth",
    "oas-validation",
    "oauth2-introspection",
    "opa",
    "request-callout",
    "request-validator",
    "route-by-header",
    "saml",
    "service-protection",
    "solace-consume",
    "solace-log",
    "solace-upstream",
    "standard-webhooks-advanced",
    "statsd-advanced",
    "tls-handshake-modifier",
    "tls-metadata-headers",
    "upstream-oauth",
    "upstream-timeout",
    "vault-auth",
    "websocket-size-limit",
    "websocket-validator",
    "xml-threat-protection",
];

/// The kind of a plugin this data plane does not implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsupportedKind {
    Enterprise,
    ServerlessLua,
    BundledNotImplemented,
    Custom,
}

/// Classifies a plugin name.
pub fn kind_of(name: &str) -> UnsupportedKind {
    if SERVERLESS.contains(&name) {
        UnsupportedKind::ServerlessLua
    } else if BUNDLED.contains(&name) {
        UnsupportedKind::BundledNotImplemented
    } else if ENTERPRISE.contains(&name) || name.ends_with("-advanced") || name.starts_with("ai-") {
        UnsupportedKind::Enterprise
    } else {
        UnsupportedKind::Custom
    }
}

/// The error message for a plugin this data plane does not implement.
pub fn refusal(name: &str) -> String {
    match kind_of(name) {
        UnsupportedKind::Enterprise => format!(
            "plugin '{name}' is a Kong Enterprise plugin: not available on this data plane"
        ),
        UnsupportedKind::ServerlessLua => format!(
            "plugin '{name}' is a serverless Lua plugin: this data plane runs no Lua code"
        ),
        UnsupportedKind::BundledNotImplemented => format!(
            "plugin '{name}' is a Kong bundled open-source plugin not implemented by this data plane yet"
        ),
        UnsupportedKind::Custom => format!(
            "plugin '{name}' is a custom or third-party plugin (not bundled with Kong): \
             this data plane cannot load it"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_classified() {
        assert_eq!(kind_of("canary"), UnsupportedKind::Enterprise);
        assert_eq!(
            kind_of("rate-limiting-advanced"),
            UnsupportedKind::Enterprise
        );
        assert_eq!(kind_of("ai-mcp-proxy"), UnsupportedKind::Enterprise);
        assert_eq!(kind_of("ai-proxy"), UnsupportedKind::BundledNotImplemented);
        assert_eq!(kind_of("pre-function"), UnsupportedKind::ServerlessLua);
        assert_eq!(kind_of("jwt-claims-headers"), UnsupportedKind::Custom);
        assert_eq!(kind_of("oidc"), UnsupportedKind::Custom);
        assert!(refusal("opa").contains("Kong Enterprise"));
        assert!(refusal("post-function").contains("serverless Lua"));
        assert!(refusal("kong-vault-proxy").contains("custom or third-party"));
    }
}
