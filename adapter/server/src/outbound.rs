//! What the hub hands a connection, and the push a whole fan-out shares.

use std::sync::{Arc, OnceLock};

use axum::extract::ws::Utf8Bytes;
use ecb_engine::PushEvent;
use ecb_engine::protocol::{frame, socketio};

/// Something for one connection, from the hub.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A pushed event, shared by every connection of its fan-out.
    Push(Arc<SharedPush>),
    /// A frame already encoded for this connection (a response, or text
    /// posted to the Management API that is not a push).
    Frame(String),
    /// Close the connection (the server API's disconnectUser).
    Close,
    /// This server is draining: once what is queued before it is sent, end
    /// the connection so its client reconnects elsewhere (raw WebSocket
    /// close 1012, the Engine.IO session closed for Socket.IO).
    Reconnect,
}

/// One fan-out's event, encoded at most once per wire format however many
/// connections receive it: a thread of 100 costs one serialization, and
/// every socket writes the same bytes (the frames are reference-counted).
pub struct SharedPush {
    event: Arc<PushEvent>,
    raw_frame: OnceLock<Utf8Bytes>,
    /// Shared behind an `Arc` so that a session's queue slot stays one pointer.
    socket_io_frame: OnceLock<Arc<Utf8Bytes>>,
}

impl SharedPush {
    /// Wraps an event for one fan-out.
    pub fn new(event: Arc<PushEvent>) -> Arc<Self> {
        Arc::new(Self {
            event,
            raw_frame: OnceLock::new(),
            socket_io_frame: OnceLock::new(),
        })
    }

    /// The raw WebSocket frame (PROTOCOL.md's push frame).
    pub fn raw_frame(&self) -> Utf8Bytes {
        self.raw_frame
            .get_or_init(|| frame::push(&self.event).into())
            .clone()
    }

    /// The Engine.IO text packet carrying the Socket.IO event.
    pub fn socket_io_frame(&self) -> Arc<Utf8Bytes> {
        self.socket_io_frame
            .get_or_init(|| Arc::new(socketio::push_packet(&self.event).into()))
            .clone()
    }
}

impl std::fmt::Debug for SharedPush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SharedPush").field(&self.event).finish()
    }
}
