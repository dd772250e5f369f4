//! Which data each packet type may carry (the reference `isPayloadValid`).

use serde_json::{Map, Value};

use super::{DecodeError, PacketType};

/// Event names with a meaning of their own on one side or the other
/// (connection lifecycle, Node's EventEmitter bookkeeping). A client
/// emitting one could fake that meaning, so the decoder refuses them.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Whether `name` is one of the [`RESERVED_EVENTS`]; the server should not
/// emit those either, since clients treat them specially.
pub fn is_reserved_event(name: &str) -> bool {
    RESERVED_EVENTS.contains(&name)
}

/// CONNECT: no data, or a JSON object (the client's `auth`).
pub(crate) fn connect_data(data: Option<Value>) -> Result<Option<Map<String, Value>>, DecodeError> {
    match data {
        None => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(DecodeError::InvalidPayload(PacketType::Connect)),
    }
}

/// DISCONNECT: never any data.
pub(crate) fn disconnect_data(data: Option<Value>) -> Result<(), DecodeError> {
    match data {
        None => Ok(()),
        Some(_) => Err(DecodeError::InvalidPayload(PacketType::Disconnect)),
    }
}

/// CONNECT_ERROR: no data, an object (v5) or a string (older servers).
pub(crate) fn connect_error_data(data: Option<Value>) -> Result<Option<Value>, DecodeError> {
    match data {
        None => Ok(None),
        Some(value @ (Value::Object(_) | Value::String(_))) => Ok(Some(value)),
        Some(_) => Err(DecodeError::InvalidPayload(PacketType::ConnectError)),
    }
}

/// EVENT / BINARY_EVENT: a non-empty array whose first item names the event:
/// a string that is not reserved, or a number (the reference parser allows
/// numbers). The data is mandatory, as the spec says; the reference parser
/// lets a bare `2` through, which the spec forbids.
pub(crate) fn event_args(kind: PacketType, data: Option<Value>) -> Result<Vec<Value>, DecodeError> {
    let Some(Value::Array(args)) = data else {
        return Err(DecodeError::InvalidPayload(kind));
    };
    match args.first() {
        Some(Value::String(name)) if is_reserved_event(name) => {
            Err(DecodeError::ReservedEventName(name.clone()))
        }
        Some(Value::String(_) | Value::Number(_)) => Ok(args),
        _ => Err(DecodeError::InvalidPayload(kind)),
    }
}

/// ACK / BINARY_ACK: an array, possibly empty. Mandatory, as for events.
pub(crate) fn ack_args(kind: PacketType, data: Option<Value>) -> Result<Vec<Value>, DecodeError> {
    match data {
        Some(Value::Array(args)) => Ok(args),
        _ => Err(DecodeError::InvalidPayload(kind)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reserved_names() {
        for name in RESERVED_EVENTS {
            assert!(is_reserved_event(name));
        }
        assert!(!is_reserved_event("message"));
        assert!(!is_reserved_event("Connect"));
    }

    #[test]
    fn connect_accepts_nothing_or_an_object() {
        assert_eq!(connect_data(None).unwrap(), None);
        assert_eq!(
            connect_data(Some(json!({"token": "123"}))).unwrap(),
            json!({"token": "123"}).as_object().cloned()
        );
        for bad in [json!([]), json!("x"), json!(1), json!(null), json!(true)] {
            assert!(matches!(
                connect_data(Some(bad)),
                Err(DecodeError::InvalidPayload(PacketType::Connect))
            ));
        }
    }

    #[test]
    fn disconnect_accepts_nothing() {
        disconnect_data(None).unwrap();
        assert!(disconnect_data(Some(json!({}))).is_err());
    }

    #[test]
    fn connect_error_accepts_object_or_string() {
        assert_eq!(connect_error_data(None).unwrap(), None);
        assert_eq!(
            connect_error_data(Some(json!("no"))).unwrap(),
            Some(json!("no"))
        );
        assert_eq!(
            connect_error_data(Some(json!({"message": "no"}))).unwrap(),
            Some(json!({"message": "no"}))
        );
        for bad in [json!([]), json!(1), json!(null)] {
            assert!(connect_error_data(Some(bad)).is_err());
        }
    }

    #[test]
    fn event_needs_a_named_array() {
        let kind = PacketType::Event;
        assert_eq!(
            event_args(kind, Some(json!(["foo"]))).unwrap(),
            [json!("foo")]
        );
        assert_eq!(
            event_args(kind, Some(json!([1, "x"]))).unwrap(),
            [json!(1), json!("x")]
        );
        for bad in [
            None,
            Some(json!({})),
            Some(json!([])),
            Some(json!([null])),
            Some(json!([{}])),
            Some(json!("foo")),
        ] {
            assert!(
                matches!(
                    event_args(kind, bad.clone()),
                    Err(DecodeError::InvalidPayload(PacketType::Event))
                ),
                "{bad:?} should be refused"
            );
        }
        for name in RESERVED_EVENTS {
            assert!(matches!(
                event_args(PacketType::BinaryEvent, Some(json!([name, 1]))),
                Err(DecodeError::ReservedEventName(n)) if n == name
            ));
        }
    }

    #[test]
    fn ack_needs_an_array() {
        let kind = PacketType::Ack;
        assert!(ack_args(kind, Some(json!([]))).unwrap().is_empty());
        assert_eq!(
            ack_args(kind, Some(json!(["bar"]))).unwrap(),
            [json!("bar")]
        );
        for bad in [None, Some(json!({})), Some(json!("bar")), Some(json!(null))] {
            assert!(matches!(
                ack_args(kind, bad),
                Err(DecodeError::InvalidPayload(PacketType::Ack))
            ));
        }
    }
}
