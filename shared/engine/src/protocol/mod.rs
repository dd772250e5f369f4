//! The wire contract of PROTOCOL.md as Rust types: data models, the envelope,
//! push events, actions, and the two client framings shared by the local
//! server and the API Gateway functions: `frame` (raw WebSocket) and
//! `socketio` (ECB's mapping onto Socket.IO).

pub mod action;
pub mod envelope;
pub mod events;
pub mod frame;
pub mod models;
pub mod socketio;
pub mod wire;
