//! The Pusher port: deliver an event to one connection, wherever it lives.

use std::sync::Arc;

use async_trait::async_trait;

use super::Member;
use crate::PushEvent;

/// Why a push did not arrive.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The connection no longer exists (API Gateway's 410): forget it.
    #[error("connection gone")]
    Gone,
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
    /// Closes a connection (the server API's disconnectUser).
    async fn disconnect(&self, to: &Member) -> Result<(), PushError>;
}
