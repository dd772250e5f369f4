//! The ECB local server: the engine in one process, behind Socket.IO
//! (`/socket.io/`, long-polling and WebSocket), raw WebSocket (`/ws`), REST
//! (`/v1/{action}`), the server API (`/v1/server/*`), `/healthz`, `/readyz`
//! and `/metrics`. Each
//! transport module only translates between its wire format and
//! [`ecb_engine::Engine`]; no operation is written here.
//!
//! The protocol layers are crates of their own: `ecb-engineio` (sessions,
//! polling, upgrade, heartbeat) under `ecb-socketio` (namespaces, events,
//! acks); `ecb_namespace` puts ECB on them through the engine's Socket.IO
//! mapping, and `conformance` puts the official suites' behaviours on the
//! same layers.

mod client_io;
pub mod conformance;
mod connections;
pub mod demo;
mod ecb_namespace;
pub mod gate;
pub mod gateway;
mod hub;
pub mod logging;
mod management;
mod management_auth;
pub mod open_connections;
pub mod operating;
mod outbound;
pub mod prometheus;
mod readiness;
mod routing_pusher;
mod server;
mod slots;
mod state;
mod ws;

pub use connections::ConnectionLimits;
pub use hub::{LocalHub, Mailbox};
pub use operating::OperatorSettings;
pub use outbound::{Outbound, SharedPush};
pub use server::{RunningServer, serve, start, start_operated};
pub use state::AppState;
