//! The local server's Pusher: a queue per open socket in this process.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use ecb_engine::PushEvent;
use ecb_engine::ports::{Member, PushError, Pusher};
use tokio::sync::mpsc;

/// How many pushes may wait for a slow socket before further ones are dropped.
const QUEUE_DEPTH: usize = 1024;

/// What the hub hands a connection's writer.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// An event to frame in the connection's own protocol.
    Push(PushEvent),
    /// A frame already encoded for this connection (a response).
    Frame(String),
    /// Close the connection (the server API's disconnectUser).
    Close,
}

/// Delivers pushes to the sockets of this process, by connection id.
pub struct LocalHub {
    connections: Mutex<HashMap<String, mpsc::Sender<Outbound>>>,
}

impl LocalHub {
    /// An empty hub.
    pub fn new() -> Self {
        Self {
            connections: Mutex::new(HashMap::new()),
        }
    }

    fn connections(&self) -> std::sync::MutexGuard<'_, HashMap<String, mpsc::Sender<Outbound>>> {
        self.connections.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens the queue of a new connection; its writer drains the receiver.
    pub fn register(
        &self,
        connection_id: &str,
    ) -> (mpsc::Sender<Outbound>, mpsc::Receiver<Outbound>) {
        let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
        self.connections()
            .insert(connection_id.to_owned(), sender.clone());
        (sender, receiver)
    }

    /// Forgets a closed connection.
    pub fn unregister(&self, connection_id: &str) {
        self.connections().remove(connection_id);
    }

    /// How many sockets are open.
    pub fn len(&self) -> usize {
        self.connections().len()
    }

    /// Whether no socket is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn send(&self, connection_id: &str, outbound: Outbound) -> Result<(), PushError> {
        let sender = self
            .connections()
            .get(connection_id)
            .cloned()
            .ok_or(PushError::Gone)?;
        sender.try_send(outbound).map_err(|error| match error {
            mpsc::error::TrySendError::Closed(_) => PushError::Gone,
            mpsc::error::TrySendError::Full(_) => {
                PushError::Failed("the connection's queue is full".into())
            }
        })
    }
}

impl Default for LocalHub {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Pusher for LocalHub {
    async fn push(&self, to: &Member, event: &PushEvent) -> Result<(), PushError> {
        self.send(&to.connection_id, Outbound::Push(event.clone()))
    }

    async fn disconnect(&self, to: &Member) -> Result<(), PushError> {
        self.send(&to.connection_id, Outbound::Close)
    }
}
