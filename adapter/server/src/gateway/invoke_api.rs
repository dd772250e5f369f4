//! Lambda's Invoke API as the functions call it, in front of `cargo lambda
//! watch`, which runs every invocation synchronously: an asynchronous one
//! (`X-Amz-Invocation-Type: Event`) is answered 202 at once and run in the
//! background, as Lambda's own queue does. `$connect` needs exactly that to
//! get a Socket.IO client's open packet posted after it has returned.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::Gateway;

pub(crate) async fn invoke(
    State(gateway): State<Gateway>,
    Path(function): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let event: Value = match serde_json::from_slice(&body) {
        Ok(event) => event,
        Err(_) => return (StatusCode::BAD_REQUEST, "invalid JSON payload").into_response(),
    };
    let asynchronous = headers
        .get("x-amz-invocation-type")
        .is_some_and(|kind| kind == "Event");
    if asynchronous {
        let tracked = gateway.tasks.token();
        tokio::spawn(async move {
            let _tracked = tracked;
            if let Err(error) = gateway.lambda.invoke(&function, &event).await {
                tracing::warn!(%error, "asynchronous invocation failed");
            }
        });
        return StatusCode::ACCEPTED.into_response();
    }
    match gateway.lambda.invoke(&function, &event).await {
        Ok(answer) => axum::Json(answer).into_response(),
        Err(error) => (StatusCode::BAD_GATEWAY, error).into_response(),
    }
}
