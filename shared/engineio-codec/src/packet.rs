//! One Engine.IO packet and its two wire forms (text and binary).

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;

use super::DecodeError;

/// Base64 as Engine.IO clients write it: the standard alphabet, padded on
/// output. Padding is optional on input because the reference server (Node's
/// `Buffer.from(s, "base64")`) accepts both, and refusing an unpadded body
/// would close sessions that work elsewhere.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The prefix of a base64 binary message inside a polling payload.
const BINARY_PREFIX: char = 'b';

/// The seven Engine.IO packet types, numbered as on the wire. Kept separate
/// from [`Packet`] so code can name a type without building a packet (for
/// logs, metrics, or "what did the client send instead of a pong").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: the server's handshake, carrying the [`Handshake`](super::Handshake) JSON.
    Open,
    /// `1`: asks the other side to close the transport.
    Close,
    /// `2`: heartbeat from the server; `2probe` from a client testing an upgrade.
    Ping,
    /// `3`: heartbeat answer from the client; `3probe` from the server during an upgrade.
    Pong,
    /// `4`: application data (a Socket.IO packet).
    Message,
    /// `5`: the client completing a WebSocket upgrade.
    Upgrade,
    /// `6`: nothing; used to release a pending polling `GET` during an upgrade.
    Noop,
}

impl PacketType {
    /// Every type, in wire order; handy for exhaustive tests and tables.
    pub const ALL: [PacketType; 7] = [
        Self::Open,
        Self::Close,
        Self::Ping,
        Self::Pong,
        Self::Message,
        Self::Upgrade,
        Self::Noop,
    ];

    /// The digit that starts the packet on the wire.
    pub fn as_char(self) -> char {
        match self {
            Self::Open => '0',
            Self::Close => '1',
            Self::Ping => '2',
            Self::Pong => '3',
            Self::Message => '4',
            Self::Upgrade => '5',
            Self::Noop => '6',
        }
    }

    /// The type for a wire digit, or `None` for anything else.
    pub fn from_char(c: char) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_char() == c)
    }
}

/// One Engine.IO packet.
///
/// Text-carrying variants hold their payload as sent (possibly empty).
/// `Close`, `Upgrade` and `Noop` carry nothing: data after their digit is
/// accepted and dropped, as the reference server ignores it too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// The handshake JSON; build it with [`Handshake::to_packet`](super::Handshake::to_packet).
    Open(String),
    /// Close the transport (and the session).
    Close,
    /// Heartbeat ping; the data is `"probe"` during an upgrade, else empty.
    Ping(String),
    /// Heartbeat pong; the data is `"probe"` during an upgrade, else empty.
    Pong(String),
    /// A text message: one encoded Socket.IO packet.
    Message(String),
    /// A binary message: one Socket.IO binary attachment. A raw frame over
    /// WebSocket, `b<base64>` inside a polling payload.
    BinaryMessage(Bytes),
    /// Completes a WebSocket upgrade.
    Upgrade,
    /// Does nothing; ends a pending poll cleanly.
    Noop,
}

/// How a packet travels over WebSocket: each packet is its own frame, and the
/// frame's kind (text or binary) is part of the encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsFrame {
    /// A text frame: `<type digit><data>`.
    Text(String),
    /// A binary frame: the raw bytes of a binary message, no type prefix.
    Binary(Bytes),
}

impl Packet {
    /// The `2probe` a client sends on a fresh WebSocket to test an upgrade.
    pub fn probe_ping() -> Self {
        Self::Ping("probe".to_owned())
    }

    /// The `3probe` the server answers to [`Packet::probe_ping`].
    pub fn probe_pong() -> Self {
        Self::Pong("probe".to_owned())
    }

    /// Whether this is the upgrade probe (`2probe`), which the server must
    /// answer with `3probe` instead of treating it as a misdirected heartbeat.
    pub fn is_probe_ping(&self) -> bool {
        matches!(self, Self::Ping(data) if data == "probe")
    }

    /// The packet's type. A binary message is a [`PacketType::Message`].
    pub fn packet_type(&self) -> PacketType {
        match self {
            Self::Open(_) => PacketType::Open,
            Self::Close => PacketType::Close,
            Self::Ping(_) => PacketType::Ping,
            Self::Pong(_) => PacketType::Pong,
            Self::Message(_) | Self::BinaryMessage(_) => PacketType::Message,
            Self::Upgrade => PacketType::Upgrade,
            Self::Noop => PacketType::Noop,
        }
    }

