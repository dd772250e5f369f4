//! The local server's Pusher: a queue per open socket in this process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;
use ecb_engine::PushEvent;
use ecb_engine::ports::{Member, PushError, Pusher};
use tokio::sync::mpsc;

/// How many pushes may wait for a slow socket before further ones are dropped.
const QUEUE_DEPTH: usize = 1024;

/// What the hub hands a connection's writer.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// An event to frame in the connection's own protocol; shared by every
    /// connection of a fan-out (and it keeps a queue slot small).
    Push(Arc<PushEvent>),
    /// A frame already encoded for this connection (a response).
    Frame(String),
    /// Close the connection (the server API's disconnectUser).
    Close,
}

/// One open socket: its queue, and when it opened (the Management API's
/// `GET /@connections/{id}` reports it).
struct Slot {
    queue: mpsc::Sender<Outbound>,
    connected_at: SystemTime,
}

/// Delivers pushes to the sockets of this process, by connection id.
pub struct LocalHub {
    connections: Mutex<HashMap<String, Slot>>,
}

impl LocalHub {
    /// An empty hub.
    pub fn new() -> Self {
        Self {
            connections: Mutex::new(HashMap::new()),
        }
    }

    fn connections(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        self.connections.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens the queue of a new connection; its writer drains the receiver.
    pub fn register(
        &self,
        connection_id: &str,
    ) -> (mpsc::Sender<Outbound>, mpsc::Receiver<Outbound>) {
        let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
        let slot = Slot {
            queue: sender.clone(),
            connected_at: SystemTime::now(),
        };
        self.connections().insert(connection_id.to_owned(), slot);
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

    /// When a connection opened, if it is open.
    pub fn connected_at(&self, connection_id: &str) -> Option<SystemTime> {
        self.connections()
            .get(connection_id)
            .map(|slot| slot.connected_at)
    }

    /// Queues something for one connection; `Gone` if it is not open here.
    pub fn send(&self, connection_id: &str, outbound: Outbound) -> Result<(), PushError> {
        let sender = self
            .connections()
            .get(connection_id)
            .map(|slot| slot.queue.clone())
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
    async fn push(&self, to: &Member, event: &Arc<PushEvent>) -> Result<(), PushError> {
        self.send(&to.connection_id, Outbound::Push(Arc::clone(event)))
    }

    async fn disconnect(&self, to: &Member) -> Result<(), PushError> {
        self.send(&to.connection_id, Outbound::Close)
    }
}
