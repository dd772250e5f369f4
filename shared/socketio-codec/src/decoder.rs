//! The per-connection decoder: text packets, and the binary attachments that
//! complete BINARY_EVENT / BINARY_ACK packets.

use bytes::Bytes;

use super::parser::{Parsed, PartialPacket, parse};
use super::{DecodeError, Packet};

/// The reference decoder's default cap on attachments per packet.
pub const DEFAULT_MAX_ATTACHMENTS: usize = 10;

/// What one incoming Engine.IO message amounted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A whole packet, ready to dispatch.
    Complete(Packet),
    /// A binary packet still waiting for this many attachments; the next
    /// messages of the connection must be binary.
    AwaitingAttachments(usize),
}

/// Decodes the Socket.IO packets of one connection. It is stateful because a
/// binary packet spans several Engine.IO messages (the text header, then one
/// binary message per attachment), so use one decoder per connection and feed
/// it every `message` in arrival order.
///
/// After an error the connection must be closed (the spec's rule); the
/// decoder drops any half-received packet so it is never left inconsistent.
#[derive(Debug)]
pub struct Decoder {
    max_attachments: usize,
    pending: Option<Pending>,
}

/// A binary packet and the attachments received for it so far.
#[derive(Debug)]
struct Pending {
    packet: PartialPacket,
    binaries: Vec<Bytes>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder allowing [`DEFAULT_MAX_ATTACHMENTS`] attachments per packet.
    pub fn new() -> Self {
        Self::with_max_attachments(DEFAULT_MAX_ATTACHMENTS)
    }

    /// A decoder with its own attachment cap; each announced attachment is
    /// memory the connection may make the server hold, hence a limit.
    pub fn with_max_attachments(max_attachments: usize) -> Self {
        Self {
            max_attachments,
            pending: None,
        }
    }

    /// Decodes a text Engine.IO message (the data of a `4…` packet).
    ///
    /// # Errors
    ///
    /// [`DecodeError::UnexpectedText`] while attachments are awaited, or any
    /// header, JSON or payload-shape error of the packet itself.
    pub fn decode_text(&mut self, text: &str) -> Result<Decoded, DecodeError> {
        if self.pending.take().is_some() {
            return Err(DecodeError::UnexpectedText);
        }
        match parse(text, self.max_attachments)? {
            Parsed::Complete(packet) => Ok(Decoded::Complete(packet)),
            Parsed::Partial(packet) => {
                let remaining = packet.expected();
                self.pending = Some(Pending {
                    binaries: Vec::with_capacity(remaining),
                    packet,
                });
                Ok(Decoded::AwaitingAttachments(remaining))
            }
        }
    }

    /// Decodes a binary Engine.IO message: the next attachment of the
    /// pending binary packet.
    ///
    /// # Errors
    ///
    /// [`DecodeError::UnexpectedBinary`] when no binary packet is pending, or
    /// [`DecodeError::InvalidPlaceholder`] when the last attachment arrives
    /// and a placeholder points past the attachments.
    pub fn decode_binary(&mut self, data: Bytes) -> Result<Decoded, DecodeError> {
        let mut pending = self.pending.take().ok_or(DecodeError::UnexpectedBinary)?;
        pending.binaries.push(data);
        let remaining = pending.packet.expected() - pending.binaries.len();
        if remaining > 0 {
            self.pending = Some(pending);
            return Ok(Decoded::AwaitingAttachments(remaining));
        }
        pending
            .packet
            .finish(pending.binaries)
            .map(Decoded::Complete)
    }

    /// How many attachments the pending binary packet still needs (0 when
    /// the next message should be text).
    pub fn awaiting_attachments(&self) -> usize {
        self.pending
            .as_ref()
            .map_or(0, |p| p.packet.expected() - p.binaries.len())
    }

