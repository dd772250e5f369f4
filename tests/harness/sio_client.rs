//! A Socket.IO v5 client over a real WebSocket, speaking ECB's mapping:
//! CONNECT with `{token}`, every operation an emit with an ack that carries
//! the envelope, pushes as events. Enough of the protocol to check what ECB
//! sends over Socket.IO from Rust tests; stock socket.io-client is driven by
//! the Node tests.

use serde_json::{Value, json};

use crate::eio_client::{EioSocket, Frame};

/// A Socket.IO client in the main namespace.
pub struct SioClient {
    socket: EioSocket,
    next_ack: u64,
    /// Events received while waiting for something else: `[name, body]`.
    events: std::collections::VecDeque<(String, Value)>,
}

/// What one Socket.IO packet from ECB says.
enum Incoming {
    Ack(u64, Value),
    Event(String, Value),
    Other,
}

fn read_packet(frame: Frame) -> Incoming {
    let text = frame.into_text();
    if let Some(rest) = text.strip_prefix("43") {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let args: Value = serde_json::from_str(&rest[digits.len()..]).expect("ack arguments");
        return Incoming::Ack(digits.parse().expect("ack id"), args[0].clone());
    }
    if let Some(rest) = text.strip_prefix("42") {
        let args: Value = serde_json::from_str(rest).expect("event arguments");
        let name = args[0].as_str().expect("event name").to_owned();
        return Incoming::Event(name, args[1].clone());
    }
    Incoming::Other
}

impl SioClient {
    /// Connects to ECB at `base` (`http://addr`) over WebSocket only, with
    /// `auth: {token}`; returns the CONNECT_ERROR data if refused.
    pub async fn connect(base: &str, token: &str) -> Result<Self, Value> {
        let url = format!(
            "{}/socket.io/?EIO=4&transport=websocket",
            base.replacen("http", "ws", 1)
        );
        Self::connect_url(&url, token).await
    }

    /// Connects at a full Engine.IO WebSocket URL (an API Gateway stage).
    pub async fn connect_url(url: &str, token: &str) -> Result<Self, Value> {
        let mut socket = EioSocket::connect(url).await.expect("websocket upgrade");
        socket.handshake().await;
        socket
            .send_text(&format!("40{}", json!({ "token": token })))
            .await;
        let reply = socket.next_non_ping().await.into_text();
        if let Some(error) = reply.strip_prefix("44") {
            return Err(serde_json::from_str(error).expect("CONNECT_ERROR data"));
        }
        assert!(reply.starts_with("40"), "expected CONNECT, got {reply}");
        Ok(Self {
            socket,
            next_ack: 0,
            events: Default::default(),
        })
    }

    /// Emits an operation and returns the envelope its ack carries.
    pub async fn request(&mut self, action: &str, payload: Value) -> Value {
        let id = self.next_ack;
        self.next_ack += 1;
        self.socket
            .send_text(&format!("42{id}{}", json!([action, payload])))
            .await;
        loop {
            match read_packet(self.socket.next_non_ping().await) {
                Incoming::Ack(acked, envelope) if acked == id => return envelope,
                Incoming::Ack(acked, _) => panic!("ack {acked} while waiting for {id}"),
                Incoming::Event(name, body) => self.events.push_back((name, body)),
                Incoming::Other => {}
            }
        }
    }

    /// Emits an operation and returns its `result`, failing on an error.
    pub async fn ok(&mut self, action: &str, payload: Value) -> Value {
        let envelope = self.request(action, payload).await;
        assert_eq!(envelope["ok"], true, "{action} failed: {envelope}");
        envelope["result"].clone()
    }

    /// The next event of this name, skipping others on the way.
    pub async fn expect_event(&mut self, name: &str) -> Value {
        if let Some(index) = self.events.iter().position(|(n, _)| n == name) {
            return self.events.remove(index).expect("queued event").1;
        }
        loop {
            if let Incoming::Event(event, body) = read_packet(self.socket.next_non_ping().await)
                && event == name
            {
                return body;
            }
        }
    }
}
