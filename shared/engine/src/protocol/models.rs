//! The models ECB carries between the backend and its clients.
//!
//! The message, thread and user models belong to the customer: ECB reads from
//! a backend answer only what it acts on (a thread's `threadId` and
//! `threadToken`, a message's `messageId` and, when present, its `threadId`)
//! and passes every other field through unchanged, names, types, `null`s and
//! order included (serde_json keeps object order in this workspace). So a
//! backend built on the original ECB models (`fromUserId`, `creationTime`,
//! `members`) works as well as one that stores `userId` and ISO dates.
//!
//! Each pass-through model is a JSON object checked once, when it is read,
//! so the fields ECB relies on are known to be there afterwards.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The caller as its userToken describes it: the `user` ECB adds to every
/// backend call and keeps in a connection's record. ECB's own, not the
/// backend's contact model (contacts pass through as the backend wrote them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// Reads a JSON object field that ECB requires to be a non-empty string.
fn required_text<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    match fields.get(name) {
        Some(Value::String(text)) if !text.is_empty() => Ok(text),
        Some(_) => Err(format!("`{name}` must be a non-empty string")),
        None => Err(format!("missing `{name}`")),
    }
}

/// A conversation as the backend returned it. Its `threadToken` is the
/// backend's signed statement of who belongs to it; clients present it back
/// for every thread operation. Whether the token verifies is checked by the
/// engine, which holds the keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Thread {
    fields: Map<String, Value>,
}

impl Thread {
    /// Checks that a backend's object has the fields ECB acts on.
    pub fn from_fields(fields: Map<String, Value>) -> Result<Self, String> {
        required_text(&fields, "threadId")?;
        required_text(&fields, "threadToken")?;
        Ok(Self { fields })
    }

    /// The thread's id.
    pub fn thread_id(&self) -> &str {
        self.fields["threadId"].as_str().unwrap_or_default()
    }

    /// The backend's signed statement of the thread's members.
    pub fn thread_token(&self) -> &str {
        self.fields["threadToken"].as_str().unwrap_or_default()
    }
}

/// A message as the backend stored it: what the author is acked with and what
/// everyone else is pushed, unchanged.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ThreadMessage {
    fields: Map<String, Value>,
}

impl ThreadMessage {
    /// Checks that a backend's object has a string `messageId` (what clients
    /// drop duplicates by) and, if it names its thread, names it as a string.
    pub fn from_fields(fields: Map<String, Value>) -> Result<Self, String> {
        required_text(&fields, "messageId")?;
        if let Some(thread_id) = fields.get("threadId")
            && !thread_id.is_string()
        {
            return Err("`threadId` must be a string when present".into());
        }
        Ok(Self { fields })
    }

    /// The backend's id of the message.
    pub fn message_id(&self) -> &str {
        self.fields["messageId"].as_str().unwrap_or_default()
    }

    /// The thread the message names, if it names one (many models leave it
    /// to the thread around it).
    pub fn thread_id(&self) -> Option<&str> {
        self.fields.get("threadId").and_then(Value::as_str)
    }
}

