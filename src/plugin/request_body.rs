//! Reading a request body in the access phase so that it still reaches the upstream: the
//! bytes read are kept by Pingora's retry buffer (64 KiB) and replayed, or replaced by the
//! body a plugin puts in `RequestState::upstream_body`.

use bytes::Bytes;
use pingora_proxy::Session;

/// Largest body Pingora can replay after the access phase read it (its retry buffer).
pub const REPLAY_LIMIT: usize = 64 * 1024;

/// Why a body was not read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Longer than the limit (declared by `Content-Length`, or found while reading).
    TooLarge,
    /// The client's body could not be read (closed, malformed chunking, timeout).
    Unreadable,
}

/// The request's declared `Content-Length`, when it is a valid number.
pub fn declared_length(session: &Session) -> Option<u64> {
    session
        .req_header()
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
}

/// Reads the whole body, at most `limit` bytes (at most [`REPLAY_LIMIT`]), keeping it for
/// the upstream. A body declared longer than `limit` is not read at all.
pub async fn read_replayable(session: &mut Session, limit: usize) -> Result<Bytes, BodyError> {
    let limit = limit.min(REPLAY_LIMIT);
    if declared_length(session).is_some_and(|len| len > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    session.as_downstream_mut().enable_retry_buffering();
    let mut body = Vec::new();
    while let Some(chunk) = session
        .read_request_body()
        .await
        .map_err(|_| BodyError::Unreadable)?
    {
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            return Err(BodyError::TooLarge);
        }
    }
    Ok(Bytes::from(body))
}
