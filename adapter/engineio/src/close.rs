//! How this server closes a WebSocket: the RFC 6455 status codes, and which
//! one a broken frame from the client calls for, so a client learns why
//! instead of seeing the connection drop.

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};

/// RFC 6455 status codes this server closes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseCode {
    /// 1000: done.
    Normal,
    /// 1001: the server is shutting down.
    GoingAway,
    /// 1002: the client broke the WebSocket framing.
    ProtocolError,
    /// 1007: a text frame that is not UTF-8.
    InvalidData,
    /// 1008: a policy ended the connection.
    Policy,
    /// 1009: a message larger than the server takes.
    TooBig,
    /// 1012: the server is restarting (a drain): reconnect, elsewhere or later.
    ServiceRestart,
    /// 1013: the client could not keep up and has lost a message; it may
    /// reconnect (and resynchronise) at once.
    TryAgainLater,
    /// A code of the application's (4000–4999).
    Application(u16),
}

impl CloseCode {
    /// The number on the wire.
    pub fn code(self) -> u16 {
        match self {
            Self::Normal => 1000,
            Self::GoingAway => 1001,
            Self::ProtocolError => 1002,
            Self::InvalidData => 1007,
            Self::Policy => 1008,
            Self::TooBig => 1009,
            Self::ServiceRestart => 1012,
            Self::TryAgainLater => 1013,
            Self::Application(code) => code,
        }
    }

    /// The close message with a reason.
    pub fn message(self, reason: &'static str) -> Message {
        Message::Close(Some(CloseFrame {
            code: self.code(),
            reason: Utf8Bytes::from_static(reason),
        }))
    }

    /// The code a failed read calls for, with its reason; `None` when the
    /// connection itself is gone (nothing can be sent).
    pub fn for_read_error(error: &axum::Error) -> Option<(Self, &'static str)> {
        let source = std::error::Error::source(error)?;
        match source.downcast_ref::<tungstenite::Error>()? {
            tungstenite::Error::Capacity(_) => Some((Self::TooBig, "message too big")),
            tungstenite::Error::Utf8(_) => Some((Self::InvalidData, "text frame is not UTF-8")),
            tungstenite::Error::Protocol(_) => Some((Self::ProtocolError, "protocol error")),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_frames_map_to_their_rfc_6455_codes() {
        let wrap = |error: tungstenite::Error| axum::Error::new(error);
        let code = |error| CloseCode::for_read_error(&wrap(error)).map(|(code, _)| code.code());
        assert_eq!(code(tungstenite::Error::Utf8("x".into())), Some(1007));
        assert_eq!(
            code(tungstenite::Error::Capacity(
                tungstenite::error::CapacityError::MessageTooLong {
                    size: 2,
                    max_size: 1
                }
            )),
            Some(1009)
        );
        assert_eq!(
            code(tungstenite::Error::Protocol(
                tungstenite::error::ProtocolError::UnmaskedFrameFromClient
            )),
            Some(1002)
        );
        assert_eq!(code(tungstenite::Error::ConnectionClosed), None);
    }
}
