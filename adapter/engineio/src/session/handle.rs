//! The layer above's handle on its session.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use ecb_engineio_codec::Packet;
use tokio::sync::mpsc;

use crate::command::Command;

/// Talks to one session's actor: send packets, close. Cheap to clone.
#[derive(Clone)]
pub struct SessionSender {
    pub(crate) commands: mpsc::Sender<Command>,
}

/// Why a session did not take a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its queue is full: the client reads slower than it is sent to.
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
    /// fan-out must not stall behind one slow client.
    pub fn try_send_encoded(&self, packet: Arc<Utf8Bytes>) -> Result<(), Refused> {
        self.commands
            .try_send(Command::SendEncoded(packet))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => Refused::Full,
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
