//! Kong's `set_consumer` of the authentication plugins: records who authenticated the request
//! and sets (or clears, so a client cannot forge them) the `X-Consumer-*`,
//! `X-Credential-Identifier` and `X-Anonymous-Consumer` headers of the proxied request.

use std::sync::Arc;

use pingora::http::RequestHeader;

use super::api::{Access, RequestState};
use crate::config::compiled::Consumer;
use crate::respond::ErrorResponse;

pub const CONSUMER_ID: &str = "x-consumer-id";
pub const CONSUMER_CUSTOM_ID: &str = "x-consumer-custom-id";
pub const CONSUMER_USERNAME: &str = "x-consumer-username";
pub const CREDENTIAL_IDENTIFIER: &str = "x-credential-identifier";
pub const ANONYMOUS: &str = "x-anonymous-consumer";
pub const CONSUMER_GROUPS: &str = "x-consumer-groups";

/// Every header an authentication plugin owns.
pub const ALL: [&str; 5] = [
    CONSUMER_ID,
    CONSUMER_CUSTOM_ID,
    CONSUMER_USERNAME,
    CREDENTIAL_IDENTIFIER,
    ANONYMOUS,
];

/// Authenticates the request as `consumer` with `credential` (its identifier), or as the
/// anonymous consumer when `credential` is `None`.
pub fn set_consumer(
    state: &mut RequestState,
    request: &mut RequestHeader,
    consumer: Option<Arc<Consumer>>,
    credential: Option<String>,
) {
    for name in ALL {
        request.remove_header(name);
    }
    if let Some(consumer) = &consumer {
        insert(request, CONSUMER_ID, &consumer.id);
        if let Some(custom_id) = &consumer.custom_id {
            insert(request, CONSUMER_CUSTOM_ID, custom_id);
        }
        if let Some(username) = &consumer.username {
            insert(request, CONSUMER_USERNAME, username);
        }
    }
    match &credential {
        Some(identifier) => insert(request, CREDENTIAL_IDENTIFIER, identifier),
        None => insert(request, ANONYMOUS, "true"),
    }
    state.consumer = consumer;
    state.credential = credential;
}

/// Authenticates the request with a credential of the consumer at `consumer` (an index into
/// `Consumers::list`) whose identifier is `identifier`. The compiler links every credential to
/// a consumer, so a missing one is a 500 (logged with `plugin`'s name), never a pass.
pub fn authenticate_credential(
    access: &mut Access<'_>,
    plugin: &str,
    consumer: usize,
    identifier: String,
) -> Result<(), ErrorResponse> {
    let Some(found) = access.config.consumers.list.get(consumer).cloned() else {
        log::error!("{plugin}: a credential has no consumer");
        return Err(ErrorResponse::internal());
    };
    set_consumer(
        access.state,
        access.session.req_header_mut(),
        Some(found),
        Some(identifier),
    );
    Ok(())
}

/// Sets a header whose value came from the config or a credential; a value that is not a
/// valid header value (it was checked at load) is left out rather than failing the request.
pub fn insert(request: &mut RequestHeader, name: &'static str, value: &str) {
    if let Ok(value) = http::HeaderValue::from_str(value) {
        let _ = request.insert_header(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consumer() -> Arc<Consumer> {
        Arc::new(Consumer {
            id: "c-1".into(),
            username: Some("alice".into()),
            custom_id: None,
            groups: Vec::new(),
            acls: Vec::new(),
        })
    }

    #[test]
    fn forged_headers_are_replaced_and_anonymous_marked() {
        let mut request = RequestHeader::build("GET", b"/", None).unwrap();
        request.insert_header(CONSUMER_CUSTOM_ID, "forged").unwrap();
        request.insert_header(ANONYMOUS, "forged").unwrap();
        let mut state = RequestState::default();
        set_consumer(
            &mut state,
            &mut request,
            Some(consumer()),
            Some("k-1".into()),
        );
        assert_eq!(request.headers[CONSUMER_ID], "c-1");
        assert_eq!(request.headers[CONSUMER_USERNAME], "alice");
        assert_eq!(request.headers[CREDENTIAL_IDENTIFIER], "k-1");
        assert!(request.headers.get(CONSUMER_CUSTOM_ID).is_none());
        assert!(request.headers.get(ANONYMOUS).is_none());
        assert!(state.is_authenticated());

        set_consumer(&mut state, &mut request, Some(consumer()), None);
        assert_eq!(request.headers[ANONYMOUS], "true");
        assert!(request.headers.get(CREDENTIAL_IDENTIFIER).is_none());
        assert!(!state.is_authenticated());
    }
}
