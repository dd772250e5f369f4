//! The settings a server announces in every handshake.

use std::time::Duration;

/// Engine.IO settings, as the handshake announces them.
#[derive(Debug, Clone)]
pub struct EngineIoConfig {
    /// The URL path, with its trailing slash (`/socket.io/`).
    pub path: String,
    /// Time between server pings.
    pub ping_interval: Duration,
    /// Time a client has to answer a ping.
    pub ping_timeout: Duration,
    /// The largest body or frame a client may send, in bytes.
    pub max_payload: usize,
}

impl EngineIoConfig {
    /// The reference server's defaults (25 s, 20 s, 1 MB) on `path`.
    pub fn new(path: &str) -> Self {
        Self {
            path: path.to_owned(),
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            max_payload: 1_000_000,
        }
    }
}