    /// Decodes one text packet: a WebSocket text frame, or one record of a
    /// polling payload. A leading `b` means a base64 binary message; the
    /// reference parser accepts it in WebSocket text frames too, so this does.
    ///
    /// # Errors
    ///
    /// [`DecodeError::EmptyPacket`], [`DecodeError::UnknownType`] or
    /// [`DecodeError::InvalidBase64`]; the session must then be closed.
    pub fn decode_text(text: &str) -> Result<Self, DecodeError> {
        let first = text.chars().next().ok_or(DecodeError::EmptyPacket)?;
        let data = &text[first.len_utf8()..];
        if first == BINARY_PREFIX {
            return Ok(Self::BinaryMessage(Bytes::from(BASE64.decode(data)?)));
        }
        let kind = PacketType::from_char(first).ok_or(DecodeError::UnknownType(first))?;
        Ok(match kind {
            PacketType::Open => Self::Open(data.to_owned()),
            PacketType::Close => Self::Close,
            PacketType::Ping => Self::Ping(data.to_owned()),
            PacketType::Pong => Self::Pong(data.to_owned()),
            PacketType::Message => Self::Message(data.to_owned()),
            PacketType::Upgrade => Self::Upgrade,
            PacketType::Noop => Self::Noop,
        })
    }

    /// Decodes a WebSocket binary frame. Every binary frame is a binary
    /// message, so this cannot fail (an empty frame is an empty message).
    pub fn from_binary(data: Bytes) -> Self {
        Self::BinaryMessage(data)
    }

    /// The text form used inside a polling payload: binary messages become
    /// `b<base64>` because a polling body is always text in protocol v4.
    pub fn encode_text(&self) -> String {
        match self {
            Self::BinaryMessage(bytes) => {
                let mut out = String::with_capacity(1 + bytes.len().div_ceil(3) * 4);
                out.push(BINARY_PREFIX);
                BASE64.encode_string(bytes, &mut out);
                out
            }
            _ => {
                let data = self.text_data();
                let mut out = String::with_capacity(1 + data.len());
                out.push(self.packet_type().as_char());
                out.push_str(data);
                out
            }
        }
    }

    /// The WebSocket form: binary messages go out as raw binary frames,
    /// everything else as a text frame.
    pub fn to_ws_frame(&self) -> WsFrame {
        match self {
            Self::BinaryMessage(bytes) => WsFrame::Binary(bytes.clone()),
            _ => WsFrame::Text(self.encode_text()),
        }
    }

