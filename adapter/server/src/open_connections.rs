//! Connections open on this server, by transport, as metrics: a guard per
//! connection that counts it while it lives, so every way a connection ends
//! (close, error, drain) takes it off the gauge.

/// Gauge: connections open now, by `transport` (`websocket`, `socketio`).
pub const CONNECTIONS_OPEN: &str = "ecb_connections_open";
/// Counter: connections opened since start, by `transport`.
pub const CONNECTIONS_OPENED: &str = "ecb_connections_opened_total";

/// Which transport a connection came in on.
#[derive(Debug, Clone, Copy)]
pub enum Transport {
    /// Raw WebSocket at `/ws`.
    WebSocket,
    /// A Socket.IO client that joined ECB's namespace.
    SocketIo,
}

impl Transport {
    fn label(self) -> &'static str {
        match self {
            Self::WebSocket => "websocket",
            Self::SocketIo => "socketio",
        }
    }
}

/// Counts one open connection until dropped.
pub struct OpenConnection {
    transport: Transport,
}

impl OpenConnection {
    /// A connection has opened.
    pub fn new(transport: Transport) -> Self {
        let label = transport.label();
        metrics::counter!(CONNECTIONS_OPENED, "transport" => label).increment(1);
        metrics::gauge!(CONNECTIONS_OPEN, "transport" => label).increment(1.0);
        Self { transport }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        metrics::gauge!(CONNECTIONS_OPEN, "transport" => self.transport.label()).decrement(1.0);
    }
}
