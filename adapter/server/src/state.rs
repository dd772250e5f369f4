//! What every handler of the local server shares.

use std::sync::Arc;

use ecb_engine::Engine;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::LocalHub;
use crate::gate::OperationGate;
use crate::slots::Slots;

/// The local server's shared state: the engine, the sockets it pushes to, and
/// the shutdown signal long-lived connections listen for.
#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    pub hub: Arc<LocalHub>,
    /// This server's Management API base URL: connection records carry it so
    /// pushes find the process that holds the socket.
    pub endpoint: String,
    /// Cancelled at the end of a drain (or by [`crate::RunningServer::stop`]):
    /// connections still open close at once (WebSocket close 1012).
    pub shutdown: CancellationToken,
    /// Tracks connection tasks so shutdown can wait for them.
    pub tasks: TaskTracker,
    /// Every client operation runs through it; a drain closes it and waits
    /// for the operations in flight.
    pub gate: Arc<OperationGate>,
    /// REST's pushes, delivered after the answer: a drain waits for them
    /// before it closes any socket.
    pub deferred_pushes: TaskTracker,
    /// The DynamoDB calls made, when threads are shared through a table.
    pub store_calls: Option<ecb_aws::CallCounter>,
    /// Open WebSocket and Socket.IO connections per userId, up to
    /// `ECB_MAX_CONNECTIONS_PER_USER`.
    pub user_connections: Arc<Slots<String>>,
}
