//! A raw Engine.IO client over real HTTP and WebSocket, for protocol tests.
//!
//! Nothing here knows the protocol beyond the handshake packet: tests write
//! the exact bodies and frames the official suites send and compare the exact
//! ones they expect.

use std::time::Duration;

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::PATIENCE;

/// The JSON of an open packet (`0{…}`), failing the test on anything else.
pub fn open_packet(text: &str) -> Value {
    let json = text
        .strip_prefix('0')
        .unwrap_or_else(|| panic!("expected an open packet, got {text:?}"));
    serde_json::from_str(json).unwrap_or_else(|e| panic!("open packet {text:?}: {e}"))
}

/// The keys of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("expected an object, got {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// HTTP long-polling requests to one Engine.IO endpoint (`http://addr/engine.io/`).
#[derive(Clone)]
pub struct Polling {
    endpoint: String,
    client: reqwest::Client,
}

impl Polling {
    /// A client for `endpoint`, which ends with the path's trailing slash.
    pub fn new(endpoint: &str) -> Self {
        ecb_engine::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(PATIENCE)
            .build()
            .expect("an HTTP client");
        Self {
            endpoint: endpoint.to_owned(),
            client,
        }
    }

    /// `method endpoint?query` with `body`: status and body text, or the
    /// error when the request fails (the server dropped the connection).
    pub async fn try_request(
        &self,
        method: Method,
        query: &str,
        body: &str,
    ) -> Result<(u16, String), reqwest::Error> {
        let response = self
            .client
            .request(method, format!("{}?{query}", self.endpoint))
            .header("content-type", "text/plain;charset=UTF-8")
            .body(body.to_owned())
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }

    /// Like `try_request`, failing the test if the server does not answer.
    pub async fn request(&self, method: Method, query: &str, body: &str) -> (u16, String) {
        self.try_request(method.clone(), query, body)
            .await
            .unwrap_or_else(|e| panic!("{method} ?{query}: no answer: {e}"))
    }

    /// `GET endpoint?query`.
    pub async fn get(&self, query: &str) -> (u16, String) {
        self.request(Method::GET, query, "").await
    }

    /// `POST endpoint?query` with `body`.
    pub async fn post(&self, query: &str, body: &str) -> (u16, String) {
        self.request(Method::POST, query, body).await
    }

    /// Opens a polling session; returns its sid.
    pub async fn open(&self) -> String {
        let (status, body) = self.get("EIO=4&transport=polling").await;
        assert_eq!(status, 200, "polling handshake refused: {body}");
        open_packet(&body)["sid"]
            .as_str()
            .expect("the handshake has a sid")
            .to_owned()
    }

    /// A poll (`GET` with the sid): waits until the server has something.
    pub async fn poll(&self, sid: &str) -> (u16, String) {
        self.get(&format!("EIO=4&transport=polling&sid={sid}"))
            .await
    }

    /// Sends a payload (`POST` with the sid).
    pub async fn send(&self, sid: &str, payload: &str) -> (u16, String) {
        self.post(&format!("EIO=4&transport=polling&sid={sid}"), payload)
            .await
    }

    /// Answers `rounds` server pings: each poll must bring exactly `2`, and
    /// each pong be taken with `ok`.
    pub async fn ping_pong(&self, sid: &str, rounds: u32) {
        for round in 1..=rounds {
            assert_eq!(self.poll(sid).await, (200, "2".into()), "round {round}");
            assert_eq!(
                self.send(sid, "3").await,
                (200, "ok".into()),
                "round {round}"
            );
        }
    }

    /// Sends a payload; `Err` when the server dropped the connection.
    pub async fn try_send(
        &self,
        sid: &str,
        payload: &str,
    ) -> Result<(u16, String), reqwest::Error> {
        self.try_request(
            Method::POST,
            &format!("EIO=4&transport=polling&sid={sid}"),
            payload,
        )
        .await
    }
}

/// One WebSocket message from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

impl Frame {
    /// A text frame.
    pub fn text(text: &str) -> Self {
        Self::Text(text.to_owned())
    }

    /// A binary frame.
    pub fn binary(bytes: &[u8]) -> Self {
        Self::Binary(bytes.to_vec())
    }

    /// The text of a text frame, failing the test on a binary one.
    pub fn into_text(self) -> String {
        match self {
            Self::Text(text) => text,
            Self::Binary(bytes) => panic!("expected a text frame, got binary {bytes:?}"),
        }
    }

    /// An Engine.IO ping from the server (`2`).
    pub fn is_ping(&self) -> bool {
        matches!(self, Self::Text(text) if text == "2")
    }
}

type Sink = SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>;

