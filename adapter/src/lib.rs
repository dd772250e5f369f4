//! The ECB local server: the engine in one process, behind raw WebSocket
//! (`/ws`), REST (`/v1/{action}`), the server API (`/v1/server/*`) and
//! `/healthz`. Each transport module only translates between its wire format
//! and [`ecb_engine::Engine`]; no operation is written here.

pub mod demo;
mod hub;
mod origin;
mod rest;
mod server;
mod state;
mod ws;

pub use hub::{LocalHub, Outbound};
pub use server::{RunningServer, start};
pub use state::AppState;
