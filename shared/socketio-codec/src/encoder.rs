//! Writing a packet: the text message, then its attachments.

use std::fmt::Write as _;

use bytes::Bytes;
use serde_json::Value;

use super::{MAIN_NAMESPACE, Packet};
use ecb_engineio_codec as engineio;

/// A packet ready for the wire: one text Engine.IO message followed by one
/// binary Engine.IO message per attachment, all in this order and with
/// nothing from the same connection in between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPacket {
    /// The Socket.IO text, e.g. `2["foo"]` (without the Engine.IO `4`).
    pub text: String,
    /// The binary attachments, in placeholder order.
    pub attachments: Vec<Bytes>,
}

impl EncodedPacket {
    /// The Engine.IO messages to send, in order: the text as a `message`,
    /// then each attachment as a binary message.
    pub fn into_engine_packets(self) -> Vec<engineio::Packet> {
        let mut packets = Vec::with_capacity(1 + self.attachments.len());
        packets.push(engineio::Packet::Message(self.text));
        packets.extend(
            self.attachments
                .into_iter()
                .map(engineio::Packet::BinaryMessage),
        );
        packets
    }
}

impl Packet {
    /// Encodes the packet as
    /// `<type>[<#attachments>-][<namespace>,][<ack id>][JSON data]`, the
    /// namespace omitted when it is the main one. An EVENT or ACK whose
    /// payload has attachments goes out as BINARY_EVENT / BINARY_ACK.
    pub fn encode(&self) -> EncodedPacket {
        let kind = self.packet_type();
        let mut text = String::new();
        text.push(kind.as_char());
        let attachments = match self {
            Self::Event { payload, .. } | Self::Ack { payload, .. } => payload.binaries.clone(),
            _ => Vec::new(),
        };
        if kind.is_binary() {
            // Writing to a String cannot fail.
            let _ = write!(text, "{}-", attachments.len());
        }
        let nsp = self.nsp();
        // An empty namespace means the main one too, as in the reference.
        if !nsp.is_empty() && nsp != MAIN_NAMESPACE {
            text.push_str(nsp);
            text.push(',');
        }
        let id = match self {
            Self::Event { id, .. } => *id,
            Self::Ack { id, .. } => Some(*id),
            _ => None,
        };
        if let Some(id) = id {
            let _ = write!(text, "{id}");
        }
        match self {
            Self::Connect {
                data: Some(map), ..
            } => {
                // `Value`'s Display is infallible JSON, unlike `to_string`.
                let _ = write!(text, "{}", Value::Object(map.clone()));
            }
            Self::ConnectError {
                data: Some(value), ..
            } => {
                let _ = write!(text, "{value}");
            }
            Self::Event { payload, .. } | Self::Ack { payload, .. } => {
                write_array(&mut text, &payload.args)
            }
            Self::Connect { data: None, .. }
            | Self::ConnectError { data: None, .. }
            | Self::Disconnect { .. } => {}
        }
        EncodedPacket { text, attachments }
    }
}

