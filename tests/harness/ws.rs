//! A raw WebSocket client speaking PROTOCOL.md transport 2.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use crate::PATIENCE;

/// A connected client. Responses and pushes are sorted as they arrive.
pub struct WsClient {
    outgoing: mpsc::UnboundedSender<Message>,
    responses: mpsc::UnboundedReceiver<Value>,
    pushes: mpsc::UnboundedReceiver<Value>,
    closed: tokio::sync::watch::Receiver<Option<Option<CloseFrame>>>,
    next_id: AtomicU64,
}

impl WsClient {
    /// Connects to `base`'s `/ws?token=`; a refused upgrade gives its HTTP status.
    pub async fn connect(base: &str, token: &str) -> Result<Self, u16> {
        Self::connect_with_origin(base, token, None).await
    }

    /// Connects with an `Origin` header, as a browser would.
    pub async fn connect_with_origin(
        base: &str,
        token: &str,
        origin: Option<&str>,
    ) -> Result<Self, u16> {
        let url = format!("{}/ws?token={token}", base.replacen("http", "ws", 1));
        Self::connect_url(&url, origin).await
    }

    /// Connects to a full `ws://` URL (API Gateway's is `wss://host/stage?token=`).
    pub async fn connect_url(url: &str, origin: Option<&str>) -> Result<Self, u16> {
        let mut request = url.into_client_request().expect("valid URL");
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", origin.parse().expect("valid origin"));
        }
        let (socket, _) = match tokio_tungstenite::connect_async(request).await {
            Ok(connected) => connected,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                return Err(response.status().as_u16());
            }
            Err(error) => panic!("websocket connect failed: {error}"),
        };
        let (mut sink, mut stream) = socket.split();
        let (outgoing, mut outgoing_rx) = mpsc::unbounded_channel::<Message>();
        let (responses_tx, responses) = mpsc::unbounded_channel();
        let (pushes_tx, pushes) = mpsc::unbounded_channel();
        let (closed_tx, closed) = tokio::sync::watch::channel(None);
        tokio::spawn(async move {
            while let Some(message) = outgoing_rx.recv().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
        });
        tokio::spawn(async move {
            while let Some(message) = stream.next().await {
                match message {
                    Ok(Message::Text(text)) => {
                        let value: Value = serde_json::from_str(&text).expect("ECB sends JSON");
                        let target = if value["type"] == "response" {
                            &responses_tx
                        } else {
                            &pushes_tx
                        };
                        let _ = target.send(value);
                    }
                    Ok(Message::Close(frame)) => {
                        let _ = closed_tx.send(Some(frame));
                        return;
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            let _ = closed_tx.send(Some(None));
        });
        Ok(Self {
            outgoing,
            responses,
            pushes,
            closed,
            next_id: AtomicU64::new(1),
        })
    }

    /// Sends a raw text frame.
    pub fn send_text(&self, text: impl Into<String>) {
        let _ = self.outgoing.send(Message::Text(text.into().into()));
    }

    /// Sends a binary frame.
    pub fn send_binary(&self, bytes: Vec<u8>) {
        let _ = self.outgoing.send(Message::Binary(bytes.into()));
    }

    /// Sends a request and returns its response frame.
    pub async fn request(&mut self, action: &str, payload: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut frame = payload;
        frame["action"] = json!(action);
        frame["requestId"] = json!(id);
        self.send_text(frame.to_string());
        let response = self.next_response().await;
        assert_eq!(response["requestId"], json!(id), "responses come in order");
        response
    }

    /// Sends a request and returns its `result`, failing the test on an error.
    pub async fn ok(&mut self, action: &str, payload: Value) -> Value {
        let response = self.request(action, payload).await;
        assert_eq!(response["ok"], json!(true), "{action} failed: {response}");
        response["result"].clone()
    }

    /// Sends a request that must fail; returns the error code.
    pub async fn error_code(&mut self, action: &str, payload: Value) -> String {
        let response = self.request(action, payload).await;
        assert_eq!(
            response["ok"],
            json!(false),
            "{action} should fail: {response}"
        );
        response["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The next response frame.
    pub async fn next_response(&mut self) -> Value {
        tokio::time::timeout(PATIENCE, self.responses.recv())
            .await
            .expect("a response in time")
            .expect("connection open")
    }

    /// The next push, or None after `wait`.
    pub async fn push_within(&mut self, wait: Duration) -> Option<Value> {
        tokio::time::timeout(wait, self.pushes.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next push of a type, skipping others (presence, typing) on the way.
    pub async fn expect_push(&mut self, kind: &str) -> Value {
        loop {
            let push = self
                .push_within(PATIENCE)
                .await
                .unwrap_or_else(|| panic!("no {kind} push arrived"));
            if push["type"] == kind {
                return push;
            }
        }
    }

    /// Asserts no push of this type arrives for `wait`, on a connection
    /// that stays open (a closed one would receive nothing either).
    pub async fn expect_no_push(&mut self, kind: &str, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(push)) = tokio::time::timeout_at(deadline, self.pushes.recv()).await {
            assert_ne!(push["type"], kind, "unexpected push {push}");
        }
        assert!(
            self.closed.borrow().is_none(),
            "the connection closed while no {kind} push was expected"
        );
    }

    /// Drops every push received so far.
    pub fn drain_pushes(&mut self) {
        while self.pushes.try_recv().is_ok() {}
    }

    /// Waits for the server to close the connection; returns the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        let frame = tokio::time::timeout(PATIENCE, self.closed.wait_for(Option::is_some))
            .await
            .expect("closed in time")
            .expect("reader alive")
            .clone()
            .flatten();
        frame.map(|f| u16::from(f.code))
    }

    /// Closes from the client side.
    pub fn close(&self) {
        let _ = self.outgoing.send(Message::Close(None));
    }
}
