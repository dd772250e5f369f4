//! Socket.IO protocol v5: namespaces, events, acknowledgements and binary
//! attachments, each packet carried in one Engine.IO `message`.
//!
//! Wire format of one packet (a text Engine.IO message):
//!
//! ```text
//! <type>[<#attachments>-][<namespace>,][<ack id>][JSON data]
//! ```
//!
//! followed, for `BINARY_EVENT` / `BINARY_ACK`, by one binary Engine.IO
//! message per attachment. Inside the JSON each attachment is stood for by a
//! placeholder `{"_placeholder":true,"num":N}`.
//!
//! Incoming text and binary messages go through a per-connection
//! [`Decoder`]; outgoing packets are built with the [`Packet`] constructors
//! and turned into wire messages by [`Packet::encode`]. Arguments that mix
//! JSON and binary are written as [`Data`]; on the packet they travel as a
//! [`Payload`] (JSON with placeholders plus the attachment list).

mod binary;
mod data;
mod decoder;
mod encoder;
mod error;
mod packet;
mod parser;
mod payload;
mod validate;

pub use binary::{PLACEHOLDER_KEY, PLACEHOLDER_NUM_KEY};
pub use data::Data;
pub use decoder::{DEFAULT_MAX_ATTACHMENTS, Decoded, Decoder};
pub use encoder::EncodedPacket;
pub use error::DecodeError;
pub use packet::{MAIN_NAMESPACE, Packet, PacketType};
pub use payload::Payload;
pub use validate::{RESERVED_EVENTS, is_reserved_event};

/// The Socket.IO protocol revision this codec speaks (it rides on Engine.IO 4).
pub const PROTOCOL_VERSION: u8 = 5;
