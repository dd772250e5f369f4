//! How a session reaches its client: long-polling until an upgrade, then a
//! WebSocket for good.

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use ecb_engineio_codec::{Packet, WsFrame};
use futures_util::{SinkExt, StreamExt};

use super::polling::Polling;
use crate::close::CloseCode;

/// How long a closing socket may take to write its close frame: a client
/// that reads nothing must not hold the session's end up.
const CLOSE_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// A session's WebSocket, whole: the actor reads and writes it in turn, so
/// it needs no split halves and no lock between them.
pub(super) struct Socket {
    socket: Box<WebSocket>,
}

impl Socket {
    pub(super) fn new(socket: Box<WebSocket>) -> Self {
        Self { socket }
    }

    /// Writes one packet; false once the socket has failed.
    pub(super) async fn send(&mut self, packet: &Packet) -> bool {
        let message = match packet.to_ws_frame() {
            WsFrame::Text(text) => Message::Text(text.into()),
            WsFrame::Binary(bytes) => Message::Binary(bytes),
        };
        self.socket.send(message).await.is_ok()
    }

    /// Writes an encoded text packet whose bytes a fan-out shares.
    pub(super) async fn send_encoded(&mut self, packet: Utf8Bytes) -> bool {
        self.socket.send(Message::Text(packet)).await.is_ok()
    }

    /// The next message from the client.
    pub(super) async fn next(&mut self) -> Option<Result<Message, axum::Error>> {
        self.socket.next().await
    }

    /// A message the socket already has in hand, without waiting.
    pub(super) fn next_ready(&mut self) -> Option<Option<Result<Message, axum::Error>>> {
        futures_util::FutureExt::now_or_never(self.socket.next())
    }

    /// Closes with 1000.
    pub(super) async fn close(self) {
        self.close_with(CloseCode::Normal, "").await;
    }

    /// Closes with a status code and reason.
    pub(super) async fn close_with(mut self, code: CloseCode, reason: &'static str) {
        let closing = async {
            let _ = self.socket.send(code.message(reason)).await;
            let _ = self.socket.close().await;
        };
        let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, closing).await;
    }
}

/// The session's transport.
pub(super) enum Transport {
    Polling(Polling),
    WebSocket(Socket),
}

impl Transport {
    /// The next message from a WebSocket; never, while polling (polling
    /// requests arrive as commands).
    pub(super) async fn next(&mut self) -> Option<Result<Message, axum::Error>> {
        match self {
            Self::WebSocket(socket) => socket.next().await,
            Self::Polling(_) => std::future::pending().await,
        }
    }

    /// Takes the transport out, leaving an empty polling one in its place.
    pub(super) fn take(&mut self) -> Self {
        std::mem::replace(self, Self::Polling(Polling::default()))
    }
}
