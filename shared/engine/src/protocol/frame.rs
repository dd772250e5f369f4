//! The raw WebSocket framing (PROTOCOL.md transport 2), shared by the local
//! server's `/ws` and the API Gateway `message` function.
//!
//! Request: `{"action", "requestId", ...payload}`.
//! Response: `{"type": "response", "requestId", ...envelope}`.
//! Push: `{"type": "<event>", ...body}`.

use serde_json::{Map, Value};

use super::envelope::{OpResult, envelope};
use super::events::PushEvent;
use crate::EcbError;

/// A parsed request frame.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestFrame {
    /// Echoed in the response so the client can match it; any JSON scalar.
    pub request_id: Option<Value>,
    pub action: String,
    /// The frame minus `action` and `requestId`.
    pub payload: Value,
}

/// A frame that could not be read as a request, with the requestId when it
/// could still be found so the client can match the error.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameError {
    pub request_id: Option<Value>,
    pub error: EcbError,
}

/// Parses a request frame.
pub fn parse_request(text: &str) -> Result<RequestFrame, FrameError> {
    let fail = |request_id, message: &str| FrameError {
        request_id,
        error: EcbError::bad_request(message),
    };
    let value: Value =
        serde_json::from_str(text).map_err(|_| fail(None, "frame is not valid JSON"))?;
    let Value::Object(mut object) = value else {
        return Err(fail(None, "frame must be a JSON object"));
    };
    let request_id = object.shift_remove("requestId").filter(|id| !id.is_null());
    let action = match object.shift_remove("action") {
        Some(Value::String(action)) => action,
        _ => return Err(fail(request_id, "frame lacks a string `action`")),
    };
    Ok(RequestFrame {
        request_id,
        action,
        payload: Value::Object(object),
    })
}

/// Finds the requestId of a frame that is refused before parsing proper (an
/// oversized one), so even that error can be matched by the client.
pub fn sniff_request_id(text: &str) -> Option<Value> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Id {
        request_id: Option<Value>,
    }
    serde_json::from_str::<Id>(text)
        .ok()?
        .request_id
        .filter(|id| !id.is_null())
}

/// The response frame for a request.
pub fn response(request_id: Option<&Value>, result: &OpResult) -> String {
    let mut frame = Map::new();
    frame.insert("type".into(), Value::from("response"));
    frame.insert(
        "requestId".into(),
        request_id.cloned().unwrap_or(Value::Null),
    );
    if let Value::Object(envelope) = envelope(result) {
        frame.extend(envelope);
    }
    Value::Object(frame).to_string()
}

/// The push frame for an event.
pub fn push(event: &PushEvent) -> String {
    serde_json::to_string(event).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_splits_action_id_and_payload() {
        let frame =
            parse_request(r#"{"action":"getThread","requestId":7,"threadToken":"t"}"#).unwrap();
        assert_eq!(frame.action, "getThread");
        assert_eq!(frame.request_id, Some(json!(7)));
        assert_eq!(frame.payload, json!({"threadToken": "t"}));
    }

    #[test]
    fn malformed_frames_are_bad_requests_keeping_the_id_when_known() {
        let err = parse_request("{nope").unwrap_err();
        assert_eq!(err.request_id, None);
        assert_eq!(err.error.code, crate::ErrorCode::BadRequest);
        let err = parse_request(r#"{"requestId":"a"}"#).unwrap_err();
        assert_eq!(err.request_id, Some(json!("a")));
        assert!(parse_request("[1]").is_err());
    }

    #[test]
    fn response_frame_carries_the_envelope() {
        let frame = response(Some(&json!("r1")), &Ok(json!({"x": 1})));
        let value: Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(
            value,
            json!({"type": "response", "requestId": "r1", "ok": true, "result": {"x": 1}})
        );
        let frame = response(None, &Err(EcbError::bad_request("no")));
        let value: Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(value["requestId"], Value::Null);
        assert_eq!(
            value["error"],
            json!({"code": "bad_request", "message": "no"})
        );
    }

    #[test]
    fn push_frame_round_trips() {
        let event = PushEvent::Typing {
            thread_id: "t".into(),
            user_id: "u".into(),
            typing: true,
        };
        let frame: Value = serde_json::from_str(&push(&event)).unwrap();
        assert_eq!(
            frame,
            json!({"type": "typing", "threadId": "t", "userId": "u", "typing": true})
        );
        assert_eq!(PushEvent::from_frame(&frame), Some(event.clone()));
        assert_eq!(
            event.body(),
            json!({"threadId": "t", "userId": "u", "typing": true})
        );
        let body: Value = serde_json::from_str(&event.body_json()).unwrap();
        assert_eq!(body, event.body());
    }
}
