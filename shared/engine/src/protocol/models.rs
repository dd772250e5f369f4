//! The data models of the original Enterprise Chat Bridge (`user`, `thread`,
//! `threadMessage`, `pagingBase`, paged lists, `threadAndMessages`).
//!
//! ECB reads them from the backend and checks them before a client sees them,
//! so the required fields are typed; anything else the backend adds is kept
//! in `extra` and passed through untouched.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A person who can chat: a contact, or the caller from its userToken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A conversation. Its `threadToken` is the backend's signed statement of who
/// belongs to it; clients present it back for every thread operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Thread {
    pub thread_id: String,
    pub thread_token: String,
    #[serde(default)]
    pub member_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A message as the backend stored it: what the author is acked with and what
/// everyone else is pushed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadMessage {
    pub message_id: String,
    pub thread_id: String,
    pub sender_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub data: Value,
    /// Milliseconds since the Unix epoch, as the backend stamped it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A message as a client sends it, before the backend stores it.
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

/// One page of a list, with the paging of its neighbours (null at the ends).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Paged<T> {
    pub page_start_index: u64,
    pub page_size: u64,
    pub items: Vec<T>,
    pub previous_page: Option<PagingBase>,
    pub next_page: Option<PagingBase>,
}

/// `pagedThreads` of the original models.
pub type PagedThreads = Paged<Thread>;
/// `pagedContacts` of the original models.
pub type PagedContacts = Paged<User>;

/// A thread with messages: the answer to createThread, getThread and (with the
/// one new message) addThreadMessage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadAndMessages {
    pub thread: Thread,
    pub messages: Vec<ThreadMessage>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
