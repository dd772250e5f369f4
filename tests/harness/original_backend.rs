//! A customer backend in another style than the demo's: the original ECB's
//! field names (`fromUserId`, `creationTime` in epoch seconds, `members:
//! [{userId}]`, `lastMessageTime`), ISO 8601 date strings, `null`s, nested
//! extras, keys in an unusual order, no `threadId` on its messages, and a
//! contact list it pages itself.
//!
//! It records the exact JSON text of every answer, so a test can check that
//! what a client receives is, byte for byte, what the backend sent.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ecb_demo_backend::DemoKeys;
use serde_json::{Value, json};

/// One answer the backend gave: the operation and the exact body text.
#[derive(Debug, Clone)]
pub struct Answer {
    pub operation: String,
    pub body: String,
}

#[derive(Default)]
struct Books {
    threads: Vec<StoredThread>,
    next_id: u64,
    /// Idempotency-Key → the stored message's answer text.
    replays: HashMap<String, String>,
    answers: Vec<Answer>,
}

struct StoredThread {
    id: String,
    members: Vec<String>,
    topic: Value,
    /// Each message exactly as it was stored.
    messages: Vec<Value>,
}

#[derive(Clone)]
struct Shared {
    keys: Arc<DemoKeys>,
    books: Arc<Mutex<Books>>,
}

/// The running backend.
pub struct OriginalBackend {
    pub addr: SocketAddr,
    shared: Shared,
}

/// A date as this backend writes it: an ISO 8601 string.
fn iso_date(n: u64) -> String {
    format!(
        "2026-12-02T17:{:02}:{:02}.{:03}Z",
        n / 60 % 60,
        n % 60,
        n % 1000
    )
}

impl OriginalBackend {
    /// Serves on a free loopback port, signing with the demo key ECB trusts.
    pub async fn start() -> Self {
        let shared = Shared {
            keys: Arc::new(DemoKeys::demo()),
            books: Arc::default(),
        };
        let app = Router::new()
            .route("/{operation}", axum::routing::post(operation))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, shared }
    }

    /// The base URL ECB is configured with.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A userToken, signed as this backend signs them.
    pub fn user_token(&self, user_id: &str) -> String {
        self.shared.user_token(&json!(user_id))
    }

    /// Every answer given so far, oldest first.
    pub fn answers(&self) -> Vec<Answer> {
        self.shared.books.lock().unwrap().answers.clone()
    }

    /// The exact text of the latest answer to `operation`.
    pub fn last_answer(&self, operation: &str) -> String {
        self.answers()
            .into_iter()
            .rev()
            .find(|a| a.operation == operation)
            .unwrap_or_else(|| panic!("the backend never answered {operation}"))
            .body
    }

    /// The exact text of the message in the latest addThreadMessage answer.
    pub fn last_stored_message(&self) -> String {
        let answer: Value = serde_json::from_str(&self.last_answer("addThreadMessage")).unwrap();
        answer["messages"][0].to_string()
    }
}

impl Shared {
    fn thread_json(&self, thread: &StoredThread) -> Value {
        json!({
            "threadToken": self.keys.thread_token(&thread.id, &thread.members),
            "threadId": thread.id,
            "members": thread.members.iter().map(|m| json!({"userId": m, "role": null})).collect::<Vec<_>>(),
            "lastMessageTime": thread.messages.last().map(|m| m["createdAt"].clone()),
            "topic": thread.topic,
            "muted": null,
        })
    }

    fn store_message(
        &self,
        books: &mut Books,
        thread: usize,
        user_id: &str,
        sent: &Value,
    ) -> Value {
        books.next_id += 1;
        let n = books.next_id;
        let message = json!({
            "messageId": format!("om-{n}"),
            "fromUserId": user_id,
            "creationTime": 1_764_694_000 + n,
            "createdAt": iso_date(n),
            "type": sent["type"],
            "data": sent["data"],
            "clientMessageId": sent.get("clientMessageId").cloned().unwrap_or(Value::Null),
            "attachments": [],
            "meta": {"client": {"agent": null, "nested": {"depth": [1, 0.1, -7, u64::MAX, "h\u{e9}llo \"\u{2713}\""]}}},
        });
        books.threads[thread].messages.push(message.clone());
        message
    }
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

async fn operation(
    State(shared): State<Shared>,
    Path(operation): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let user_id = body["user"]["userId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let idempotency_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|key| format!("{user_id}/{key}"));
    let mut books = shared.books.lock().unwrap();
    let find = |books: &Books| {
        let id = body["threadId"].as_str().unwrap_or_default();
        books.threads.iter().position(|t| t.id == id)
    };
    let answer = match operation.as_str() {
        "getUserToken" => json!({"userToken": shared.user_token(&body["accessToken"])}),
        "getContacts" => {
            let start = body["pageStartIndex"].as_u64().unwrap_or(0);
            json!({
                "items": [
                    {"userId": "bob", "displayName": null, "profile": {"title": "Engineer", "avatar": null}},
                    {"userId": "carol", "displayName": "Carol", "lastSeen": iso_date(7)},
                ],
                "pageStartIndex": start,
                "pageSize": body["pageSize"],
                "previousPage": null,
                "nextPage": null,
                "totalCount": 2,
            })
        }
        "getThreads" => Value::Array(
            books
                .threads
                .iter()
                .filter(|t| t.members.contains(&user_id))
                .map(|t| shared.thread_json(t))
                .collect(),
        ),
        "createThread" => {
            let mut members: Vec<String> =
                serde_json::from_value(body["memberIds"].clone()).unwrap_or_default();
            if !members.contains(&user_id) {
                members.insert(0, user_id.clone());
            }
            let id = format!("ot-{}", books.threads.len() + 1);
            books.threads.push(StoredThread {
                id,
                members,
                topic: json!({"title": body["data"]["title"], "tags": ["pass", "through"], "archivedAt": null}),
                messages: Vec::new(),
            });
            let index = books.threads.len() - 1;
            let first = shared.store_message(&mut books, index, &user_id, &body["message"]);
            json!({"thread": shared.thread_json(&books.threads[index]), "messages": [first], "cursor": {"after": null}})
        }
        "getThread" => match find(&books) {
            Some(index) => {
                let thread = &books.threads[index];
                json!({"messages": thread.messages, "thread": shared.thread_json(thread), "hasOlder": false})
            }
            None => return refuse(StatusCode::NOT_FOUND, "no_thread", "no such thread"),
        },
        "addThreadMessage" => {
            if let Some(replay) = idempotency_key.as_ref().and_then(|k| books.replays.get(k)) {
                return json_text(replay.clone());
            }
            let Some(index) = find(&books) else {
                return refuse(StatusCode::NOT_FOUND, "no_thread", "no such thread");
            };
            let stored = shared.store_message(&mut books, index, &user_id, &body["message"]);
            json!({"thread": shared.thread_json(&books.threads[index]), "messages": [stored]})
        }
        _ => return refuse(StatusCode::NOT_FOUND, "unknown_operation", &operation),
    };
    let text = answer.to_string();
    if operation == "addThreadMessage"
        && let Some(key) = idempotency_key
    {
        books.replays.insert(key, text.clone());
    }
    books.answers.push(Answer {
        operation,
        body: text.clone(),
    });
    json_text(text)
}

fn json_text(text: String) -> Response {
    (
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        text,
    )
        .into_response()
}

impl Shared {
    fn user_token(&self, access_token: &Value) -> String {
        let user_id = access_token.as_str().unwrap_or("nobody");
        self.keys.user_token(user_id, &user_id.to_uppercase())
    }
}