    /// The text after the type digit; empty for data-less and binary packets.
    fn text_data(&self) -> &str {
        match self {
            Self::Open(data) | Self::Ping(data) | Self::Pong(data) | Self::Message(data) => data,
            Self::Close | Self::Upgrade | Self::Noop | Self::BinaryMessage(_) => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_digits_match_the_spec_table() {
        let digits: String = PacketType::ALL.iter().map(|t| t.as_char()).collect();
        assert_eq!(digits, "0123456");
        for t in PacketType::ALL {
            assert_eq!(PacketType::from_char(t.as_char()), Some(t));
        }
        assert_eq!(PacketType::from_char('7'), None);
        assert_eq!(PacketType::from_char('b'), None);
    }

    #[test]
    fn decodes_every_text_type() {
        assert_eq!(
            Packet::decode_text("0{}").unwrap(),
            Packet::Open("{}".into())
        );
        assert_eq!(Packet::decode_text("1").unwrap(), Packet::Close);
        assert_eq!(
            Packet::decode_text("2").unwrap(),
            Packet::Ping(String::new())
        );
        assert_eq!(
            Packet::decode_text("3").unwrap(),
            Packet::Pong(String::new())
        );
        assert_eq!(
            Packet::decode_text("4hello").unwrap(),
            Packet::Message("hello".into())
        );
        assert_eq!(Packet::decode_text("5").unwrap(), Packet::Upgrade);
        assert_eq!(Packet::decode_text("6").unwrap(), Packet::Noop);
    }

    #[test]
    fn probe_ping_and_pong() {
        let ping = Packet::decode_text("2probe").unwrap();
        assert!(ping.is_probe_ping());
        assert_eq!(ping, Packet::probe_ping());
        assert!(!Packet::Ping(String::new()).is_probe_ping());
        assert!(!Packet::probe_pong().is_probe_ping());
        assert_eq!(Packet::probe_pong().encode_text(), "3probe");
    }

    #[test]
    fn message_keeps_utf8_and_empty_data() {
        assert_eq!(
            Packet::decode_text("4").unwrap(),
            Packet::Message(String::new())
        );
        assert_eq!(
            Packet::decode_text("4€ü").unwrap(),
            Packet::Message("€ü".into())
        );
        assert_eq!(Packet::Message("€".into()).encode_text(), "4€");
    }

    #[test]
    fn data_after_dataless_types_is_ignored() {
        assert_eq!(Packet::decode_text("1bye").unwrap(), Packet::Close);
        assert_eq!(Packet::decode_text("5x").unwrap(), Packet::Upgrade);
        assert_eq!(Packet::decode_text("6x").unwrap(), Packet::Noop);
    }

    #[test]
    fn rejects_empty_and_unknown_types() {
        assert_eq!(Packet::decode_text(""), Err(DecodeError::EmptyPacket));
        assert_eq!(
            Packet::decode_text("abc"),
            Err(DecodeError::UnknownType('a'))
        );
        assert_eq!(Packet::decode_text("7"), Err(DecodeError::UnknownType('7')));
        assert_eq!(
            Packet::decode_text("€4"),
            Err(DecodeError::UnknownType('€'))
        );
        assert_eq!(
            Packet::decode_text(" 4"),
            Err(DecodeError::UnknownType(' '))
        );
    }

    #[test]
    fn base64_binary_message_from_the_spec() {
        let packet = Packet::decode_text("bAQIDBA==").unwrap();
        assert_eq!(
            packet,
            Packet::BinaryMessage(Bytes::from_static(&[1, 2, 3, 4]))
        );
        assert_eq!(packet.packet_type(), PacketType::Message);
        assert_eq!(packet.encode_text(), "bAQIDBA==");
    }

    #[test]
    fn base64_padding_is_optional_on_input() {
        assert_eq!(
            Packet::decode_text("bAQIDBA").unwrap(),
            Packet::BinaryMessage(Bytes::from_static(&[1, 2, 3, 4]))
        );
    }

    #[test]
    fn empty_base64_is_an_empty_binary_message() {
        assert_eq!(
            Packet::decode_text("b").unwrap(),
            Packet::BinaryMessage(Bytes::new())
        );
        assert_eq!(Packet::BinaryMessage(Bytes::new()).encode_text(), "b");
    }

    #[test]
    fn rejects_bad_base64() {
        for bad in ["b!!!!", "bAQID BA==", "bA", "bAQIDBA=x"] {
            assert!(
                matches!(Packet::decode_text(bad), Err(DecodeError::InvalidBase64(_))),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn text_round_trips() {
        let packets = [
            Packet::Open(r#"{"sid":"x"}"#.into()),
            Packet::Close,
            Packet::Ping(String::new()),
            Packet::probe_ping(),
            Packet::Pong(String::new()),
            Packet::probe_pong(),
            Packet::Message("hello".into()),
            Packet::BinaryMessage(Bytes::from_static(&[0, 255, 7])),
            Packet::Upgrade,
            Packet::Noop,
        ];
        for packet in packets {
            assert_eq!(Packet::decode_text(&packet.encode_text()).unwrap(), packet);
        }
    }

    #[test]
    fn websocket_frames() {
        assert_eq!(
            Packet::Message("hello".into()).to_ws_frame(),
            WsFrame::Text("4hello".into())
        );
        assert_eq!(
            Packet::Ping(String::new()).to_ws_frame(),
            WsFrame::Text("2".into())
        );
        let bytes = Bytes::from_static(&[1, 2, 3, 4]);
        assert_eq!(
            Packet::BinaryMessage(bytes.clone()).to_ws_frame(),
            WsFrame::Binary(bytes.clone())
        );
        assert_eq!(
            Packet::from_binary(bytes.clone()),
            Packet::BinaryMessage(bytes)
        );
        assert_eq!(
            Packet::from_binary(Bytes::new()),
            Packet::BinaryMessage(Bytes::new())
        );
    }
}
