//! The API Gateway Management API (`POST|GET|DELETE /@connections/{id}`) over
//! this process's sockets. `ecb gateway` serves it for the Lambda functions'
//! pushes; `ecb serve` on a shared table serves it for pushes from the
//! functions and from other local servers. Like API Gateway, an unknown
//! connection is 410 Gone, which makes the pusher forget it. Every route
//! is behind `management_auth`: only a request signed with the shared
//! `ECB_MANAGEMENT_SECRET` reaches a handler.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use ecb_aws::ManagementKey;
use ecb_engine::PushEvent;
use serde_json::{Value, json};

use crate::management_auth::require_signature;
use crate::{LocalHub, Outbound, SharedPush};

/// The routes, at the root and under a stage (`/{stage}/@connections/{id}`),
/// as the SDK addresses an endpoint that ends with a stage, each answering
/// only requests signed with `key`.
pub fn router<S: Clone + Send + Sync + 'static>(
    hub: Arc<LocalHub>,
    key: ManagementKey,
) -> Router<S> {
    let connection = post(post_to_connection)
        .get(get_connection)
        .delete(delete_connection);
    Router::new()
        .route("/@connections/{connection_id}", connection.clone())
        .route("/{stage}/@connections/{connection_id}", connection)
        .route_layer(from_fn_with_state(key, require_signature))
        .with_state(hub)
}

fn gone() -> Response {
    (
        StatusCode::GONE,
        [(HeaderName::from_static("x-amzn-errortype"), "GoneException")],
        axum::Json(json!({ "message": "GoneException" })),
    )
        .into_response()
}

/// What a posted frame becomes: a push event when it is one (a Socket.IO
/// connection frames it its own way), else the text as it came.
fn outbound(body: &Bytes) -> Outbound {
    let text = String::from_utf8_lossy(body).into_owned();
    serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|frame| PushEvent::from_frame(&frame))
        .map(|event| Outbound::Push(SharedPush::new(Arc::new(event))))
        .unwrap_or(Outbound::Frame(text))
}

async fn post_to_connection(
    State(hub): State<Arc<LocalHub>>,
    Path(params): Path<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    let Some(connection_id) = connection_param(&params) else {
        return gone();
    };
    match hub.send(connection_id, outbound(&body)) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(_) => gone(),
    }
}

async fn get_connection(
    State(hub): State<Arc<LocalHub>>,
    Path(params): Path<Vec<(String, String)>>,
) -> Response {
    let Some(connected_at) = connection_param(&params).and_then(|id| hub.connected_at(id)) else {
        return gone();
    };
    let at = time::OffsetDateTime::from(connected_at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    axum::Json(json!({
        "connectedAt": at,
        "lastActiveAt": at,
        "identity": { "sourceIp": "127.0.0.1" },
    }))
    .into_response()
}

async fn delete_connection(
    State(hub): State<Arc<LocalHub>>,
    Path(params): Path<Vec<(String, String)>>,
) -> Response {
    match connection_param(&params).map(|id| hub.send(id, Outbound::Close)) {
        Some(Ok(())) => StatusCode::NO_CONTENT.into_response(),
        _ => gone(),
    }
}

fn connection_param(params: &[(String, String)]) -> Option<&str> {
    params
        .iter()
        .find(|(name, _)| name == "connection_id")
        .map(|(_, value)| value.as_str())
}
