//! The ECB engine: everything ECB does, with no transport of its own.
//!
//! A transport (the local server's WebSocket, Socket.IO and REST endpoints, or a
//! Lambda function behind API Gateway) turns what arrives into an [`Engine`]
//! call and turns the [`Reply`] back into its own framing. Operations are
//! written once, here, so every transport behaves the same.
//!
//! The engine reaches the outside world only through three ports:
//! [`ports::Store`] (which connection is in which thread), [`ports::Pusher`]
//! (deliver an event to a connection) and [`ports::Backend`] (the customer's
//! server). In-memory and HTTP implementations live beside them.

pub mod backend;
pub mod config;
mod engine;
pub mod error;
mod fanout;
pub mod instruments;
pub mod limits;
mod ops;
pub mod paging;
pub mod ports;
mod presence;
pub mod protocol;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tokens;

pub use config::{ConfigError, EngineConfig, Settings};
pub use engine::{Caller, Credentials, Engine, FrameReply, Payload, Reply, Request};
pub use error::{EcbError, ErrorCode};
pub use fanout::Pushes;
pub use protocol::action::Action;
pub use protocol::events::PushEvent;

/// Seconds since the Unix epoch: tokens, TTLs and connection records speak it.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Install ring as rustls' process-wide crypto provider.
///
/// reqwest and the AWS SDK are built without a provider of their own (aws-lc
/// would double the clean build), so one must be installed before the first
/// TLS client is made. Calling it twice is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