/// Appends `items` as a JSON array without cloning them into a `Value`.
fn write_array(text: &mut String, items: &[Value]) {
    text.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        let _ = write!(text, "{item}");
    }
    text.push(']');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{Data, Decoded, Decoder, Payload};

    fn text(packet: &Packet) -> String {
        let encoded = packet.encode();
        assert!(encoded.attachments.is_empty());
        encoded.text
    }

    /// Decodes what `encode` produced, attachments included.
    fn decode(encoded: EncodedPacket) -> Packet {
        let mut decoder = Decoder::new();
        let mut last = decoder.decode_text(&encoded.text).unwrap();
        for bytes in encoded.attachments {
            last = decoder.decode_binary(bytes).unwrap();
        }
        match last {
            Decoded::Complete(packet) => packet,
            other => panic!("incomplete: {other:?}"),
        }
    }

    // Every example of the spec's "Packet encoding" section, encoded.

    #[test]
    fn spec_connect_examples() {
        assert_eq!(text(&Packet::connect("/", None)), "0");
        assert_eq!(
            text(&Packet::connect_ok("/admin", "oSO0OpakMV_3jnilAAAA")),
            r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#
        );
        assert_eq!(
            text(&Packet::connect_error("/", "Not authorized")),
            r#"4{"message":"Not authorized"}"#
        );
    }

    #[test]
    fn spec_event_examples() {
        assert_eq!(
            text(&Packet::event("/", "foo", vec![], None)),
            r#"2["foo"]"#
        );
        assert_eq!(
            text(&Packet::event("/admin", "bar", vec![], None)),
            r#"2/admin,["bar"]"#
        );
        assert_eq!(
            text(&Packet::event("/", "foo", vec![], Some(12))),
            r#"212["foo"]"#
        );
    }

    #[test]
    fn spec_binary_examples() {
        let one = Packet::event("/", "baz", vec![Data::from(vec![1u8, 2, 3, 4])], None).encode();
        assert_eq!(one.text, r#"51-["baz",{"_placeholder":true,"num":0}]"#);
        assert_eq!(one.attachments, [Bytes::from_static(&[1, 2, 3, 4])]);

        let two = Packet::event(
            "/admin",
            "baz",
            vec![Data::from(vec![1u8, 2]), Data::from(vec![3u8, 4])],
            None,
        )
        .encode();
        assert_eq!(
            two.text,
            r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
        );
        assert_eq!(
            two.attachments,
            [Bytes::from_static(&[1, 2]), Bytes::from_static(&[3, 4])]
        );

        let ack = Packet::ack(
            "/",
            15,
            vec![Data::from("bar"), Data::from(vec![1u8, 2, 3, 4])],
        )
        .encode();
        assert_eq!(ack.text, r#"61-15["bar",{"_placeholder":true,"num":0}]"#);
        assert_eq!(ack.attachments.len(), 1);
    }

    #[test]
    fn spec_ack_and_disconnect_examples() {
        assert_eq!(
            text(&Packet::ack("/admin", 13, vec![Data::from("bar")])),
            r#"3/admin,13["bar"]"#
        );
        assert_eq!(text(&Packet::ack("/", 12, vec![])), "312[]");
        assert_eq!(text(&Packet::disconnect("/")), "1");
        assert_eq!(text(&Packet::disconnect("/admin")), "1/admin,");
    }

    #[test]
    fn sample_session_lines() {
        let hey = Packet::event("/", "hey", vec![Data::from("Jude")], None).encode();
        let frames = hey.into_engine_packets();
        assert_eq!(engineio::encode_payload(&frames), r#"42["hey","Jude"]"#);
        assert_eq!(
            text(&Packet::connect_ok("/", "wZX3oN0bSVIhsaknAAAI")),
            r#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#
        );
        let binary_ack = Packet::ack("/admin", 1, vec![Data::from(vec![0u8])]).encode();
        assert_eq!(
            binary_ack.text,
            r#"61-/admin,1[{"_placeholder":true,"num":0}]"#
        );
    }

    #[test]
    fn engine_packets_keep_attachment_order() {
        let encoded = Packet::event(
            "/",
            "e",
            vec![Data::from(vec![1u8]), Data::from(vec![2u8])],
            None,
        )
        .encode();
        assert_eq!(
            encoded.into_engine_packets(),
            [
                engineio::Packet::Message(
                    r#"52-["e",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
                        .into()
                ),
                engineio::Packet::BinaryMessage(Bytes::from_static(&[1])),
                engineio::Packet::BinaryMessage(Bytes::from_static(&[2])),
            ]
        );
    }

    // The replies the official test suite expects from the reference server.

    #[test]
    fn test_suite_replies() {
        assert_eq!(
            text(&Packet::connect_error("/random", "Invalid namespace")),
            r#"4/random,{"message":"Invalid namespace"}"#
        );
        assert_eq!(
            text(&Packet::event(
                "/",
                "auth",
                vec![Data::from(json!({}))],
                None
            )),
            r#"2["auth",{}]"#
        );
        assert_eq!(
            text(&Packet::event(
                "/custom",
                "auth",
                vec![Data::from(json!({"token": "abc"}))],
                None
            )),
            r#"2/custom,["auth",{"token":"abc"}]"#
        );
        let echoed = Packet::event(
            "/",
            "message-back",
            vec![
                Data::from(json!(1)),
                Data::from("2"),
                Data::from(json!({"3": [true]})),
            ],
            None,
        );
        assert_eq!(text(&echoed), r#"2["message-back",1,"2",{"3":[true]}]"#);
        let acked = Packet::ack(
            "/",
            456,
            vec![
                Data::from(json!(1)),
                Data::from("2"),
                Data::from(json!({"3": [false]})),
            ],
        );
        assert_eq!(text(&acked), r#"3456[1,"2",{"3":[false]}]"#);
    }

    #[test]
    fn test_suite_binary_echo_reuses_placeholders() {
        // What an echo server does: rename the event, keep the attachments.
        let mut decoder = Decoder::new();
        decoder
            .decode_text(
                r#"52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            )
            .unwrap();
        decoder
            .decode_binary(Bytes::from_static(&[1, 2, 3]))
            .unwrap();
        let Decoded::Complete(Packet::Event { nsp, payload, .. }) = decoder
            .decode_binary(Bytes::from_static(&[4, 5, 6]))
            .unwrap()
        else {
            panic!("an event");
        };
        let mut args = payload.args.clone();
        args[0] = json!("message-back");
        let echo = Packet::Event {
            nsp: nsp.clone(),
            id: None,
            payload: Payload {
                args,
                binaries: payload.binaries.clone(),
            },
        }
        .encode();
        assert_eq!(
            echo.text,
            r#"52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
        );
        assert_eq!(
            echo.attachments,
            [
                Bytes::from_static(&[1, 2, 3]),
                Bytes::from_static(&[4, 5, 6])
            ]
        );

        let ack = Packet::Ack {
            nsp,
            id: 789,
            payload: Payload {
                args: payload.event_args().to_vec(),
                binaries: payload.binaries,
            },
        }
        .encode();
        assert_eq!(
            ack.text,
            r#"62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
        );
    }

    #[test]
    fn connect_error_with_a_string() {
        let packet = Packet::ConnectError {
            nsp: "/a".into(),
            data: Some(json!("no")),
        };
        assert_eq!(text(&packet), r#"4/a,"no""#);
    }

    #[test]
    fn empty_namespace_is_the_main_one() {
        assert_eq!(text(&Packet::disconnect("")), "1");
    }

    #[test]
    fn round_trips() {
        let packets = [
            Packet::connect("/", None),
            Packet::connect(
                "/admin",
                json!({"token": "123", "n": [1, 2]}).as_object().cloned(),
            ),
            Packet::connect_ok("/x", "sid"),
            Packet::disconnect("/"),
            Packet::disconnect("/admin"),
            Packet::event(
                "/",
                "message",
                vec![Data::from(json!({"a": [1, null, "é\u{1e}\"\\"]}))],
                None,
            ),
            Packet::event("/chat", "typing", vec![], Some(0)),
            Packet::event(
                "/",
                "up",
                vec![
                    Data::from(json!({"file": null})),
                    Data::from(vec![0u8, 255]),
                ],
                Some(7),
            ),
            Packet::ack("/", 3, vec![]),
            Packet::ack(
                "/n",
                u64::MAX,
                vec![Data::Array(vec![
                    Data::from(vec![9u8]),
                    Data::from(vec![8u8]),
                ])],
            ),
            Packet::connect_error("/admin", "Not authorized"),
            Packet::ConnectError {
                nsp: "/".into(),
                data: None,
            },
        ];
        for packet in packets {
            assert_eq!(decode(packet.encode()), packet, "{}", packet.encode().text);
        }
    }
}
