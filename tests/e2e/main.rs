//! End-to-end tests of the local server: real sockets on loopback, a real HTTP
//! backend, real WebSocket and REST clients. One binary, so it links once.

mod aborted_poll;
mod backend_faults;
mod chat;
mod chat_features;
mod cli;
mod close_codes;
mod connection_limits;
mod drain;
mod dynamo_store;
mod engineio_protocol;
mod fuzz;
mod json_logs;
mod jwt_attacks;
mod limits;
mod management_api;
mod metrics;
mod operations;
mod pass_through;
mod polling_flood;
mod server_api;
mod serverless;
mod serverless_socketio;
mod shared_table;
mod slow_consumers;
mod socketio_protocol;
mod store_contract;
