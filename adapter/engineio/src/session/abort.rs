//! Ending a session from outside its command queue. The queue may be full
//! (that is one reason to end it) and the actor may be busy, so an abort is
//! a flag the actor's loop watches, not a command waiting its turn.

use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;

/// Why a session was aborted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aborted {
    /// A waiting poll's request went away before it was answered: what it
    /// would have carried may be lost, so the session ends and the client
    /// starts over (the reference server: "poll connection closed prematurely").
    PollClosedPrematurely,
    /// The session could not take a packet without waiting: its client reads
    /// slower than it is sent to and has lost that packet.
    Lagging,
}

/// A session's abort switch; the first reason given wins.
#[derive(Clone, Default)]
pub(crate) struct Abort {
    reason: Arc<OnceLock<Aborted>>,
    signal: CancellationToken,
}

impl Abort {
    /// Ends the session for `why`, without waiting.
    pub(crate) fn abort(&self, why: Aborted) {
        let _ = self.reason.set(why);
        self.signal.cancel();
    }

    /// Resolves once the session is aborted, with the reason.
    pub(crate) async fn aborted(&self) -> Aborted {
        self.signal.cancelled().await;
        self.reason.get().copied().unwrap_or(Aborted::Lagging)
    }
}

/// Aborts the session if dropped before [`AbortOnDrop::disarm`]: an HTTP
/// request whose future is dropped was cancelled by its client.
pub(crate) struct AbortOnDrop {
    abort: Option<(Abort, Aborted)>,
}

impl AbortOnDrop {
    pub(crate) fn new(abort: Abort, why: Aborted) -> Self {
        Self {
            abort: Some((abort, why)),
        }
    }

    /// The request finished normally.
    pub(crate) fn disarm(mut self) {
        self.abort = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some((abort, why)) = self.abort.take() {
            abort.abort(why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_reason_wins() {
        let abort = Abort::default();
        abort.abort(Aborted::PollClosedPrematurely);
        abort.abort(Aborted::Lagging);
        assert_eq!(abort.aborted().await, Aborted::PollClosedPrematurely);
    }

    #[tokio::test]
    async fn a_dropped_guard_aborts_and_a_disarmed_one_does_not() {
        let abort = Abort::default();
        AbortOnDrop::new(abort.clone(), Aborted::Lagging).disarm();
        assert!(!abort.signal.is_cancelled());
        drop(AbortOnDrop::new(
            abort.clone(),
            Aborted::PollClosedPrematurely,
        ));
        assert_eq!(abort.aborted().await, Aborted::PollClosedPrematurely);
    }
}
