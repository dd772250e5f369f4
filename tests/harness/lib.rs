//! The end-to-end test harness: starts real ECB servers and real HTTP backends
//! on loopback, and drives them with real WebSocket and REST clients.

pub mod conformance;
pub mod dynalite;
pub mod ecb_process;
pub mod eio_client;
pub mod fault_backend;
pub mod fuzz;
pub mod lambda;
pub mod management;
pub mod original_backend;
pub mod prometheus_text;
pub mod raw_http;
pub mod rest;
pub mod serverless;
pub mod sio_client;
pub mod slow_reader;
pub mod stack;
pub mod store_contract;
pub mod tokens;
pub mod ws;

pub use dynalite::Dynalite;
pub use ecb_process::EcbProcess;
pub use fault_backend::{Fault, FaultBackend};
pub use lambda::LambdaWatch;
pub use management::{
    MANAGEMENT_SECRET, Signing, assert_management_refused, connection_url, management_call,
    management_key,
};
pub use original_backend::OriginalBackend;
pub use prometheus_text::Scrape;
pub use rest::Rest;
pub use serverless::Serverless;
pub use sio_client::SioClient;
pub use slow_reader::SlowReader;
pub use stack::{Stack, StackOptions, seeded_thread_token};
pub use store_contract::{connection_record, store_contract};
pub use tokens::TestTokens;
pub use ws::WsClient;

/// The `ecb` binary cargo built beside this test binary.
pub fn ecb_binary() -> std::path::PathBuf {
    let mut dir = std::env::current_exe().expect("test binary path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let binary = dir.join("ecb");
    assert!(
        binary.exists(),
        "build the ecb binary first: cargo build --bins"
    );
    binary
}

/// How long a test waits for something that should happen.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);
/// How long a test waits to be sure something does not happen.
pub const QUIET: std::time::Duration = std::time::Duration::from_millis(300);
