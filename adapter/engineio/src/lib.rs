//! An Engine.IO v4 server on axum: sessions over HTTP long-polling and
//! WebSocket, the upgrade between them and the heartbeat.
//!
//! Packet framing comes from `ecb-engineio-codec`; this crate adds the I/O,
//! the timers and the session state, and hands each session's messages to
//! the layer above (Socket.IO, or the conformance echo) through
//! [`SessionHandler`] and [`Upper`]. It knows nothing of ECB.
//!
//! - [`router`] (`http.rs`): the HTTP endpoint, validating requests in the
//!   reference server's order and answering with its errors (`error.rs`).
//! - `session/`: one actor per session around one loop; each state machine
//!   it drives (transport, upgrade probe, heartbeat, the layer above) is a
//!   file of its own.
//! - `registry.rs`: live sessions by sid; `command.rs`: what requests and
//!   the layer above ask of a session.

mod buffers;
mod close;
mod command;
mod config;
mod error;
mod http;
mod registry;
mod session;
mod upper;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use buffers::frugal;
pub use close::CloseCode;
pub use config::EngineIoConfig;
pub use http::router;
pub use session::{Refused, SessionSender};
pub use upper::{Inbound, SessionHandler, Step, Upper};

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