    /// Drops any half-received packet (the reference's `destroy`), for a
    /// caller that keeps the decoder after abandoning a connection's stream.
    /// An Engine.IO transport upgrade is *not* such a case: the session, and
    /// its packet stream, carry on.
    pub fn reset(&mut self) {
        self.pending = None;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{Data, PacketType, Payload};

    fn complete(text: &str) -> Packet {
        match Decoder::new().decode_text(text) {
            Ok(Decoded::Complete(packet)) => packet,
            other => panic!("{text:?} decoded to {other:?}"),
        }
    }

    fn refused(text: &str) -> DecodeError {
        match Decoder::new().decode_text(text) {
            Err(e) => e,
            Ok(other) => panic!("{text:?} should be refused, got {other:?}"),
        }
    }

    fn event(nsp: &str, id: Option<u64>, args: serde_json::Value) -> Packet {
        let serde_json::Value::Array(args) = args else {
            unreachable!()
        };
        Packet::Event {
            nsp: nsp.into(),
            id,
            payload: Payload::new(args),
        }
    }

    // Every example of the spec's "Packet encoding" section, decoded.

    #[test]
    fn spec_connect_examples() {
        assert_eq!(complete("0"), Packet::connect("/", None));
        assert_eq!(
            complete(r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#),
            Packet::connect_ok("/admin", "oSO0OpakMV_3jnilAAAA")
        );
        assert_eq!(
            complete(r#"4{"message":"Not authorized"}"#),
            Packet::connect_error("/", "Not authorized")
        );
    }

    #[test]
    fn spec_event_examples() {
        assert_eq!(complete(r#"2["foo"]"#), event("/", None, json!(["foo"])));
        assert_eq!(
            complete(r#"2/admin,["bar"]"#),
            event("/admin", None, json!(["bar"]))
        );
        assert_eq!(
            complete(r#"212["foo"]"#),
            event("/", Some(12), json!(["foo"]))
        );
    }

    #[test]
    fn spec_ack_and_disconnect_examples() {
        assert_eq!(
            complete(r#"3/admin,13["bar"]"#),
            Packet::Ack {
                nsp: "/admin".into(),
                id: 13,
                payload: Payload::new(vec![json!("bar")])
            }
        );
        assert_eq!(complete("1"), Packet::disconnect("/"));
        assert_eq!(complete("1/admin,"), Packet::disconnect("/admin"));
    }

    #[test]
    fn spec_binary_event_example() {
        let mut decoder = Decoder::new();
        let header = r#"51-["baz",{"_placeholder":true,"num":0}]"#;
        assert_eq!(
            decoder.decode_text(header).unwrap(),
            Decoded::AwaitingAttachments(1)
        );
        assert_eq!(decoder.awaiting_attachments(), 1);
        let Decoded::Complete(packet) = decoder
            .decode_binary(Bytes::from_static(&[1, 2, 3, 4]))
            .unwrap()
        else {
            panic!("one attachment completes the packet");
        };
        assert_eq!(decoder.awaiting_attachments(), 0);
        assert_eq!(
            packet,
            Packet::event("/", "baz", vec![Data::from(vec![1u8, 2, 3, 4])], None)
        );
        assert_eq!(packet.packet_type(), PacketType::BinaryEvent);
    }

    #[test]
    fn spec_multiple_attachments_example() {
        let mut decoder = Decoder::new();
        let header =
            r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
        assert_eq!(
            decoder.decode_text(header).unwrap(),
            Decoded::AwaitingAttachments(2)
        );
        assert_eq!(
            decoder.decode_binary(Bytes::from_static(&[1, 2])).unwrap(),
            Decoded::AwaitingAttachments(1)
        );
        let Decoded::Complete(packet) = decoder.decode_binary(Bytes::from_static(&[3, 4])).unwrap()
        else {
            panic!("two attachments complete the packet");
        };
        let Packet::Event { nsp, id, payload } = packet else {
            panic!("an event")
        };
        assert_eq!((nsp.as_str(), id), ("/admin", None));
        assert_eq!(
            payload.into_data().unwrap(),
            [
                Data::from("baz"),
                Data::from(vec![1u8, 2]),
                Data::from(vec![3u8, 4])
            ]
        );
    }

    #[test]
    fn spec_binary_ack_example() {
        let mut decoder = Decoder::new();
        decoder
            .decode_text(r#"61-15["bar",{"_placeholder":true,"num":0}]"#)
            .unwrap();
        let Decoded::Complete(packet) = decoder
            .decode_binary(Bytes::from_static(&[1, 2, 3, 4]))
            .unwrap()
        else {
            panic!("complete");
        };
        assert_eq!(
            packet,
            Packet::ack(
                "/",
                15,
                vec![Data::from("bar"), Data::from(vec![1u8, 2, 3, 4])]
            )
        );
    }

    #[test]
    fn sample_session_binary_ack_with_namespace() {
        let mut decoder = Decoder::new();
        decoder
            .decode_text(r#"61-/admin,1[{"_placeholder":true,"num":0}]"#)
            .unwrap();
        let Decoded::Complete(Packet::Ack { nsp, id, payload }) =
            decoder.decode_binary(Bytes::from_static(b"x")).unwrap()
        else {
            panic!("an ack");
        };
        assert_eq!((nsp.as_str(), id), ("/admin", 1));
        assert_eq!(payload.binaries, [Bytes::from_static(b"x")]);
    }

    // The inputs of the official test suite.

    #[test]
    fn test_suite_connects() {
        assert_eq!(complete("0"), Packet::connect("/", None));
        assert_eq!(
            complete(r#"0{"token":"123"}"#),
            Packet::connect("/", json!({"token": "123"}).as_object().cloned())
        );
        assert_eq!(complete("0/custom,"), Packet::connect("/custom", None));
        assert_eq!(
            complete(r#"0/custom,{"token":"abc"}"#),
            Packet::connect("/custom", json!({"token": "abc"}).as_object().cloned())
        );
        // No trailing comma: the namespace runs to the end of the packet.
        assert_eq!(complete("0/random"), Packet::connect("/random", None));
        assert_eq!(complete("0/custom"), Packet::connect("/custom", None));
        assert_eq!(complete("1/custom"), Packet::disconnect("/custom"));
        assert_eq!(complete("1"), Packet::disconnect("/"));
    }

    #[test]
    fn test_suite_messages() {
        assert_eq!(
            complete(r#"2["message",1,"2",{"3":[true]}]"#),
            event("/", None, json!(["message", 1, "2", {"3": [true]}]))
        );
        assert_eq!(
            complete(r#"2456["message-with-ack",1,"2",{"3":[false]}]"#),
            event(
                "/",
                Some(456),
                json!(["message-with-ack", 1, "2", {"3": [false]}])
            )
        );
        let mut decoder = Decoder::new();
        let header = r#"52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
        assert_eq!(
            decoder.decode_text(header).unwrap(),
            Decoded::AwaitingAttachments(2)
        );
        decoder
            .decode_binary(Bytes::from_static(&[1, 2, 3]))
            .unwrap();
        let Decoded::Complete(Packet::Event { id, payload, .. }) = decoder
            .decode_binary(Bytes::from_static(&[4, 5, 6]))
            .unwrap()
        else {
            panic!("an event");
        };
        assert_eq!(id, Some(789));
        assert_eq!(payload.event_name().as_deref(), Some("message-with-ack"));
    }

    #[test]
    fn test_suite_malformed_inputs() {
        // "4abc" reaches Socket.IO as "abc".
        assert!(matches!(refused("abc"), DecodeError::UnknownType('a')));
        assert!(matches!(
            refused("2{}"),
            DecodeError::InvalidPayload(PacketType::Event)
        ));
        assert!(matches!(
            refused(r#"2abc["message-with-ack",1,"2",{"3":[false]}]"#),
            DecodeError::InvalidJson(_)
        ));
    }

    // Every other malformed case.

    #[test]
    fn refuses_bad_headers() {
        assert!(matches!(refused(""), DecodeError::EmptyPacket));
        assert!(matches!(refused("7"), DecodeError::UnknownType('7')));
        assert!(matches!(refused("é"), DecodeError::UnknownType('é')));
        assert!(matches!(
            refused(r#"5["a"]"#),
            DecodeError::IllegalAttachments
        ));
        assert!(matches!(
            refused(r#"5a-["a"]"#),
            DecodeError::IllegalAttachments
        ));
        assert!(matches!(
            refused(r#"5-["a"]"#),
            DecodeError::IllegalAttachments
        ));
        assert!(matches!(
            refused(r#"6x-1[]"#),
            DecodeError::IllegalAttachments
        ));
        assert!(matches!(
            refused(r#"511-["a"]"#),
            DecodeError::TooManyAttachments { max: 10 }
        ));
        assert!(matches!(
            refused(r#"299999999999999999999["a"]"#),
            DecodeError::InvalidAckId
        ));
    }

    #[test]
    fn refuses_bad_json() {
        assert!(matches!(refused("2[\"a\""), DecodeError::InvalidJson(_)));
        assert!(matches!(refused("0/admin,{"), DecodeError::InvalidJson(_)));
        assert!(matches!(refused(r#"2["a"]x"#), DecodeError::InvalidJson(_)));
    }

    #[test]
    fn refuses_data_of_the_wrong_shape() {
        assert!(matches!(
            refused("0[]"),
            DecodeError::InvalidPayload(PacketType::Connect)
        ));
        assert!(matches!(
            refused(r#"0"x""#),
            DecodeError::InvalidPayload(PacketType::Connect)
        ));
        assert!(matches!(
            refused("0null"),
            DecodeError::InvalidPayload(PacketType::Connect)
        ));
        assert!(matches!(
            refused("1{}"),
            DecodeError::InvalidPayload(PacketType::Disconnect)
        ));
        assert!(matches!(
            refused("1/admin,[]"),
            DecodeError::InvalidPayload(PacketType::Disconnect)
        ));
        assert!(matches!(
            refused("4[]"),
            DecodeError::InvalidPayload(PacketType::ConnectError)
        ));
        assert!(matches!(
            refused("4 1"),
            DecodeError::InvalidPayload(PacketType::ConnectError)
        ));
        assert!(matches!(
            refused("2"),
            DecodeError::InvalidPayload(PacketType::Event)
        ));
        assert!(matches!(
            refused("2[]"),
            DecodeError::InvalidPayload(PacketType::Event)
        ));
        assert!(matches!(
            refused("2[null]"),
            DecodeError::InvalidPayload(PacketType::Event)
        ));
        assert!(matches!(
            refused(r#"2"foo""#),
            DecodeError::InvalidPayload(PacketType::Event)
        ));
        assert!(matches!(
            refused("51-[]"),
            DecodeError::InvalidPayload(PacketType::BinaryEvent)
        ));
        assert!(matches!(
            refused("31{}"),
            DecodeError::InvalidPayload(PacketType::Ack)
        ));
        assert!(matches!(
            refused("31"),
            DecodeError::InvalidPayload(PacketType::Ack)
        ));
        assert!(matches!(
            refused("61-1{}"),
            DecodeError::InvalidPayload(PacketType::BinaryAck)
        ));
    }

    #[test]
    fn refuses_reserved_event_names() {
        for name in crate::RESERVED_EVENTS {
            let text = format!(r#"2["{name}"]"#);
            assert!(matches!(refused(&text), DecodeError::ReservedEventName(n) if n == name));
        }
        let binary = r#"51-["disconnect",{"_placeholder":true,"num":0}]"#;
        assert!(matches!(refused(binary), DecodeError::ReservedEventName(_)));
    }

    #[test]
    fn ack_ids_only_where_they_belong() {
        assert!(matches!(
            refused("01"),
            DecodeError::UnexpectedAckId(PacketType::Connect)
        ));
        assert!(matches!(
            refused(r#"0/a,1{}"#),
            DecodeError::UnexpectedAckId(PacketType::Connect)
        ));
        assert!(matches!(
            refused("11"),
            DecodeError::UnexpectedAckId(PacketType::Disconnect)
        ));
        assert!(matches!(
            refused(r#"41{"message":"x"}"#),
            DecodeError::UnexpectedAckId(PacketType::ConnectError)
        ));
        assert!(matches!(refused(r#"3["x"]"#), DecodeError::MissingAckId));
        assert!(matches!(
            refused(r#"61-[{"_placeholder":true,"num":0}]"#),
            DecodeError::MissingAckId
        ));
    }

    #[test]
    fn accepts_reference_leniencies() {
        // A numeric event name, an empty ACK, a string CONNECT_ERROR and one
        // without data all pass the reference parser.
        assert_eq!(complete("2[1]"), event("/", None, json!([1])));
        assert_eq!(
            complete("30[]"),
            Packet::Ack {
                nsp: "/".into(),
                id: 0,
                payload: Payload::default()
            }
        );
        assert_eq!(
            complete(r#"4"nope""#),
            Packet::ConnectError {
                nsp: "/".into(),
                data: Some(json!("nope"))
            }
        );
        assert_eq!(
            complete("4"),
            Packet::ConnectError {
                nsp: "/".into(),
                data: None
            }
        );
        // JSON.parse tolerates surrounding whitespace, and so does serde_json.
        assert_eq!(complete(r#"2 ["a"] "#), event("/", None, json!(["a"])));
    }

    #[test]
    fn zero_attachments_complete_at_once() {
        let packet = complete(r#"50-["a",{"_placeholder":true,"num":0}]"#);
        // Nothing came with it, so the placeholder is plain JSON, as in the
        // reference, and the packet re-encodes as a plain EVENT.
        assert_eq!(
            packet,
            event("/", None, json!(["a", {"_placeholder": true, "num": 0}]))
        );
        assert_eq!(packet.packet_type(), PacketType::Event);
    }

    #[test]
    fn dangling_placeholders_are_refused_once_attachments_arrive() {
        let mut decoder = Decoder::new();
        decoder
            .decode_text(r#"51-["a",{"_placeholder":true,"num":1}]"#)
            .unwrap();
        assert!(matches!(
            decoder.decode_binary(Bytes::new()),
            Err(DecodeError::InvalidPlaceholder)
        ));
        assert_eq!(decoder.awaiting_attachments(), 0);
    }

    #[test]
    fn text_while_awaiting_attachments_is_refused() {
        let mut decoder = Decoder::new();
        decoder
            .decode_text(r#"52-["a",{"_placeholder":true,"num":0}]"#)
            .unwrap();
        decoder.decode_binary(Bytes::new()).unwrap();
        assert!(matches!(
            decoder.decode_text(r#"2["b"]"#),
            Err(DecodeError::UnexpectedText)
        ));
        // The half packet is gone: the decoder is usable again.
        assert_eq!(decoder.awaiting_attachments(), 0);
        assert!(matches!(
            decoder.decode_text(r#"2["b"]"#),
            Ok(Decoded::Complete(_))
        ));
    }

    #[test]
    fn binary_without_a_pending_packet_is_refused() {
        let mut decoder = Decoder::new();
        assert!(matches!(
            decoder.decode_binary(Bytes::new()),
            Err(DecodeError::UnexpectedBinary)
        ));
        decoder.decode_text(r#"2["a"]"#).unwrap();
        assert!(matches!(
            decoder.decode_binary(Bytes::new()),
            Err(DecodeError::UnexpectedBinary)
        ));
    }

    #[test]
    fn reset_and_custom_cap() {
        let mut decoder = Decoder::with_max_attachments(1);
        assert!(matches!(
            decoder.decode_text(r#"52-["a"]"#),
            Err(DecodeError::TooManyAttachments { max: 1 })
        ));
        decoder
            .decode_text(r#"51-["a",{"_placeholder":true,"num":0}]"#)
            .unwrap();
        decoder.reset();
        assert_eq!(decoder.awaiting_attachments(), 0);
        assert!(matches!(
            decoder.decode_binary(Bytes::new()),
            Err(DecodeError::UnexpectedBinary)
        ));
    }

    #[test]
    fn one_decoder_handles_a_stream() {
        let mut decoder = Decoder::default();
        assert!(matches!(decoder.decode_text("0"), Ok(Decoded::Complete(_))));
        decoder
            .decode_text(r#"51-["a",{"_placeholder":true,"num":0}]"#)
            .unwrap();
        assert!(matches!(
            decoder.decode_binary(Bytes::new()),
            Ok(Decoded::Complete(_))
        ));
        assert!(matches!(
            decoder.decode_text(r#"2["b"]"#),
            Ok(Decoded::Complete(_))
        ));
    }
}
