//! Push events (ECB → client).

use serde::Serialize;
use serde_json::Value;

use super::models::ThreadMessage;

/// An event pushed to connections in a thread's channel.
///
/// Serialized with its `type` tag it is exactly the raw WebSocket push frame;
/// Socket.IO sends [`PushEvent::body`] as an event named [`PushEvent::name`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "type",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
pub enum PushEvent {
    /// A stored message, from sendMessage, createThread or the server API.
    Message {
        thread_id: String,
        message: ThreadMessage,
    },
    /// Someone started or stopped typing; never stored.
    Typing {
        thread_id: String,
        user_id: String,
        typing: bool,
    },
    /// A user's first connection joined the channel, or its last one left.
    Presence {
        thread_id: String,
        user_id: String,
        online: bool,
    },
    /// A user has read the thread up to a message (markRead).
    Read {
        thread_id: String,
        user_id: String,
        message_id: String,
    },
}

impl PushEvent {
    /// The event name (`message`, `typing`, `presence`, `read`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Message { .. } => "message",
            Self::Typing { .. } => "typing",
            Self::Presence { .. } => "presence",
            Self::Read { .. } => "read",
        }
    }

    /// The thread whose channel the event goes to.
    pub fn thread_id(&self) -> &str {
        match self {
            Self::Message { thread_id, .. }
            | Self::Typing { thread_id, .. }
            | Self::Presence { thread_id, .. }
            | Self::Read { thread_id, .. } => thread_id,
        }
    }

    /// The event's body without the `type` tag, as Socket.IO carries it.
    pub fn body(&self) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(object) = value.as_object_mut() {
            object.shift_remove("type");
        }
        value
    }

    /// [`PushEvent::body`] as JSON text, serialized once without a `Value`
    /// in between (a push is encoded once per fan-out, on the hot path).
    /// serde writes an internally tagged enum's tag first, so the body is
    /// the push frame minus its leading `"type":"<name>",`.
    pub fn body_json(&self) -> String {
        let frame = serde_json::to_string(self).unwrap_or_default();
        let tag = format!("{{\"type\":\"{}\",", self.name());
        match frame.strip_prefix(&tag) {
            Some(fields) => format!("{{{fields}"),
            None => self.body().to_string(),
        }
    }

    /// Reads a raw push frame back into an event: what a local server does with
    /// a push another gateway posted to its `/@connections/{id}`.
    pub fn from_frame(frame: &Value) -> Option<Self> {
        let field = |name: &str| frame.get(name);
        let text = |name: &str| field(name)?.as_str().map(str::to_owned);
        let flag = |name: &str| field(name)?.as_bool();
        let thread_id = text("threadId")?;
        match field("type")?.as_str()? {
            "message" => Some(Self::Message {
                thread_id,
                message: serde_json::from_value(field("message")?.clone()).ok()?,
            }),
            "typing" => Some(Self::Typing {
                thread_id,
                user_id: text("userId")?,
                typing: flag("typing")?,
            }),
            "presence" => Some(Self::Presence {
                thread_id,
                user_id: text("userId")?,
                online: flag("online")?,
            }),
            "read" => Some(Self::Read {
                thread_id,
                user_id: text("userId")?,
                message_id: text("messageId")?,
            }),
            _ => None,
        }
    }
}
