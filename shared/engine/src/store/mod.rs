//! Store implementations that need nothing but the engine's own crates.
//! (The DynamoDB store lives in its own crate so the engine builds without the
//! AWS SDK.)

mod memory;

pub use memory::MemoryStore;
