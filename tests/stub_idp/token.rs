//! The stub's token endpoint: client_credentials grant, client_secret_basic or _post, RS256 JWTs.

use std::sync::atomic::Ordering;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::http::{self, Request};
use super::{Shared, NORMAL_LIFETIME};

/// Which key signs the minted token.
pub(super) enum Signer {
    Normal,
    Stranger,
}

/// The full token response for `request`.
pub(super) fn answer(
    shared: &Shared,
    request: &Request,
    signer: Signer,
    lifetime: Option<u64>,
) -> Vec<u8> {
    if request.method != "POST" {
        return http::json(405, &serde_json::json!({"error": "invalid_request"}), true);
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(&request.body).into_owned().collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if field("grant_type").as_deref() != Some("client_credentials") {
        let body = serde_json::json!({"error": "unsupported_grant_type"});
        return http::json(400, &body, true);
    }
    let presented = basic_credentials(request).or_else(|| {
        let id = field("client_id")?;
        Some((id, field("client_secret")?))
    });
    let (client_id, key) = {
        let state = shared.state();
        let known = presented
            .as_ref()
            .is_some_and(|(id, secret)| state.clients.get(id) == Some(secret));
        let key = match signer {
            Signer::Normal => state.signer.clone(),
            Signer::Stranger => state.stranger.clone(),
        };
        match (known, presented) {
            (true, Some((id, _))) => (id, key),
            _ => {
                let body = serde_json::json!({
                    "error": "invalid_client",
                    "error_description": "Invalid client or Invalid client credentials",
                });
                return http::json(401, &body, true);
            }
        }
    };
    let n = shared.minted.fetch_add(1, Ordering::SeqCst) + 1;
    let now = crate::mint::unix_now();
    let (expires_in, exp_extra) = match lifetime {
        Some(secs) => (secs, 1),
        None => (NORMAL_LIFETIME, 0),
    };
    let mut claims =
        crate::mint::keycloak_claims(&shared.issuer(), &client_id, now, expires_in as i64);
    claims["exp"] = (now + expires_in as i64 + exp_extra).into();
    claims["jti"] = format!("stub-token-{n}").into();
    let body = serde_json::json!({
        "access_token": key.token(&claims),
        "expires_in": expires_in,
        "refresh_expires_in": 0,
        "token_type": "Bearer",
        "not-before-policy": 0,
        "scope": "openid email profile",
    });
    http::json(200, &body, true)
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))`, decoded.
fn basic_credentials(request: &Request) -> Option<(String, String)> {
    let value = request.header("authorization")?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id), form_decode(secret)))
}

fn form_decode(part: &str) -> String {
    form_urlencoded::parse(format!("x={part}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
