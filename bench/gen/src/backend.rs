//! The bench backend: the customer's backend reduced to what the scenarios
//! need, as cheap as possible so that it never decides a figure. It answers
//! `getThread` and `addThreadMessage` with a valid threadAndMessages at once
//! (the thread's threadToken is the one the request carried: already signed
//! by the backend's key, so nothing is signed per call), `getThreads` with an
//! empty list and `getUserToken` with nothing (unused). It stores nothing and
//! so ignores `Idempotency-Key` (the scenarios never repeat a key).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

#[derive(Default)]
struct Counters {
    next_message: AtomicU64,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn thread_of(body: &Value) -> Value {
    json!({
        "threadId": body.get("threadId").cloned().unwrap_or(Value::Null),
        "threadToken": body.get("threadToken").cloned().unwrap_or(Value::Null),
    })
}

async fn operation(
    State(counters): State<Arc<Counters>>,
    Path(operation): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    match operation.as_str() {
        "getThread" => Json(json!({ "thread": thread_of(&body), "messages": [] })).into_response(),
        "addThreadMessage" => {
            let id = counters.next_message.fetch_add(1, Ordering::Relaxed);
            let message = body.get("message").cloned().unwrap_or(Value::Null);
            let stored = json!({
                "messageId": format!("m{id}"),
                "threadId": body.get("threadId").cloned().unwrap_or(Value::Null),
                "senderId": body.pointer("/user/userId").cloned().unwrap_or(Value::Null),
                "clientMessageId": message.get("clientMessageId").cloned().unwrap_or(Value::Null),
                "type": message.get("type").cloned().unwrap_or(Value::Null),
                "data": message.get("data").cloned().unwrap_or(Value::Null),
                "createdAt": now_ms(),
            });
            Json(json!({ "thread": thread_of(&body), "messages": [stored] })).into_response()
        }
        "getThreads" | "getContacts" => Json(json!([])).into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": { "code": "unknown", "message": "not in the bench backend" } })),
        )
            .into_response(),
    }
}

/// The backend's routes.
pub fn router() -> Router {
    Router::new()
        .route("/{operation}", post(operation))
        .with_state(Arc::new(Counters::default()))
}

/// Serves on `listener` (Nagle off, as ECB's server does) until the task ends.
pub async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router()).await
}

/// Binds `addr` and serves in the background; returns the bound address.
pub async fn spawn(addr: &str) -> std::io::Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(serve(listener));
    Ok(bound)
}
