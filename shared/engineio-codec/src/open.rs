//! The handshake: the `open` packet that starts every Engine.IO session.

use serde_json::Value;

use super::Packet;

/// The session parameters the server announces in its `open` packet. The
/// client echoes `sid` on every later request and paces its heartbeat and
/// payload batching from the rest, so the values must match what the server
/// enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// The session id, sent back by the client as the `sid` query parameter.
    /// It authorises every later request, so it must be unguessable.
    pub sid: String,
    /// Transports the client may upgrade to: `["websocket"]` for a polling
    /// session, empty for a session that already runs over WebSocket.
    pub upgrades: Vec<String>,
    /// Milliseconds between the server's pings.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong before closing the session.
    pub ping_timeout: u64,
    /// The largest polling body (in bytes) the server accepts; clients batch
    /// their packets to stay under it.
    pub max_payload: u64,
}

impl Handshake {
    /// The handshake for a new session. Only a session opened over polling is
    /// offered the WebSocket upgrade; one opened over WebSocket has nowhere to go.
    pub fn new(
        sid: impl Into<String>,
        opened_over_polling: bool,
        ping_interval: u64,
        ping_timeout: u64,
        max_payload: u64,
    ) -> Self {
        let upgrades = if opened_over_polling {
            vec!["websocket".to_owned()]
        } else {
            Vec::new()
        };
        Self {
            sid: sid.into(),
            upgrades,
            ping_interval,
            ping_timeout,
            max_payload,
        }
    }

    /// The JSON body of the `open` packet, keys in the order the spec shows.
    pub fn to_json(&self) -> String {
        // `Value`'s Display escapes the strings and cannot fail, unlike
        // `serde_json::to_string`, and keeps the spec's key order that a
        // `json!` object (sorted map) would not.
        let upgrades = Value::from(self.upgrades.clone());
        format!(
            r#"{{"sid":{},"upgrades":{},"pingInterval":{},"pingTimeout":{},"maxPayload":{}}}"#,
            Value::from(self.sid.as_str()),
            upgrades,
            self.ping_interval,
            self.ping_timeout,
            self.max_payload,
        )
    }

    /// The `open` packet itself, ready to send as the session's first packet.
    pub fn to_packet(&self) -> Packet {
        Packet::Open(self.to_json())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn spec_example() {
        let handshake = Handshake::new("lv_VI97HAXpY6yYWAAAC", true, 25000, 20000, 1_000_000);
        assert_eq!(
            handshake.to_json(),
            r#"{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
        );
    }

    #[test]
    fn test_suite_values_over_polling() {
        let packet = Handshake::new("abc", true, 300, 200, 1_000_000).to_packet();
        let text = packet.encode_text();
        assert!(text.starts_with('0'));
        let value: Value = serde_json::from_str(&text[1..]).unwrap();
        assert_eq!(
            value,
            json!({
                "sid": "abc",
                "upgrades": ["websocket"],
                "pingInterval": 300,
                "pingTimeout": 200,
                "maxPayload": 1_000_000
            })
        );
    }

    #[test]
    fn websocket_sessions_offer_no_upgrade() {
        let handshake = Handshake::new("abc", false, 300, 200, 1_000_000);
        let value: Value = serde_json::from_str(&handshake.to_json()).unwrap();
        assert_eq!(value["upgrades"], json!([]));
    }

    #[test]
    fn sid_is_escaped() {
        let handshake = Handshake::new("a\"b\\c", true, 1, 2, 3);
        let value: Value = serde_json::from_str(&handshake.to_json()).unwrap();
        assert_eq!(value["sid"], "a\"b\\c");
    }
}
