//! The callers a warm instance has already looked up. A connection's record
//! is written when it opens (a Socket.IO connection's at its CONNECT, which
//! an instance remembers as it writes it) and changes only when refreshToken
//! extends its token, which the instance that ran it remembers and any
//! other reads again once the token it knew has run out; API Gateway routes
//! no frame of a connection after its `$disconnect`; so a frame from a
//! connection this instance has seen needs no read of the table. That saves
//! the strongly consistent GetItem (1 RRU) of every message but a
//! connection's first on each instance. The userToken's expiry is still
//! checked on every frame, by the engine.

use std::collections::HashMap;
use std::sync::Mutex;

use ecb_engine::{Caller, EcbError, Engine};

/// How many callers an instance remembers before it starts over.
const CAPACITY: usize = 10_000;

/// Resumed callers by connection id.
#[derive(Default)]
pub struct Callers {
    known: Mutex<HashMap<String, Caller>>,
}

impl Callers {
    /// The caller of a connection: remembered, else read from the store once.
    pub async fn resume(&self, engine: &Engine, connection_id: &str) -> Result<Caller, EcbError> {
        // refreshToken rewrites a record: a remembered caller whose token
        // has run out is read again, in case another instance refreshed it.
        if let Some(caller) = self.known().get(connection_id)
            && caller.user.exp > ecb_engine::unix_now()
        {
            return Ok(caller.clone());
        }
        let caller = engine.resume(connection_id).await?;
        self.remember(caller.clone());
        Ok(caller)
    }

    /// Remembers a caller this instance has just opened.
    pub fn remember(&self, caller: Caller) {
        let Some(connection_id) = caller.connection_id().map(str::to_owned) else {
            return;
        };
        let mut known = self.known();
        if known.len() >= CAPACITY {
            known.clear();
        }
        known.insert(connection_id, caller);
    }

    /// Forgets a connection that closed or left.
    pub fn forget(&self, connection_id: &str) {
        self.known().remove(connection_id);
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<String, Caller>> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }
}
