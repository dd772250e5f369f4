//! Liveness, readiness, and refusing new work while draining.
//!
//! `/healthz` answers while the process runs; `/readyz` only while it takes
//! new connections, so a load balancer stops sending clients here once a
//! drain begins. While draining, a new connection (a raw WebSocket, a new
//! Engine.IO session) and a REST request get 503; the requests of Engine.IO
//! sessions already open go on, since their pushes still travel over them.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;

/// `GET /healthz`: alive, and how many sockets are open.
pub async fn healthz(State(app): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({ "ok": true, "connections": app.hub.len() }))
}

/// `GET /readyz`: 200 while new connections are taken, 503 while draining.
pub async fn readyz(State(app): State<AppState>) -> Response {
    if app.gate.is_open() {
        Json(json!({ "ok": true })).into_response()
    } else {
        draining()
    }
}

/// Lets every request through while the server is ready. While draining,
/// refuses what would start something new: a WebSocket, an Engine.IO
/// handshake, a REST call. A REST call admitted holds a permit of the
/// operation gate until it is answered, so a drain waits for it.
pub async fn refuse_new_work(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path.starts_with("/v1/") {
        let Some(_permit) = app.gate.enter() else {
            return draining();
        };
        return next.run(request).await;
    }
    let opens_a_connection =
        path == "/ws" || (path.starts_with("/socket.io") && !has_sid(request.uri().query()));
    if opens_a_connection && !app.gate.is_open() {
        return draining();
    }
    next.run(request).await
}

fn has_sid(query: Option<&str>) -> bool {
    query.is_some_and(|query| {
        form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "sid")
    })
}

/// The answer while draining: the envelope's shape, so clients read it as
/// they read any refusal, and a status that says "try elsewhere".
fn draining() -> Response {
    let body = json!({
        "ok": false,
        "error": { "code": "internal", "message": "ECB is draining; retry on another server" },
    });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}
