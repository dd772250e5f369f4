//! The Socket.IO packet: what a decoded client message means, and what the
//! server builds to send.

use serde_json::{Map, Value};

use super::{Data, Payload};

/// The namespace every client reaches unless it names another. It is never
/// written on the wire: a packet without a namespace part belongs to it.
pub const MAIN_NAMESPACE: &str = "/";

/// The seven Socket.IO packet types, numbered as on the wire.
///
/// [`Packet`] folds the `BINARY_*` types into `Event` and `Ack` (binary or
/// not is a property of the payload); this enum keeps them apart because the
/// digit on the wire differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: a client asks to join a namespace; the server grants it.
    Connect,
    /// `1`: either side leaves a namespace.
    Disconnect,
    /// `2`: an event without binary data.
    Event,
    /// `3`: the answer to an event that asked for one.
    Ack,
    /// `4`: the server refuses a namespace connection.
    ConnectError,
    /// `5`: an event whose arguments contain binary attachments.
    BinaryEvent,
    /// `6`: an acknowledgement whose arguments contain binary attachments.
    BinaryAck,
}

impl PacketType {
    /// Every type, in wire order.
    pub const ALL: [PacketType; 7] = [
        Self::Connect,
        Self::Disconnect,
        Self::Event,
        Self::Ack,
        Self::ConnectError,
        Self::BinaryEvent,
        Self::BinaryAck,
    ];

    /// The digit that starts the packet on the wire.
    pub fn as_char(self) -> char {
        match self {
            Self::Connect => '0',
            Self::Disconnect => '1',
            Self::Event => '2',
            Self::Ack => '3',
            Self::ConnectError => '4',
            Self::BinaryEvent => '5',
            Self::BinaryAck => '6',
        }
    }

    /// The type for a wire digit, or `None` for anything else.
    pub fn from_char(c: char) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_char() == c)
    }

    /// Whether the type is followed by an attachment count and attachments.
    pub fn is_binary(self) -> bool {
        matches!(self, Self::BinaryEvent | Self::BinaryAck)
    }
}

/// One Socket.IO packet, decoded or about to be encoded.
///
/// Every variant names its namespace (`"/"` for the main one). Shapes the
/// protocol forbids cannot be represented: an ACK always has an id, an
/// EVENT always has a non-empty argument list, DISCONNECT never has data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// Join a namespace. From a client `data` is the `auth` object (absent
    /// means `{}` to the application); from the server it is `{"sid": …}`.
    Connect {
        /// The namespace joined.
        nsp: String,
        /// The optional JSON object payload.
        data: Option<Map<String, Value>>,
    },
    /// Leave a namespace.
    Disconnect {
        /// The namespace left.
        nsp: String,
    },
    /// An event: `payload.args[0]` is its name, the rest its arguments. With
    /// `id`, the sender expects an [`Packet::Ack`] carrying the same id.
    /// Encoded as BINARY_EVENT when the payload has attachments.
    Event {
        /// The namespace the event belongs to.
        nsp: String,
        /// The ack id, when the sender wants an answer.
        id: Option<u64>,
        /// Name and arguments (placeholders plus attachments when binary).
        payload: Payload,
    },
    /// The answer to an event: the arguments the receiver's callback was
    /// called with. Encoded as BINARY_ACK when the payload has attachments.
    Ack {
        /// The namespace of the answered event.
        nsp: String,
        /// The id of the answered event.
        id: u64,
        /// The answer's arguments (possibly none).
        payload: Payload,
    },
    /// The server refusing a namespace: `data` is `{"message": …}` in v5
    /// (a bare string in older servers, still accepted on decode).
    ConnectError {
        /// The refused namespace.
        nsp: String,
        /// The reason, an object or a string.
        data: Option<Value>,
    },
}

impl Packet {
    /// A CONNECT with an optional payload: the client's auth object, or
    /// anything else the caller needs to send.
    pub fn connect(nsp: impl Into<String>, data: Option<Map<String, Value>>) -> Self {
        Self::Connect {
            nsp: nsp.into(),
            data,
        }
    }

    /// The server's grant of a namespace, `{"sid": …}` as the spec requires.
    /// The sid is the Socket.IO socket id, distinct from the Engine.IO one.
    pub fn connect_ok(nsp: impl Into<String>, sid: impl Into<String>) -> Self {
        let mut data = Map::new();
        data.insert("sid".to_owned(), Value::String(sid.into()));
        Self::connect(nsp, Some(data))
    }

