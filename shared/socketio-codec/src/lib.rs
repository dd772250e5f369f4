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
//!
//! The rules follow the protocol README (`socketio/socket.io-protocol`) and
//! the reference parser (`socket.io-parser`); where this crate is stricter,
//! the item's documentation says so. Engine.IO framing comes from
//! `ecb-engineio-codec`; the servers that do I/O live in `adapter/`.
//!
//! A polling `POST` carrying a namespace connection and an event, and the
//! server's answer:
//!
//! ```
//! use ecb_engineio_codec as engineio;
//! use ecb_socketio_codec::{Data, Decoded, Decoder, Packet};
//!
//! let mut decoder = Decoder::new();
//! let mut replies = Vec::new();
//! for packet in engineio::decode_payload(b"40\x1e42[\"hello\",1]").unwrap() {
//!     let engineio::Packet::Message(text) = packet else { continue };
//!     match decoder.decode_text(&text).unwrap() {
//!         Decoded::Complete(Packet::Connect { nsp, .. }) => {
//!             replies.push(Packet::connect_ok(nsp, "socket-id"));
//!         }
//!         Decoded::Complete(Packet::Event { nsp, payload, .. }) => {
//!             assert_eq!(payload.event_name().as_deref(), Some("hello"));
//!             replies.push(Packet::event(nsp, "world", vec![Data::from(vec![1u8, 2])], None));
//!         }
//!         _ => {}
//!     }
//! }
//! let frames: Vec<_> = replies
//!     .into_iter()
//!     .flat_map(|reply| reply.encode().into_engine_packets())
//!     .collect();
//! assert_eq!(
//!     engineio::encode_payload(&frames),
//!     "40{\"sid\":\"socket-id\"}\x1e451-[\"world\",{\"_placeholder\":true,\"num\":0}]\x1ebAQI="
//! );
//! ```

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
