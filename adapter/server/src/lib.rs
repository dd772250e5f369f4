//! The ECB local server: the engine in one process, behind Socket.IO
//! (`/socket.io/`, long-polling and WebSocket), raw WebSocket (`/ws`), REST
//! (`/v1/{action}`), the server API (`/v1/server/*`) and `/healthz`. Each
//! transport module only translates between its wire format and
//! [`ecb_engine::Engine`]; no operation is written here.
//!
//! The protocol layers are separate: `engineio` (sessions, polling, upgrade,
//! heartbeat) under `socketio` (namespaces, events, acks) under `sio` (ECB's
//! mapping onto the engine); `conformance` puts the official suites'
//! behaviours on the same layers.

pub mod conformance;
pub mod demo;
pub mod gateway;
mod hub;
mod management;
mod outbound;
mod routing_pusher;
mod server;
mod sio;
mod state;
mod ws;

pub use hub::{LocalHub, Mailbox};
pub use outbound::{Outbound, SharedPush};
pub use server::{RunningServer, serve, start};
pub use state::AppState;
