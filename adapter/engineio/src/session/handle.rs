//! The layer above's handle on its session.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use ecb_engineio_codec::Packet;
use tokio::sync::mpsc;

use super::abort::{Abort, Aborted};
use crate::command::Command;

/// Talks to one session's actor: send packets, close. Cheap to clone.
#[derive(Clone)]
pub struct SessionSender {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) abort: Abort,
}

/// Why a session did not take a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its queue is full: the client reads slower than it is sent to, and
    /// the session is being closed for it.
    Full,
    /// The session has ended.
    Closed,
}

impl SessionSender {
    /// Queues packets for the client, in order and unsplit; false once the
    /// session is closed.
    pub async fn send(&self, packets: Vec<Packet>) -> bool {
        self.commands
            .send(Command::Send(packets.into_boxed_slice()))
            .await
            .is_ok()
    }

    /// Queues an encoded Engine.IO text packet (`4…`) without waiting: a
    /// fan-out must not stall behind one slow client. A session that cannot
    /// take it is closed (WebSocket 1013, or the close packet to a poll):
    /// its client has lost a packet and must reconnect to resynchronise,
    /// rather than go on as if nothing were missing.
    pub fn try_send_encoded(&self, packet: Arc<Utf8Bytes>) -> Result<(), Refused> {
        self.commands
            .try_send(Command::SendEncoded(packet))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => {
                    self.abort.abort(Aborted::Lagging);
                    Refused::Full
                }
                mpsc::error::TrySendError::Closed(_) => Refused::Closed,
            })
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.commands.is_closed()
    }

    /// Closes the session, once what is queued for its client is sent.
    pub async fn close(&self) {
        let _ = self.commands.send(Command::CloseGracefully).await;
    }
}
