//! One session's Socket.IO state: its namespace sockets, the decoder of a
//! binary packet in progress, and the deadline to join a namespace by. The
//! Engine.IO session's actor owns it and hands it one message at a time.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ecb_engineio::{Inbound, SessionSender, Step, Upper};
use ecb_socketio_codec::{Decoded, Decoder, Packet};
use tokio::time::Instant;

use crate::{Emitter, NamespaceSocket, Namespaces, SocketIo};

/// A protocol violation: the session is closed.
struct Violation;

/// One session's Socket.IO state: its namespace sockets and the decoder of
/// a binary packet in progress.
pub(crate) struct Connection<N> {
    server: Arc<SocketIo<N>>,
    sender: SessionSender,
    decoder: Decoder,
    sockets: HashMap<String, Box<dyn NamespaceSocket>>,
    /// The wire size of the packet being decoded, attachments included.
    received: usize,
    /// Until a namespace is joined, the session must join one by then.
    join_by: Option<Instant>,
}

impl<N> Connection<N> {
    pub(crate) fn new(server: Arc<SocketIo<N>>, sender: SessionSender, join_by: Instant) -> Self {
        Self {
            server,
            sender,
            decoder: Decoder::new(),
            sockets: HashMap::new(),
            received: 0,
            join_by: Some(join_by),
        }
    }
}

impl<N: Namespaces> Upper for Connection<N> {
    fn on_message(mut self: Box<Self>, inbound: Inbound) -> Step {
        Box::pin(async move {
            let decoded = match inbound {
                Inbound::Text(text) => {
                    self.received += text.len();
                    self.decoder.decode_text(&text)
                }
                Inbound::Binary(bytes) => {
                    self.received += bytes.len();
                    self.decoder.decode_binary(bytes)
                }
            };
            let outcome = match decoded {
                Ok(Decoded::Complete(packet)) => {
                    let size = std::mem::take(&mut self.received);
                    self.on_packet(packet, size).await
                }
                Ok(Decoded::AwaitingAttachments(_)) => Ok(()),
                Err(error) => {
                    tracing::debug!(%error, "invalid socket.io packet");
                    Err(Violation)
                }
            };
            match outcome {
                Ok(()) => Some(self as Box<dyn Upper>),
                Err(Violation) => {
                    self.disconnect_all().await;
                    None
                }
            }
        })
    }

    fn deadline(&self) -> Option<Instant> {
        self.join_by
    }

    fn on_close(mut self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move { self.disconnect_all().await })
    }
}

impl<N: Namespaces> Connection<N> {
    async fn disconnect_all(&mut self) {
        for (_, mut socket) in self.sockets.drain() {
            socket.disconnected().await;
        }
    }

    async fn on_packet(&mut self, packet: Packet, size: usize) -> Result<(), Violation> {
        match packet {
            Packet::Connect { nsp, data } => {
                if self.sockets.contains_key(&nsp) {
                    return Err(Violation);
                }
                let emitter = Emitter::new(&nsp, self.sender.clone());
                let auth = data.unwrap_or_default();
                match self
                    .server
                    .namespaces
                    .connect(&nsp, auth, emitter.clone())
                    .await
                {
                    Ok(mut socket) => {
                        emitter
                            .send(Packet::connect_ok(nsp.clone(), socket.id()))
                            .await;
                        socket.connected().await;
                        self.sockets.insert(nsp, socket);
                        self.join_by = None;
                    }
                    Err(data) => {
                        emitter
                            .send(Packet::ConnectError {
                                nsp,
                                data: Some(data),
                            })
                            .await;
                    }
                }
                Ok(())
            }
            Packet::Disconnect { nsp } => {
                let mut socket = self.sockets.remove(&nsp).ok_or(Violation)?;
                socket.disconnected().await;
                Ok(())
            }
            Packet::Event { nsp, id, payload } => {
                let socket = self.sockets.get_mut(&nsp).ok_or(Violation)?;
                socket.event(payload, id, size).await;
                Ok(())
            }
            // The server never asks clients for acks; a stray one is ignored.
            Packet::Ack { nsp, .. } if self.sockets.contains_key(&nsp) => Ok(()),
            Packet::Ack { .. } | Packet::ConnectError { .. } => Err(Violation),
        }
    }
}
