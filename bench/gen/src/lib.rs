//! ECB's benchmarks (issue 6): a load generator of its own (tokio, loopback
//! only, every run bounded in count and time) that speaks Socket.IO v4 over
//! WebSocket and ECB's raw WebSocket, a lean bench backend, the scenarios,
//! and the report. `bench/run.sh` builds everything and runs
//! `ecb-bench suite`; `cargo test -p ecb-bench` runs a smoke of the
//! generator against an in-process ECB.

pub mod backend;
pub mod conn;
pub mod fanout;
pub mod idle;
pub mod lambda;
pub mod lambda_socketio;
pub mod mixed;
pub mod polling;
pub mod procs;
pub mod report;
pub mod server_view;
pub mod soak;
pub mod steadiness;
pub mod storm;
pub mod suite;
pub mod token_cost;
pub mod tokens;
pub mod wire;

/// Installs rustls' ring provider once (reqwest is built without one).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A free loopback port (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
