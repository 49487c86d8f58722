//! The status listener's HTTP application: `GET /status`, `/status/ready` and `/metrics`.

use std::sync::Arc;

use async_trait::async_trait;
use http::{Method, Response, StatusCode};
use pingora::apps::http_app::ServeHttp;
use pingora::protocols::http::ServerSession;

use crate::snapshot::SnapshotStore;

/// Serves the status endpoints from the snapshot store and the process's counters.
pub struct StatusApp {
    store: Arc<SnapshotStore>,
}

impl StatusApp {
    pub fn new(store: Arc<SnapshotStore>) -> Self {
        Self { store }
    }
}

const JSON: &str = "application/json; charset=utf-8";
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";

fn reply(status: u16, content_type: &str, body: Vec<u8>) -> Response<Vec<u8>> {
    let length = body.len();
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    if let Ok(value) = content_type.parse() {
        headers.insert(http::header::CONTENT_TYPE, value);
    }
    headers.insert(
        http::header::CONTENT_LENGTH,
        http::HeaderValue::from(length),
    );
    if let Ok(value) = crate::SERVER_NAME.parse() {
        headers.insert(http::header::SERVER, value);
    }
    response
}

fn json_reply(status: u16, body: &serde_json::Value) -> Response<Vec<u8>> {
    reply(status, JSON, body.to_string().into_bytes())
}

#[async_trait]
impl ServeHttp for StatusApp {
    async fn response(&self, session: &mut ServerSession) -> Response<Vec<u8>> {
        let request = session.req_header();
        let head = request.method == Method::HEAD;
        if request.method != Method::GET && !head {
            return json_reply(405, &serde_json::json!({ "message": "Method not allowed" }));
        }
        let mut response = match request.uri.path() {
            "/status" => json_reply(200, &super::status_page::status_document(&self.store)),
            "/status/ready" => {
                let (status, body) = super::status_page::ready_response(&self.store);
                json_reply(status, &body)
            }
            "/metrics" => reply(
                200,
                EXPOSITION,
                super::render::render(&self.store).into_bytes(),
            ),
            _ => json_reply(404, &serde_json::json!({ "message": "Not found" })),
        };
        if head {
            response.body_mut().clear();
        }
        response
    }
}
