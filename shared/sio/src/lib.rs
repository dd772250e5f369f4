//! Pure packet codecs for the two protocols a Socket.IO client speaks.
//!
//! The server transport (HTTP long-polling and WebSocket endpoints, timers,
//! sessions) lives elsewhere; it needs exact, well-tested framing that it can
//! call without caring about I/O. This crate is only that: strings and bytes in,
//! packets out, and back. Nothing here blocks, spawns or allocates a socket.
//!
//! - [`engineio`]: Engine.IO protocol v4, the transport layer (`EIO=4`):
//!   packets, polling payloads joined by `\x1e`, and the handshake.
//! - [`socketio`]: Socket.IO protocol v5, carried inside Engine.IO `message`
//!   packets: namespaces, events, acknowledgements and binary attachments.
//!
//! The rules follow the protocol READMEs (`socketio/engine.io-protocol`,
//! `socketio/socket.io-protocol`) and the reference parsers
//! (`engine.io-parser`, `socket.io-parser`). Where this crate is stricter than
//! the reference parser, the item's documentation says so.
//!
//! A polling `POST` carrying a namespace connection and an event, and the
//! server's answer:
//!
//! ```
//! use ecb_sio::engineio;
//! use ecb_sio::socketio::{Data, Decoded, Decoder, Packet};
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

pub mod engineio;
pub mod socketio;
