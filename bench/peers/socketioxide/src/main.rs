//! The socketioxide peer of ECB's benchmarks: a socketioxide 0.18 (axum)
//! server doing ECB's job in the benchmark scenario, and nothing more:
//! - connect: verify the RS256 userToken of `auth.token` with the same public
//!   key and the same JWT library (`jsonwebtoken`, rust_crypto) ECB uses;
//! - getThread: verify the threadToken, check membership, POST getThread to
//!   the backend, check the thread it returns, join the thread's room, ack;
//! - sendMessage: verify the threadToken, check membership, POST
//!   addThreadMessage (Idempotency-Key from clientMessageId), check the
//!   answer, ack the author with the stored message, then emit `message` to
//!   the thread's room except the author's socket.
//!
//! Heartbeat: ping interval 25 s, timeout 20 s (ECB's defaults).
//!
//! Usage: `peer --listen 127.0.0.1:PORT --backend-url URL --public-key-file PEM`

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, Extension, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;

struct App {
    key: DecodingKey,
    validation: Validation,
    http: reqwest::Client,
    backend_url: String,
}

/// What a connected socket carries: its user and its token.
#[derive(Clone)]
struct Session {
    user: Value,
    user_id: String,
    token: Arc<str>,
}

#[derive(Debug)]
struct OpError {
    code: &'static str,
    message: String,
}

impl OpError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn envelope(&self) -> Value {
        json!({ "ok": false, "error": { "code": self.code, "message": self.message } })
    }
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserClaims {
    user_id: String,
    display_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadClaims {
    thread_id: String,
    member_ids: Vec<String>,
}

impl App {
    fn verify<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        kind: &str,
    ) -> Result<T, OpError> {
        jsonwebtoken::decode::<T>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| OpError::new("unauthorized", format!("invalid {kind}: {e}")))
    }

    fn authorize_thread(
        &self,
        session: &Session,
        payload: &Value,
    ) -> Result<ThreadClaims, OpError> {
        let token = payload
            .get("threadToken")
            .and_then(Value::as_str)
            .ok_or_else(|| OpError::new("bad_request", "threadToken required"))?;
        let claims: ThreadClaims = self.verify(token, "threadToken")?;
        if !claims.member_ids.contains(&session.user_id) {
            return Err(OpError::new(
                "forbidden",
                "you are not a member of this thread",
            ));
        }
        Ok(claims)
    }

    async fn call_backend(
        &self,
        operation: &str,
        session: &Session,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> Result<Value, OpError> {
        let mut request = self
            .http
            .post(format!("{}/{operation}", self.backend_url))
            .header("content-type", "application/json")
            .bearer_auth(&*session.token);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let unavailable = || {
            OpError::new(
                "backend_unavailable",
                format!("backend {operation} unreachable"),
            )
        };
        let response = request
            .body(serde_json::to_vec(body).unwrap_or_default())
            .send()
            .await
            .map_err(|_| unavailable())?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|_| unavailable())?;
        if status.is_server_error() {
            return Err(OpError::new(
                "backend_unavailable",
                format!("backend {operation} failed"),
            ));
        }
        if status.is_client_error() {
            return Err(OpError::new(
                "backend_rejected",
                format!("backend {operation} rejected"),
            ));
        }
        serde_json::from_slice(&bytes).map_err(|_| {
            OpError::new(
                "backend_invalid_response",
                format!("backend {operation}: invalid JSON"),
            )
        })
    }

    /// The backend's threadAndMessages: its thread's token must verify and name it.
    fn check_thread_and_messages(&self, answer: &Value, thread_id: &str) -> Result<(), OpError> {
        let invalid = |m: &str| OpError::new("backend_invalid_response", m.to_owned());
        let thread = answer.get("thread").ok_or_else(|| invalid("no thread"))?;
        let token = thread
            .get("threadToken")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("no threadToken"))?;
        let claims: ThreadClaims = self
            .verify(token, "threadToken")
            .map_err(|e| invalid(&format!("backend thread's {}", e.message)))?;
        if claims.thread_id != thread_id
            || thread.get("threadId").and_then(Value::as_str) != Some(thread_id)
        {
            return Err(invalid("backend answered about another thread"));
        }
        if !answer.get("messages").is_some_and(Value::is_array) {
            return Err(invalid("no messages"));
        }
        Ok(())
    }

    fn body(payload: Value, session: &Session, thread_id: &str) -> Value {
        let mut body = payload;
        if let Some(object) = body.as_object_mut() {
            object.insert("user".into(), session.user.clone());
            object.insert("threadId".into(), Value::from(thread_id));
        }
        body
    }
}

