//! The ECB local server: the engine in one process, behind Socket.IO
//! (`/socket.io/`, long-polling and WebSocket), raw WebSocket (`/ws`), REST
//! (`/v1/{action}`), the server API (`/v1/server/*`) and `/healthz`. Each
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
pub mod gateway;
mod hub;
mod management;
mod management_auth;
mod outbound;
mod routing_pusher;
mod server;
mod slots;
mod state;
mod ws;

pub use connections::ConnectionLimits;
pub use hub::{LocalHub, Mailbox};
pub use outbound::{Outbound, SharedPush};
pub use server::{RunningServer, serve, start};
pub use state::AppState;
