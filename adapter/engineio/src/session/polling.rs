//! The long-polling side of a session: packets wait in a queue until a GET
//! takes them all as one payload, or are handed at once to a GET that waits.
//! The queue is bounded: a client that does not fetch its packets is not
//! kept waiting for them in memory.

use ecb_engineio_codec::{Packet, encode_payload};
use tokio::sync::oneshot;

use crate::error::EioError;

/// Where a waiting GET's answer goes.
pub(super) type PollReply = oneshot::Sender<Result<String, EioError>>;

/// The packets a polling client has not fetched yet, and its waiting GET.
#[derive(Default)]
pub(super) struct Polling {
    waiting: Option<PollReply>,
    queue: Vec<Packet>,
}

/// How many packets may wait for a GET (as many as pushes may wait for a
/// WebSocket session: the command queue's depth).
pub(super) const QUEUE_LIMIT: usize = 1024;

/// A GET that cannot be served.
#[derive(Debug, PartialEq)]
pub(super) struct OverlappingPoll;

/// The queue is full: the client does not fetch what it is sent.
#[derive(Debug, PartialEq)]
pub(super) struct Overflow;

impl Polling {
    /// Queues a packet; a waiting GET gets the queue at once unless `hold`
    /// (an upgrade is about to take over the session).
    pub(super) fn push(&mut self, packet: Packet, hold: bool) -> Result<(), Overflow> {
        if self.queue.len() >= QUEUE_LIMIT {
            return Err(Overflow);
        }
        self.queue.push(packet);
        if !hold {
            self.flush();
        }
        Ok(())
    }

    /// A GET arrived: answered now with what is queued (or a noop while
    /// `hold`), else it waits. Two GETs at once break the protocol.
    pub(super) fn poll(&mut self, reply: PollReply, hold: bool) -> Result<(), OverlappingPoll> {
        if self.waiting.is_some() {
            let _ = reply.send(Err(EioError::BadRequest));
            return Err(OverlappingPoll);
        }
        if hold {
            let _ = reply.send(Ok(Packet::Noop.encode_text()));
        } else {
            self.waiting = Some(reply);
            if !self.queue.is_empty() {
                self.flush();
            }
        }
        Ok(())
    }

    /// Answers a waiting GET with `body` (a noop or the close packet).
    pub(super) fn answer_waiting(&mut self, body: String) {
        if let Some(reply) = self.waiting.take() {
            let _ = reply.send(Ok(body));
        }
    }

    /// Whether a GET is waiting.
    pub(super) fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }

    /// Whether every queued packet has been handed to a GET.
    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Hands over what is queued, for a transport that takes over.
    pub(super) fn into_queue(self) -> Vec<Packet> {
        self.queue
    }

    fn flush(&mut self) {
        if let Some(reply) = self.waiting.take() {
            let _ = reply.send(Ok(encode_payload(&std::mem::take(&mut self.queue))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(mut rx: oneshot::Receiver<Result<String, EioError>>) -> Option<String> {
        rx.try_recv().ok().map(|body| body.expect("a payload"))
    }

    #[test]
    fn queued_packets_go_out_together_on_the_next_get() {
        let mut polling = Polling::default();
        polling.push(Packet::Message("a".into()), false).unwrap();
        polling.push(Packet::Message("b".into()), false).unwrap();
        let (tx, rx) = oneshot::channel();
        polling.poll(tx, false).unwrap();
        assert_eq!(answer(rx).as_deref(), Some("4a\x1e4b"));
        assert!(!polling.is_waiting());
    }

    #[test]
    fn a_waiting_get_is_answered_by_the_next_packet() {
        let mut polling = Polling::default();
        let (tx, mut rx) = oneshot::channel();
        polling.poll(tx, false).unwrap();
        assert!(rx.try_recv().is_err(), "nothing to send yet");
        polling.push(Packet::Message("a".into()), false).unwrap();
        assert_eq!(answer(rx).as_deref(), Some("4a"));
    }

    #[test]
    fn while_held_gets_are_noops_and_packets_wait() {
        let mut polling = Polling::default();
        polling.push(Packet::Message("a".into()), true).unwrap();
        let (tx, rx) = oneshot::channel();
        polling.poll(tx, true).unwrap();
        assert_eq!(answer(rx).as_deref(), Some("6"));
        assert_eq!(polling.into_queue(), vec![Packet::Message("a".into())]);
    }

    #[test]
    fn a_queue_nobody_fetches_overflows() {
        let mut polling = Polling::default();
        for _ in 0..QUEUE_LIMIT {
            polling.push(Packet::Noop, false).unwrap();
        }
        assert_eq!(polling.push(Packet::Noop, false), Err(Overflow));
    }

    #[test]
    fn the_close_packet_follows_what_is_still_queued() {
        let mut polling = Polling::default();
        polling.push(Packet::Message("a".into()), false).unwrap();
        polling.push(Packet::Close, false).unwrap();
        assert!(!polling.is_empty());
        let (tx, rx) = oneshot::channel();
        polling.poll(tx, false).unwrap();
        assert_eq!(answer(rx).as_deref(), Some("4a\x1e1"));
        assert!(polling.is_empty());
    }

    #[test]
    fn overlapping_gets_are_refused() {
        let mut polling = Polling::default();
        let (first, _first_rx) = oneshot::channel();
        polling.poll(first, false).unwrap();
        let (second, mut second_rx) = oneshot::channel();
        assert_eq!(polling.poll(second, false), Err(OverlappingPoll));
        assert_eq!(second_rx.try_recv().unwrap(), Err(EioError::BadRequest));
    }
}
