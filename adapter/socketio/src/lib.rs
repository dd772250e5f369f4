//! The Socket.IO v5 server on top of Engine.IO: namespaces, events, acks and
//! binary attachments. What a namespace does is up to a [`Namespaces`]
//! implementation (ECB's mapping onto the engine, or the conformance suite's
//! behaviours); this layer only keeps the protocol, and knows nothing of ECB.
//!
//! - `namespace.rs`: the application's side ([`Namespaces`], [`NamespaceSocket`]).
//! - `connection.rs`: one session's Socket.IO state, run by the Engine.IO
//!   session's actor.
//! - `emitter.rs`: sending to one namespace of one session.

mod connection;
mod emitter;
mod namespace;

use std::sync::Arc;
use std::time::Duration;

use ecb_engineio::{SessionHandler, SessionSender, Upper};
use tokio::time::Instant;

use connection::Connection;

pub use emitter::Emitter;
pub use namespace::{NamespaceSocket, Namespaces};

/// The Socket.IO server for one application.
pub struct SocketIo<N> {
    pub(crate) namespaces: N,
    connect_timeout: Duration,
}

impl<N: Namespaces> SocketIo<N> {
    /// A server whose sessions must join a namespace within `connect_timeout`.
    pub fn new(namespaces: N, connect_timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            namespaces,
            connect_timeout,
        })
    }
}

impl<N: Namespaces> SessionHandler for SocketIo<N> {
    fn open(self: Arc<Self>, _sid: &str, sender: SessionSender) -> Box<dyn Upper> {
        let join_by = Instant::now() + self.connect_timeout;
        Box::new(Connection::new(self, sender, join_by))
    }
}