/// A raw WebSocket to an Engine.IO endpoint. A reader task queues every text
/// and binary frame as it arrives and records when the connection ends;
/// sends are written and flushed before they return.
pub struct EioSocket {
    sink: Sink,
    frames: mpsc::UnboundedReceiver<Frame>,
    /// `None` while open; then `Some(close code)` (`Some(None)` without a close frame).
    closed: watch::Receiver<Option<Option<u16>>>,
}

impl EioSocket {
    /// Connects to `url` (`ws://…?EIO=4&transport=websocket…`); a refused
    /// upgrade gives its HTTP status.
    pub async fn connect(url: &str) -> Result<Self, u16> {
        let (socket, _) = match tokio_tungstenite::connect_async(url).await {
            Ok(connected) => connected,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                return Err(response.status().as_u16());
            }
            Err(error) => panic!("websocket connect to {url} failed: {error}"),
        };
        if let MaybeTlsStream::Plain(tcp) = socket.get_ref() {
            let _ = tcp.set_nodelay(true);
        }
        let (sink, mut stream) = socket.split();
        let (frames_tx, frames) = mpsc::unbounded_channel();
        let (closed_tx, closed) = watch::channel(None);
        tokio::spawn(async move {
            let mut code = None;
            while let Some(message) = stream.next().await {
                match message {
                    Ok(Message::Text(text)) => {
                        let _ = frames_tx.send(Frame::Text(text.as_str().to_owned()));
                    }
                    Ok(Message::Binary(bytes)) => {
                        let _ = frames_tx.send(Frame::Binary(bytes.to_vec()));
                    }
                    Ok(Message::Close(frame)) => {
                        code = frame.map(|f| u16::from(f.code));
                        break;
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            let _ = closed_tx.send(Some(code));
        });
        Ok(Self {
            sink,
            frames,
            closed,
        })
    }

    /// Sends a text frame. A failure (the server closed) is ignored: tests
    /// check `closed()` where that matters.
    pub async fn send_text(&mut self, text: &str) {
        let _ = self.sink.send(Message::Text(text.to_owned().into())).await;
    }

    /// Sends any WebSocket message, raw frames included (a message split
    /// into fragments, as API Gateway wants messages over 32 KB).
    pub async fn send_message(&mut self, message: Message) {
        let _ = self.sink.send(message).await;
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, bytes: &[u8]) {
        let _ = self.sink.send(Message::Binary(bytes.to_vec().into())).await;
    }

    /// The next frame, or `None` if none arrives within `wait` (or the
    /// connection ended with nothing queued).
    pub async fn next_frame(&mut self, wait: Duration) -> Option<Frame> {
        tokio::time::timeout(wait, self.frames.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next frame, failing the test if none arrives in time.
    pub async fn expect_frame(&mut self) -> Frame {
        self.next_frame(PATIENCE)
            .await
            .expect("a frame from the server in time")
    }

    /// The next frame that is not a ping (`2`), failing the test if none
    /// arrives in time. Pings are skipped, not answered.
    pub async fn next_non_ping(&mut self) -> Frame {
        loop {
            let frame = self.expect_frame().await;
            if !frame.is_ping() {
                return frame;
            }
        }
    }

    /// Reads the Engine.IO handshake (the first frame, `0{…}`); returns its JSON.
    pub async fn handshake(&mut self) -> Value {
        open_packet(&self.expect_frame().await.into_text())
    }

    /// Waits for the server to end the connection; returns the close code,
    /// if it sent a close frame. Frames still queued are left in place.
    pub async fn closed(&mut self) -> Option<u16> {
        *tokio::time::timeout(PATIENCE, self.closed.wait_for(Option::is_some))
            .await
            .expect("the server closes the connection in time")
            .expect("the reader task records the close")
            .as_ref()
            .expect("closed")
    }

    /// Waits for the server to end the connection while answering its pings,
    /// so a missed pong cannot be what closes it; any other frame fails the
    /// test. Returns the close code, if it sent a close frame.
    pub async fn closed_answering_pings(&mut self) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let frame = tokio::select! {
                biased;
                frame = self.frames.recv() => frame,
                _ = self.closed.wait_for(Option::is_some) => None,
                _ = tokio::time::sleep_until(deadline) => {
                    panic!("the server did not close the connection in time")
                }
            };
            match frame {
                Some(frame) if frame.is_ping() => self.send_text("3").await,
                Some(frame) => panic!("expected the connection to close, got {frame:?}"),
                None => return self.closed().await,
            }
        }
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.closed.borrow().is_some()
    }

    /// Closes from the client side.
    pub async fn close(&mut self) {
        let _ = self.sink.send(Message::Close(None)).await;
    }
}