async fn authenticate(
    s: SocketRef,
    State(app): State<Arc<App>>,
    TryData(auth): TryData<Value>,
) -> Result<(), OpError> {
    let token = auth
        .ok()
        .and_then(|auth| auth.get("token").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| OpError::new("unauthorized", "missing userToken"))?;
    let claims: UserClaims = app.verify(&token, "userToken")?;
    let mut user = json!({ "userId": claims.user_id });
    if let Some(name) = claims.display_name {
        user["displayName"] = Value::from(name);
    }
    s.extensions.insert(Session {
        user,
        user_id: claims.user_id,
        token: token.into(),
    });
    Ok(())
}

async fn on_connect(s: SocketRef) {
    s.on("getThread", get_thread);
    s.on("sendMessage", send_message);
}

async fn get_thread(
    s: SocketRef,
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Data(payload): Data<Value>,
    ack: AckSender,
) {
    let outcome = async {
        let claims = app.authorize_thread(&session, &payload)?;
        let body = App::body(payload, &session, &claims.thread_id);
        let found = app.call_backend("getThread", &session, &body, None).await?;
        app.check_thread_and_messages(&found, &claims.thread_id)?;
        s.join(claims.thread_id);
        Ok::<_, OpError>(found)
    }
    .await;
    let envelope = match outcome {
        Ok(found) => json!({ "ok": true, "result": found }),
        Err(error) => error.envelope(),
    };
    let _ = ack.send(&envelope);
}

async fn send_message(
    s: SocketRef,
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Data(payload): Data<Value>,
    ack: AckSender,
) {
    let outcome = async {
        let claims = app.authorize_thread(&session, &payload)?;
        let message = payload
            .get("message")
            .filter(|m| m.get("type").is_some_and(Value::is_string))
            .ok_or_else(|| OpError::new("bad_request", "message.type required"))?;
        let key = message
            .get("clientMessageId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let body = App::body(payload, &session, &claims.thread_id);
        let mut answer = app
            .call_backend("addThreadMessage", &session, &body, key.as_deref())
            .await?;
        app.check_thread_and_messages(&answer, &claims.thread_id)?;
        let stored = answer["messages"]
            .as_array_mut()
            .and_then(|messages| (!messages.is_empty()).then(|| messages.swap_remove(0)))
            .ok_or_else(|| OpError::new("backend_invalid_response", "no message"))?;
        Ok::<_, OpError>((claims.thread_id, stored))
    }
    .await;
    match outcome {
        Ok((thread_id, stored)) => {
            let _ = ack.send(&json!({ "ok": true, "result": &stored }));
            let push = json!({ "threadId": &thread_id, "message": stored });
            let _ = s.to(thread_id).emit("message", &push).await;
        }
        Err(error) => {
            let _ = ack.send(&error.envelope());
        }
    }
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() {
    let listen = arg("--listen").unwrap_or_else(|| "127.0.0.1:3002".into());
    let backend_url = arg("--backend-url").expect("--backend-url");
    let pem = std::fs::read(arg("--public-key-file").expect("--public-key-file"))
        .expect("public key file");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = 30;
    validation.validate_aud = false;
    let app = Arc::new(App {
        key: DecodingKey::from_rsa_pem(&pem).expect("RSA public key PEM"),
        validation,
        http: reqwest::Client::new(),
        backend_url: backend_url.trim_end_matches('/').to_owned(),
    });
    let (layer, io) = SocketIo::builder()
        .ping_interval(Duration::from_secs(25))
        .ping_timeout(Duration::from_secs(20))
        .with_state(app)
        .build_layer();
    io.ns("/", on_connect.with(authenticate));
    let router = axum::Router::new().layer(layer);
    // Nagle off, as ECB's server does.
    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .expect("listen")
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    println!("socketioxide peer listening on http://{listen}");
    let shutdown = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    };
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .expect("serve");
}
