//! The handlers: read the body within the limit, find the caller, run the
//! engine, answer with the envelope and the code's status.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ecb_engine::protocol::envelope::{OpResult, envelope};
use ecb_engine::{EcbError, Reply};
use serde_json::Value;

use crate::RestState;

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

/// A request body read as the operation's payload: within the payload limit,
/// JSON, and `{}` when empty. Refusals are envelopes like every other answer.
pub struct Payload(Value);

impl FromRequest<RestState> for Payload {
    type Rejection = Response;

    async fn from_request(request: Request, app: &RestState) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(request, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let read = || -> Result<Value, EcbError> {
            app.engine.check_payload_size(body.len())?;
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(Value::Object(Default::default()));
            }
            serde_json::from_slice(&body)
                .map_err(|_| EcbError::bad_request("body is not valid JSON"))
        };
        read().map(Payload).map_err(|error| respond(&Err(error)))
    }
}

/// `POST /v1/{action}`.
pub async fn operation(
    State(app): State<RestState>,
    Path(action): Path<String>,
    headers: HeaderMap,
    Payload(payload): Payload,
) -> Response {
    let anonymous = ecb_engine::Action::parse(&action).map(|a| a.is_anonymous());
    let caller = match anonymous {
        Ok(false) => match app.engine.authenticate(bearer(&headers)) {
            Ok(caller) => Some(caller),
            Err(error) => return respond(&Err(error)),
        },
        // Unknown actions fall through so the engine names them.
        _ => None,
    };
    let Reply { result, pushes } = app.engine.execute(caller.as_ref(), &action, payload).await;
    app.deliver(pushes).await;
    respond(&result)
}

/// `POST /v1/server/publish`.
pub async fn publish(
    State(app): State<RestState>,
    headers: HeaderMap,
    Payload(payload): Payload,
) -> Response {
    let Reply { result, pushes } = app.engine.server_publish(bearer(&headers), payload).await;
    app.deliver(pushes).await;
    respond(&result)
}

/// `GET /v1/server/threads/{threadId}/presence`.
pub async fn presence(
    State(app): State<RestState>,
    Path(thread_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(
        &app.engine
            .server_presence(bearer(&headers), &thread_id)
            .await,
    )
}

/// `POST /v1/server/disconnectUser`.
pub async fn disconnect_user(
    State(app): State<RestState>,
    headers: HeaderMap,
    Payload(payload): Payload,
) -> Response {
    respond(
        &app.engine
            .server_disconnect_user(bearer(&headers), payload)
            .await,
    )
}

/// Anything else: `unknown_action`, in an envelope like every other answer.
pub async fn not_found() -> Response {
    respond(&Err(EcbError::new(
        ecb_engine::ErrorCode::UnknownAction,
        "no such endpoint",
    )))
}
