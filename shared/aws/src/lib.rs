//! ECB's serverless ports: the DynamoDB [`Store`](ecb_engine::ports::Store)
//! and the API Gateway Management API [`Pusher`](ecb_engine::ports::Pusher),
//! plus what Socket.IO on API Gateway needs beside them: Engine.IO sessions
//! in the same table and asynchronous Lambda invocations.
//!
//! The Lambda functions use both; a local server uses them too when several
//! processes (and the functions) share threads through one table. Kept out of
//! the engine so the engine builds without the AWS SDK.

mod calls;
mod config;
mod dynamo;
mod invoke;
mod items;
mod management;
pub mod management_key;
mod sessions;
mod signing_interceptor;

pub use calls::CallCounter;
pub use config::sdk_config;
pub use dynamo::DynamoStore;
pub use invoke::AsyncInvoker;
pub use management::{MAX_FRAME_BYTES, ManagementPusher};
pub use management_key::ManagementKey;
pub use sessions::{EngineIoSession, SessionState};
