//! The Engine.IO v4 server: sessions over HTTP long-polling and WebSocket,
//! the upgrade between them, heartbeats and CORS-free routing. Packet framing
//! comes from `ecb-engineio-codec`; this layer adds the I/O, timers and session state,
//! and hands each session's messages to the layer above (Socket.IO, or the
//! conformance echo) through [`SessionHandler`] and [`Upper`].

mod buffers;
mod http;
mod registry;
mod session;

use std::sync::Arc;
use std::time::Duration;

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use buffers::frugal;
pub use http::router;
pub use session::{Refused, SessionSender};

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

/// What the layer above does next, once it has handled a message: go on
/// (handing its state back) or end the session (`None`).
pub type Step = Pin<Box<dyn Future<Output = Option<Box<dyn Upper>>> + Send>>;

/// The layer above Engine.IO (Socket.IO, or the conformance echo): opens the
/// state that handles one session's messages.
pub trait SessionHandler: Send + Sync + 'static {
    /// A session opened; `sender` talks back to its client.
    fn open(self: Arc<Self>, sid: &str, sender: SessionSender) -> Box<dyn Upper>;
}

/// One session's state in the layer above. The session's actor owns it and
/// runs its messages one at a time, in order: while one is handled (it may
/// wait on a backend), later ones wait in the actor, and pings, pushes and
/// polls go on. So a session costs one task and one queue, not three.
pub trait Upper: Send + 'static {
    /// Handles one message. The state moves into the step and comes back
    /// when it is done; `None` closes the session (a protocol violation,
    /// after the layer has cleaned up).
    fn on_message(self: Box<Self>, inbound: Inbound) -> Step;

    /// When the session must close unless something happened first (the
    /// Socket.IO connect timeout); checked while no message is in hand.
    fn deadline(&self) -> Option<Instant> {
        None
    }

    /// The session has ended: the last message is done, nothing more comes.
    fn on_close(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>>;
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
}
