//! Running the layer above inside the session's actor: one message at a
//! time, in order. While one is in hand (it may wait on a backend) later
//! ones queue here, and pings, pushes and polls go on around it.

use std::collections::VecDeque;

use tokio::time::Instant;

use crate::upper::{Inbound, Step, Upper};

/// How many client messages may wait before the session stops reading its
/// WebSocket (backpressure onto the client).
const PENDING_LIMIT: usize = 256;

/// The layer above's state for one session.
enum State {
    /// Waiting for a message.
    Idle(Box<dyn Upper>),
    /// Handling one; its state comes back when the step is done.
    Busy(Step),
    /// It ended the session, or the session is closing.
    Gone,
}

/// The layer above and the messages waiting for it.
pub(super) struct LayerAbove {
    state: State,
    pending: VecDeque<Inbound>,
}

/// The layer above ended the session (a protocol violation).
#[derive(Debug, PartialEq)]
pub(super) struct Ended;

impl LayerAbove {
    pub(super) fn new(upper: Box<dyn Upper>) -> Self {
        Self {
            state: State::Idle(upper),
            pending: VecDeque::new(),
        }
    }

    /// The layer's own deadline (Socket.IO's connect timeout), while idle.
    pub(super) fn deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Idle(upper) => upper.deadline(),
            State::Busy(_) | State::Gone => None,
        }
    }

    /// Whether the session should read more from its client.
    pub(super) fn wants_more(&self) -> bool {
        self.pending.len() < PENDING_LIMIT
    }

    /// A client message: handled now if the layer is idle, else queued.
    pub(super) fn deliver(&mut self, inbound: Inbound) {
        match std::mem::replace(&mut self.state, State::Gone) {
            State::Idle(upper) => self.state = State::Busy(upper.on_message(inbound)),
            busy => {
                self.state = busy;
                self.pending.push_back(inbound);
            }
        }
    }

    /// The step in hand finishing; never, when there is none.
    pub(super) async fn stepped(&mut self) -> Option<Box<dyn Upper>> {
        match &mut self.state {
            State::Busy(step) => step.await,
            State::Idle(_) | State::Gone => std::future::pending().await,
        }
    }

    /// A step finished: on to the next message, if any.
    pub(super) fn resume(&mut self, upper: Option<Box<dyn Upper>>) -> Result<(), Ended> {
        let Some(upper) = upper else {
            self.state = State::Gone;
            return Err(Ended);
        };
        self.state = match self.pending.pop_front() {
            Some(next) => State::Busy(upper.on_message(next)),
            None => State::Idle(upper),
        };
        Ok(())
    }

    /// Lets the layer finish the messages it was given, then closes it.
    pub(super) async fn close(&mut self) {
        let mut upper = match std::mem::replace(&mut self.state, State::Gone) {
            State::Idle(upper) => Some(upper),
            State::Busy(step) => step.await,
            State::Gone => None,
        };
        while let Some(current) = upper.take() {
            match self.pending.pop_front() {
                Some(next) => upper = current.on_message(next).await,
                None => current.on_close().await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Records what it handles; a message "bye" ends the session.
    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl Upper for Recorder {
        fn on_message(self: Box<Self>, inbound: Inbound) -> Step {
            Box::pin(async move {
                let Inbound::Text(text) = inbound else {
                    return None;
                };
                self.0.lock().unwrap().push(text.clone());
                (text != "bye").then_some(self as Box<dyn Upper>)
            })
        }

        fn on_close(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
            Box::pin(async move { self.0.lock().unwrap().push("closed".into()) })
        }
    }

    fn layer() -> (LayerAbove, Arc<Mutex<Vec<String>>>) {
        let log = Arc::default();
        (LayerAbove::new(Box::new(Recorder(Arc::clone(&log)))), log)
    }

    fn text(text: &str) -> Inbound {
        Inbound::Text(text.into())
    }

    #[tokio::test]
    async fn messages_run_one_at_a_time_in_order() {
        let (mut layer, log) = layer();
        layer.deliver(text("a"));
        layer.deliver(text("b"));
        layer.deliver(text("c"));
        for _ in 0..3 {
            let upper = layer.stepped().await;
            assert_eq!(layer.resume(upper), Ok(()));
        }
        assert_eq!(*log.lock().unwrap(), ["a", "b", "c"]);
        assert!(layer.deadline().is_none());
    }

    #[tokio::test]
    async fn closing_finishes_what_was_given_then_closes() {
        let (mut layer, log) = layer();
        layer.deliver(text("a"));
        layer.deliver(text("b"));
        layer.close().await;
        assert_eq!(*log.lock().unwrap(), ["a", "b", "closed"]);
    }

    #[tokio::test]
    async fn a_layer_that_ends_the_session_gets_nothing_more() {
        let (mut layer, log) = layer();
        layer.deliver(text("bye"));
        let upper = layer.stepped().await;
        assert_eq!(layer.resume(upper), Err(Ended));
        layer.close().await;
        assert_eq!(*log.lock().unwrap(), ["bye"]);
    }

    #[test]
    fn a_full_queue_stops_reading() {
        let (mut layer, _) = layer();
        for i in 0..=PENDING_LIMIT {
            assert!(layer.wants_more());
            layer.deliver(text(&i.to_string()));
        }
        assert!(!layer.wants_more());
    }
}
