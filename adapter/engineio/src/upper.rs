//! The boundary to the layer above (Socket.IO, or the conformance echo):
//! what a session hands up and how the layer's per-session state is run.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use tokio::time::Instant;

use crate::SessionSender;

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
