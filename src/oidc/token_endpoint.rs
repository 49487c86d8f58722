//! The client_credentials grant at the token endpoint: request building, response reading.
//!
//! Client authentication is `client_secret_basic` (id and secret form-urlencoded before
//! they go into Basic, RFC 6749 section 2.3.1) or `client_secret_post`.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;

use super::http_fetch::send_bounded;
use super::idp_error::IdpError;
use super::secret::ClientCredentials;
use crate::config::openid_connect::TokenEndpointAuthMethod;

/// How the token request is formed.
pub struct GrantSettings<'a> {
    pub auth_method: TokenEndpointAuthMethod,
    pub scopes: &'a [String],
    pub timeout: Duration,
}

/// A successful token response.
#[derive(Debug)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct TokenResponseBody {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// The form body of the token request.
pub fn request_body(credentials: &ClientCredentials, settings: &GrantSettings<'_>) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "client_credentials");
    if !settings.scopes.is_empty() {
        form.append_pair("scope", &settings.scopes.join(" "));
    }
    if settings.auth_method == TokenEndpointAuthMethod::ClientSecretPost {
        form.append_pair("client_id", credentials.client_id());
        form.append_pair("client_secret", credentials.expose_secret());
    }
    form.finish()
}

/// `Basic base64(urlencode(id):urlencode(secret))`.
pub fn basic_authorization(credentials: &ClientCredentials) -> String {
    let id: String = form_urlencoded::byte_serialize(credentials.client_id().as_bytes()).collect();
    let secret: String =
        form_urlencoded::byte_serialize(credentials.expose_secret().as_bytes()).collect();
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

#[derive(Deserialize)]
struct ErrorResponseBody {
    #[serde(default)]
    error: Option<String>,
}

/// OAuth error codes (RFC 6749 section 5.2) that say the client's credentials are refused.
const CREDENTIAL_ERRORS: [&str; 3] = ["invalid_client", "unauthorized_client", "invalid_grant"];

/// Whether a 4xx answer refuses the credentials (401, or 400 with a credential error code),
/// rather than telling of an IdP or configuration problem (429, 404, `invalid_scope`, ...).
fn refuses_credentials(status: u16, body: &[u8]) -> bool {
    let error = serde_json::from_slice::<ErrorResponseBody>(body)
        .ok()
        .and_then(|b| b.error);
    match status {
        401 => true,
        400 | 403 => error.is_some_and(|e| CREDENTIAL_ERRORS.contains(&e.as_str())),
        _ => false,
    }
}

/// Reads the token endpoint's answer.
pub fn read_response(status: u16, body: &[u8]) -> Result<TokenResponse, IdpError> {
    match status {
        200..=299 => {}
        400..=499 if refuses_credentials(status, body) => {
            return Err(IdpError::Rejected { status })
        }
        400..=499 => return Err(IdpError::UnexpectedStatus { status }),
        500..=599 => return Err(IdpError::ServerError { status }),
        _ => return Err(IdpError::InvalidResponse("unexpected status")),
    }
    let parsed: TokenResponseBody = serde_json::from_slice(body)
        .map_err(|_| IdpError::InvalidResponse("not a token response"))?;
    if parsed.access_token.is_empty() {
        return Err(IdpError::InvalidResponse("empty access_token"));
    }
    if parsed
        .token_type
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
    {
        return Err(IdpError::InvalidResponse("token_type is not Bearer"));
    }
    let expires_in = match parsed.expires_in {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    Ok(TokenResponse {
        access_token: parsed.access_token,
        expires_in,
    })
}

/// Performs the grant.
pub async fn request_token(
    client: &reqwest::Client,
    endpoint: &str,
    credentials: &ClientCredentials,
    settings: &GrantSettings<'_>,
) -> Result<TokenResponse, IdpError> {
    let mut request = client
        .post(endpoint)
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(http::header::ACCEPT, "application/json")
        .body(request_body(credentials, settings));
    if settings.auth_method != TokenEndpointAuthMethod::ClientSecretPost {
        request = request.header(
            http::header::AUTHORIZATION,
            basic_authorization(credentials),
        );
    }
    let (status, body) = send_bounded(request, settings.timeout).await?;
    read_response(status, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> ClientCredentials {
        ClientCredentials::new("my id", "s3cr:et+/=%&")
    }

    #[test]
    fn basic_header_urlencodes_both_parts() {
        let header = basic_authorization(&creds());
        let decoded = STANDARD
            .decode(header.trim_start_matches("Basic "))
            .unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            "my+id:s3cr%3Aet%2B%2F%3D%25%26"
        );
    }

    #[test]
    fn post_auth_puts_credentials_in_the_body() {
        let scopes = vec!["openid".to_owned(), "email".to_owned()];
        let mut settings = GrantSettings {
            auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
            scopes: &scopes,
            timeout: Duration::from_secs(1),
        };
        assert_eq!(
            request_body(&creds(), &settings),
            "grant_type=client_credentials&scope=openid+email"
        );
        settings.auth_method = TokenEndpointAuthMethod::ClientSecretPost;
        assert!(request_body(&creds(), &settings)
            .ends_with("&client_id=my+id&client_secret=s3cr%3Aet%2B%2F%3D%25%26"));
    }

    #[test]
    fn responses_are_classified() {
        assert_eq!(
            read_response(401, b"{}").unwrap_err(),
            IdpError::Rejected { status: 401 }
        );
        assert_eq!(
            read_response(400, br#"{"error":"invalid_client"}"#).unwrap_err(),
            IdpError::Rejected { status: 400 }
        );
        for (status, body) in [
            (400, &br#"{"error":"invalid_scope"}"#[..]),
            (429, b"slow down"),
            (404, b""),
        ] {
            assert_eq!(
                read_response(status, body).unwrap_err(),
                IdpError::UnexpectedStatus { status }
            );
        }
        assert_eq!(
            read_response(503, b"").unwrap_err(),
            IdpError::ServerError { status: 503 }
        );
        assert!(matches!(
            read_response(200, b"<html>"),
            Err(IdpError::InvalidResponse(_))
        ));
        let ok = read_response(
            200,
            br#"{"access_token":"a.b.c","token_type":"bearer","expires_in":"60"}"#,
        )
        .unwrap();
        assert_eq!(ok.expires_in, Some(60));
    }
}
