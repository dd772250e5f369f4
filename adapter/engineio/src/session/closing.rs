//! A session the server closes hands its client everything first, as the
//! reference server does: a polling client gets the packets still queued
//! and then the close packet, on the poll waiting now or on its next one
//! (waited for a short while), instead of a 400 for a session it never saw
//! end. A WebSocket client gets its packets as they are sent, then the close.

use ecb_engineio_codec::Packet;
use tokio::sync::mpsc;

use super::{Actor, Transport};
use crate::command::Command;

/// How long a closed polling session waits for the poll that takes its
/// last packets and the close packet (a polling client is rarely without a
/// poll for longer than a round trip).
const CLOSE_HANDOVER: std::time::Duration = std::time::Duration::from_secs(5);

impl Actor {
    /// Queues the close packet behind what a polling client has not fetched
    /// and waits for a poll to take it, at most [`CLOSE_HANDOVER`] or until
    /// the server shuts down.
    pub(super) async fn hand_over_close(&mut self, commands: &mut mpsc::Receiver<Command>) {
        let Transport::Polling(polling) = &mut self.transport else {
            return;
        };
        // A queue already full gets no close packet: the session ends anyway.
        let _ = polling.push(Packet::Close, false);
        if polling.is_empty() {
            return;
        }
        let handover = tokio::time::sleep(CLOSE_HANDOVER);
        tokio::pin!(handover);
        let shutdown = self.eio.shutdown.clone();
        loop {
            let command = tokio::select! {
                command = commands.recv() => command,
                _ = &mut handover => return,
                _ = shutdown.cancelled() => return,
            };
            match command {
                Some(Command::Poll(reply)) => {
                    let _ = polling.poll(reply, false);
                    if polling.is_empty() {
                        return;
                    }
                }
                // The client has not seen the close yet and may still be
                // sending: its POST is answered `ok` and its packets dropped,
                // as the reference server does. A 400 here would make the
                // client drop the poll that carries its last packets.
                Some(Command::Post(post)) => {
                    let _ = post.reply.send(Ok(()));
                }
                Some(_) => {}
                None => return,
            }
        }
    }
}
