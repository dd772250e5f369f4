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
    /// How many sessions one client address may hold at once (`None`: no
    /// limit). A polling session holds no connection between its requests,
    /// so a limit on connections alone does not bound them.
    pub max_sessions_per_ip: Option<usize>,
}

impl EngineIoConfig {
    /// The reference server's defaults (25 s, 20 s, 1 MB, no limit per
    /// address) on `path`.
    pub fn new(path: &str) -> Self {
        Self {
            path: path.to_owned(),
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            max_payload: 1_000_000,
            max_sessions_per_ip: None,
        }
    }
}
