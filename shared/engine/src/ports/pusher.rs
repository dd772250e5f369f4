//! The Pusher port: deliver an event to one connection, wherever it lives.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::{StreamExt, stream};

use super::Member;
use crate::PushEvent;

/// How many pushes of one fan-out are in flight at once, for a pusher whose
/// pushes are network calls.
const CONCURRENT_PUSHES: usize = 32;

/// Why a push did not arrive.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The connection no longer exists (API Gateway's 410): forget it.
    #[error("connection gone")]
    Gone,
    /// The connection reads slower than it is pushed to and its queue is
    /// full: this push is lost, the connection kept (counted apart, since it
    /// means a slow client, not a broken one).
    #[error("the connection's queue is full")]
    QueueFull,
    /// Anything else; the connection is kept and the push is lost.
    #[error("push failed: {0}")]
    Failed(String),
}

/// Delivers events to connections: in-process sockets on the local server,
/// the Management API on API Gateway.
#[async_trait]
pub trait Pusher: Send + Sync {
    /// Sends one event to one connection.
    /// The event is shared: one fan-out hands the same one to every member.
    async fn push(&self, to: &Member, event: &Arc<PushEvent>) -> Result<(), PushError>;

    /// Sends one event to each of `targets` (a fan-out), with each one's
    /// outcome. By default a bounded number of [`Pusher::push`]es run at
    /// once; a pusher that can share work across the fan-out (one encoding
    /// of the event, one lock) does it here.
    async fn push_each(
        &self,
        targets: Vec<Member>,
        event: Arc<PushEvent>,
    ) -> Vec<(Member, Result<(), PushError>)> {
        let event = &event;
        push_concurrently(targets, |member| async move {
            let outcome = self.push(&member, event).await;
            (member, outcome)
        })
        .await
    }

    /// Closes a connection (the server API's disconnectUser).
    async fn disconnect(&self, to: &Member) -> Result<(), PushError>;
}

/// Runs `push` for every target, a bounded number at a time (pushes that are
/// network calls), and collects each target's outcome: the shape of a
/// fan-out for pushers that cannot do better.
pub async fn push_concurrently<F, Fut>(
    targets: Vec<Member>,
    push: F,
) -> Vec<(Member, Result<(), PushError>)>
where
    F: FnMut(Member) -> Fut,
    Fut: Future<Output = (Member, Result<(), PushError>)>,
{
    stream::iter(targets.into_iter().map(push))
        .buffer_unordered(CONCURRENT_PUSHES)
        .collect()
        .await
}
