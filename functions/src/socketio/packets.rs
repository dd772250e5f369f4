//! The Engine.IO and Socket.IO packets of a Socket.IO connection on API
//! Gateway, as text frames: what a client's frame is, and the frames the
//! functions post. Pure code over the codecs; ECB's own mapping (events to
//! operations, pushes to events) is `ecb_engine::protocol::socketio`.

use ecb_engine::EcbError;
use ecb_engine::protocol::envelope::OpResult;
use ecb_engine::protocol::socketio;
use ecb_engineio_codec::{Handshake, Packet as EnginePacket};
use ecb_socketio_codec::{Decoded, Decoder, MAIN_NAMESPACE, Packet, Payload};
use serde_json::{Map, Value};

/// What one frame from a Socket.IO client asks for.
#[derive(Debug, PartialEq)]
pub enum Inbound {
    /// The answer to a ping.
    Pong,
    /// Join a namespace, with the `auth` object.
    Connect {
        nsp: String,
        auth: Map<String, Value>,
    },
    /// An operation on the main namespace; `size` is its bytes on the wire.
    Event {
        payload: Payload,
        ack: Option<u64>,
        size: usize,
    },
    /// The client left the namespace.
    Disconnect,
    /// A packet with nothing to answer (close, noop, an event elsewhere).
    Ignored,
    /// Binary attachments follow: a Lambda keeps no decoder between frames,
    /// and ECB's protocol has no binary payloads.
    Binary,
    /// Not Engine.IO / Socket.IO: the spec closes the connection.
    Malformed(String),
}

/// Whether a frame is an Engine.IO packet (a type digit first) rather than
/// one of ECB's JSON frames.
pub fn is_engineio(text: &str) -> bool {
    text.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

/// Reads one text frame.
pub fn classify(text: &str) -> Inbound {
    let message = match EnginePacket::decode_text(text) {
        Ok(EnginePacket::Pong(_)) => return Inbound::Pong,
        Ok(EnginePacket::Message(message)) => message,
        Ok(_) => return Inbound::Ignored,
        Err(error) => return Inbound::Malformed(error.to_string()),
    };
    match Decoder::new().decode_text(&message) {
        Ok(Decoded::Complete(Packet::Connect { nsp, data })) => Inbound::Connect {
            nsp,
            auth: data.unwrap_or_default(),
        },
        Ok(Decoded::Complete(Packet::Event { nsp, id, payload })) if nsp == MAIN_NAMESPACE => {
            Inbound::Event {
                payload,
                ack: id,
                size: text.len(),
            }
        }
        Ok(Decoded::Complete(Packet::Disconnect { nsp })) if nsp == MAIN_NAMESPACE => {
            Inbound::Disconnect
        }
        Ok(Decoded::Complete(_)) => Inbound::Ignored,
        Ok(Decoded::AwaitingAttachments(_)) => Inbound::Binary,
        Err(error) => Inbound::Malformed(error.to_string()),
    }
}

/// The open packet: the session id is the API Gateway connection id, no
/// upgrades (it is a WebSocket already), and the heartbeat the sweeps keep.
pub fn open(
    connection_id: &str,
    ping_interval_ms: u64,
    ping_timeout_ms: u64,
    max_payload: usize,
) -> String {
    Handshake::new(
        connection_id,
        false,
        ping_interval_ms,
        ping_timeout_ms,
        max_payload as u64,
    )
    .to_packet()
    .encode_text()
}

/// A ping.
pub fn ping() -> String {
    EnginePacket::Ping(String::new()).encode_text()
}

/// The client joined the main namespace as socket `sid`.
pub fn connected(sid: &str) -> String {
    message(Packet::connect_ok(MAIN_NAMESPACE, sid))
}

/// The client may not join: CONNECT_ERROR with ECB's `{code, message}`, or
/// the reference server's answer for a namespace ECB does not have.
pub fn refused(nsp: &str, error: Option<&EcbError>) -> String {
    let data = match error {
        Some(error) => socketio::connect_error(error),
        None => serde_json::json!({ "message": "Invalid namespace" }),
    };
    message(Packet::ConnectError {
        nsp: nsp.to_owned(),
        data: Some(data),
    })
}

/// The ACK of an operation: its envelope.
pub fn ack(id: u64, result: &OpResult) -> String {
    message(Packet::Ack {
        nsp: MAIN_NAMESPACE.to_owned(),
        id,
        payload: socketio::ack_payload(result),
    })
}

/// A Socket.IO packet as the one Engine.IO text frame it is (none of these
/// carry attachments).
fn message(packet: Packet) -> String {
    packet
        .encode()
        .into_engine_packets()
        .first()
        .map(EnginePacket::encode_text)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn frames_are_told_apart() {
        assert_eq!(classify("3"), Inbound::Pong);
        assert!(is_engineio("40"));
        assert!(!is_engineio(r#"{"action":"getThread"}"#));
        let Inbound::Connect { nsp, auth } = classify(r#"40{"token":"t"}"#) else {
            panic!("a connect")
        };
        assert_eq!((nsp.as_str(), auth.get("token")), ("/", Some(&json!("t"))));
        let Inbound::Event { payload, ack, size } =
            classify(r#"421["getThread",{"threadToken":"x"}]"#)
        else {
            panic!("an event")
        };
        assert_eq!(
            (payload.event_name().as_deref(), ack, size),
            (Some("getThread"), Some(1), 36)
        );
        assert_eq!(classify("41"), Inbound::Disconnect);
        assert_eq!(classify("1"), Inbound::Ignored);
        assert_eq!(
            classify(r#"451-["x",{"_placeholder":true,"num":0}]"#),
            Inbound::Binary
        );
        assert!(matches!(classify("4{"), Inbound::Malformed(_)));
        assert!(matches!(classify("9"), Inbound::Malformed(_)));
    }

    #[test]
    fn frames_the_functions_post() {
        assert_eq!(
            open("c1", 300, 120, 32768),
            r#"0{"sid":"c1","upgrades":[],"pingInterval":300,"pingTimeout":120,"maxPayload":32768}"#
        );
        assert_eq!(ping(), "2");
        assert_eq!(connected("c1"), r#"40{"sid":"c1"}"#);
        assert_eq!(
            ack(7, &Ok(json!({"a": 1}))),
            r#"437[{"ok":true,"result":{"a":1}}]"#
        );
        let refusal = refused("/", Some(&EcbError::unauthorized("bad token")));
        assert!(
            refusal.starts_with(r#"44{"code":"unauthorized""#),
            "{refusal}"
        );
        assert_eq!(
            refused("/admin", None),
            r#"44/admin,{"message":"Invalid namespace"}"#
        );
    }
}
