//! The frames the generator sends and the little it reads of those it
//! receives. Parsing is deliberately minimal (prefixes and a few numbers) so
//! that the generator stays cheap next to the server it measures.

/// Which protocol a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Proto {
    /// Socket.IO v4 (Engine.IO v4) over WebSocket only.
    SocketIo,
    /// ECB's raw WebSocket (`/ws?token=`).
    RawWs,
}

impl Proto {
    pub fn label(self) -> &'static str {
        match self {
            Self::SocketIo => "Socket.IO",
            Self::RawWs => "raw WebSocket",
        }
    }
}

/// The padding text of every bench message: a short chat line.
pub const TEXT: &str = "The quick brown fox jumps over the lazy dog, again and again.";

/// A sendMessage request: message `seq`, sent (or scheduled) at `t_us`
/// microseconds after the generator's epoch. The ack id / requestId is `seq`.
pub fn send_message(proto: Proto, seq: u64, t_us: u64, thread_token: &str) -> String {
    let message = format!(
        r#"{{"clientMessageId":"b{seq}","type":"text","data":{{"s":{seq},"t":{t_us},"text":"{TEXT}"}}}}"#
    );
    match proto {
        Proto::SocketIo => format!(
            r#"42{seq}["sendMessage",{{"threadToken":"{thread_token}","message":{message}}}]"#
        ),
        Proto::RawWs => format!(
            r#"{{"action":"sendMessage","requestId":{seq},"threadToken":"{thread_token}","message":{message}}}"#
        ),
    }
}

/// A getThread request with ack id / requestId `id`.
pub fn get_thread(proto: Proto, id: u64, thread_token: &str) -> String {
    match proto {
        Proto::SocketIo => format!(r#"42{id}["getThread",{{"threadToken":"{thread_token}"}}]"#),
        Proto::RawWs => {
            format!(r#"{{"action":"getThread","requestId":{id},"threadToken":"{thread_token}"}}"#)
        }
    }
}

/// Socket.IO's namespace CONNECT with `auth: {token}`.
pub fn sio_connect(token: &str) -> String {
    format!(r#"40{{"token":"{token}"}}"#)
}

/// What a received text frame is, as far as the generator cares.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// An Engine.IO ping: answer `3`.
    Ping,
    /// The answer to request `id`; `ok` is the envelope's.
    Ack { id: u64, ok: bool },
    /// A `message` push of bench message `seq` sent at `t_us`.
    Push { seq: u64, t_us: u64 },
    /// Anything else (presence, typing, the Engine.IO open packet, …).
    Other,
}

/// The unsigned integer right after `key` (e.g. `"s":`) in `text`.
fn number_after(text: &str, key: &str) -> Option<u64> {
    let start = text.find(key)? + key.len();
    text[start..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(None, |n: Option<u64>, b| {
            Some(n.unwrap_or(0) * 10 + u64::from(b - b'0'))
        })
}

fn push(text: &str) -> Incoming {
    // The bench message's data: {"s":seq,"t":t_us,"text":…}; no other key of
    // a pushed threadMessage is "s" or "t".
    match (number_after(text, r#""s":"#), number_after(text, r#""t":"#)) {
        (Some(seq), Some(t_us)) => Incoming::Push { seq, t_us },
        _ => Incoming::Other,
    }
}

/// Classifies a received text frame.
pub fn classify(proto: Proto, text: &str) -> Incoming {
    match proto {
        Proto::SocketIo => {
            if text == "2" {
                Incoming::Ping
            } else if text.starts_with(r#"42["message","#) {
                push(text)
            } else if let Some(rest) = text.strip_prefix("43") {
                match number_after(rest, "") {
                    Some(id) => Incoming::Ack {
                        id,
                        ok: rest.contains(r#""ok":true"#),
                    },
                    None => Incoming::Other,
                }
            } else {
                Incoming::Other
            }
        }
        Proto::RawWs => {
            if text.contains(r#""type":"response""#) {
                match number_after(text, r#""requestId":"#) {
                    Some(id) => Incoming::Ack {
                        id,
                        ok: text.contains(r#""ok":true"#),
                    },
                    None => Incoming::Other,
                }
            } else if text.contains(r#""type":"message""#) {
                push(text)
            } else {
                Incoming::Other
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_through_the_classifier() {
        let sent = send_message(Proto::SocketIo, 7, 1234, "tok");
        assert!(sent.starts_with(r#"427["sendMessage",{"threadToken":"tok""#));
        let body: serde_json::Value = serde_json::from_str(&sent[3..]).unwrap();
        assert_eq!(body[1]["message"]["data"]["s"], 7);
        let raw: serde_json::Value =
            serde_json::from_str(&send_message(Proto::RawWs, 7, 1234, "tok")).unwrap();
        assert_eq!(raw["requestId"], 7);
        assert_eq!(raw["message"]["data"]["t"], 1234);

        let pushed = r#"42["message",{"message":{"clientMessageId":"b7","createdAt":1,"data":{"s":7,"t":1234,"text":"x"},"messageId":"m1","senderId":"u1","threadId":"t0","type":"text"},"threadId":"t0"}]"#;
        assert_eq!(
            classify(Proto::SocketIo, pushed),
            Incoming::Push { seq: 7, t_us: 1234 }
        );
        assert_eq!(
            classify(Proto::SocketIo, r#"437[{"ok":true,"result":{}}]"#),
            Incoming::Ack { id: 7, ok: true }
        );
        assert_eq!(
            classify(Proto::SocketIo, r#"430[{"ok":false,"error":{}}]"#),
            Incoming::Ack { id: 0, ok: false }
        );
        assert_eq!(classify(Proto::SocketIo, "2"), Incoming::Ping);
        assert_eq!(
            classify(Proto::SocketIo, r#"42["presence",{"online":true}]"#),
            Incoming::Other
        );
        let raw_push = r#"{"message":{"data":{"s":3,"t":9,"text":"x"},"type":"text"},"threadId":"t","type":"message"}"#;
        assert_eq!(
            classify(Proto::RawWs, raw_push),
            Incoming::Push { seq: 3, t_us: 9 }
        );
        assert_eq!(
            classify(
                Proto::RawWs,
                r#"{"ok":true,"requestId":12,"result":{"type":"text"},"type":"response"}"#
            ),
            Incoming::Ack { id: 12, ok: true }
        );
    }
}
