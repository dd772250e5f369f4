//! The Engine.IO v4 server: sessions over HTTP long-polling and WebSocket,
//! the upgrade between them, heartbeats and CORS-free routing. Packet framing
//! comes from `ecb-sio`; this layer adds the I/O, timers and session state,
//! and hands each session's messages to a [`SessionHandler`] (Socket.IO, or
//! the conformance echo).

mod http;
mod registry;
mod session;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use http::router;
pub use session::SessionSender;

/// Engine.IO settings, as the handshake announces them.
#[derive(Debug, Clone)]
pub struct EngineIoConfig {
    /// The URL path, with its trailing slash (`/socket.io/`).
    pub path: String,
    /// Time between server pings.
    pub ping_interval: Duration,
    /// Time a client has to answer a ping.
    pub ping_timeout: Duration,
    /// The largest body or frame a client may send, in bytes.
    pub max_payload: usize,
}

impl EngineIoConfig {
    /// The reference server's defaults (25 s, 20 s, 1 MB) on `path`.
    pub fn new(path: &str) -> Self {
        Self {
            path: path.to_owned(),
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            max_payload: 1_000_000,
        }
    }
}

/// A message a client sent, for the layer above.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// A text message (one Socket.IO packet).
    Text(String),
    /// A binary message (one Socket.IO attachment).
    Binary(Bytes),
}

/// A new session, for the layer above: what the client sends arrives on
/// `incoming` (which ends when the session closes); `sender` talks back.
pub struct Session {
    pub sid: String,
    pub incoming: mpsc::Receiver<Inbound>,
    pub sender: SessionSender,
}

/// The layer above Engine.IO: runs one session until its `incoming` ends.
#[async_trait]
pub trait SessionHandler: Send + Sync + 'static {
    async fn run(self: Arc<Self>, session: Session);
}

/// An Engine.IO server: its settings, its live sessions, and the layer above.
pub struct EngineIo {
    pub(crate) config: EngineIoConfig,
    pub(crate) registry: registry::Registry,
    pub(crate) handler: Arc<dyn SessionHandler>,
    pub(crate) shutdown: CancellationToken,
    pub(crate) tasks: TaskTracker,
}

impl EngineIo {
    /// A server whose sessions close when `shutdown` is cancelled.
    pub fn new(
        config: EngineIoConfig,
        handler: Arc<dyn SessionHandler>,
        shutdown: CancellationToken,
        tasks: TaskTracker,
    ) -> Arc<Self> {
        Arc::new(Self {
            config,
            registry: registry::Registry::default(),
            handler,
            shutdown,
            tasks,
        })
    }

    /// How many sessions are open.
    pub fn sessions(&self) -> usize {
        self.registry.len()
    }
}
