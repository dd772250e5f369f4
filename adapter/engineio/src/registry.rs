//! Live sessions by sid, so HTTP requests find the session they belong to.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use tokio::sync::mpsc;

use crate::command::Command;

/// What a request needs to reach a session.
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) commands: mpsc::Sender<Command>,
    /// Set while a polling POST is being handled: a second one at the same
    /// time is a protocol error.
    pub(crate) posting: Arc<AtomicBool>,
}

#[derive(Default)]
pub(crate) struct Registry {
    sessions: Mutex<HashMap<String, Entry>>,
}

impl Registry {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn insert(&self, sid: &str, entry: Entry) {
        self.map().insert(sid.to_owned(), entry);
    }

    pub(crate) fn get(&self, sid: &str) -> Option<Entry> {
        self.map().get(sid).cloned()
    }

    pub(crate) fn remove(&self, sid: &str) {
        self.map().remove(sid);
    }
}
