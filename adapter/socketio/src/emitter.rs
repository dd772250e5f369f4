//! Sending Socket.IO packets to one namespace of one session.

use ecb_socketio_codec::{Data, Packet, Payload};

use ecb_engineio::SessionSender;

/// What a namespace socket uses to talk to its client.
#[derive(Clone)]
pub struct Emitter {
    nsp: String,
    session: SessionSender,
}

impl Emitter {
    pub(crate) fn new(nsp: &str, session: SessionSender) -> Self {
        Self {
            nsp: nsp.to_owned(),
            session,
        }
    }

    /// The session this namespace socket lives on.
    pub fn session(&self) -> &SessionSender {
        &self.session
    }

    /// Sends any packet, its attachments right behind it; false once closed.
    pub async fn send(&self, packet: Packet) -> bool {
        self.session
            .send(packet.encode().into_engine_packets())
            .await
    }

    /// Emits event `name` with `args`.
    pub async fn emit(&self, name: &str, args: Vec<Data>) -> bool {
        self.send(Packet::event(self.nsp.clone(), name, args, None))
            .await
    }

    /// Emits an already built payload (name first), attachments included.
    pub async fn emit_payload(&self, payload: Payload) -> bool {
        self.send(Packet::Event {
            nsp: self.nsp.clone(),
            id: None,
            payload,
        })
        .await
    }

    /// Answers event `id`.
    pub async fn ack(&self, id: u64, payload: Payload) -> bool {
        self.send(Packet::Ack {
            nsp: self.nsp.clone(),
            id,
            payload,
        })
        .await
    }

    /// Tells the client it was disconnected from the namespace, then closes
    /// the session (what the reference server's `disconnect(true)` does).
    pub async fn disconnect(&self) {
        self.send(Packet::disconnect(self.nsp.clone())).await;
        self.session.close().await;
    }
}
