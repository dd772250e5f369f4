//! An in-process engine for tests: the real [`Engine`](crate::Engine) over
//! ports that need no TCP and no HTTP backend, so an operation test runs in
//! microseconds and asserts what each connection got.
//!
//! - [`MemoryStore`]: the local server's own store, unchanged.
//! - [`RecordingPusher`]: keeps every push per connection.
//! - [`ScriptedBackend`]: answers what a test scripts, per operation, and
//!   keeps every call it received.
//! - [`TestKeys`]: signs userTokens, threadTokens and serverTokens with a key
//!   pair whose public half is the only key the engine trusts.
//! - [`TestEngine`]: all of the above assembled, with the transport's part
//!   (run a request, then deliver its pushes) written once.
//!
//! Compiled for the engine's own unit tests (`cfg(test)`) and, for other
//! crates' tests, behind the `testing` feature; never in a release build.

mod engine;
mod keys;
mod recording_pusher;
mod scripted_backend;

pub use engine::{TestEngine, TestEngineBuilder};
pub use keys::TestKeys;
pub use recording_pusher::RecordingPusher;
pub use scripted_backend::{RecordedCall, ScriptedBackend};

/// The store a test engine runs on: the embedded one, so the harness tests
/// the store the local server ships with.
pub use crate::store::MemoryStore;
