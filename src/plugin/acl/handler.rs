//! acl's access phase: collects the request's groups from the state the authentication
//! plugins left, decides, and sets (or, with `hide_groups_header`, removes) the groups header.

use super::config::AclConfig;
use super::groups::{self, Refusal, Subject, AUTHENTICATED_GROUPS, CONSUMER_GROUPS};
use crate::plugin::api::Access;
use crate::plugin::consumer_headers::insert;
use crate::respond::ErrorResponse;

pub fn access(conf: &AclConfig, access: &mut Access<'_>) -> Result<(), ErrorResponse> {
    let consumer = access.state.consumer.clone();
    let consumer_groups: Option<Vec<&str>> = consumer.as_deref().map(|consumer| {
        let mut names: Vec<&str> = consumer.acls.iter().map(String::as_str).collect();
        if conf.include_consumer_groups {
            for group in consumer
                .groups
                .iter()
                .filter_map(|i| access.config.consumer_groups.get(*i))
            {
                if !names.contains(&group.name.as_str()) {
                    names.push(&group.name);
                }
            }
        }
        names
    });
    let subject = Subject {
        consumer_groups: consumer_groups.as_deref(),
        authenticated: access.state.is_authenticated(),
        authenticated_groups: access.state.authenticated_groups.as_deref(),
    };
    let decision = groups::decide(&conf.rules, subject);
    let request = access.session.req_header_mut();
    // A client's own copies never reach the upstream (Kong leaves them when the header is
    // hidden).
    request.remove_header(CONSUMER_GROUPS);
    request.remove_header(AUTHENTICATED_GROUPS);
    match decision {
        Ok(Some((name, value))) => {
            insert(request, name, &value);
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(Refusal::Unauthorized) => Err(ErrorResponse::with_status(401, "Unauthorized")),
        Err(Refusal::Forbidden) => {
            log::info!("acl: the request's groups are not allowed here");
            Err(ErrorResponse::forbidden("You cannot consume this service"))
        }
    }
}
