//! ECB over Socket.IO (PROTOCOL.md transport 1), as pure code: the local
//! server's Socket.IO namespace and the API Gateway `message` function both
//! speak it through here, so the mapping is written once.
//!
//! - A client joins namespace `/` with `auth: {token}`; a refusal is a
//!   CONNECT_ERROR whose data is [`connect_error`].
//! - An operation is an EVENT named after the action, its first argument the
//!   payload; [`run_event`] runs it, and the ACK carries the envelope
//!   ([`ack_payload`]).
//! - A push is an EVENT named after the push event ([`push_packet`]).

use ecb_socketio_codec::Payload as EventPayload;
use serde_json::{Map, Value, json};

use super::envelope::{OpResult, envelope};
use crate::{Caller, Credentials, EcbError, Engine, Payload, PushEvent, Reply, Request};

/// CONNECT_ERROR data: `{code, message}` as PROTOCOL.md says, repeated under
/// `data` because socket.io-client exposes that field as `err.data`.
pub fn connect_error(error: &EcbError) -> Value {
    let detail = json!({ "code": error.code, "message": error.message });
    json!({ "code": error.code, "message": error.message, "data": detail })
}

/// The token a client joined with: `auth.token`, else the `token` query
/// parameter of its handshake (clients that cannot set `auth`).
pub fn token<'a>(auth: &'a Map<String, Value>, query_token: Option<&'a str>) -> &'a str {
    auth.get("token")
        .and_then(Value::as_str)
        .or(query_token)
        .unwrap_or_default()
}

/// Runs one EVENT of a joined client as an operation: the event's name is
/// the action, its first argument the payload; `size` is the bytes it took
/// on the wire, attachments included, for the payload limit. Binary
/// arguments are not part of the protocol (`bad_request`). The reply's
/// result goes in the ACK ([`ack_payload`]), then its pushes are delivered.
pub async fn run_event(
    engine: &Engine,
    caller: &Caller,
    event: EventPayload,
    size: usize,
) -> Reply {
    if event.has_binary() {
        return Reply::error(EcbError::bad_request(
            "binary payloads are not part of the protocol",
        ));
    }
    let mut args = event.args.into_iter();
    let action = match args.next() {
        Some(Value::String(name)) => name,
        _ => String::new(),
    };
    let value = args.next().unwrap_or_else(|| Value::Object(Map::new()));
    let request = Request {
        action: &action,
        payload: Payload::Parsed {
            value,
            wire_size: size,
        },
    };
    engine
        .execute(Credentials::Connection(caller), request)
        .await
}

/// The ACK's arguments for a result: the envelope, alone.
pub fn ack_payload(result: &OpResult) -> EventPayload {
    EventPayload::new(vec![envelope(result)])
}

/// The Engine.IO text packet of a push: `4` (message), `2` (EVENT) on the
/// main namespace (no prefix), no ack id, then `[name, body]`. Written
/// directly because it is on the hot path of every fan-out; a test holds it
/// to the codec's encoding.
pub fn push_packet(event: &PushEvent) -> String {
    format!("42[\"{}\",{}]", event.name(), event.body_json())
}

#[cfg(test)]
mod tests {
    use ecb_socketio_codec::{Data, Decoded, Decoder, MAIN_NAMESPACE, Packet};

    use super::*;
    use crate::protocol::models::ThreadMessage;

    #[test]
    fn push_frames_match_the_codec() {
        let message: ThreadMessage = serde_json::from_value(json!({
            "messageId": "m1", "threadId": "t1", "senderId": "u\"1", "type": "text",
            "data": {"text": "héllo \\ \u{1F600}"}, "createdAt": 1, "edited": false
        }))
        .unwrap();
        let events = [
            PushEvent::Message {
                thread_id: "t1".into(),
                message,
            },
            PushEvent::Presence {
                thread_id: "t1".into(),
                user_id: "u1".into(),
                online: false,
            },
        ];
        for event in events {
            let expected = Packet::event(
                MAIN_NAMESPACE,
                event.name(),
                vec![Data::from(event.body())],
                None,
            );
            let frame = push_packet(&event);
            let text = frame.strip_prefix('4').expect("a message packet");
            let decoded = Decoder::new().decode_text(text).unwrap();
            assert_eq!(decoded, Decoded::Complete(expected));
        }
    }
}
