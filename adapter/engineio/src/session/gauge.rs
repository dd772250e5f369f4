//! Sessions by transport, as a metric: each actor holds a gauge entry for
//! its session that moves when the session upgrades and leaves when the
//! session ends, however it ends.

/// Gauge: Engine.IO sessions open now, by `transport` (`polling`, `websocket`).
pub const SESSIONS: &str = "ecb_engineio_sessions";

/// One session's place on the gauge.
pub(super) struct SessionGauge {
    transport: &'static str,
}

impl SessionGauge {
    /// A session opened over polling or straight over a WebSocket.
    pub(super) fn open(websocket: bool) -> Self {
        let transport = if websocket { "websocket" } else { "polling" };
        metrics::gauge!(SESSIONS, "transport" => transport).increment(1.0);
        Self { transport }
    }

    /// The session moved from polling to its WebSocket.
    pub(super) fn upgraded(&mut self) {
        metrics::gauge!(SESSIONS, "transport" => self.transport).decrement(1.0);
        self.transport = "websocket";
        metrics::gauge!(SESSIONS, "transport" => self.transport).increment(1.0);
    }
}

impl Drop for SessionGauge {
    fn drop(&mut self) {
        metrics::gauge!(SESSIONS, "transport" => self.transport).decrement(1.0);
    }
}