impl<'de> Deserialize<'de> for Thread {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::from_fields(Map::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for ThreadMessage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::from_fields(Map::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// A thread with messages: the answer to createThread, getThread and (with
/// the one new message) addThreadMessage. The whole answer passes through;
/// ECB keeps the thread's id and a copy of the messages to push.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadAndMessages {
    /// The backend's answer, unchanged: what the caller gets.
    pub answer: Value,
    pub thread: Thread,
    pub messages: Vec<ThreadMessage>,
}

impl ThreadAndMessages {
    /// Reads a backend answer: an object with a `thread` and an array of
    /// `messages`, each checked as above.
    pub fn from_answer(answer: Value) -> Result<Self, String> {
        let thread = match answer.get("thread") {
            Some(Value::Object(fields)) => {
                Thread::from_fields(fields.clone()).map_err(|e| format!("thread: {e}"))?
            }
            Some(_) => return Err("`thread` must be an object".into()),
            None => return Err("missing `thread`".into()),
        };
        let messages = match answer.get("messages") {
            Some(list) => messages_from(list)?,
            None => return Err("missing `messages`".into()),
        };
        Ok(Self {
            answer,
            thread,
            messages,
        })
    }
}

/// Reads a backend's array of messages, checking each.
pub fn messages_from(list: &Value) -> Result<Vec<ThreadMessage>, String> {
    let Value::Array(items) = list else {
        return Err("`messages` must be an array".into());
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| match item {
            Value::Object(fields) => ThreadMessage::from_fields(fields.clone())
                .map_err(|e| format!("messages[{index}]: {e}")),
            _ => Err(format!("messages[{index}] must be an object")),
        })
        .collect()
}

/// A message as a client sends it, before the backend stores it. Fields
/// other than these three go to the backend as the client wrote them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutgoingMessage {
    /// The client's idempotency key, forwarded as `Idempotency-Key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub data: Value,
}

/// The longest `clientMessageId` accepted (PROTOCOL.md).
pub const MAX_CLIENT_MESSAGE_ID: usize = 64;

/// The `type` of the one ephemeral message kind.
pub const TYPING: &str = "typing";

impl OutgoingMessage {
    /// Checks what PROTOCOL.md demands of a message before anything is sent on.
    pub fn validate(&self) -> Result<(), crate::EcbError> {
        use crate::EcbError;
        if self.kind.is_empty() {
            return Err(EcbError::bad_request(
                "message.type must be a non-empty string",
            ));
        }
        if let Some(id) = &self.client_message_id
            && (id.is_empty() || id.len() > MAX_CLIENT_MESSAGE_ID)
        {
            return Err(EcbError::bad_request(format!(
                "message.clientMessageId must be 1 to {MAX_CLIENT_MESSAGE_ID} characters"
            )));
        }
        if self.kind == TYPING && !self.data.is_boolean() {
            return Err(EcbError::bad_request(
                "a typing message's data must be a boolean",
            ));
        }
        Ok(())
    }

    /// Whether this message is the ephemeral typing signal.
    pub fn is_typing(&self) -> bool {
        self.kind == TYPING
    }
}

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PagingBase {
    pub page_start_index: u64,
    pub page_size: u64,
}

/// One page of a list ECB cut from a whole list the backend returned, with
/// the paging of its neighbours (null at the ends). The items are the
/// backend's, unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Paged<T> {
    pub page_start_index: u64,
    pub page_size: u64,
    pub items: Vec<T>,
    pub previous_page: Option<PagingBase>,
    pub next_page: Option<PagingBase>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_message_passes_through_as_stored() {
        let stored = r#"{"createdAt":"2026-12-02T17:07:34.310Z","messageId":"m1","fromUserId":"u","data":{"deep":[1,null,2.5]},"note":null}"#;
        let message: ThreadMessage = serde_json::from_str(stored).unwrap();
        assert_eq!(message.message_id(), "m1");
        assert_eq!(message.thread_id(), None);
        assert_eq!(serde_json::to_string(&message).unwrap(), stored);
    }

    #[test]
    fn a_message_needs_a_string_message_id() {
        for bad in [
            json!({"threadId": "t"}),
            json!({"messageId": 7}),
            json!({"messageId": ""}),
            json!({"messageId": "m", "threadId": 3}),
        ] {
            assert!(
                serde_json::from_value::<ThreadMessage>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_thread_needs_its_id_and_token_and_keeps_the_rest() {
        let stored = r#"{"threadToken":"x.y.z","members":[{"userId":"a"}],"threadId":"t","lastMessageTime":1764694054}"#;
        let thread: Thread = serde_json::from_str(stored).unwrap();
        assert_eq!(thread.thread_id(), "t");
        assert_eq!(thread.thread_token(), "x.y.z");
        assert_eq!(serde_json::to_string(&thread).unwrap(), stored);
        assert!(serde_json::from_value::<Thread>(json!({"threadId": "t"})).is_err());
    }

    #[test]
    fn thread_and_messages_reads_what_it_pushes_and_keeps_the_answer() {
        let answer = json!({"extra": {"a": 1}, "thread": {"threadId": "t", "threadToken": "k"}, "messages": [{"messageId": "m"}]});
        let read = ThreadAndMessages::from_answer(answer.clone()).unwrap();
        assert_eq!(read.answer, answer);
        assert_eq!(read.thread.thread_id(), "t");
        assert_eq!(read.messages[0].message_id(), "m");
        for bad in [
            json!({"thread": {"threadId": "t", "threadToken": "k"}}),
            json!({"thread": {"threadId": "t", "threadToken": "k"}, "messages": {}}),
            json!({"thread": {"threadId": "t", "threadToken": "k"}, "messages": [{"id": 1}]}),
            json!({"messages": []}),
        ] {
            assert!(
                ThreadAndMessages::from_answer(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
