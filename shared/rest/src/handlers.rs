//! The handlers: hand the engine the action, the bearer and the body, and
//! answer with the envelope and the code's status. What an action needs,
//! and whether a body is too large or malformed, the engine decides.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ecb_engine::protocol::envelope::{OpResult, envelope};
use ecb_engine::{Action, Credentials, EcbError, Payload, Reply, Request};
use serde_json::json;

use crate::RestState;
use crate::body;

/// The envelope as an HTTP response.
pub fn envelope_response(status: StatusCode, result: &OpResult) -> Response {
    (status, Json(envelope(result))).into_response()
}

fn respond(result: &OpResult) -> Response {
    let status = match result {
        Ok(_) => StatusCode::OK,
        Err(error) => {
            StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
    };
    envelope_response(status, result)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Runs one request with the bearer as its credentials: the engine decides
/// what the action needs (a userToken, a serverToken, or nothing), checks the
/// body's size and reads it.
async fn run(app: &RestState, headers: &HeaderMap, action: &str, payload: Payload<'_>) -> Response {
    let request = Request { action, payload };
    let Reply { result, pushes, .. } = app
        .engine
        .execute(Credentials::Bearer(bearer(headers)), request)
        .await;
    app.deliver(pushes).await;
    respond(&result)
}

/// Runs a request whose payload is its body, read no further than needed.
async fn run_body(app: &RestState, headers: &HeaderMap, action: &str, body: Body) -> Response {
    let read = body::read(headers, body, app.engine.max_body()).await;
    match read.payload() {
        Some(payload) => run(app, headers, action, payload).await,
        None => respond(&Err(EcbError::bad_request("the body could not be read"))),
    }
}

/// `POST /v1/{action}`.
pub async fn operation(
    State(app): State<RestState>,
    Path(action): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    run_body(&app, &headers, &action, body).await
}

/// `POST /v1/server/publish`.
pub async fn publish(State(app): State<RestState>, headers: HeaderMap, body: Body) -> Response {
    run_body(&app, &headers, Action::ServerPublish.as_str(), body).await
}

/// `GET /v1/server/threads/{threadId}/presence`.
pub async fn presence(
    State(app): State<RestState>,
    Path(thread_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let body = serde_json::to_vec(&json!({ "threadId": thread_id })).unwrap_or_default();
    run(
        &app,
        &headers,
        Action::ServerPresence.as_str(),
        Payload::Body(&body),
    )
    .await
}

/// `POST /v1/server/disconnectUser`.
pub async fn disconnect_user(
    State(app): State<RestState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    run_body(&app, &headers, Action::ServerDisconnectUser.as_str(), body).await
}

/// Anything else: `unknown_action`, in an envelope like every other answer.
pub async fn not_found() -> Response {
    respond(&Err(EcbError::new(
        ecb_engine::ErrorCode::UnknownAction,
        "no such endpoint",
    )))
}
