//! Engine.IO protocol v4: the transport layer under Socket.IO.
//!
//! One [`Packet`] is one WebSocket frame, or one record of a polling
//! [payload](encode_payload). The server decodes what clients send with
//! [`Packet::decode_text`] / [`Packet::from_binary`] (WebSocket) or
//! [`decode_payload`] (polling `POST` body), and encodes what it sends with
//! [`Packet::to_ws_frame`] or [`encode_payload`] / [`encode_payload_limited`]
//! (polling `GET` response). The session starts with a [`Handshake`].
//!
//! Pure code: strings and bytes in, packets out. The server that owns
//! sessions, timers and sockets is `ecb-engineio` (`adapter/engineio`); the
//! rules follow `socketio/engine.io-protocol` and `engine.io-parser`.

mod error;
mod open;
mod packet;
mod payload;

pub use error::DecodeError;
pub use open::Handshake;
pub use packet::{Packet, PacketType, WsFrame};
pub use payload::{SEPARATOR, decode_payload, encode_payload, encode_payload_limited};

/// The `EIO` query parameter value this codec speaks; requests carrying any
/// other value (or none) must be refused with HTTP 400.
pub const PROTOCOL_VERSION: u8 = 4;
