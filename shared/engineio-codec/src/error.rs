//! Why a client's Engine.IO input was refused.

use thiserror::Error;

/// A malformed Engine.IO packet or payload. The protocol has no error reply:
/// the server answers any of these by closing the session (HTTP 400 on a
/// polling `POST`, closing the WebSocket otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// A packet with no type character: an empty WebSocket text frame, an
    /// empty polling body, or two separators in a row.
    #[error("empty packet")]
    EmptyPacket,
    /// The first character is neither a packet type digit `0`-`6` nor the
    /// `b` prefix of a base64 binary message.
    #[error("unknown packet type {0:?}")]
    UnknownType(char),
    /// A `b`-prefixed binary message whose body is not base64.
    #[error("invalid base64 in binary message: {0}")]
    InvalidBase64(#[from] base64::DecodeError),
    /// A polling body that is not UTF-8; the protocol mandates UTF-8 text.
    #[error("payload is not valid UTF-8: {0}")]
    InvalidUtf8(#[from] std::str::Utf8Error),
}
