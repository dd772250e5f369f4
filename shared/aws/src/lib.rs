//! ECB's serverless ports: the DynamoDB [`Store`](ecb_engine::ports::Store)
//! and the API Gateway Management API [`Pusher`](ecb_engine::ports::Pusher).
//!
//! The Lambda functions use both; a local server uses them too when several
//! processes (and the functions) share threads through one table. Kept out of
//! the engine so the engine builds without the AWS SDK.

mod calls;
mod config;
mod dynamo;
mod items;
mod management;

pub use calls::CallCounter;
pub use config::sdk_config;
pub use dynamo::DynamoStore;
pub use management::{MAX_FRAME_BYTES, ManagementPusher};
