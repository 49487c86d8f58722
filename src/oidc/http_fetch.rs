//! Bounded HTTP exchanges with the IdP: every call has a deadline and a body size cap.

use std::time::Duration;

use super::idp_error::IdpError;

/// Largest IdP response body read (discovery, JWKS, token), in bytes.
pub const MAX_IDP_BODY: usize = 256 * 1024;

/// Sends `request` with `timeout` as the whole-exchange deadline and returns status and body.
pub async fn send_bounded(
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), IdpError> {
    match tokio::time::timeout(timeout, exchange(request.timeout(timeout))).await {
        Ok(result) => result,
        Err(_) => Err(IdpError::Timeout),
    }
}

async fn exchange(request: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), IdpError> {
    let mut response = request
        .send()
        .await
        .map_err(|e| IdpError::from_transport(&e))?;
    let status = response.status().as_u16();
    if response
        .content_length()
        .is_some_and(|len| len > MAX_IDP_BODY as u64)
    {
        return Err(IdpError::InvalidResponse("body too large"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| IdpError::from_transport(&e))?
    {
        if body.len() + chunk.len() > MAX_IDP_BODY {
            return Err(IdpError::InvalidResponse("body too large"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// GETs a JSON document (discovery or JWKS); any non-2xx status is a failure.
pub async fn get_document(
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
) -> Result<Vec<u8>, IdpError> {
    let request = client
        .get(url)
        .header(http::header::ACCEPT, "application/json");
    let (status, body) = send_bounded(request, timeout).await?;
    match status {
        200..=299 => Ok(body),
        500..=599 => Err(IdpError::ServerError { status }),
        _ => Err(IdpError::InvalidResponse("unexpected status")),
    }
}
