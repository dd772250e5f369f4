//! The wire contract of PROTOCOL.md as Rust types: data models, the envelope,
//! push events, actions, and the raw WebSocket frame codec shared by the local
//! server and the API Gateway functions.

pub mod action;
pub mod envelope;
pub mod events;
pub mod frame;
pub mod models;
