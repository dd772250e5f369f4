//! The HTTP side of the gateway: every other request goes to the `api`
//! function as an HTTP API event, and its answer comes back as the response.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::Value;

use super::Gateway;
use super::events::{self, HttpRequest};

pub(crate) async fn forward(
    State(gateway): State<Gateway>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let event = events::http_api(&HttpRequest {
        method: &method,
        path: uri.path(),
        raw_query: uri.query().unwrap_or_default(),
        headers: &headers,
        body: &body,
        domain_name: host,
        source_ip: &peer.ip().to_string(),
    });
    match gateway
        .lambda
        .invoke(&gateway.config.api_function, &event)
        .await
    {
        Ok(answer) => response(&answer),
        Err(error) => {
            tracing::warn!(%error, "api function failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "{\"message\":\"Internal Server Error\"}",
            )
                .into_response()
        }
    }
}

/// An HTTP API function's answer (`{statusCode, headers, body, isBase64Encoded}`) as a response.
fn response(answer: &Value) -> Response {
    let status = answer
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::OK);
    let text = answer
        .get("body")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let body = if answer.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap_or_default()
    } else {
        text.as_bytes().to_vec()
    };
    let mut response = (status, body).into_response();
    if let Some(headers) = answer.get("headers").and_then(Value::as_object) {
        for (name, value) in headers {
            if let (Ok(name), Some(Ok(value))) = (
                HeaderName::try_from(name.as_str()),
                value.as_str().map(HeaderValue::from_str),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
    }
    response
}
