//! End-to-end tests of the local server: real sockets on loopback, a real HTTP
//! backend, real WebSocket and REST clients. One binary, so it links once.

mod backend_faults;
mod chat;
mod cli;
mod drain;
mod dynamo_store;
mod engineio_protocol;
mod json_logs;
mod jwt_attacks;
mod limits;
mod metrics;
mod operations;
mod pass_through;
mod server_api;
mod serverless;
mod serverless_socketio;
mod shared_table;
mod socketio_protocol;
mod store_contract;
