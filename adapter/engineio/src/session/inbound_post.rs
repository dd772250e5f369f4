//! A polling POST being taken in. Its packets reach the layer above one at a
//! time, through the same bounded queue a WebSocket's frames go through:
//! while the layer above is behind, the POST waits (its answer with it), so
//! a client cannot pile up more than one body's packets however fast it posts.

use ecb_engineio_codec::Packet;
use tokio::sync::oneshot;

use crate::command::Post;
use crate::error::EioError;

/// The POST in hand, if any (the HTTP layer lets one in at a time).
#[derive(Default)]
pub(super) struct InboundPost {
    current: Option<Taking>,
}

struct Taking {
    packets: std::vec::IntoIter<Packet>,
    reply: oneshot::Sender<Result<(), EioError>>,
}

impl InboundPost {
    /// Starts taking in a POST; a second one while one is in hand is refused.
    pub(super) fn start(&mut self, Post { packets, reply }: Post) {
        if self.current.is_some() {
            let _ = reply.send(Err(EioError::BadRequest));
            return;
        }
        let taking = Taking {
            packets: packets.into_iter(),
            reply,
        };
        self.current = Some(taking);
        self.answer_when_taken();
    }

    /// The POST's next packet; never, while no POST is in hand. Once its
    /// last packet is taken the POST is answered.
    pub(super) async fn next(&mut self) -> Packet {
        let packet = self
            .current
            .as_mut()
            .and_then(|taking| taking.packets.next());
        match packet {
            Some(packet) => {
                self.answer_when_taken();
                packet
            }
            None => std::future::pending().await,
        }
    }

    /// The session ends: a POST in hand is answered as taken (the client's
    /// own close may have been one of its packets).
    pub(super) fn finish(&mut self) {
        if let Some(taking) = self.current.take() {
            let _ = taking.reply.send(Ok(()));
        }
    }

    fn answer_when_taken(&mut self) {
        if self
            .current
            .as_ref()
            .is_some_and(|taking| taking.packets.len() == 0)
        {
            self.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    fn post(texts: &[&str]) -> (Post, oneshot::Receiver<Result<(), EioError>>) {
        let (reply, answer) = oneshot::channel();
        let packets = texts.iter().map(|t| Packet::Message((*t).into())).collect();
        (Post { packets, reply }, answer)
    }

    #[test]
    fn packets_come_one_by_one_and_the_post_is_answered_after_the_last() {
        let mut inbound = InboundPost::default();
        let (first, mut answer) = post(&["a", "b"]);
        inbound.start(first);
        assert_eq!(
            inbound.next().now_or_never(),
            Some(Packet::Message("a".into()))
        );
        assert!(
            answer.try_recv().is_err(),
            "not answered while packets remain"
        );
        assert_eq!(
            inbound.next().now_or_never(),
            Some(Packet::Message("b".into()))
        );
        assert_eq!(answer.try_recv(), Ok(Ok(())));
        assert_eq!(inbound.next().now_or_never(), None);
    }

    #[test]
    fn a_second_post_while_one_is_in_hand_is_refused() {
        let mut inbound = InboundPost::default();
        let (first, _first_answer) = post(&["a"]);
        inbound.start(first);
        let (second, mut answer) = post(&["b"]);
        inbound.start(second);
        assert_eq!(answer.try_recv(), Ok(Err(EioError::BadRequest)));
    }

    #[test]
    fn an_ending_session_answers_the_post_in_hand() {
        let mut inbound = InboundPost::default();
        let (first, mut answer) = post(&["a", "1"]);
        inbound.start(first);
        inbound.finish();
        assert_eq!(answer.try_recv(), Ok(Ok(())));
    }
}
