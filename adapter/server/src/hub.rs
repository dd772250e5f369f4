//! The local server's Pusher: every open socket of this process, by
//! connection id, each behind the mailbox its transport reads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;
use ecb_engine::PushEvent;
use ecb_engine::ports::{Member, PushError, Pusher};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::{Outbound, SharedPush};

/// How many frames may wait for a slow socket before it counts as lagging.
const QUEUE_DEPTH: usize = 1024;

/// Where a connection takes what the hub hands it. Offering never waits:
/// a fan-out must not stall behind one slow socket, so a full mailbox
/// refuses; the local server's sockets are then closed so their clients
/// resynchronise (`SocketMailbox`, and the Engine.IO session's own queue).
pub trait Mailbox: Send + Sync + 'static {
    /// Hands `outbound` over; `Gone` when the connection has ended.
    fn offer(&self, outbound: Outbound) -> Result<(), PushError>;
}

/// A WebSocket writer's queue (raw WebSocket, and `ecb gateway`'s sockets).
impl Mailbox for mpsc::Sender<Outbound> {
    fn offer(&self, outbound: Outbound) -> Result<(), PushError> {
        self.try_send(outbound).map_err(|error| match error {
            mpsc::error::TrySendError::Closed(_) => PushError::Gone,
            mpsc::error::TrySendError::Full(_) => queue_full(),
        })
    }
}

/// A raw WebSocket's queue. When it is full the client reads slower than
/// it is pushed to and has lost a push: its writer closes it with the
/// resync code instead of going on with a gap (`ws.rs`).
pub struct SocketMailbox {
    pub sender: mpsc::Sender<Outbound>,
    /// Cancelled when a push did not fit.
    pub lagging: CancellationToken,
}

impl Mailbox for SocketMailbox {
    fn offer(&self, outbound: Outbound) -> Result<(), PushError> {
        self.sender.try_send(outbound).map_err(|error| match error {
            mpsc::error::TrySendError::Closed(_) => PushError::Gone,
            mpsc::error::TrySendError::Full(_) => {
                self.lagging.cancel();
                queue_full()
            }
        })
    }
}

/// The refusal of a mailbox that is full.
pub fn queue_full() -> PushError {
    PushError::QueueFull
}

/// A queue for a WebSocket writer, deep enough for bursts of pushes.
pub fn socket_queue() -> (mpsc::Sender<Outbound>, mpsc::Receiver<Outbound>) {
    mpsc::channel(QUEUE_DEPTH)
}

/// One open socket: its mailbox, and when it opened (the Management API's
/// `GET /@connections/{id}` reports it).
struct Slot {
    mailbox: Box<dyn Mailbox>,
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

    /// Adds a new connection with the mailbox its transport reads.
    pub fn register(&self, connection_id: &str, mailbox: impl Mailbox) {
        let slot = Slot {
            mailbox: Box::new(mailbox),
            connected_at: SystemTime::now(),
        };
        self.connections().insert(connection_id.to_owned(), slot);
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

    /// Tells every open connection to reconnect elsewhere, after what is
    /// already queued for it (a drain); returns how many were told.
    pub fn ask_all_to_reconnect(&self) -> usize {
        let connections = self.connections();
        for slot in connections.values() {
            // A queue too full to take it is closed by the drain's deadline.
            let _ = slot.mailbox.offer(Outbound::Reconnect);
        }
        connections.len()
    }

    /// Hands something to one connection; `Gone` if it is not open here.
    pub fn send(&self, connection_id: &str, outbound: Outbound) -> Result<(), PushError> {
        offer(&self.connections(), connection_id, outbound)
    }
}

fn offer(
    connections: &HashMap<String, Slot>,
    connection_id: &str,
    outbound: Outbound,
) -> Result<(), PushError> {
    connections
        .get(connection_id)
        .ok_or(PushError::Gone)?
        .mailbox
        .offer(outbound)
}

impl Default for LocalHub {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Pusher for LocalHub {
    async fn push(&self, to: &Member, event: &Arc<PushEvent>) -> Result<(), PushError> {
        let push = SharedPush::new(Arc::clone(event));
        self.send(&to.connection_id, Outbound::Push(push))
    }

    /// One encoding and one lock for the whole fan-out; offering never
    /// waits, so nothing here runs concurrently.
    async fn push_each(
        &self,
        targets: Vec<Member>,
        event: Arc<PushEvent>,
    ) -> Vec<(Member, Result<(), PushError>)> {
        let push = SharedPush::new(event);
        let connections = self.connections();
        targets
            .into_iter()
            .map(|member| {
                let outcome = offer(
                    &connections,
                    &member.connection_id,
                    Outbound::Push(push.clone()),
                );
                (member, outcome)
            })
            .collect()
    }

    async fn disconnect(&self, to: &Member) -> Result<(), PushError> {
        self.send(&to.connection_id, Outbound::Close)
    }
}