    /// The server's refusal of a namespace, `{"message": …}` as v5 clients
    /// expect (e.g. `"Invalid namespace"` for an unknown one).
    pub fn connect_error(nsp: impl Into<String>, message: impl Into<String>) -> Self {
        let mut data = Map::new();
        data.insert("message".to_owned(), Value::String(message.into()));
        Self::ConnectError {
            nsp: nsp.into(),
            data: Some(Value::Object(data)),
        }
    }

    /// A DISCONNECT from `nsp`.
    pub fn disconnect(nsp: impl Into<String>) -> Self {
        Self::Disconnect { nsp: nsp.into() }
    }

    /// An event named `name` with `args`; any [`Data::Binary`] inside the
    /// arguments becomes an attachment. Reserved names are not refused here
    /// (see [`is_reserved_event`](super::is_reserved_event)): the server
    /// chooses what it emits.
    pub fn event(
        nsp: impl Into<String>,
        name: impl Into<String>,
        args: Vec<Data>,
        id: Option<u64>,
    ) -> Self {
        let mut items = Vec::with_capacity(args.len() + 1);
        items.push(Data::String(name.into()));
        items.extend(args);
        Self::Event {
            nsp: nsp.into(),
            id,
            payload: Payload::from_data(items),
        }
    }

    /// The answer to event `id` with `args`; binaries become attachments.
    pub fn ack(nsp: impl Into<String>, id: u64, args: Vec<Data>) -> Self {
        Self::Ack {
            nsp: nsp.into(),
            id,
            payload: Payload::from_data(args),
        }
    }

    /// The packet's namespace.
    pub fn nsp(&self) -> &str {
        match self {
            Self::Connect { nsp, .. }
            | Self::Disconnect { nsp }
            | Self::Event { nsp, .. }
            | Self::Ack { nsp, .. }
            | Self::ConnectError { nsp, .. } => nsp,
        }
    }

    /// The wire type: `BinaryEvent` / `BinaryAck` when the payload carries
    /// attachments, the plain type otherwise.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Self::Connect { .. } => PacketType::Connect,
            Self::Disconnect { .. } => PacketType::Disconnect,
            Self::Event { payload, .. } if payload.has_binary() => PacketType::BinaryEvent,
            Self::Event { .. } => PacketType::Event,
            Self::Ack { payload, .. } if payload.has_binary() => PacketType::BinaryAck,
            Self::Ack { .. } => PacketType::Ack,
            Self::ConnectError { .. } => PacketType::ConnectError,
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use serde_json::json;

    use super::*;

    #[test]
    fn type_digits_match_the_spec_table() {
        let digits: String = PacketType::ALL.iter().map(|t| t.as_char()).collect();
        assert_eq!(digits, "0123456");
        for t in PacketType::ALL {
            assert_eq!(PacketType::from_char(t.as_char()), Some(t));
        }
        assert_eq!(PacketType::from_char('7'), None);
        assert!(PacketType::BinaryEvent.is_binary());
        assert!(PacketType::BinaryAck.is_binary());
        assert!(!PacketType::Event.is_binary());
    }

    #[test]
    fn builders() {
        assert_eq!(
            Packet::connect_ok("/admin", "abc"),
            Packet::Connect {
                nsp: "/admin".into(),
                data: json!({"sid": "abc"}).as_object().cloned()
            }
        );
        assert_eq!(
            Packet::connect_error("/", "Not authorized"),
            Packet::ConnectError {
                nsp: "/".into(),
                data: Some(json!({"message": "Not authorized"}))
            }
        );
        let event = Packet::event("/", "hey", vec![Data::from("Jude")], None);
        assert_eq!(
            event,
            Packet::Event {
                nsp: "/".into(),
                id: None,
                payload: Payload::new(vec![json!("hey"), json!("Jude")])
            }
        );
        assert_eq!(event.nsp(), "/");
    }

    #[test]
    fn packet_type_follows_binary_content() {
        let plain = Packet::event("/", "a", vec![], Some(1));
        assert_eq!(plain.packet_type(), PacketType::Event);
        let binary = Packet::event("/", "a", vec![Data::Binary(Bytes::from_static(b"x"))], None);
        assert_eq!(binary.packet_type(), PacketType::BinaryEvent);
        assert_eq!(Packet::ack("/", 1, vec![]).packet_type(), PacketType::Ack);
        let binary_ack = Packet::ack("/", 1, vec![Data::Binary(Bytes::new())]);
        assert_eq!(binary_ack.packet_type(), PacketType::BinaryAck);
        assert_eq!(
            Packet::disconnect("/x").packet_type(),
            PacketType::Disconnect
        );
        assert_eq!(
            Packet::connect("/", None).packet_type(),
            PacketType::Connect
        );
        assert_eq!(
            Packet::connect_error("/", "no").packet_type(),
            PacketType::ConnectError
        );
    }
}
