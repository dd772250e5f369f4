//! The backend API's routes.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::state::{DemoState, RecordedCall, StoredThread};

/// How many recent messages getThread returns.
const THREAD_HISTORY: usize = 50;

type Shared = Arc<DemoState>;

pub(crate) fn router(state: Shared, ecb_url: crate::page::EcbUrl) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/{operation}", post(dispatch))
        .with_state(state)
        .merge(crate::page::router(ecb_url))
}

/// A refusal in the backend API's error shape, `{error: {code, message}}`.
struct Rejection {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}

fn reject(status: StatusCode, code: &'static str, message: &str) -> Rejection {
    Rejection {
        status,
        code,
        message: message.to_owned(),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks the Standard Webhooks headers against the body.
fn signed(state: &DemoState, headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(secret) = &state.webhook_secret else {
        return false;
    };
    let (Some(id), Some(timestamp), Some(signature)) = (
        header(headers, "webhook-id"),
        header(headers, "webhook-timestamp").and_then(|t| t.parse::<u64>().ok()),
        header(headers, "webhook-signature"),
    ) else {
        return false;
    };
    let now = jsonwebtoken::get_current_timestamp();
    now.abs_diff(timestamp) <= 300 && webhook::verify(secret, id, timestamp, body, signature)
}

/// Standard Webhooks verification, written out so the demo does not lean on
/// ECB's own signer to check ECB.
mod webhook {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    pub(crate) fn verify(key: &[u8], id: &str, timestamp: u64, body: &[u8], header: &str) -> bool {
        header.split_whitespace().any(|candidate| {
            let Some(encoded) = candidate.strip_prefix("v1,") else {
                return false;
            };
            let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
                return false;
            };
            let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key size");
            mac.update(format!("{id}.{timestamp}.").as_bytes());
            mac.update(body);
            mac.verify_slice(&expected).is_ok()
        })
    }
}

async fn dispatch(
    State(state): State<Shared>,
    Path(operation): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_signed = signed(&state, &headers, &body);
    let idempotency_key = header(&headers, "idempotency-key").map(str::to_owned);
    state.tables().calls.push(RecordedCall {
        operation: operation.clone(),
        idempotency_key: idempotency_key.clone(),
        signed: is_signed,
    });
    if state.webhook_secret.is_some() && !is_signed {
        return reject(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "webhook signature missing or invalid",
        )
        .into_response();
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        return reject(StatusCode::BAD_REQUEST, "bad_json", "body is not JSON").into_response();
    };
    if operation == "getUserToken" {
        return get_user_token(&state, &payload);
    }
    if operation == "notifyUndelivered" {
        // ECB's own call, about no user: it carries no userToken. A real
        // backend sends mobile pushes or emails here.
        state.tables().undelivered.push(payload);
        return Json(json!({})).into_response();
    }
    let bearer = header(&headers, "authorization").and_then(|v| v.strip_prefix("Bearer "));
    let Some(claims) = bearer.and_then(|t| state.keys.verify_user(t)) else {
        return reject(
            StatusCode::UNAUTHORIZED,
            "bad_token",
            "bearer userToken missing or invalid",
        )
        .into_response();
    };
    let user_id = claims.user_id;
    match operation.as_str() {
        "getContacts" => Json(contacts(&state, &user_id)).into_response(),
        "getThreads" => Json(threads(&state, &user_id)).into_response(),
        "createThread" => idempotent(&state, &user_id, idempotency_key, || {
            create_thread(&state, &user_id, &payload)
        }),
        "getThread" => get_thread(&state, &user_id, &payload),
        "addThreadMessage" => idempotent(&state, &user_id, idempotency_key, || {
            add_message(&state, &user_id, &payload)
        }),
        "getThreadMessages" => respond(thread_messages(&state, &user_id, &payload)),
        "markRead" => respond(mark_read(&state, &user_id, &payload)),
        _ => reject(
            StatusCode::NOT_FOUND,
            "unknown_operation",
            "no such operation",
        )
        .into_response(),
    }
}

fn get_user_token(state: &DemoState, payload: &Value) -> Response {
    // Demo rule: the accessToken is the user id. A real backend checks its session.
    let access_token = payload["accessToken"].as_str().unwrap_or_default();
    match state.user_token(access_token) {
        Some(token) => Json(json!({ "userToken": token })).into_response(),
        None => reject(
            StatusCode::UNAUTHORIZED,
            "bad_access_token",
            "unknown accessToken",
        )
        .into_response(),
    }
}

fn contacts(state: &DemoState, user_id: &str) -> Value {
    state
        .users
        .iter()
        .filter(|u| u.user_id != user_id)
        .map(DemoState::user_model)
        .collect()
}

fn threads(state: &DemoState, user_id: &str) -> Value {
    let mine: Vec<StoredThread> = state
        .tables()
        .threads
        .values()
        .filter(|t| t.member_ids.iter().any(|m| m == user_id))
        .cloned()
        .collect();
    mine.iter().map(|t| state.thread_model(t)).collect()
}

/// Runs a storing operation once per (user, Idempotency-Key).
fn idempotent(
    state: &DemoState,
    user_id: &str,
    key: Option<String>,
    store: impl FnOnce() -> Result<Value, Rejection>,
) -> Response {
    let slot = key.map(|k| (user_id.to_owned(), k));
    if let Some(slot) = &slot
        && let Some(first) = state.tables().idempotent.get(slot)
    {
        return Json(first.clone()).into_response();
    }
    match store() {
        Ok(answer) => {
            if let Some(slot) = slot {
                state.tables().idempotent.insert(slot, answer.clone());
            }
            Json(answer).into_response()
        }
        Err(rejection) => rejection.into_response(),
    }
}

fn new_message(state: &DemoState, thread_id: &str, sender_id: &str, message: &Value) -> Value {
    let number = {
        let mut tables = state.tables();
        tables.next_message += 1;
        tables.next_message
    };
    let mut stored = json!({
        "messageId": format!("m{number}"),
        "threadId": thread_id,
        "senderId": sender_id,
        "type": message["type"].as_str().unwrap_or("text"),
        "data": message["data"].clone(),
        "createdAt": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
    });
    if let Some(id) = message["clientMessageId"].as_str() {
        stored["clientMessageId"] = json!(id);
    }
    stored
}

fn create_thread(state: &DemoState, user_id: &str, payload: &Value) -> Result<Value, Rejection> {
    let mut member_ids: Vec<String> = payload["memberIds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect();
    if !member_ids.iter().any(|m| m == user_id) {
        member_ids.insert(0, user_id.to_owned());
    }
    if let Some(unknown) = member_ids.iter().find(|m| state.user(m).is_none()) {
        return Err(reject(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_user",
            &format!("no user {unknown}"),
        ));
    }
    let thread_id = {
        let mut tables = state.tables();
        tables.next_thread += 1;
        format!("t{}", tables.next_thread)
    };
    let message = new_message(state, &thread_id, user_id, &payload["message"]);
    let thread = StoredThread {
        thread_id: thread_id.clone(),
        member_ids,
        data: payload.get("data").cloned().unwrap_or(Value::Null),
        messages: vec![message.clone()],
    };
    let model = state.thread_model(&thread);
    state.tables().threads.insert(thread_id, thread);
    Ok(json!({ "thread": model, "messages": [message] }))
}

fn member_thread(
    state: &DemoState,
    user_id: &str,
    payload: &Value,
) -> Result<StoredThread, Rejection> {
    let thread_id = payload["threadId"].as_str().unwrap_or_default();
    let thread = state
        .tables()
        .threads
        .get(thread_id)
        .cloned()
        .ok_or_else(|| reject(StatusCode::NOT_FOUND, "not_found", "no such thread"))?;
    if !thread.member_ids.iter().any(|m| m == user_id) {
        return Err(reject(
            StatusCode::FORBIDDEN,
            "not_a_member",
            "not a member of this thread",
        ));
    }
    Ok(thread)
}

fn get_thread(state: &DemoState, user_id: &str, payload: &Value) -> Response {
    match member_thread(state, user_id, payload) {
        Ok(thread) => {
            let skip = thread.messages.len().saturating_sub(THREAD_HISTORY);
            let messages: Vec<Value> = thread.messages[skip..].to_vec();
            Json(json!({ "thread": state.thread_model(&thread), "messages": messages }))
                .into_response()
        }
        Err(rejection) => rejection.into_response(),
    }
}

fn respond(answer: Result<Value, Rejection>) -> Response {
    match answer {
        Ok(answer) => Json(answer).into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

/// Where a messageId sits in a thread; a messageId the thread does not hold
/// is the contract's `unknown_message`.
fn position_of(thread: &StoredThread, message_id: &str) -> Result<usize, Rejection> {
    thread
        .messages
        .iter()
        .position(|m| m["messageId"] == message_id)
        .ok_or_else(|| {
            reject(
                StatusCode::NOT_FOUND,
                "unknown_message",
                &format!("no message {message_id} in this thread"),
            )
        })
}

/// A page of history, oldest first: after a messageId (recovery), before
/// one (loading older), or the newest.
fn thread_messages(state: &DemoState, user_id: &str, payload: &Value) -> Result<Value, Rejection> {
    let thread = member_thread(state, user_id, payload)?;
    let size = payload["pageSize"].as_u64().unwrap_or(50).max(1) as usize;
    let all = &thread.messages;
    let (start, end) = if let Some(after) = payload["after"].as_str() {
        let from = position_of(&thread, after)? + 1;
        (from, (from + size).min(all.len()))
    } else if let Some(before) = payload["before"].as_str() {
        let to = position_of(&thread, before)?;
        (to.saturating_sub(size), to)
    } else {
        (all.len().saturating_sub(size), all.len())
    };
    let has_more = if payload["after"].is_string() {
        end < all.len()
    } else {
        start > 0
    };
    Ok(json!({ "messages": all[start..end].to_vec(), "hasMore": has_more }))
}

fn mark_read(state: &DemoState, user_id: &str, payload: &Value) -> Result<Value, Rejection> {
    let thread = member_thread(state, user_id, payload)?;
    let message_id = payload["messageId"].as_str().unwrap_or_default();
    position_of(&thread, message_id)?;
    state.tables().reads.insert(
        (thread.thread_id.clone(), user_id.to_owned()),
        message_id.to_owned(),
    );
    Ok(json!({}))
}

fn add_message(state: &DemoState, user_id: &str, payload: &Value) -> Result<Value, Rejection> {
    let thread = member_thread(state, user_id, payload)?;
    let message = new_message(state, &thread.thread_id, user_id, &payload["message"]);
    if let Some(stored) = state.tables().threads.get_mut(&thread.thread_id) {
        stored.messages.push(message.clone());
    }
    Ok(json!({ "thread": state.thread_model(&thread), "messages": [message] }))
}
