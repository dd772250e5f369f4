//! What the outside asks of a session: the HTTP endpoint (polls, posts,
//! upgrades) and the layer above (packets to send, close) through the one
//! queue its actor reads.

use std::sync::Arc;

use axum::extract::ws::{Utf8Bytes, WebSocket};
use ecb_engineio_codec::Packet;
use tokio::sync::oneshot;

use crate::error::EioError;

/// One request to a session's actor. Commands are queued by the thousand
/// (pushes travel here too), so every variant is kept to a pointer or two.
pub(crate) enum Command {
    /// A polling GET: answered with a payload when there is something to send.
    Poll(oneshot::Sender<Result<String, EioError>>),
    /// A polling POST, decoded.
    Post(Box<Post>),
    /// A WebSocket arrived for this sid: the probe of an upgrade.
    Upgrade(Box<WebSocket>),
    /// Packets from the layer above, sent back to back (a binary event and
    /// its attachments must not be split by another packet).
    Send(Box<[Packet]>),
    /// One Engine.IO text packet, already encoded: a push whose bytes every
    /// socket of a fan-out shares.
    SendEncoded(Arc<Utf8Bytes>),
    /// The session is broken (a protocol error the HTTP side saw): it ends
    /// at once, and later requests get 400.
    Close,
    /// The layer above ends the session: the client gets what is queued,
    /// then the close packet.
    CloseGracefully,
}

/// A polling POST's packets, and where its answer goes.
pub(crate) struct Post {
    pub(crate) packets: Vec<Packet>,
    pub(crate) reply: oneshot::Sender<Result<(), EioError>>,
}
