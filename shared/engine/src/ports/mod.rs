//! The engine's three ports to the outside world. Each has an implementation
//! for the embedded local server and one for the serverless deployment, so the
//! operations never know which they run on.

mod backend;
mod pusher;
mod store;

pub use backend::{Backend, BackendCall, BackendOperation};
pub use pusher::{PushError, Pusher, push_concurrently};
pub use store::{ConnectionRecord, Member, Store, StoreError};
