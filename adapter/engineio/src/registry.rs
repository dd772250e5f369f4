//! Live sessions by sid, so HTTP requests find the session they belong to,
//! and how many each client address holds, so one address cannot open them
//! without end.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use tokio::sync::mpsc;

use crate::command::Command;
use crate::session::Abort;

/// What a request needs to reach a session.
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) commands: mpsc::Sender<Command>,
    /// Set while a polling POST is being handled: a second one at the same
    /// time is a protocol error.
    pub(crate) posting: Arc<AtomicBool>,
    /// Ends the session at once (a poll whose request went away).
    pub(crate) abort: Abort,
    /// The address that opened it, when the server knows it.
    pub(crate) ip: Option<IpAddr>,
}

/// An address already holds as many sessions as it may.
#[derive(Debug, PartialEq)]
pub(crate) struct TooManySessions;

#[derive(Default)]
struct Sessions {
    by_sid: HashMap<String, Entry>,
    per_ip: HashMap<IpAddr, usize>,
}

#[derive(Default)]
pub(crate) struct Registry {
    sessions: Mutex<Sessions>,
}

impl Registry {
    fn sessions(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks that `ip` may open another session (`limit`: at most that
    /// many per address).
    pub(crate) fn admits(
        &self,
        ip: Option<IpAddr>,
        limit: Option<usize>,
    ) -> Result<(), TooManySessions> {
        let (Some(ip), Some(limit)) = (ip, limit) else {
            return Ok(());
        };
        match self.sessions().per_ip.get(&ip).copied().unwrap_or(0) < limit {
            true => Ok(()),
            false => Err(TooManySessions),
        }
    }

    pub(crate) fn insert(&self, sid: &str, entry: Entry) {
        let mut sessions = self.sessions();
        if let Some(ip) = entry.ip {
            *sessions.per_ip.entry(ip).or_default() += 1;
        }
        sessions.by_sid.insert(sid.to_owned(), entry);
    }

    pub(crate) fn get(&self, sid: &str) -> Option<Entry> {
        self.sessions().by_sid.get(sid).cloned()
    }

    pub(crate) fn remove(&self, sid: &str) {
        let mut sessions = self.sessions();
        let Some(ip) = sessions.by_sid.remove(sid).and_then(|entry| entry.ip) else {
            return;
        };
        if let Some(count) = sessions.per_ip.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                sessions.per_ip.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ip: IpAddr) -> Entry {
        Entry {
            commands: mpsc::channel(1).0,
            posting: Arc::default(),
            abort: Abort::default(),
            ip: Some(ip),
        }
    }

    #[test]
    fn an_address_holds_at_most_its_limit_until_one_closes() {
        let registry = Registry::default();
        let ip: IpAddr = [127, 0, 0, 1].into();
        for sid in ["a", "b"] {
            assert_eq!(registry.admits(Some(ip), Some(2)), Ok(()));
            registry.insert(sid, entry(ip));
        }
        assert_eq!(registry.admits(Some(ip), Some(2)), Err(TooManySessions));
        assert_eq!(registry.admits(Some([10, 0, 0, 1].into()), Some(2)), Ok(()));
        assert_eq!(registry.admits(Some(ip), None), Ok(()));
        registry.remove("a");
        assert_eq!(registry.admits(Some(ip), Some(2)), Ok(()));
    }
}
