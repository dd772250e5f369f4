//! What an application puts on the Socket.IO server: who may join a
//! namespace, and what its sockets do with events.

use async_trait::async_trait;
use ecb_socketio_codec::Payload;
use serde_json::{Map, Value};

use crate::Emitter;

/// Decides who may join a namespace and what its sockets do.
#[async_trait]
pub trait Namespaces: Send + Sync + 'static {
    /// A client asks to join `nsp` with its `auth` object. `Ok` is the socket
    /// that will handle its events; `Err` is the CONNECT_ERROR data.
    async fn connect(
        &self,
        nsp: &str,
        auth: Map<String, Value>,
        emitter: Emitter,
    ) -> Result<Box<dyn NamespaceSocket>, Value>;
}

/// A client's membership of one namespace.
#[async_trait]
pub trait NamespaceSocket: Send {
    /// The socket id sent in the CONNECT reply.
    fn id(&self) -> String;
    /// Runs once the CONNECT reply is out.
    async fn connected(&mut self) {}
    /// An event; `ack` is the id to answer with when the client wants one,
    /// `size` the bytes it took on the wire (its text and attachments).
    async fn event(&mut self, payload: Payload, ack: Option<u64>, size: usize);
    /// The socket is gone: the client left the namespace or the session closed.
    async fn disconnected(&mut self);
}
