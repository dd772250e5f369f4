//! A Pusher that delivers nowhere and remembers everything, so a test can
//! assert what each connection would have received.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use crate::PushEvent;
use crate::ports::{Member, PushError, Pusher};

#[derive(Default)]
struct Log {
    /// connection id → the events pushed to it, in order.
    pushes: HashMap<String, Vec<PushEvent>>,
    /// Connections closed through [`Pusher::disconnect`], in order.
    disconnected: Vec<String>,
    /// Connections whose pushes fail as API Gateway's 410 would.
    gone: HashSet<String>,
}

/// Records every push per connection; a connection marked gone refuses its
/// pushes with [`PushError::Gone`], so tests can reach the engine's cleanup.
#[derive(Default)]
pub struct RecordingPusher {
    log: Mutex<Log>,
}

impl RecordingPusher {
    /// A pusher that has recorded nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event pushed to a connection so far, oldest first.
    pub fn pushes_to(&self, connection_id: &str) -> Vec<PushEvent> {
        self.log()
            .pushes
            .get(connection_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The events pushed to a connection since the last `take`, which then
    /// forgets them: a test asserts one step at a time.
    pub fn take(&self, connection_id: &str) -> Vec<PushEvent> {
        self.log().pushes.remove(connection_id).unwrap_or_default()
    }

    /// Forgets every push recorded so far (the presence pushes of setting a
    /// test up, say).
    pub fn clear(&self) {
        self.log().pushes.clear();
    }

    /// The connections the engine closed (the server API's disconnectUser).
    pub fn disconnected(&self) -> Vec<String> {
        self.log().disconnected.clone()
    }

    /// From now on pushes to this connection fail with [`PushError::Gone`],
    /// as they do once a client vanished without a disconnect.
    pub fn mark_gone(&self, connection_id: &str) {
        self.log().gone.insert(connection_id.to_owned());
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Pusher for RecordingPusher {
    async fn push(&self, to: &Member, event: &Arc<PushEvent>) -> Result<(), PushError> {
        let mut log = self.log();
        if log.gone.contains(&to.connection_id) {
            return Err(PushError::Gone);
        }
        log.pushes
            .entry(to.connection_id.clone())
            .or_default()
            .push(PushEvent::clone(event));
        Ok(())
    }

    async fn disconnect(&self, to: &Member) -> Result<(), PushError> {
        let mut log = self.log();
        if log.gone.contains(&to.connection_id) {
            return Err(PushError::Gone);
        }
        log.disconnected.push(to.connection_id.clone());
        Ok(())
    }
}
